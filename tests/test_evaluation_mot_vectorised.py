"""The vectorised MOT accumulation (`mot_counts` with the official defaults) against `JointAccumulator`
frame by frame: the same counts, sumD bit for bit, on crowded random sequences (contested frames, identity
swaps, new identities, misses, false positives, empty frames) under both empty-frame rules."""

from __future__ import annotations

import numpy as np
import pytest

from posekit.data.schema import Frame, Person, Sequence
from posekit.evaluation import (
    gt_frames,
    match_frames,
    mot_accumulators,
    mot_counts,
    mot_inputs,
    prediction_frames,
)
from posekit.evaluation import mot as mot_module
from posekit.evaluation.frames import frame_poses
from posekit.joints import NUM_JOINTS


def _sequence(rng: np.random.Generator, n_frames: int, n_people: int, spread: int
              ) -> tuple[Sequence, Sequence]:
    """People at most `spread` px apart (head size 30 px, threshold 15 px): small spreads contest many
    frames."""
    base = rng.integers(0, spread, size=(n_people, NUM_JOINTS, 2)).astype(float)
    pred_ids = list(range(n_people))
    gts, prs = [], []
    for f in range(n_frames):
        if rng.random() < 0.2 and n_people >= 2:
            a, b = rng.choice(n_people, 2, replace=False)
            pred_ids[a], pred_ids[b] = pred_ids[b], pred_ids[a]
        g_persons, p_persons = [], []
        for k in range(n_people):
            if rng.random() < 0.1:
                continue
            xy = base[k] + rng.integers(-2, 3, size=(NUM_JOINTS, 2))
            joints = np.column_stack([xy, np.ones(NUM_JOINTS)])
            joints[rng.random(NUM_JOINTS) < 0.1] = np.nan
            head = np.array([xy[14, 0] - 15, xy[14, 1] - 5, xy[14, 0] + 15, xy[14, 1] + 35])
            g_persons.append(Person(joints=joints, head_box=head, track_id=k))
            if rng.random() < 0.1:
                continue
            if rng.random() < 0.05:
                pred_ids[k] = 100 + f * n_people + k
            noisy = joints.copy()
            noisy[:, :2] += rng.integers(-9, 10, size=(NUM_JOINTS, 2))
            p_persons.append(Person(joints=noisy, track_id=pred_ids[k], scores=rng.random(NUM_JOINTS)))
        if rng.random() < 0.3:
            xy = rng.integers(0, spread, size=(NUM_JOINTS, 2)).astype(float)
            p_persons.append(Person(joints=np.column_stack([xy, np.ones(NUM_JOINTS)]), track_id=90 + f,
                                    scores=rng.random(NUM_JOINTS)))
        if rng.random() < 0.08:
            p_persons = []
        gts.append(Frame(image=f"s/{f:06d}.jpg", persons=g_persons))
        prs.append(Frame(image=f"s/{f:06d}.jpg", persons=p_persons))
    return Sequence("s", gts), Sequence("s", prs)


def _inputs(g: Sequence, p: Sequence, rule: str):
    idx = [f for f, fr in enumerate(g.frames) if fr.persons]
    gt = gt_frames(g, idx, g.name, tracking=True)
    pr = prediction_frames(gt, [frame_poses(p.frames[f]) for f in idx], g.name)
    return mot_inputs(gt, pr, match_frames(gt, pr), len(idx) - 1, rule), gt.ids, pr.ids


@pytest.mark.parametrize("rule", ["poseval", "count"])
def test_vectorised_counts_equal_the_accumulators_bit_for_bit(monkeypatch, rule):
    monkeypatch.setattr(mot_module, "MAX_CONTESTED_ROUNDS", 10**6)  # never fall back: test the rounds
    rng = np.random.default_rng(5)
    rounds = switches = 0
    for case in range(60):
        spread = (25, 60, 400)[case % 3]
        g, p = _sequence(rng, int(rng.integers(2, 25)), int(rng.integers(1, 6)), spread)
        inputs, gt_ids, pr_ids = _inputs(g, p, rule)
        want = [acc.result("matched") for acc in mot_accumulators(inputs, gt_ids, pr_ids)]
        got = mot_module._vectorised_counts(inputs, gt_ids, pr_ids)
        assert got == want, case  # sumD too: == on floats
        assert mot_counts(inputs, gt_ids, pr_ids) == want
        for c in want:
            assert c["num_misses"] >= 0 and c["num_false_positives"] >= 0
        switches += sum(c["num_switches"] for c in want)
        fj = inputs.pair_frame * NUM_JOINTS + inputs.pair_joint
        rounds += len(fj) - len(np.unique(np.stack([fj, inputs.pair_gt]), axis=1).T)  # contested by a GT
    assert rounds > 50 and switches > 50  # contested frames and switches occurred: the test is not vacuous


def test_fallback_to_the_accumulators_when_most_frames_are_contested(monkeypatch):
    rng = np.random.default_rng(7)
    g, p = _sequence(rng, 40, 5, spread=20)  # everyone within the threshold of everyone: contested
    inputs, gt_ids, pr_ids = _inputs(g, p, "poseval")
    assert mot_module._vectorised_counts(inputs, gt_ids, pr_ids) is None
    calls = []
    original = mot_module.mot_accumulators
    monkeypatch.setattr(mot_module, "mot_accumulators", lambda *a, **k: calls.append(1) or original(*a, **k))
    counts = mot_counts(inputs, gt_ids, pr_ids)
    assert calls and counts == [acc.result("matched") for acc in original(inputs, gt_ids, pr_ids)]
