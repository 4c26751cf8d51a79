"""Tests of the PoseTrack evaluation on the in-memory schema (paper §5, EVALUATION.md).

Every expectation is computed by hand in the comments. Geometry used throughout: a person "at (ox, oy)"
has its joints at (ox + dx, oy + dy) with the (dx, dy) of `OFFSETS` and the head box
(ox - 15, oy - 5, ox + 15, oy + 35): 30 x 40 px, diagonal 50, head size 0.6 * 50 = 30, so a joint is
correct when it is <= 0.5 * 30 = 15 px from the GT joint. People 200 px apart never match each other.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from posekit.data.schema import Frame, Person, Sequence
from posekit.errors import DataError
from posekit.evaluation import (
    TABLE2_COLUMNS,
    TABLE_COLUMNS,
    JointAccumulator,
    average_precision,
    evaluate,
    points_strictly_inside,
    voc_ap,
)
from posekit.joints import JOINT_INDEX, NUM_JOINTS

OFFSETS = {
    0: (-10, 200), 1: (-10, 150), 2: (-10, 100), 3: (10, 100), 4: (10, 150), 5: (10, 200),
    6: (-30, 100), 7: (-25, 70), 8: (-15, 45), 9: (15, 45), 10: (25, 70), 11: (30, 100),
    12: (0, 40), 13: (0, 20), 14: (0, 0),
}  # fmt: skip
R_WRIST, L_WRIST = JOINT_INDEX["right_wrist"], JOINT_INDEX["left_wrist"]
R_ANKLE, L_ANKLE = JOINT_INDEX["right_ankle"], JOINT_INDEX["left_ankle"]
NOSE = JOINT_INDEX["nose"]


def joints_at(ox: float, oy: float) -> np.ndarray:
    j = np.ones((NUM_JOINTS, 3))
    for k, (dx, dy) in OFFSETS.items():
        j[k, :2] = (ox + dx, oy + dy)
    return j


def gt(ox: float, oy: float, track: int, without: tuple[int, ...] = ()) -> Person:
    j = joints_at(ox, oy)
    j[list(without)] = np.nan
    return Person(joints=j, head_box=[ox - 15, oy - 5, ox + 15, oy + 35], track_id=track)


def pr(ox, oy, track, score=1.0, without=(), shift=None) -> Person:
    """A predicted person at (ox, oy); `shift` maps joint -> (dx, dy) added to that joint."""
    j = joints_at(ox, oy)
    for k, (dx, dy) in (shift or {}).items():
        j[k, :2] += (dx, dy)
    s = np.full(NUM_JOINTS, float(score))
    j[list(without)] = np.nan
    s[list(without)] = np.nan
    return Person(joints=j, track_id=track, scores=s)


def seq(frames: list[list[Person]], name: str = "000001_mpii_test", regions=None) -> Sequence:
    regions = regions or {}
    return Sequence(
        name,
        [
            Frame(image=f"{name}/{i:06d}.jpg", persons=ps, ignore_regions=regions.get(i, []))
            for i, ps in enumerate(frames)
        ],
    )


def as_prediction(s: Sequence) -> Sequence:
    """GT turned into predictions: scores 1, same track ids."""
    frames = [
        [
            Person(joints=p.joints.copy(), track_id=p.track_id, scores=np.where(p.annotated, 1.0, np.nan))
            for p in f.persons
        ]
        for f in s.frames
    ]
    return seq(frames, s.name)


def two_people(n_frames: int = 3) -> Sequence:
    """GT: A (track 0) at (100 + 5f, 20) and B (track 1) at (300 + 5f, 20) in frame f."""
    return seq([[gt(100 + 5 * f, 20, 0), gt(300 + 5 * f, 20, 1)] for f in range(n_frames)])


def ap_of(result, joint: int) -> float:
    return float(result.per_joint["AP"].iloc[joint])


# --------------------------------------------------------------------------------------------------
# The reference case of issue 5 (scored by the official code)
# --------------------------------------------------------------------------------------------------


def reference_case() -> tuple[Sequence, Sequence]:
    g = two_people(3)
    shift_b = {k: (6, 0) for k in range(NUM_JOINTS)} | {R_WRIST: (20, 0), L_WRIST: (20, 0)}
    b0 = pr(300, 20, 7, 0.8, shift=shift_b)
    b0.scores[[R_WRIST, L_WRIST]] = 0.7
    p = seq(
        [
            [pr(100, 20, 5, 0.9), b0],
            [pr(105, 20, 5, 0.9), pr(305, 20, 7, 0.8), pr(500, 20, 9, 0.95)],
            [pr(110, 20, 7, 0.9), pr(310, 20, 5, 0.8, without=(R_ANKLE, L_ANKLE))],
        ]
    )
    return g, p


def test_reference_case_reproduces_the_official_numbers():
    g, p = reference_case()
    r = evaluate([g], [p])
    t1 = r.table1.loc["AP"].round(1).tolist()
    assert t1 == [85.7, 85.7, 85.7, 69.4, 85.7, 85.7, 69.4, 81.4]
    t2 = r.table2.loc["MOT"].round(1)
    assert [t2[f"MOTA {c}"] for c in TABLE_COLUMNS] == [75.0, 75.0, 75.0, 25.0, 75.0, 75.0, 75.0, 68.3]
    assert (t2["MOTP Total"], t2["Prec Total"], t2["Rec Total"]) == (95.7, 77.3, 96.7)
    # A knee by hand: entries (score, label) in order f0: A 0.9 TP, B 0.8 TP (6 px); f1: A 0.9 TP,
    # B 0.8 TP, false person 0.95 FP; f2: track 7 on A 0.9 TP, track 5 on B 0.8 TP. nGT = 6.
    # Ranking: 0.95 FP, then six TPs -> precision 0, 1/2, 2/3, .. 6/7; recall 0, 1/6, .. 1.
    # Envelope = 6/7 from recall 0 to 1 -> AP = 6/7 = 85.71.
    assert ap_of(r, JOINT_INDEX["right_knee"]) == pytest.approx(100 * 6 / 7)
    # MOT, knee, frames 0 and 1 (frame 2 dropped): 4 objects, 4 matches, 1 FP -> MOTA 100 (1 - 1/4) = 75;
    # distances 0.2 (6 px / 30) for B in f0, else 0 -> MOTP 100 (1 - 0.2/4) = 95.
    assert r.per_joint.loc["right_knee", "MOTA"] == pytest.approx(75.0)
    assert r.per_joint.loc["right_knee", "MOTP"] == pytest.approx(95.0)
    # Without the drop, f2's swap adds 2 objects and 2 switches per joint: knee 100 (1 - 3/6) = 50 ...
    r_all = evaluate([g], [p], drop_last_frame=False)
    assert r_all.per_joint.loc["right_knee", "MOTA"] == pytest.approx(50.0)
    assert round(r_all.table2.loc["MOT", "MOTA Total"], 1) == 45.6
    assert r_all.settings.variant == "clean" and "CLEAN VARIANT" in r_all.format_tables()
    assert "CLEAN" not in r.format_tables()


def test_inflated_motp_variant_matches_the_quoted_figure():
    # EVALUATION.md §2.5: this case gives 91.3 with HEAD poseval + PyPI motmetrics (RAW rows summed).
    g, p = reference_case()
    r = evaluate([g], [p], motp="all_events")
    assert round(r.table2.loc["MOT", "MOTP Total"], 1) == 91.3
    # Knee: RAW rows add the same finite distances again (0.2 in f0) -> sumD 0.4 -> 100 (1 - 0.4/4) = 90.
    assert r.per_joint.loc["right_knee", "MOTP"] == pytest.approx(90.0)


# --------------------------------------------------------------------------------------------------
# AP
# --------------------------------------------------------------------------------------------------


def test_ground_truth_as_prediction_gives_100_everywhere():
    g = two_people(3)
    r = evaluate([g], [as_prediction(g)])
    # Each joint: 6 TPs, precision 1 at every rank, final recall 6/6 -> AP 100. MOT (frames 0, 1):
    # 4 objects, 4 matches at distance 0 -> MOTA = MOTP = Prec = Rec = 100.
    assert np.allclose(r.per_joint["AP"], 100.0)
    assert np.allclose(r.table1.to_numpy(), 100.0)
    assert np.allclose(r.table2.to_numpy(), 100.0)
    assert r.per_joint["num_switches"].sum() == 0


def test_joints_never_predicted_get_ap_zero_and_count_in_the_total():
    g = two_people(3)
    p = as_prediction(g)
    for f in p.frames:
        for person in f.persons:
            person.joints[[R_ANKLE, L_ANKLE]] = np.nan
    r = evaluate([g], [p])
    # Official 0-AP rule: ankles have GT but no predictions -> AP 0; Total = (13 * 100 + 2 * 0) / 15 = 86.67.
    assert ap_of(r, R_ANKLE) == 0.0 and ap_of(r, L_ANKLE) == 0.0
    assert r.table1.loc["AP", "Ank"] == 0.0
    assert round(r.table1.loc["AP", "Total"], 1) == 86.7
    # MOT ankles: 4 objects, 4 misses, no detection -> MOTA 0, MOTP 0.0 (not NaN), Rec 0, Prec NaN.
    # MOTP Total = (13 * 100 + 2 * 0) / 15 = 86.67; Prec Total = mean of the 13 non-NaN = 100.
    assert r.per_joint.loc["right_ankle", "MOTA"] == 0.0
    assert r.per_joint.loc["right_ankle", "MOTP"] == 0.0
    assert np.isnan(r.per_joint.loc["right_ankle", "Prec"])
    assert round(r.table2.loc["MOT", "MOTP Total"], 1) == 86.7
    assert r.table2.loc["MOT", "Prec Total"] == pytest.approx(100.0)


def test_zero_ap_rule_without_gt_and_nan_ap_for_predictions_without_gt():
    # Nose neither annotated nor predicted: AP 0, counted -> Total (14 * 100 + 0) / 15 = 93.33.
    g = seq([[gt(100, 20, 0, without=(NOSE,))] for _ in range(2)])
    p = as_prediction(g)
    r = evaluate([g], [p], tracking=False)
    assert ap_of(r, NOSE) == 0.0
    assert r.table1.loc["AP", "Total"] == pytest.approx(1400 / 15)
    # Nose predicted but never annotated (nGT = 0): recall 0/0 -> AP NaN, left out of Total (= 100);
    # the Head column is the plain mean of head_top, neck, nose -> NaN.
    p2 = seq([[pr(100, 20, 0)] for _ in range(2)])
    r2 = evaluate([g], [p2], tracking=False)
    assert np.isnan(ap_of(r2, NOSE))
    assert np.isnan(r2.table1.loc["AP", "Head"])
    assert r2.table1.loc["AP", "Total"] == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("shift", "correct"),
    [
        ((15.0, 0.0), True),  # 15 px = 0.5 * 30 exactly: inclusive
        ((9.0, 12.0), True),  # sqrt(81 + 144) = 15 px exactly
        ((15.01, 0.0), False),  # 15.01 / 30 = 0.5003 > 0.5
        ((14.99, 0.0), True),
    ],
)
def test_pckh_threshold_is_inclusive_at_03_head_diagonals(shift, correct):
    g = seq([[gt(100, 20, 0)]])
    p = seq([[pr(100, 20, 0, shift={R_WRIST: shift})]])
    r = evaluate([g], [p], tracking=False)
    # One GT, one prediction (PCKh >= 14/15, matched). Wrist: TP -> AP 100; FP -> precision 0 -> AP 0.
    assert ap_of(r, R_WRIST) == (100.0 if correct else 0.0)
    assert ap_of(r, L_WRIST) == 100.0


def test_unmatched_extra_person_lowers_precision_and_ap():
    g = seq([[gt(100, 20, 0)], [gt(105, 20, 0)]])
    # Extra person at (500, 20) scored above the true one: ranking per joint FP(0.9), TP(0.5), FP(0.9),
    # TP(0.5) sorted -> FP, FP, TP, TP (ties broken by numpy; labels are equal within a tie here).
    # precision 0, 0, 1/3, 2/4; recall 0, 0, 1/2, 1 -> envelope 0.5 over (0, 1] -> AP = 0.5 * 1 = 50.
    p = seq([[pr(100, 20, 0, 0.5), pr(500, 20, 1, 0.9)], [pr(105, 20, 0, 0.5), pr(505, 20, 1, 0.9)]])
    r = evaluate([g], [p], drop_last_frame=False)
    assert np.allclose(r.per_joint["AP"], 50.0)
    assert np.allclose(r.per_joint["pre"], 50.0)  # 2 TP / 4 predictions
    assert np.allclose(r.per_joint["rec"], 100.0)
    # MOT (both frames): 2 objects, 2 matches, 2 FPs -> MOTA 100 (1 - 2/2) = 0, Prec 2/4 = 50, Rec 100.
    assert np.allclose(r.per_joint["MOTA"], 0.0)
    assert np.allclose(r.per_joint["Prec"], 50.0)
    # Scored below the true one: TP, TP, FP, FP -> precision 1, 1, 2/3, 1/2; recall 1/2, 1, 1, 1
    # -> AP = 1 * 1 = 100, but the final precision is still 50.
    p_low = seq([[pr(100, 20, 0, 0.5), pr(500, 20, 1, 0.1)], [pr(105, 20, 0, 0.5), pr(505, 20, 1, 0.1)]])
    r_low = evaluate([g], [p_low], tracking=False)
    assert np.allclose(r_low.per_joint["AP"], 100.0)
    assert np.allclose(r_low.per_joint["pre"], 50.0)


def test_a_prediction_whose_best_gt_is_taken_is_not_reassigned():
    g = seq([[gt(100, 20, 0), gt(300, 20, 1)]])
    # p1: joints 0, 1, 2 exactly on B's, the other 12 exactly on A's -> PCKh(p1, A) = 12/15 = 0.8,
    # PCKh(p1, B) = 3/15 = 0.2: its best GT is A. A takes p0 (PCKh 1.0 > 0.8), so p1 is unmatched and ALL
    # its joints are FPs, even the three that lie on B (poseval does not re-assign it to B).
    on_b = {k: (200, 0) for k in (0, 1, 2)}
    p = seq([[pr(100, 20, 0, 0.9), pr(100, 20, 1, 0.8, shift=on_b)]])
    r = evaluate([g], [p], tracking=False)
    # Joint 0: entries p0 TP (0.9), p1 FP (0.8); nGT = 2 -> precision 1, 1/2; recall 1/2, 1/2
    # -> AP = 0.5 * 1 = 50 (a re-assignment to B would make p1 a TP: AP 100).
    for k in (0, 1, 2):
        assert ap_of(r, k) == pytest.approx(50.0)
    # The MOT metrics match each joint on its own: p1's joint 0 pairs with B there -> Prec 100.
    r_mot = evaluate([g] * 1, [p], drop_last_frame=False)
    assert r_mot.per_joint.loc["right_ankle", "Prec"] == pytest.approx(100.0)
    assert r_mot.per_joint.loc["right_ankle", "MOTA"] == pytest.approx(100.0)


def test_predicted_joint_the_gt_person_lacks_is_a_false_positive():
    # A lacks its left ankle; B has it. Both predicted exactly with all 15 joints.
    g = seq([[gt(100, 20, 0, without=(L_ANKLE,)), gt(300, 20, 1)]])
    p = seq([[pr(100, 20, 0, 0.9), pr(300, 20, 1, 0.8)]])
    r = evaluate([g], [p], tracking=False)
    # Left ankle: pA (matched to A, but A has no left ankle: dist inf) is FP at 0.9, pB TP at 0.8; nGT = 1
    # -> precision 0, 1/2; recall 0, 1 -> AP = 1 * 0.5 = 50.
    assert ap_of(r, L_ANKLE) == pytest.approx(50.0)
    assert r.per_joint.loc["left_ankle", "nGT"] == 1
    assert ap_of(r, R_ANKLE) == pytest.approx(100.0)


def test_tied_scores_follow_numpys_default_argsort_on_the_concatenation():
    # Per joint: entries [TP (true person), FP (extra person)], both scored 0.5; nGT = 1.
    g = seq([[gt(100, 20, 0)]])
    p_tp_first = seq([[pr(100, 20, 0, 0.5), pr(500, 20, 1, 0.5)]])
    p_fp_first = seq([[pr(500, 20, 1, 0.5), pr(100, 20, 0, 0.5)]])
    order = np.array([0.5, 0.5]).argsort()[::-1]  # the official call on the same concatenation
    # If the entry at concatenation index 0 ranks first: that entry's label decides.
    # TP first: precision 1, 1/2; recall 1, 1 -> AP 100. FP first: precision 0, 1/2 -> AP 50.
    expect_tp_first = 100.0 if order[0] == 0 else 50.0
    expect_fp_first = 50.0 if order[0] == 0 else 100.0
    r1 = evaluate([g], [p_tp_first], tracking=False)
    r2 = evaluate([g], [p_fp_first], tracking=False)
    assert np.allclose(r1.per_joint["AP"], expect_tp_first)
    assert np.allclose(r2.per_joint["AP"], expect_fp_first)
    assert expect_tp_first != expect_fp_first  # the tie really decides


def _reference_ap(scores: list[float], labels: list[int], n_gt: int, order: np.ndarray) -> float:
    """The official recipe written as a plain loop: rank by `order`, precision/recall, VOC all-point area."""
    tp, prec, rec = 0, [], []
    for k, i in enumerate(order):
        tp += labels[i]
        prec.append(tp / (k + 1))
        rec.append(tp / n_gt)
    area, last_rec = 0.0, 0.0
    for k in range(len(rec)):
        if rec[k] != last_rec:
            area += (rec[k] - last_rec) * max(prec[k:])  # envelope: best precision at or after k
            last_rec = rec[k]
    return 100 * area


def test_ties_across_frames_use_the_unstable_default_sort():
    # 20 frames; in frame f one GT A, its exact prediction (TP) and a far false person (FP), both scored
    # 0.5 (f even) or 0.9 (f odd). Per joint the concatenation is [TP, FP] per frame: many ties between a
    # TP and a FP, so the AP depends on how numpy's default (non-stable) argsort orders equal scores.
    n = 20
    g = seq([[gt(100, 20, 0)] for _ in range(n)])
    frame_scores = [0.5 if f % 2 == 0 else 0.9 for f in range(n)]
    p = seq([[pr(100, 20, 0, s), pr(500, 20, 1, s)] for s in frame_scores])
    scores = [s for s in frame_scores for _ in (0, 1)]
    labels = [1, 0] * n
    default = _reference_ap(scores, labels, n, np.array(scores).argsort()[::-1])
    stable = _reference_ap(scores, labels, n, np.array(scores).argsort(kind="stable")[::-1])
    r = evaluate([g], [p], tracking=False)
    assert np.allclose(r.per_joint["AP"], default)
    if default == stable:
        pytest.skip("numpy's default argsort orders these ties stably on this machine")
    assert not np.allclose(r.per_joint["AP"], stable)


def test_one_global_ranking_per_joint_not_a_mean_over_sequences():
    g1, g2 = seq([[gt(100, 20, 0)]], "a"), seq([[gt(100, 20, 0)]], "b")
    p1 = seq([[pr(100, 20, 0, 0.5)]], "a")
    p2 = seq([[pr(100, 20, 0, 0.9), pr(500, 20, 1, 0.95)]], "b")
    r = evaluate([g1, g2], [p1, p2], tracking=False)
    # Pooled: FP 0.95, TP 0.9, TP 0.5; nGT 2 -> precision 0, 1/2, 2/3; recall 0, 1/2, 1
    # -> envelope 2/3 up to recall 1 -> AP = 2/3 = 66.67 (the mean of per-sequence APs 100 and 50 is 75).
    assert np.allclose(r.per_joint["AP"], 200 / 3)
    assert r.per_sequence.loc["a", "AP Total"] == pytest.approx(100.0)
    assert r.per_sequence.loc["b", "AP Total"] == pytest.approx(50.0)


def test_missing_scores_use_the_poseval_fallback_with_a_warning():
    g = seq([[gt(100, 20, 0)]])
    no_scores = Person(joints=joints_at(100, 20), track_id=0)
    with pytest.warns(UserWarning, match="score is missing"):
        r = evaluate([g], [seq([[no_scores]])], tracking=False)
    assert np.allclose(r.per_joint["AP"], 100.0)  # -9999 still ranks; one TP per joint


def test_voc_ap_and_average_precision_by_hand():
    # recall .5, .5, 1 with precision 1, .5, .667: envelope [1, .667, .667] at the recall steps
    # -> 0.5 * 1 + 0.5 * 0.667 = 0.8333.
    assert voc_ap(np.array([0.5, 0.5, 1.0]), np.array([1.0, 0.5, 2 / 3])) == pytest.approx(0.5 + 1 / 3)
    assert average_precision(np.array([]), np.array([]), 3) == (0.0, 0.0, 0.0)
    ap, pre, rec = average_precision(np.array([0.9, 0.1]), np.array([0, 0]), 0)
    assert np.isnan(ap) and pre == 0.0 and np.isnan(rec)


# --------------------------------------------------------------------------------------------------
# MOT
# --------------------------------------------------------------------------------------------------


def test_identity_change_counts_one_switch_per_joint():
    # 5 frames; the prediction on A changes its track id 5 -> 8 from frame 2 on. Frames 0..3 scored.
    g = two_people(5)
    frames = [[pr(100 + 5 * f, 20, 5 if f < 2 else 8), pr(300 + 5 * f, 20, 7)] for f in range(5)]
    r = evaluate([g], [seq(frames)])
    # Per joint: 8 objects, 1 switch (A: 5 -> 8 at frame 2), no miss/FP -> MOTA 100 (1 - 1/8) = 87.5.
    assert (r.per_joint["num_switches"] == 1).all()
    assert np.allclose(r.per_joint["MOTA"], 87.5)
    assert np.allclose(r.per_joint["AP"], 100.0)


def test_swapping_two_identities_switches_both_gt_tracks():
    g = two_people(5)
    frames = [
        [pr(100 + 5 * f, 20, 5 if f < 2 else 7), pr(300 + 5 * f, 20, 7 if f < 2 else 5)] for f in range(5)
    ]
    r = evaluate([g], [seq(frames)])
    # Frame 2: A (paired with 5) now meets 7, B (paired with 7) meets 5 -> 2 switches per joint; frame 3
    # keeps the new pairings. 8 objects -> MOTA 100 (1 - 2/8) = 75.
    assert (r.per_joint["num_switches"] == 2).all()
    assert np.allclose(r.per_joint["MOTA"], 75.0)


def test_drop_last_frame_hides_a_swap_in_the_last_frame():
    g = two_people(3)
    frames = [
        [pr(100, 20, 5), pr(300, 20, 7)],
        [pr(105, 20, 5), pr(305, 20, 7)],
        [pr(110, 20, 7), pr(310, 20, 5)],
    ]
    r = evaluate([g], [seq(frames)])
    # Frames 0, 1 only: 4 objects, 4 matches -> MOTA 100.
    assert np.allclose(r.per_joint["MOTA"], 100.0) and r.per_joint["num_switches"].sum() == 0
    r_all = evaluate([g], [seq(frames)], drop_last_frame=False)
    # All 3 frames: 6 objects, 2 switches per joint -> 100 (1 - 2/6) = 66.67.
    assert np.allclose(r_all.per_joint["MOTA"], 100 * (1 - 2 / 6))
    assert (r_all.per_joint["num_switches"] == 2).all()


def test_empty_prediction_frame_under_both_rules():
    g = two_people(4)
    frames = [[pr(100 + 5 * f, 20, 5), pr(300 + 5 * f, 20, 7)] for f in range(4)]
    frames[1] = []
    p = seq(frames)
    # poseval: frame 1 -> update([0], [0], [[nan]]): 1 object, 1 miss, 1 FP per joint, whatever the
    # 2 GT persons. Frames 0-2: objects 2 + 1 + 2 = 5, misses 1, FP 1 -> MOTA 100 (1 - 2/5) = 60,
    # Rec 4/5 = 80, Prec 4/5 = 80. Frame 2 re-pairs A-5, B-7 as before: no switch.
    r = evaluate([g], [p])
    assert np.allclose(r.per_joint["MOTA"], 60.0)
    assert np.allclose(r.per_joint["Rec"], 80.0) and np.allclose(r.per_joint["Prec"], 80.0)
    assert r.per_joint["num_switches"].sum() == 0
    # count: frame 1 gives its real 2 misses and 0 FP: objects 6, misses 2 -> MOTA 100 (1 - 2/6) = 66.67,
    # Rec 4/6, Prec 4/4.
    r_count = evaluate([g], [p], empty_frame_rule="count")
    assert np.allclose(r_count.per_joint["MOTA"], 100 * (1 - 2 / 6))
    assert np.allclose(r_count.per_joint["Prec"], 100.0)
    assert "empty_frame_rule='count'" in r_count.format_tables()
    # AP is the same under both rules: 6 TPs of 8 GT joints per joint, precision 1 -> AP 75.
    assert np.allclose(r.per_joint["AP"], 75.0) and np.allclose(r_count.per_joint["AP"], 75.0)


def test_frames_without_gt_persons_are_not_evaluated():
    g = seq([[gt(100, 20, 0)], [], [gt(110, 20, 0)], [gt(115, 20, 0)]])
    # Predictions on the unlabelled frame 1 (even a false person) never count.
    p = seq([[pr(100, 20, 5)], [pr(105, 20, 5), pr(500, 20, 9)], [pr(110, 20, 5)], [pr(115, 20, 5)]])
    r = evaluate([g], [p])
    assert np.allclose(r.per_joint["AP"], 100.0)
    # MOT over evaluated frames 0, 2 (3 dropped): 2 objects, 2 matches -> 100.
    assert np.allclose(r.per_joint["MOTA"], 100.0)
    assert r.per_joint["num_objects"].iloc[0] == 2
    assert r.per_sequence.loc["000001_mpii_test", "frames"] == 3


def test_accumulator_keeps_previous_pairing_then_hungarian_minimises_the_sum():
    acc = JointAccumulator("previous_update")
    # Frame 0: Hungarian over [[0.1, 0.2], [0.2, 0.4]]: A-p + B-q = 0.5, A-q + B-p = 0.4 -> the latter
    # (a greedy nearest pairing would take A-p first).
    acc.update_dense([1, 2], [10, 20], np.array([[0.1, 0.2], [0.2, 0.4]]))
    assert acc.pairing == {1: 20, 2: 10}
    assert acc.counts["sumD"] == pytest.approx(0.4)
    # Frame 1: the kept pairings A-20, B-10 win although A-10 (0.0) and B-20 (0.0) are nearer.
    acc.update_dense([1, 2], [10, 20], np.array([[0.0, 0.3], [0.3, 0.0]]))
    assert acc.counts["num_switches"] == 0 and acc.counts["num_matches"] == 4
    # Frame 2: maximum matching first: [[0.1, 0.2], [0.3, nan]] for new ids 3, 4 -> 3-20 and 4-10 (2 pairs)
    # rather than the single cheapest 3-10.
    acc2 = JointAccumulator("previous_update")
    acc2.update_dense([3, 4], [10, 20], np.array([[0.1, 0.2], [0.3, np.nan]]))
    assert acc2.pairing == {3: 20, 4: 10}
    assert acc2.counts["num_misses"] == 0 and acc2.counts["num_false_positives"] == 0


def test_carry_over_keeps_the_latest_match_by_default_as_motmetrics_1_4():
    # t0: A-X matched; t1: X far from A (A missed, X FP); t2: X near A (0.3) and Y nearer (0.1).
    def run(carry):
        acc = JointAccumulator(carry)
        acc.update_dense([1], [10], np.array([[0.2]]))
        acc.update_dense([1], [10], np.array([[np.nan]]))
        acc.update_dense([1], [10, 20], np.array([[0.3, 0.1]]))
        return acc.result("matched")

    # motmetrics 1.4.0 (the default): A's latest pairing X is kept although A was missed at t1 -> MATCH,
    # Y is FP (tests/test_evaluation_motmetrics.py checks this against motmetrics itself).
    assert JointAccumulator().latest
    official = run("latest_match")
    assert (official["num_switches"], official["num_matches"], official["num_false_positives"]) == (0, 2, 2)
    # The other rule: the A-X pairing is not from the previous update -> Hungarian picks Y -> SWITCH.
    other = run("previous_update")
    assert (other["num_switches"], other["num_matches"], other["num_false_positives"]) == (1, 1, 2)
    # The default of evaluate() is the official rule.
    from posekit.evaluation import EvaluationSettings

    assert EvaluationSettings().carry_over == "latest_match"
    assert EvaluationSettings(carry_over="previous_update").variant == "clean"


def test_motp_over_matched_distances():
    g = two_people(3)
    # B predicted 6 px off in every frame: distance 6 / 30 = 0.2. Frames 0, 1: 4 matches, sumD 0.4
    # -> MOTP = 100 (1 - 0.4 / 4) = 90.
    frames = [[pr(100 + 5 * f, 20, 5), pr(306 + 5 * f, 20, 7)] for f in range(3)]
    r = evaluate([g], [seq(frames)])
    assert np.allclose(r.per_joint["MOTP"], 90.0)
    assert r.table2.loc["MOT", "MOTP Total"] == pytest.approx(90.0)


# --------------------------------------------------------------------------------------------------
# Ignore regions
# --------------------------------------------------------------------------------------------------


SQUARE = np.array([[400.0, 0.0], [600.0, 0.0], [600.0, 300.0], [400.0, 300.0]])


def test_point_in_polygon_is_strict_like_shapely_contains():
    pts = np.array([[500, 150], [400, 150], [400, 0], [600, 300], [500, 0], [399.999, 150], [400.001, 150]])
    assert points_strictly_inside(pts, SQUARE).tolist() == [True, False, False, False, False, False, True]
    # A concave "U": the notch (x 450..550, y 100..300) is outside.
    u = np.array([[400, 0], [600, 0], [600, 300], [550, 300], [550, 100], [450, 100], [450, 300], [400, 300]])
    got = points_strictly_inside(np.array([[500, 200], [425, 200], [575, 200], [500, 50], [550, 200]]), u)
    assert got.tolist() == [False, True, True, True, False]
    # A bow tie (self-intersecting): even-odd, as GEOS's ray crossing.
    bow = np.array([[0, 0], [10, 10], [10, 0], [0, 10]])
    assert points_strictly_inside(np.array([[2, 5], [8, 5], [5, 2]]), bow).tolist() == [True, True, False]
    assert points_strictly_inside(np.array([[1, 1]]), np.array([[0, 0], [5, 5]])).tolist() == [False]


def test_ignore_regions_delete_keypoints_strictly_inside_in_gt_and_predictions():
    g_persons = [gt(100, 20, 0)]
    # An unannotated person at (500, 20) lies in the square: its prediction is deleted (no FP).
    g = seq([g_persons, [gt(105, 20, 0)]], regions={0: [SQUARE], 1: [SQUARE]})
    p = seq([[pr(100, 20, 0, 0.5), pr(500, 20, 1, 0.9)], [pr(105, 20, 0, 0.5), pr(505, 20, 1, 0.9)]])
    r = evaluate([g], [p], drop_last_frame=False)
    assert np.allclose(r.per_joint["AP"], 100.0) and np.allclose(r.per_joint["MOTA"], 100.0)
    # The same prediction with its head top on the square's left edge (x = 400): boundary points are kept
    # -> head top is a FP ranked first (0.9): precision 0, 1/2, 2/3 -> AP = 2/3 = 66.67 ... (2 GT, 2 TP).
    edge = Person(joints=np.full((NUM_JOINTS, 3), np.nan), track_id=1, scores=np.full(NUM_JOINTS, np.nan))
    edge.joints[14] = (400.0, 150.0, 1.0)
    edge.scores[14] = 0.9
    inside = Person(joints=edge.joints.copy(), track_id=1, scores=edge.scores.copy())
    inside.joints[14, 0] = 401.0
    p_edge = seq([[pr(100, 20, 0, 0.5), edge], [pr(105, 20, 0, 0.5)]])
    p_inside = seq([[pr(100, 20, 0, 0.5), inside], [pr(105, 20, 0, 0.5)]])
    r_edge = evaluate([g], [p_edge], tracking=False)
    r_inside = evaluate([g], [p_inside], tracking=False)
    assert ap_of(r_edge, 14) == pytest.approx(200 / 3)
    assert ap_of(r_inside, 14) == pytest.approx(100.0)


def test_ignore_region_removes_gt_joints_and_empty_persons():
    # A region over A's legs (y from 115 to 300 covers joints with dy >= 100): right/left hip, knee, ankle
    # and both wrists (dy 100) are deleted in GT and prediction -> nGT 0 there, the predictions too.
    legs = np.array([[0.0, 115.0], [1000.0, 115.0], [1000.0, 300.0], [0.0, 300.0]])
    g = seq([[gt(100, 20, 0)]], regions={0: [legs]})
    p = seq([[pr(100, 20, 0)]])
    r = evaluate([g], [p], tracking=False)
    deleted = [0, 1, 2, 3, 4, 5, 6, 11]
    assert (r.per_joint["nGT"].iloc[deleted] == 0).all() and (r.per_joint["nPred"].iloc[deleted] == 0).all()
    # Deleted joints: no GT and no prediction -> AP 0 (the 0-AP rule) -> Total = 7 * 100 / 15.
    assert r.table1.loc["AP", "Total"] == pytest.approx(700 / 15)
    # A region covering the whole person: it is removed; the frame's GT is then empty.
    everything = np.array([[-1000.0, -1000.0], [5000.0, -1000.0], [5000.0, 5000.0], [-1000.0, 5000.0]])
    g2 = seq([[gt(100, 20, 0)], [gt(105, 20, 0)], [gt(110, 20, 0)]], regions={1: [everything]})
    p2 = seq([[pr(100, 20, 0)], [pr(105, 20, 0)], [pr(110, 20, 0)]])
    r2 = evaluate([g2], [p2])
    # MOT frames 0, 1: frame 1 has empty GT and predictions after filtering -> dummy 1 miss + 1 FP:
    # objects 1 + 1, misses 1, FP 1 -> MOTA 100 (1 - 2/2) = 0.
    assert np.allclose(r2.per_joint["MOTA"], 0.0)
    assert r2.per_joint["nGT"].iloc[0] == 2


# --------------------------------------------------------------------------------------------------
# Errors and result object
# --------------------------------------------------------------------------------------------------


def test_errors_for_invalid_inputs():
    g = two_people(3)
    p = as_prediction(g)
    with pytest.raises(DataError, match="no prediction for GT sequence '000001_mpii_test'"):
        evaluate([g], [seq([[]] * 3, "other")])
    with pytest.raises(DataError, match="2 prediction frames but 3 GT frames"):
        evaluate([g], [seq([[], []])])
    missing = as_prediction(g)
    missing.frames[1].persons[0].track_id = None
    with pytest.raises(DataError, match=r"\(frame 1\): predicted person 0 has no track_id"):
        evaluate([g], [missing])
    assert evaluate([g], [missing], tracking=False).ap_total == pytest.approx(100.0)
    dup = as_prediction(g)
    dup.frames[2].persons[1].track_id = dup.frames[2].persons[0].track_id
    with pytest.raises(DataError, match="duplicate track_id 0 in one frame"):
        evaluate([g], [dup])
    big = as_prediction(g)
    big.frames[0].persons[0].track_id = 10000
    with pytest.raises(DataError, match="track_id 10000 is not below 10000"):
        evaluate([g], [big])
    one = seq([[gt(100, 20, 0)], []])
    with pytest.raises(DataError, match="only one labelled frame"):
        evaluate([one], [as_prediction(one)])
    assert evaluate([one], [as_prediction(one)], drop_last_frame=False).mota_total == pytest.approx(100.0)
    no_box = seq([[Person(joints=joints_at(100, 20), track_id=0)]] * 2)
    with pytest.raises(DataError, match="has joints but no head box"):
        evaluate([no_box], [as_prediction(no_box)])
    with pytest.raises(ValueError, match="empty_frame_rule"):
        evaluate([g], [p], empty_frame_rule="nope")


def test_result_tables_json_and_save(tmp_path):
    g, p = reference_case()
    r = evaluate([g], [p])
    assert list(r.table1.columns) == list(TABLE_COLUMNS) and list(r.table1.index) == ["AP"]
    assert list(r.table2.columns) == list(TABLE2_COLUMNS)
    assert len(r.per_joint) == 15
    text = r.format_tables()
    assert "85.7  85.7  85.7  69.4  85.7  85.7  69.4  81.4" in text
    assert "68.3  95.7  77.3  96.7" in text
    d = r.to_dict()
    assert d["variant"] == "poseval" and d["settings"]["drop_last_frame"] is True
    assert len(d["total_AP_metrics"]["ap"]) == 16 and round(d["total_AP_metrics"]["ap"][15], 1) == 81.4
    paths = r.save(tmp_path / "out")
    assert sorted(p.name for p in paths) == sorted(
        ["table1.csv", "table2.csv", "table2b.csv", "per_joint.csv", "per_sequence.csv", "metrics.json"]
    )
    import json

    import pandas as pd

    loaded = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert round(loaded["table2"]["MOTA Total"], 1) == 68.3
    t1 = pd.read_csv(tmp_path / "out" / "table1.csv", index_col=0)
    assert round(float(t1.loc["AP", "Total"]), 1) == 81.4
    t2b = pd.read_csv(tmp_path / "out" / "table2b.csv", index_col=0)
    assert list(t2b.index) == ["IDF1", "IDP", "IDR", "HOTA", "DetA", "AssA", "LocA", "DetRe", "DetPr",
                               "AssRe", "AssPr"]
    assert np.allclose(t2b.to_numpy(), r.table2b.to_numpy(), atol=1e-4, equal_nan=True)
    assert ("Table 2b" in text
            and loaded["table2b"]["HOTA"]["Total"] == pytest.approx(r.table2b.loc["HOTA", "Total"]))
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave no temp files


def test_gt_names_select_and_order_sequences():
    a, b = two_people(3), seq([[gt(100, 20, 0)], [gt(100, 20, 0)]], "b")
    a.name = "a"
    pa, pb = as_prediction(a), as_prediction(b)
    r = evaluate([a, b], [pb, pa], gt_names=["b"])
    assert r.sequences == ["b"] and list(r.per_sequence.index) == ["b"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r_all = evaluate([a, b], [pb, pa])
    assert r_all.sequences == ["a", "b"]


def test_sequence_without_labelled_frames_is_reported_as_nan():
    # Sequence "empty" has no GT person anywhere: it contributes nothing (poseval leaves it out) and its
    # per-sequence row is NaN, not 0; the pooled tables equal those of "a" alone (GT as prediction: 100).
    a = two_people(3)
    a.name = "a"
    empty = seq([[], []], "empty")
    r = evaluate([a, empty], [as_prediction(a), seq([[pr(100, 20, 1)], []], "empty")])
    assert r.per_sequence.loc["empty", "frames"] == 0
    assert np.isnan(r.per_sequence.loc["empty", "AP Total"]) and np.isnan(
        r.per_sequence.loc["empty", "MOTA Total"]
    )
    assert np.allclose(r.table1.to_numpy(), 100.0) and np.allclose(r.table2.to_numpy(), 100.0)
