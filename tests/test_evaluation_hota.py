"""Keypoint HOTA: posekit's kernel against trackeval's HOTA core fed the same similarity matrices.

trackeval (`make install-reference`, pyproject [reference]) computes HOTA for one class; here each joint
of each random sequence is one trackeval sequence: per evaluated frame, the GT and predicted persons that
have the joint and the PoseTrack21 similarity S = max(1 - d / 0.5001, 0) (d = distance / head size, built
here from the frames). Two comparisons:

- `matching="trackeval"` against trackeval as it is (Hungarian on similarity x global alignment);
- `matching="posetrack21"` (the default) against trackeval with its Hungarian step fed -S instead, which
  is PoseTrack21's `hota_pose.py` rule (everything else in its HOTA is trackeval's);

per sequence and combined over sequences, every field at every α, to 1e-9. PoseTrack21's Total column is
rebuilt from trackeval's per-joint results (counts summed over joints, association and localisation
averaged over joints, then combined with TP weights) and compared too.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_evaluation_motmetrics import _random_sequence

from posekit.data.schema import Frame, Person, Sequence
from posekit.evaluation import (
    ALPHAS,
    HOTACounts,
    gt_frames,
    hota_counts,
    hota_summary,
    match_frames,
    prediction_frames,
    similarity,
)
from posekit.evaluation.frames import frame_poses
from posekit.evaluation.hota import hota_values
from posekit.joints import NUM_JOINTS

FIELDS = {"HOTA": "HOTA", "DetA": "DetA", "AssA": "AssA", "LocA": "LocA", "DetRe": "DetRe", "DetPr": "DetPr",
          "AssRe": "AssRe", "AssPr": "AssPr"}


def _trackeval():
    try:
        import trackeval.metrics.hota as te_hota
    except ImportError:
        pytest.skip("trackeval is not installed (optional reference: `make install-reference`)")
    return te_hota


def _trackeval_data(g: Sequence, p: Sequence, joint: int) -> dict:
    frames = [f for f, fr in enumerate(g.frames) if fr.persons]
    gt_ids, tr_ids, sims = [], [], []
    for f in frames:
        gts = [q for q in g.frames[f].persons if np.isfinite(q.joints[joint, 0])]
        prs = [q for q in p.frames[f].persons if np.isfinite(q.joints[joint, 0])]
        s = np.zeros((len(gts), len(prs)))
        for a, q in enumerate(gts):
            size = 0.6 * np.linalg.norm(np.subtract([q.head_box[2], q.head_box[3]],
                                                    [q.head_box[0], q.head_box[1]]))
            for b, r in enumerate(prs):
                s[a, b] = max(1 - np.linalg.norm(np.subtract(q.joints[joint, :2], r.joints[joint, :2]))
                              / size / 0.5001, 0)
        gt_ids.append([q.track_id for q in gts])
        tr_ids.append([r.track_id for r in prs])
        sims.append(s)
    g_map = {v: i for i, v in enumerate(sorted({i for f in gt_ids for i in f}))}
    t_map = {v: i for i, v in enumerate(sorted({i for f in tr_ids for i in f}))}
    return {
        "num_timesteps": len(frames),
        "num_gt_ids": len(g_map),
        "num_tracker_ids": len(t_map),
        "num_gt_dets": sum(len(f) for f in gt_ids),
        "num_tracker_dets": sum(len(f) for f in tr_ids),
        "gt_ids": [np.array([g_map[i] for i in f], dtype=int) for f in gt_ids],
        "tracker_ids": [np.array([t_map[i] for i in f], dtype=int) for f in tr_ids],
        "similarity_scores": sims,
    }


def _posekit_counts(g: Sequence, p: Sequence, matching: str) -> HOTACounts:
    idx = [f for f, fr in enumerate(g.frames) if fr.persons]
    gt = gt_frames(g, idx, g.name, tracking=True)
    pr = prediction_frames(gt, [frame_poses(p.frames[f]) for f in idx], g.name)
    return hota_counts(gt, pr, match_frames(gt, pr), matching)


def _run_trackeval(te_hota, data: dict, similarity_only: bool) -> dict:
    metric = te_hota.HOTA()
    if not similarity_only:
        return metric.eval_sequence(data)
    # PoseTrack21's rule: the Hungarian step maximises the similarity alone. trackeval calls its solver
    # once per frame with GT and predictions, in frame order; answer each call with that frame's -S.
    queue = [s for s in data["similarity_scores"] if s.shape[0] and s.shape[1]]
    original = te_hota.linear_sum_assignment

    def similarity_only_solver(cost):
        s = queue.pop(0)
        assert s.shape == cost.shape
        return original(-s)

    te_hota.linear_sum_assignment = similarity_only_solver
    try:
        return metric.eval_sequence(data)
    finally:
        te_hota.linear_sum_assignment = original
    assert not queue


def _cases(n: int = 5) -> list[tuple[Sequence, Sequence]]:
    rng = np.random.default_rng(21)
    cases = [_random_sequence(rng, f"{s:06d}_mpii_test", n_frames=8, n_people=4) for s in range(n)]
    # One sequence with no prediction at all (trackeval's early return).
    g, p = cases[-1]
    cases[-1] = (g, Sequence(p.name, [Frame(image=f.image, persons=[]) for f in p.frames]))
    return cases


@pytest.mark.parametrize("matching", ["posetrack21", "trackeval"])
def test_hota_equals_trackeval_per_joint_per_sequence_and_combined(matching):
    te_hota = _trackeval()
    cases = _cases()
    metric = te_hota.HOTA()
    per_seq_te: list[list[dict]] = []
    total = HOTACounts.zeros()
    for g, p in cases:
        counts = _posekit_counts(g, p, matching)
        total = total + counts
        mine = hota_values(counts)
        joints = []
        for j in range(NUM_JOINTS):
            ref = _run_trackeval(te_hota, _trackeval_data(g, p, j), similarity_only=matching == "posetrack21")
            if ref["HOTA_TP"].sum() or ref["HOTA_FN"].sum() or ref["HOTA_FP"].sum():
                for ours, theirs in FIELDS.items():
                    np.testing.assert_allclose(mine[ours][:, j], ref[theirs], atol=1e-9,
                                               err_msg=f"{g.name} {j} {ours}")
                for ours, theirs in (("tp", "HOTA_TP"), ("fn", "HOTA_FN"), ("fp", "HOTA_FP")):
                    np.testing.assert_array_equal(getattr(counts, ours)[:, j], ref[theirs])
            joints.append(ref)
        per_seq_te.append(joints)
    combined = hota_values(total)
    for j in range(NUM_JOINTS):
        ref = metric.combine_sequences({str(s): per_seq_te[s][j] for s in range(len(cases))})
        for ours, theirs in FIELDS.items():
            np.testing.assert_allclose(combined[ours][:, j], ref[theirs], atol=1e-9,
                                       err_msg=f"combined {j} {ours}")
    # PoseTrack21's Total column, rebuilt from trackeval's per-joint results.
    tp = sum(sum(r["HOTA_TP"] for r in seq) for seq in per_seq_te)
    fn = sum(sum(r["HOTA_FN"] for r in seq) for seq in per_seq_te)
    fp = sum(sum(r["HOTA_FP"] for r in seq) for seq in per_seq_te)
    seq_tp = [sum(r["HOTA_TP"] for r in seq) for seq in per_seq_te]
    ass_a = (sum(np.mean([r["AssA"] for r in seq], axis=0) * t for seq, t in zip(per_seq_te, seq_tp))
             / np.maximum(1, tp))
    loc = sum(np.mean([r["LocA"] for r in seq], axis=0) * t for seq, t in zip(per_seq_te, seq_tp))
    det_a = tp / np.maximum(1, tp + fn + fp)
    np.testing.assert_allclose(combined["DetA"][:, NUM_JOINTS], det_a, atol=1e-9)
    np.testing.assert_allclose(combined["AssA"][:, NUM_JOINTS], ass_a, atol=1e-9)
    np.testing.assert_allclose(combined["HOTA"][:, NUM_JOINTS], np.sqrt(det_a * ass_a), atol=1e-9)
    np.testing.assert_allclose(combined["LocA"][:, NUM_JOINTS],
                               np.maximum(1e-10, loc) / np.maximum(1e-10, tp), atol=1e-9)
    assert 0 < hota_summary(total)["HOTA"][NUM_JOINTS] < 100


def test_the_two_matching_rules_differ_where_similarity_and_alignment_disagree():
    # One joint; GT tracks A (id 0) at x=100 and B (id 1) at x=110; head size 30 (S = 1 - (d/30)/0.5001).
    # Frames 0-2: X (10) at 100 and Y (11) at 110: the straight pairs (S = 1) win under both rules.
    # Frame 3: X at 108, Y at 102: straight pairs 8 px (S 0.467), crossed pairs 2 px (S 0.867).
    # PoseTrack21 (similarity only) takes the crossed pairs; trackeval weights by the global alignment
    # (A-X ~0.34 vs A-Y ~0.13) and keeps the straight ones. At alpha = 0.05 both have 8 TPs (same DetA),
    # trackeval associates better; at alpha = 0.6 only the crossed pairs pass: DetA is higher for PoseTrack21.
    def person(x, track, pred=False):
        j = np.full((NUM_JOINTS, 3), np.nan)
        j[0] = (x, 100, 1)
        if pred:
            return Person(joints=j, track_id=track, scores=np.ones(NUM_JOINTS))
        return Person(joints=j, head_box=np.array([0, 0, 30, 40]), track_id=track)

    gts = [[person(100, 0), person(110, 1)] for _ in range(4)]
    prs = [[person(100, 10, True), person(110, 11, True)] for _ in range(3)] + [[person(108, 10, True),
                                                                                 person(102, 11, True)]]
    g = Sequence("s", [Frame(image=str(f), persons=x) for f, x in enumerate(gts)])
    p = Sequence("s", [Frame(image=str(f), persons=x) for f, x in enumerate(prs)])
    pt21 = hota_values(_posekit_counts(g, p, "posetrack21"))
    te = hota_values(_posekit_counts(g, p, "trackeval"))
    a05, a60 = 0, int(np.argmin(np.abs(ALPHAS - 0.6)))
    assert pt21["DetA"][a05, 0] == pytest.approx(te["DetA"][a05, 0]) == pytest.approx(1.0)
    assert te["AssA"][a05, 0] > pt21["AssA"][a05, 0]
    assert pt21["DetA"][a60, 0] == pytest.approx(1.0) and te["DetA"][a60, 0] == pytest.approx(6 / 10)
    assert similarity(np.array([3 / 30]))[0] == pytest.approx(1 - 0.1 / 0.5001)


def test_frames_without_gt_count_their_own_false_positives_not_the_sequence_total():
    # PoseTrack21 issue #10: hota_pose.py adds the sequence's total predicted joints for a frame without GT.
    # Here the GT has a person in frames 0 and 2 only after the ignore region removes frame 1's person, and
    # the prediction has 1 joint per frame: FP in frame 1 must be 1 (not 3).
    j = np.full((NUM_JOINTS, 3), np.nan)
    j[0] = (100, 100, 1)
    region = np.array([[90, 90], [110, 90], [110, 110], [90, 110]], dtype=float)
    gts, prs = [], []
    for f in range(3):
        gts.append(Frame(image=str(f), persons=[Person(joints=j.copy(), head_box=np.array([0, 0, 30, 40]),
                                                       track_id=0)],
                         ignore_regions=[region] if f == 1 else []))
        jp = j.copy()
        jp[0] = (100, 100, 1) if f != 1 else (200, 200, 1)  # outside the region in frame 1
        prs.append(Frame(image=str(f), persons=[Person(joints=jp, track_id=5, scores=np.ones(NUM_JOINTS))]))
    counts = _posekit_counts(Sequence("s", gts), Sequence("s", prs), "posetrack21")
    assert counts.tp[0, 0] == 2 and counts.fp[0, 0] == 1 and counts.fn[0, 0] == 0
