"""Differential test: posekit's MOT accumulation and ID measures against motmetrics 1.4.0 itself.

Random sequences with misses, re-appearances, identity swaps, new identities, false positives, empty
prediction frames and exact distance ties (integer pixel coordinates, so many squared distances are equal).
motmetrics is fed per joint exactly as poseval feeds it (evaluateTracking.py / eval_helpers.py): one
`MOTAccumulator(auto_id=True)` per joint and sequence, `update(gt_ids, pr_ids, D)` per evaluated frame
(the last one dropped), D = ||pred - gt|| / head size where <= 0.5 else NaN, and `update([0], [0], [[nan]])`
for a frame with no predictions. The inputs are built here from the frames, not taken from posekit.
"""

from __future__ import annotations

import numpy as np
import pytest

from posekit.data.schema import Frame, Person, Sequence
from posekit.evaluation import (
    JointAccumulator,
    evaluate,
    gt_frames,
    match_frames,
    mot_accumulators,
    mot_inputs,
    prediction_frames,
)
from posekit.evaluation.frames import frame_poses
from posekit.joints import NUM_JOINTS

mm = pytest.importorskip("motmetrics", reason="motmetrics (pyproject [dev]) is the reference of this test")

HEAD = 30.0  # head box 30 x 40: diagonal 50, head size 0.6 * 50 = 30 px, threshold 15 px


def _random_sequence(rng: np.random.Generator, name: str, n_frames: int = 9, n_people: int = 4
                     ) -> tuple[Sequence, Sequence]:
    base = rng.integers(0, 40, size=(n_people, NUM_JOINTS, 2)).astype(float)  # people overlap: contests
    pred_ids = list(range(n_people))
    next_id = 50
    gt_frames_, pr_frames_ = [], []
    for f in range(n_frames):
        gts, prs = [], []
        if f > 0 and rng.random() < 0.3 and n_people >= 2:  # identity swap of two predicted tracks
            a, b = rng.choice(n_people, 2, replace=False)
            pred_ids[a], pred_ids[b] = pred_ids[b], pred_ids[a]
        for k in range(n_people):
            if f not in (0, n_frames - 1) and rng.random() < 0.15:
                continue  # the person is absent in this frame and re-appears later
            xy = base[k] + rng.integers(-2, 3, size=(NUM_JOINTS, 2))
            joints = np.column_stack([xy, np.ones(NUM_JOINTS)])
            joints[rng.random(NUM_JOINTS) < 0.15] = np.nan  # unannotated joints (misses of single joints)
            head = np.array([xy[14, 0] - 15, xy[14, 1] - 5, xy[14, 0] + 15, xy[14, 1] + 35])
            gts.append(Person(joints=joints, head_box=head, track_id=k))
            if rng.random() < 0.15:
                continue  # missed by the tracker
            if rng.random() < 0.08:
                pred_ids[k] = next_id  # a new identity
                next_id += 1
            noisy = joints.copy()
            noisy[:, :2] += rng.integers(-9, 10, size=(NUM_JOINTS, 2))  # within and beyond 15 px
            noisy[rng.random(NUM_JOINTS) < 0.1] = np.nan
            prs.append(Person(joints=noisy, track_id=pred_ids[k], scores=rng.random(NUM_JOINTS)))
        if rng.random() < 0.4:  # a false positive near the others
            xy = rng.integers(0, 40, size=(NUM_JOINTS, 2)).astype(float)
            prs.append(Person(joints=np.column_stack([xy, np.ones(NUM_JOINTS)]), track_id=90 + f,
                              scores=rng.random(NUM_JOINTS)))
        if f not in (0, n_frames - 1) and rng.random() < 0.1:
            prs = []  # an empty prediction frame: poseval's dummy update
        gt_frames_.append(Frame(image=f"{name}/{f:06d}.jpg", persons=gts))
        pr_frames_.append(Frame(image=f"{name}/{f:06d}.jpg", persons=prs))
    return Sequence(name, gt_frames_), Sequence(name, pr_frames_)


def _poseval_updates(g: Sequence, p: Sequence, joint: int, mot: bool) -> list[tuple]:
    """(gt_ids, pr_ids, D) per evaluated frame, as poseval builds them for one joint. mot=True: its MOTA
    inputs (last frame dropped, the dummy for an empty side); mot=False: the ID-measure inputs (posekit's
    choice: every evaluated frame, real updates)."""
    frames = [f for f, fr in enumerate(g.frames) if fr.persons]
    if mot:
        frames = frames[:-1]
    out = []
    for f in frames:
        gts = [q for q in g.frames[f].persons if np.isfinite(q.joints[joint, 0])]
        prs = [q for q in p.frames[f].persons if np.isfinite(q.joints[joint, 0])]
        if mot and (not g.frames[f].persons or not p.frames[f].persons):
            out.append(([0], [0], np.array([[np.nan]])))
            continue
        d = np.full((len(gts), len(prs)), np.nan)
        for a, q in enumerate(gts):
            size = 0.6 * np.linalg.norm(np.subtract([q.head_box[2], q.head_box[3]],
                                                    [q.head_box[0], q.head_box[1]]))
            for b, r in enumerate(prs):
                dist = np.linalg.norm(np.subtract(q.joints[joint, :2], r.joints[joint, :2])) / size
                if dist <= 0.5:
                    d[a, b] = dist
        out.append(([q.track_id for q in gts], [r.track_id for r in prs], d))
    return out


def _motmetrics_accumulator(updates: list[tuple]):
    acc = mm.MOTAccumulator(auto_id=True)
    for oids, hids, d in updates:
        acc.update(oids, hids, d)
    return acc


def _events_by_frame(rows) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for frame, kind, o, h, d in rows:
        key = (kind, -1 if o is None or o != o else int(o), -1 if h is None or h != h else int(h),
               None if d != d else round(float(d), 12))
        out.setdefault(int(frame), []).append(key)
    return {f: sorted(v) for f, v in out.items()}


def _posekit_accumulators(g: Sequence, p: Sequence, carry_over: str):
    idx = [f for f, fr in enumerate(g.frames) if fr.persons]
    gt = gt_frames(g, idx, g.name, tracking=True)
    pr = prediction_frames(gt, [frame_poses(p.frames[f]) for f in idx], g.name)
    inputs = mot_inputs(gt, pr, match_frames(gt, pr), len(idx) - 1, "poseval")
    return mot_accumulators(inputs, gt.ids, pr.ids, carry_over, record=True)


def _cases(n: int = 6) -> list[tuple[Sequence, Sequence]]:
    rng = np.random.default_rng(13)
    return [_random_sequence(rng, f"{s:06d}_mpii_test") for s in range(n)]


def _mismatched_events(cases, carry_over: str) -> int:
    bad = 0
    for g, p in cases:
        accs = _posekit_accumulators(g, p, carry_over)
        for j in range(NUM_JOINTS):
            ref = _motmetrics_accumulator(_poseval_updates(g, p, j, mot=True)).mot_events.reset_index()
            # not the TRANSFER/ASCEND/MIGRATE extras
            ref = ref[ref["Type"].isin(["MATCH", "SWITCH", "MISS", "FP"])]
            want = _events_by_frame(ref[["FrameId", "Type", "OId", "HId", "D"]].itertuples(index=False))
            got = _events_by_frame(accs[j].events)
            bad += sum(want.get(f, []) != got.get(f, []) for f in set(want) | set(got))
    return bad


def test_events_equal_motmetrics_frame_by_frame():
    cases = _cases()
    assert _mismatched_events(cases, "latest_match") == 0
    # The sequences exercise the carry-over rule: the other rule disagrees with motmetrics on them.
    assert _mismatched_events(cases, "previous_update") > 0


def test_mota_motp_precision_recall_and_idf1_equal_motmetrics():
    cases = _cases()
    result = evaluate([g for g, _ in cases], [p for _, p in cases])  # the defaults: the official run
    mh = mm.metrics.create()
    names = [g.name for g, _ in cases]
    for j in range(NUM_JOINTS):
        row = result.joint_rows[j]
        accs = [_motmetrics_accumulator(_poseval_updates(g, p, j, mot=True)) for g, p in cases]
        ref = mh.compute_many(accs, metrics=["num_objects", "num_misses", "num_switches",
                                             "num_false_positives", "num_detections", "mota", "motp",
                                             "precision", "recall"],
                              names=names, generate_overall=True).loc["OVERALL"]
        for k in ("num_objects", "num_misses", "num_switches", "num_false_positives", "num_detections"):
            assert row[k] == ref[k], (j, k)
        assert row["MOTA"] == pytest.approx(100 * ref["mota"], abs=1e-9)
        assert row["MOTP"] == pytest.approx(100 * (1 - ref["motp"]), abs=1e-9)
        assert row["Prec"] == pytest.approx(100 * ref["precision"], abs=1e-9)
        assert row["Rec"] == pytest.approx(100 * ref["recall"], abs=1e-9)
        id_accs = [_motmetrics_accumulator(_poseval_updates(g, p, j, mot=False)) for g, p in cases]
        ref_id = mh.compute_many(id_accs, metrics=["idf1", "idp", "idr", "idtp", "idfn", "idfp"], names=names,
                                 generate_overall=True).loc["OVERALL"]
        for k in ("idtp", "idfn", "idfp"):
            assert row[k] == ref_id[k], (j, k)
        for k, ref_k in (("IDF1", "idf1"), ("IDP", "idp"), ("IDR", "idr")):
            assert row[k] == pytest.approx(100 * ref_id[ref_k], abs=1e-9), (j, k)
    # Switches and competing pairs do occur (the test would be vacuous otherwise).
    assert sum(r["num_switches"] for r in result.joint_rows) > 0
    assert sum(r["idfn"] for r in result.joint_rows) > 0


def test_all_carried_fast_path_counts_as_the_general_path(monkeypatch):
    """`JointAccumulator.update`'s one-pass path for frames whose pairs are all carried over (taken only
    without event recording) gives the counts of the general path (taken with recording) on every joint."""
    calls = {"taken": 0}
    original = JointAccumulator._all_carried

    def counting(self, *args):
        taken = original(self, *args)
        calls["taken"] += taken
        return taken

    monkeypatch.setattr(JointAccumulator, "_all_carried", counting)
    for g, p in _cases():
        idx = [f for f, fr in enumerate(g.frames) if fr.persons]
        gt = gt_frames(g, idx, g.name, tracking=True)
        pr = prediction_frames(gt, [frame_poses(p.frames[f]) for f in idx], g.name)
        inputs = mot_inputs(gt, pr, match_frames(gt, pr), len(idx) - 1, "poseval")
        fast = mot_accumulators(inputs, gt.ids, pr.ids, record=False)
        general = mot_accumulators(inputs, gt.ids, pr.ids, record=True)
        for a, b in zip(fast, general, strict=True):
            assert a.result("all_events") == b.result("all_events")
            assert a.pairing == b.pairing and a.matched_last == b.matched_last
    assert calls["taken"] > 0
