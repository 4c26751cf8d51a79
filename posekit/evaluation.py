"""The PoseTrack evaluation, identical to the official `poseval` (paper §5: Tables 1 and 2).

Paper §5: "The individual values were obtained by submitting our predictions to the PoseTrack evaluation
server": Table 1 is the per-joint average precision (AP, PCKh@0.5) and its mean (mAP), Table 2 the
CLEAR-MOT metrics MOTA, MOTP, precision and recall. This module reimplements that server code
(`poseval`, rules in `EVALUATION.md`, section numbers cited as §x.y) on the in-memory schema, so the
numbers equal the official ones, oddities included:

- frames: only frames whose GT lists persons are evaluated (§1.1.5); GT and prediction frames are aligned
  by index; keypoints strictly inside a GT ignore region are deleted in GT and predictions, and persons
  left without keypoints are removed (§1.1.6);
- AP (§1.2-1.6): joint distance / (0.6 x GT head-box diagonal) <= 0.5; per frame each prediction keeps
  its best GT by PCKh and each GT takes its best prediction (no re-assignment); one ranking per joint over
  all frames and sequences, ties broken by numpy's default `argsort()[::-1]` on the official
  concatenation order; VOC all-point AP; AP 0 for a joint never predicted, NaN for one with nGT = 0;
- MOT (§2): per joint and sequence, motmetrics' per-frame matching (keep the pairings of the previous
  update whose distance is finite, Hungarian on the rest, SWITCH when a GT id's hypothesis changes),
  counts pooled over sequences, the last evaluated frame of every sequence dropped, and frames with an
  empty GT or prediction side scored as one miss + one FP + one object per joint.

The oddities are switches whose default is the official behaviour (`EvaluationSettings`); MOTP defaults
to the distance over matched pairs only (the correction of §2.5). Where poseval crashes, posekit raises
`DataError` with a one-line message instead (or, where stated, gives a documented result).

Not in poseval (choices made here, with reasons):
- Sequences are scored in the order given (files: sorted by name); poseval uses the unsorted `glob`
  order, which only matters for exactly tied scores across sequences.
- Track ids are not offset by `seq_index * 10000`: the accumulators are per sequence, so the offset
  cannot change a number; the `< 10000` limit is still enforced.
- A GT person that still has joints but no head box is a DataError (poseval: KeyError); one without
  joints needs no head box. Predicted joints with no score get -9999 as in poseval (a warning is issued).
- The schema cannot tell a 2017 `annorect` without `annopoints` (poseval drops it) from one with an empty
  point list (poseval keeps it): a GT or predicted person without joints is kept, as poseval keeps the
  2018 persons whose keypoints are all zero, except in frames with ignore regions, where it is removed.
  This only matters in frames where every GT (or every predicted) person has no joint.
- With `tracking=False` (AP only) predictions need no track ids and single-frame sequences are fine;
  poseval needs track ids even for AP.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable
from collections.abc import Sequence as SequenceLike
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from posekit.data.schema import Frame, Sequence
from posekit.errors import DataError
from posekit.joints import GROUP_NAMES, JOINT_GROUPS, JOINT_NAMES, NUM_JOINTS

#: poseval `distThresh` (evaluateAP.py L40, evaluateTracking.py L206): a joint is correct if dist <= 0.5.
DIST_THRESH: float = 0.5
#: poseval `getHeadSize`: head size = 0.6 x head-box diagonal (eval_helpers.py L77-79).
HEAD_SIZE_FACTOR: float = 0.6
#: poseval `MAX_TRACK_ID`: track ids must be below it (eval_helpers.py L10).
MAX_TRACK_ID: int = 10000
#: poseval `MIN_SCORE`: the score of a predicted keypoint that has none (eval_helpers.py L9).
MIN_SCORE: float = -9999.0

EMPTY_FRAME_RULES: tuple[str, ...] = ("poseval", "count")
MOTP_MODES: tuple[str, ...] = ("matched", "all_events")
CARRY_OVER_MODES: tuple[str, ...] = ("previous_update", "latest_match")

#: Column names of Table 1 and the MOTA part of Table 2 (poseval `getCum` groups, then Total).
TABLE_COLUMNS: tuple[str, ...] = (*GROUP_NAMES, "Total")
TABLE2_COLUMNS: tuple[str, ...] = (
    *(f"MOTA {c}" for c in TABLE_COLUMNS),
    "MOTP Total",
    "Prec Total",
    "Rec Total",
)
_MOT_COUNTS: tuple[str, ...] = (
    "num_objects",
    "num_misses",
    "num_switches",
    "num_false_positives",
    "num_detections",
    "num_matches",
    "sumD",
)


# --------------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationSettings:
    """The switches of the evaluation; every default is the official `poseval` behaviour.

    drop_last_frame:  drop each sequence's last evaluated frame from the MOT metrics (§2.2, poseval's
                      "DEBUG" line). False gives the clean variant.
    empty_frame_rule: "poseval": a frame whose GT or predictions are empty counts one miss + one FP + one
                      object per joint (§2.2 dummy update); "count": the real misses and FPs.
    motp:             "matched": MOTP over matched pairs (MATCH + SWITCH), as poseval with the motmetrics
                      it shipped (§2.5, the correction); "all_events": HEAD poseval with PyPI motmetrics
                      >= 1.2, which also sums RAW/TRANSFER/ASCEND/MIGRATE distances (inflated, too low).
    carry_over:       which earlier pairings motmetrics keeps before the Hungarian step:
                      "previous_update" (motmetrics >= 1.2.5 incl. 1.4.0, the default) or
                      "latest_match" (motmetrics 1.0/1.1: a GT id's latest pairing from any past frame).
    tracking:         compute the MOT metrics (Table 2); False gives AP only (Table 1).
    """

    drop_last_frame: bool = True
    empty_frame_rule: str = "poseval"
    motp: str = "matched"
    carry_over: str = "previous_update"
    tracking: bool = True

    def __post_init__(self) -> None:
        if self.empty_frame_rule not in EMPTY_FRAME_RULES:
            raise ValueError(
                f"empty_frame_rule must be one of {EMPTY_FRAME_RULES}, got {self.empty_frame_rule!r}"
            )
        if self.motp not in MOTP_MODES:
            raise ValueError(f"motp must be one of {MOTP_MODES}, got {self.motp!r}")
        if self.carry_over not in CARRY_OVER_MODES:
            raise ValueError(f"carry_over must be one of {CARRY_OVER_MODES}, got {self.carry_over!r}")

    def notes(self) -> list[str]:
        """One line per switch that differs from the official behaviour (empty for the official run)."""
        notes = []
        if not self.drop_last_frame:
            notes.append("drop_last_frame=False: the last labelled frame of each sequence is scored (MOT)")
        if self.empty_frame_rule != "poseval":
            notes.append(
                f"empty_frame_rule={self.empty_frame_rule!r}: empty frames count their real misses/FPs (MOT)"
            )
        if self.motp != "matched":
            notes.append(f"motp={self.motp!r}: MOTP sums every motmetrics event distance (inflated sum)")
        if self.carry_over != "previous_update":
            notes.append(f"carry_over={self.carry_over!r}: motmetrics 1.0/1.1 pairing carry-over")
        if not self.tracking:
            notes.append("tracking=False: AP only, no MOT metrics")
        return notes

    @property
    def variant(self) -> str:
        """'poseval' when every switch is the official one, else 'clean'."""
        tracking_notes = [n for n in self.notes() if not n.startswith("tracking=")]
        return "clean" if tracking_notes else "poseval"


# --------------------------------------------------------------------------------------------------
# Ignore regions: strict point-in-polygon (shapely `Polygon.contains`)
# --------------------------------------------------------------------------------------------------


def points_strictly_inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Which points lie strictly inside `polygon` (boundary points do not), as shapely's `contains`.

    points: (N, 2) float x, y; polygon: (M, 2) float vertices (closed implicitly). Returns (N,) bool.
    GEOS's ray-crossing rule (even-odd, so a self-intersecting ring behaves as in shapely): a point on an
    edge or vertex is on the boundary; otherwise it is inside if a ray to +x crosses an odd number of
    edges, where an upward edge includes its start and a downward edge its end (no double counting).
    Polygons with fewer than 3 vertices contain nothing.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    polygon = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    if len(points) == 0 or len(polygon) < 3:
        return np.zeros(len(points), dtype=bool)
    a = polygon[None, :, :]  # (1, M, 2) edge starts
    b = np.roll(polygon, -1, axis=0)[None, :, :]  # (1, M, 2) edge ends
    p = points[:, None, :]  # (N, 1, 2)
    ax, ay, bx, by = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    px, py = p[..., 0], p[..., 1]
    cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax)  # (N, M): > 0 when p is left of a->b
    on_edge = (
        (cross == 0)
        & (np.minimum(ax, bx) <= px)
        & (px <= np.maximum(ax, bx))
        & (np.minimum(ay, by) <= py)
        & (py <= np.maximum(ay, by))
    )
    upward = (ay <= py) & (by > py)
    downward = (by <= py) & (ay > py)
    crossings = (upward & (cross > 0)) | (downward & (cross < 0))
    return ~on_edge.any(axis=1) & (crossings.sum(axis=1) % 2 == 1)


# --------------------------------------------------------------------------------------------------
# One evaluated frame
# --------------------------------------------------------------------------------------------------


@dataclass
class _FrameArrays:
    """One evaluated frame after ignore-region filtering (G GT persons, P predicted persons).

    gt_xy (G, 15, 2), gt_has (G, 15) bool, head_size (G,), gt_ids (G,) int;
    pr_xy (P, 15, 2), pr_has (P, 15) bool, pr_scores (P, 15), pr_ids (P,) int.
    """

    gt_xy: np.ndarray
    gt_has: np.ndarray
    head_size: np.ndarray
    gt_ids: np.ndarray
    pr_xy: np.ndarray
    pr_has: np.ndarray
    pr_scores: np.ndarray
    pr_ids: np.ndarray


@dataclass
class _FrameResult:
    """What one frame contributes: AP entries of its predictions, GT counts and MOT inputs.

    ap_scores, ap_labels: (P, 15) score and TP label of every predicted joint (valid where pr_has);
    n_gt: (15,) GT joints; mot_dist: (P, G, 15) normalised distance where it is <= 0.5, else NaN.
    """

    arrays: _FrameArrays
    ap_scores: np.ndarray
    ap_labels: np.ndarray
    n_gt: np.ndarray
    mot_dist: np.ndarray


def _joint_present(joints: np.ndarray) -> np.ndarray:
    """(15,) bool: joints with finite x and y."""
    return np.isfinite(joints[:, 0]) & np.isfinite(joints[:, 1])


def _filter_points(xy: np.ndarray, regions: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Delete keypoints strictly inside any ignore region (§1.1.6); drop persons left without keypoints.

    xy: (P, 15, 2) float, NaN where a joint is absent (a joint with only one finite coordinate is absent).
    Returns (kept (K,) int indices into the P persons, xy (K, 15, 2) with the deleted joints NaN).
    Without regions every person is kept; with regions a person left with no keypoint is removed
    (poseval `removeIgnoredPointsRects`, which also removes persons that had none to begin with).
    """
    xy = np.array(xy, dtype=np.float64).reshape(-1, NUM_JOINTS, 2)
    present = np.isfinite(xy[..., 0]) & np.isfinite(xy[..., 1])
    xy[~present] = np.nan
    if not regions:
        return np.arange(len(xy)), xy
    where_present = np.argwhere(present)  # (n, 2) person, joint
    inside = np.zeros(len(where_present), dtype=bool)
    points = xy[present]  # (n, 2), the same row-major order as argwhere
    for region in regions:
        inside |= points_strictly_inside(points, region)
    xy[where_present[inside, 0], where_present[inside, 1]] = np.nan
    kept = np.flatnonzero(np.isfinite(xy[:, :, 0]).any(axis=1))
    return kept, xy[kept]


def _head_size(box: np.ndarray) -> float:
    """poseval `getHeadSize`, computed the same way: 0.6 * ||(x2, y2) - (x1, y1)||."""
    return float(HEAD_SIZE_FACTOR * np.linalg.norm(np.subtract([box[2], box[3]], [box[0], box[1]])))


def _frame_regions(gt_frame: Frame) -> list[np.ndarray]:
    return [r for r in gt_frame.ignore_regions if len(r)]


def _person_xy(persons: list) -> np.ndarray:
    """(P, 15, 2) joint x, y of `persons` (absent joints NaN)."""
    if not persons:
        return np.zeros((0, NUM_JOINTS, 2))
    return np.stack([np.asarray(p.joints, dtype=np.float64)[:, :2] for p in persons])


def _gt_part(gt_frame: Frame, regions: list[np.ndarray], where: str, frame_index: int, tracking: bool
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The GT side of one evaluated frame: gt_xy (G, 15, 2), gt_has (G, 15), head_size (G,), gt_ids (G,)."""
    kept, gt_xy = _filter_points(_person_xy(gt_frame.persons), regions)
    gts = [gt_frame.persons[k] for k in kept]
    G = len(gts)
    gt_has = np.isfinite(gt_xy[:, :, 0])
    head_size = np.full(G, np.nan)
    for g, person in enumerate(gts):
        box = person.head_box
        if box is not None and np.all(np.isfinite(box)):
            head_size[g] = _head_size(box)
        elif gt_has[g].any():
            raise DataError(where, f"GT person {g} has joints but no head box (needed for PCKh)", frame_index)
    gt_ids = np.array([-1 if p.track_id is None else int(p.track_id) for p in gts], dtype=np.int64)
    if tracking:
        for g, person in enumerate(gts):
            if person.track_id is None:
                raise DataError(where, f"GT person {g} has no track_id (needed for MOTA)", frame_index)
        if len(set(gt_ids.tolist())) != G:
            raise DataError(where, "duplicate GT track_id in one frame", frame_index)
    return gt_xy, gt_has, head_size, gt_ids


def _pred_part(xy: np.ndarray, scores: np.ndarray, ids: np.ndarray, regions: list[np.ndarray], where: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The prediction side of one evaluated frame from P predicted persons.

    xy (P, 15, 2), scores (P, 15) (NaN: no score), ids (P,) int (-1: none).
    Returns kept (K,) indices into the P persons, pr_xy (K, 15, 2), pr_has (K, 15), pr_scores (K, 15),
    pr_ids (K,).
    """
    kept, pr_xy = _filter_points(xy, regions)
    pr_has = np.isfinite(pr_xy[:, :, 0])
    pr_scores = np.array(np.asarray(scores, dtype=np.float64).reshape(-1, NUM_JOINTS)[kept])
    missing = pr_has & ~np.isfinite(pr_scores)
    if missing.any():
        warnings.warn(
            f"{where}: prediction score is missing; using the poseval fallback score {MIN_SCORE:g}",
            stacklevel=4,
        )
        pr_scores[missing] = MIN_SCORE
    pr_ids = np.asarray(ids, dtype=np.int64).reshape(-1)[kept]
    return kept, pr_xy, pr_has, pr_scores, pr_ids


def _frame_arrays(
    gt_frame: Frame, pr_frame: Frame, where: str, frame_index: int, tracking: bool
) -> _FrameArrays:
    regions = _frame_regions(gt_frame)
    gt_xy, gt_has, head_size, gt_ids = _gt_part(gt_frame, regions, where, frame_index, tracking)
    prs = pr_frame.persons
    scores = np.full((len(prs), NUM_JOINTS), np.nan)
    for p, person in enumerate(prs):
        if person.scores is not None:
            scores[p] = person.scores
    ids = np.array([-1 if p.track_id is None else int(p.track_id) for p in prs], dtype=np.int64)
    _, pr_xy, pr_has, pr_scores, pr_ids = _pred_part(_person_xy(prs), scores, ids, regions, where)
    return _FrameArrays(gt_xy, gt_has, head_size, gt_ids, pr_xy, pr_has, pr_scores, pr_ids)


def _match_frame(a: _FrameArrays) -> _FrameResult:
    """Distances, the PCKh pose assignment and the AP labels of one frame (§1.2-1.4)."""
    G, P = len(a.gt_has), len(a.pr_has)
    n_gt = a.gt_has.sum(axis=0)
    labels = np.zeros((P, NUM_JOINTS), dtype=bool)
    mot_dist = np.full((P, G, NUM_JOINTS), np.nan)
    if G and P:
        diff = a.pr_xy[:, None, :, :] - a.gt_xy[None, :, :, :]  # (P, G, 15, 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            dist = np.sqrt(diff[..., 0] ** 2 + diff[..., 1] ** 2) / a.head_size[None, :, None]
        both = a.pr_has[:, None, :] & a.gt_has[None, :, :]
        dist[~both] = np.inf
        _exact_near_threshold(dist, a)
        match = dist <= DIST_THRESH  # (P, G, 15), inclusive
        # PCKh of each prediction/GT pair; the raw count where the GT has no joint (§1.3 step 2).
        n_gtp = a.gt_has.sum(axis=1)
        pck = match.sum(axis=2).astype(np.float64)
        pos = n_gtp > 0
        pck[:, pos] = pck[:, pos] / n_gtp[pos]
        # Each prediction keeps its best GT only; each GT takes its best prediction (first index on ties).
        rows = np.arange(P)
        best = np.argmax(pck, axis=1)
        keep = np.zeros_like(pck)
        keep[rows, best] = pck[rows, best]
        pr_to_gt = np.argmax(keep, axis=0)
        pr_to_gt[np.max(keep, axis=0) == 0] = -1
        for g, p in enumerate(pr_to_gt):
            if p >= 0:
                labels[p] = match[p, g]
        mot_dist = np.where(match, dist, np.nan)
    return _FrameResult(a, a.pr_scores, labels, n_gt, mot_dist)


def _exact_near_threshold(dist: np.ndarray, a: _FrameArrays) -> None:
    """Recompute distances within 1e-9 of the threshold exactly as poseval does (np.linalg.norm / size).

    The vectorised sqrt(dx^2 + dy^2) can differ from poseval's expression in the last bit, which would
    flip `dist <= 0.5` for a joint exactly 0.3 x head diagonal away.
    """
    near = np.argwhere(np.isfinite(dist) & (np.abs(dist - DIST_THRESH) <= 1e-9))
    for p, g, j in near:
        point_gt = [a.gt_xy[g, j, 0], a.gt_xy[g, j, 1]]
        point_pr = [a.pr_xy[p, j, 0], a.pr_xy[p, j, 1]]
        dist[p, g, j] = np.linalg.norm(np.subtract(point_gt, point_pr)) / a.head_size[g]


# --------------------------------------------------------------------------------------------------
# motmetrics' per-frame matching, one joint of one sequence
# --------------------------------------------------------------------------------------------------


def _expensive_edges(costs: np.ndarray) -> np.ndarray:
    """motmetrics `add_expensive_edges`: NaN -> a cost so large that the solver uses as few as it can."""
    valid = np.isfinite(costs)
    if valid.all():
        return costs.copy()
    if not valid.any():
        return np.zeros_like(costs)
    r = min(costs.shape)
    c = np.abs(costs[valid]).max() + 1
    out = costs.copy()
    out[~valid] = 2 * r * c + 1
    return out


class _JointAccumulator:
    """The state and counts of one `motmetrics.MOTAccumulator` (one joint, one sequence), events not kept.

    Per update (motmetrics `MOTAccumulator.update`): 1. keep earlier pairings whose distance is finite;
    2. Hungarian (`scipy.optimize.linear_sum_assignment`) on the rest, minimising the summed normalised
    distance; a pair whose GT id was last paired with another hypothesis is a SWITCH; 3./4. leftovers are
    MISS / FP.
    """

    def __init__(self, carry_over: str):
        self.carry_over = carry_over
        self.pairing: dict[int, int] = {}  # motmetrics `m`: GT id -> hypothesis of its latest match
        self.matched_last: set[int] = set()  # GT ids matched in the previous update
        self.hyp_seen: set[int] = set()  # `hypHistory`
        self.hyp_owner: dict[int, int] = {}  # `res_m`
        self.obj_matched: set[int] = set()  # `last_match`
        self.counts = dict.fromkeys(_MOT_COUNTS, 0)
        self.counts["sumD"] = 0.0
        self.sum_d_events = 0.0  # distances of RAW/ASCEND/TRANSFER/MIGRATE rows (motp="all_events")

    def dummy(self) -> None:
        """poseval's `update([0], [0], [[nan]])` for an empty frame: one object, one miss, one FP."""
        self.counts["num_objects"] += 1
        self.counts["num_misses"] += 1
        self.counts["num_false_positives"] += 1
        self.matched_last = set()

    def update(self, oids: list[int], hids: list[int], dists: np.ndarray) -> None:
        """oids (N,), hids (M,) unique ids; dists (N, M) normalised distances, NaN = may not pair."""
        self.update_prepared(oids, hids, _prepare_joint(np.asarray(dists, dtype=np.float64)))

    def update_prepared(self, oids: list[int], hids: list[int], prepared: _PreparedJoint) -> None:
        """`update` with the id-independent work (`_prepare_joint`) done beforehand (it can be reused
        for every set of track ids on the same poses: the grid search's case)."""
        dists, finite, any_finite, pairs, finite_sum = prepared
        n, m = len(oids), len(hids)
        c = self.counts
        c["num_objects"] += n
        if n == 0 or m == 0:  # nothing can pair: all misses / all false positives
            c["num_misses"] += n
            c["num_false_positives"] += m
            self.matched_last = set()
            return
        self.sum_d_events += finite_sum  # RAW rows
        matched_now: set[int] = set()
        o_used = [False] * n
        h_used = [False] * m
        n_used = 0
        if any_finite:
            # 1. Carry earlier pairings forward.
            pairing = self.pairing
            col_of = None
            for i, o in enumerate(oids):
                if o not in pairing:
                    continue
                if self.carry_over == "previous_update" and o not in self.matched_last:
                    continue
                if col_of is None:
                    col_of = {h: j for j, h in enumerate(hids)}
                j = col_of.get(pairing[o])
                if j is None or h_used[j] or not finite[i, j]:
                    continue
                o_used[i] = h_used[j] = True
                n_used += 1
                c["num_matches"] += 1
                c["sumD"] += float(dists[i, j])
                self.hyp_seen.add(hids[j])
                self.obj_matched.add(o)
                matched_now.add(o)
            # 2. Hungarian on the remaining pairs.
            if pairs is not None:
                # At most one finite entry per row and column (so also in what is left after step 1):
                # the maximum matching is unique, and it is what the solver returns (rows ascending).
                candidates = [(i, j) for i, j in pairs if not o_used[i] and not h_used[j]]
            else:
                rest = dists.copy()
                rest[np.asarray(o_used), :] = np.nan
                rest[:, np.asarray(h_used)] = np.nan
                valid = np.isfinite(rest)
                candidates = []
                if valid.any():
                    if (valid.sum(axis=0) <= 1).all() and (valid.sum(axis=1) <= 1).all():
                        rids, cids = np.nonzero(valid)
                    else:
                        from scipy.optimize import linear_sum_assignment

                        rids, cids = linear_sum_assignment(_expensive_edges(rest))
                    candidates = [(i, j) for i, j in zip(rids.tolist(), cids.tolist(), strict=True) if valid[i, j]]
            for i, j in candidates:
                self._pair(oids[i], hids[j], float(dists[i, j]))
                o_used[i] = h_used[j] = True
                n_used += 1
                matched_now.add(oids[i])
        c["num_misses"] += n - n_used
        c["num_false_positives"] += m - n_used
        self.matched_last = matched_now

    def _pair(self, o: int, h: int, d: float) -> None:
        c = self.counts
        switch = o in self.pairing and self.pairing[o] != h
        if switch:
            c["num_switches"] += 1
            if h not in self.hyp_seen:
                self.sum_d_events += d  # ASCEND
        else:
            c["num_matches"] += 1
        if h in self.hyp_owner and self.hyp_owner[h] != o:
            self.sum_d_events += d  # TRANSFER
            if o not in self.obj_matched:
                self.sum_d_events += d  # MIGRATE
        c["sumD"] += d
        self.hyp_seen.add(h)
        self.obj_matched.add(o)
        self.pairing[o] = h
        self.hyp_owner[h] = o

    def result(self, motp: str) -> dict[str, float]:
        out = dict(self.counts)
        out["num_detections"] = out["num_matches"] + out["num_switches"]
        if motp == "all_events":
            out["sumD"] += self.sum_d_events
        return out


#: One joint of one frame, prepared for `_JointAccumulator.update_prepared`: the (N, M) distances,
#: their finite mask, whether any is finite, the finite (row, column) pairs when each row and column has
#: at most one (else None), and the sum of the finite distances.
_PreparedJoint = tuple[np.ndarray, np.ndarray, bool, "list[tuple[int, int]] | None", float]


def _prepare_joint(dists: np.ndarray) -> _PreparedJoint:
    finite = np.isfinite(dists)
    any_finite = bool(finite.any())
    pairs = None
    if any_finite and (finite.sum(axis=0) <= 1).all() and (finite.sum(axis=1) <= 1).all():
        rows, cols = np.nonzero(finite)
        pairs = list(zip(rows.tolist(), cols.tolist()))
    return dists, finite, any_finite, pairs, float(dists[finite].sum()) if any_finite else 0.0


def _mot_prepare(frames: list[_FrameResult], settings: EvaluationSettings) -> list:
    """The id-independent part of `_mot_sequence`, per frame: None for poseval's dummy update (an empty GT
    or prediction side), else per joint (GT ids, prediction rows, `_prepare_joint` of the distances).
    Depends only on the poses, not on the prediction track ids."""
    prepared = []
    for fr in frames:
        a = fr.arrays
        G, P = len(a.gt_has), len(a.pr_has)
        if (G == 0 or P == 0) and settings.empty_frame_rule == "poseval":
            prepared.append(None)
            continue
        gt_ids = a.gt_ids.tolist()
        dist_t = fr.mot_dist.transpose(2, 1, 0)  # (15, G, P)
        joints = []
        for j in range(NUM_JOINTS):
            gi = np.flatnonzero(a.gt_has[:, j])
            pi = np.flatnonzero(a.pr_has[:, j])
            d = dist_t[j][gi][:, pi]  # (len(gi), len(pi))
            joints.append(([gt_ids[g] for g in gi.tolist()], pi.tolist(), _prepare_joint(d)))
        prepared.append(joints)
    return prepared


def _mot_run(prepared: list, pr_ids_by_frame: list[list[int]], settings: EvaluationSettings
             ) -> list[dict[str, float]]:
    """Per-joint motmetrics counts of one sequence from `_mot_prepare`'s frames and the prediction track
    ids of each frame (in the order of the frame's prediction rows)."""
    accs = [_JointAccumulator(settings.carry_over) for _ in range(NUM_JOINTS)]
    for frame, pr_ids in zip(prepared, pr_ids_by_frame, strict=True):
        if frame is None:
            for acc in accs:
                acc.dummy()
            continue
        for acc, (oids, pi, prep) in zip(accs, frame):
            acc.update_prepared(oids, [pr_ids[p] for p in pi], prep)
    return [acc.result(settings.motp) for acc in accs]


def _mot_sequence(frames: list[_FrameResult], settings: EvaluationSettings) -> list[dict[str, float]]:
    """Per-joint motmetrics counts of one sequence (15 dicts), over `frames` in order (§2.1-2.3)."""
    return _mot_run(_mot_prepare(frames, settings), [fr.arrays.pr_ids.tolist() for fr in frames], settings)


def _mot_metrics(counts: dict[str, float]) -> dict[str, float]:
    """MOTA, MOTP, Prec, Rec of one joint from pooled counts (evaluateTracking.py L152-177)."""
    n_obj = counts["num_objects"] if counts["num_objects"] > 0 else np.nan
    n_fp, n_det, s = counts["num_false_positives"], counts["num_detections"], counts["sumD"]
    mota = 100 * (1.0 - (counts["num_misses"] + counts["num_switches"] + n_fp) / n_obj)
    motp = 0.0 if (n_det == 0 or np.isnan(s)) else 100 * (1.0 - s / n_det)
    total_det = n_fp + n_det if n_fp + n_det > 0 else np.nan
    return {"MOTA": mota, "MOTP": motp, "Prec": 100 * n_det / total_det, "Rec": 100 * n_det / n_obj}


# --------------------------------------------------------------------------------------------------
# AP
# --------------------------------------------------------------------------------------------------


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2010 all-point interpolated AP (poseval `VOCap`): sentinels, monotone envelope, area.

    recall, precision: (K,) in ranking order. Returns a fraction (NaN when recall is NaN).
    """
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.flatnonzero(mrec[1:] != mrec[:-1]) + 1
    return float(np.sum((mrec[i] - mrec[i - 1]) * mpre[i]))


def average_precision(scores: np.ndarray, labels: np.ndarray, n_gt: float) -> tuple[float, float, float]:
    """AP, final precision and final recall (in %) of one joint's ranked predictions (§1.5).

    scores, labels: (K,) in the official concatenation order; ties are broken exactly as poseval's
    `np.array(scores).argsort()[::-1]`. No predictions: (0, 0, 0) (the official 0-AP rule); n_gt == 0
    with predictions: AP NaN.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return 0.0, 0.0, 0.0
    order = scores.argsort()[::-1]
    tp = np.cumsum(np.asarray(labels)[order] == 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = tp / np.float64(n_gt)
    precision = tp / np.arange(1, len(tp) + 1)
    return 100 * voc_ap(recall, precision), 100 * float(precision[-1]), 100 * float(recall[-1])


def _nanmean(values: Iterable[float]) -> float:
    arr = np.asarray(list(values), dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    return float(arr.mean()) if arr.size else float("nan")


def _group_row(per_joint: pd.Series) -> list[float]:
    """Table columns from 15 per-joint values: group means (NaN propagates) and the NaN-skipping Total."""
    values = per_joint.to_numpy(dtype=np.float64)
    groups = [float(values[list(JOINT_GROUPS[g])].mean()) for g in GROUP_NAMES]
    return [*groups, _nanmean(values)]


# --------------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------------


@dataclass
class EvaluationResult:
    """The evaluation's tables (paper Tables 1 and 2) and the numbers behind them.

    table1:       one row "AP": Head, Sho, Elb, Wri, Hip, Knee, Ank, Total (Total = NaN-skipping mean of
                  the 15 joints, not of the 7 columns).
    table2:       one row "MOT": MOTA per group and Total, then MOTP, Prec, Rec Totals (as poseval prints).
    per_joint:    15 rows (2017 joint names): AP, pre, rec, nGT, nPred, MOTA, MOTP, Prec, Rec and the
                  pooled motmetrics counts.
    per_sequence: one row per sequence, each metric computed on that sequence alone.
    settings:     the switches used.
    """

    table1: pd.DataFrame
    table2: pd.DataFrame
    per_joint: pd.DataFrame
    per_sequence: pd.DataFrame
    settings: EvaluationSettings
    sequences: list[str] = field(default_factory=list)

    @property
    def ap_total(self) -> float:
        return float(self.table1.loc["AP", "Total"])

    @property
    def mota_total(self) -> float:
        return float(self.table2.loc["MOT", "MOTA Total"])

    def to_dict(self) -> dict:
        """Plain JSON-able values (NaN -> None), including poseval-style 16-value lists per metric."""
        names = {str(i): n for i, n in enumerate(JOINT_NAMES)} | {"15": "total"}

        def with_total(col: str) -> list[float | None]:
            vals = self.per_joint[col].tolist()
            return _clean([*vals, _nanmean(vals)])

        return {
            "settings": asdict(self.settings),
            "variant": self.settings.variant,
            "notes": self.settings.notes(),
            "sequences": list(self.sequences),
            "table1": _clean(self.table1.loc["AP"].to_dict()),
            "table2": _clean(self.table2.loc["MOT"].to_dict()),
            "total_AP_metrics": {
                "ap": with_total("AP"),
                "pre": with_total("pre"),
                "rec": with_total("rec"),
                "names": names,
            },
            "total_MOT_metrics": {
                "mota": with_total("MOTA"),
                "motp": with_total("MOTP"),
                "pre": with_total("Prec"),
                "rec": with_total("Rec"),
                "names": names,
            },
            "per_joint": _clean(self.per_joint.reset_index().to_dict(orient="records")),
            "per_sequence": _clean(self.per_sequence.reset_index().to_dict(orient="records")),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """`to_dict()` as a JSON string (strict JSON: NaN is written as null)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def format_tables(self) -> str:
        """The two tables as the paper prints them (one decimal), with the settings when not official."""
        lines = []
        if self.settings.variant == "clean":
            lines.append("CLEAN VARIANT (not the official PoseTrack numbers):")
            lines += [f"  - {n}" for n in self.settings.notes()]
        elif not self.settings.tracking:
            lines.append("AP only (tracking=False): Table 2 not computed.")
        lines.append("Table 1: AP (PCKh@0.5)")
        lines.append(_format_rows(list(TABLE_COLUMNS[:-1]) + ["mAP"], [self.table1.loc["AP"].tolist()]))
        if self.settings.tracking:
            t2 = self.table2.loc["MOT"]
            lines.append("")
            lines.append("Table 2: MOT")
            lines.append(
                _format_rows(
                    ["MOTA", "MOTP", "Prec", "Rec"],
                    [[t2["MOTA Total"], t2["MOTP Total"], t2["Prec Total"], t2["Rec Total"]]],
                )
            )
            lines.append("MOTA per joint group")
            lines.append(_format_rows(list(TABLE_COLUMNS), [[t2[f"MOTA {c}"] for c in TABLE_COLUMNS]]))
        return "\n".join(lines)

    def format_per_sequence(self) -> str:
        cols = ["frames", "AP Total", "MOTA Total", "MOTP Total", "Prec Total", "Rec Total"]
        df = self.per_sequence[cols]
        width = max([8, *(len(s) for s in df.index)])
        head = f"{'sequence':<{width}} " + " ".join(f"{c:>10}" for c in cols)
        rows = [
            f"{name:<{width}} "
            + " ".join(f"{_fmt(v, c == 'frames'):>10}" for c, v in zip(cols, row, strict=True))
            for name, row in zip(df.index, df.itertuples(index=False), strict=True)
        ]
        return "\n".join([head, *rows])

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write table1.csv, table2.csv, per_joint.csv, per_sequence.csv and metrics.json atomically."""
        from posekit.fileio import atomic_write_text

        out = Path(out_dir)
        files = {
            "table1.csv": self.table1.to_csv(float_format="%.6g"),
            "table2.csv": self.table2.to_csv(float_format="%.6g"),
            "per_joint.csv": self.per_joint.to_csv(float_format="%.6g"),
            "per_sequence.csv": self.per_sequence.to_csv(float_format="%.6g"),
            "metrics.json": self.to_json() + "\n",
        }
        paths = []
        for name, text in files.items():
            atomic_write_text(out / name, text)
            paths.append(out / name)
        return paths


def _fmt(v: float, integer: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nan"
    return f"{int(v)}" if integer else f"{v:.1f}"


def _format_rows(header: list[str], rows: list[list[float]]) -> str:
    width = max(6, *(len(h) + 1 for h in header))
    lines = ["".join(f"{h:>{width}}" for h in header)]
    lines += ["".join(f"{_fmt(v):>{width}}" for v in row) for row in rows]
    return "\n".join(lines)


def _clean(obj):
    """NaN/inf -> None and numpy scalars -> Python, recursively (for strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(float(obj)) else float(obj)
    return obj


# --------------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------------


def _where(seq: Sequence) -> str:
    return str(seq.source) if seq.source is not None else seq.name


def _check_prediction_ids(pred: Sequence, tracking: bool) -> None:
    """Track ids of every prediction frame: present (when tracking), unique per frame, < 10000 (§2.1)."""
    where = _where(pred)
    for f, frame in enumerate(pred.frames):
        seen: set[int] = set()
        for k, person in enumerate(frame.persons):
            tid = person.track_id
            if tid is None:
                if tracking:
                    raise DataError(where, f"predicted person {k} has no track_id", f)
                continue
            if tid >= MAX_TRACK_ID:
                raise DataError(where, f"track_id {tid} is not below {MAX_TRACK_ID} (poseval's limit)", f)
            if tid in seen:
                raise DataError(where, f"duplicate track_id {tid} in one frame", f)
            seen.add(tid)


def _evaluated_frames(gt: Sequence) -> list[int]:
    """Indices of the frames poseval evaluates: those whose GT lists at least one person (§1.1.5)."""
    return [i for i, frame in enumerate(gt.frames) if len(frame.persons) > 0]


def _pair_sequences(
    gt: list[Sequence], pred: list[Sequence], gt_names: SequenceLike[str] | None
) -> list[tuple[Sequence, Sequence]]:
    by_name: dict[str, Sequence] = {}
    for seq in gt:
        if seq.name in by_name:
            raise DataError(_where(seq), f"two GT sequences are named {seq.name!r}")
        by_name[seq.name] = seq
    preds: dict[str, Sequence] = {}
    for seq in pred:
        if seq.name in preds:
            raise DataError(_where(seq), f"two predicted sequences are named {seq.name!r}")
        preds[seq.name] = seq
    names = list(by_name) if gt_names is None else list(gt_names)
    pairs = []
    for name in names:
        if name not in by_name:
            raise DataError(name, "no GT sequence with this name")
        g = by_name[name]
        if name not in preds:
            raise DataError(_where(g), f"no prediction for GT sequence {name!r}")
        p = preds[name]
        if len(p.frames) != len(g.frames):
            raise DataError(
                _where(p),
                f"{len(p.frames)} prediction frames but {len(g.frames)} GT frames for {name!r} "
                "(frames are aligned by index: predict every frame of the GT sequence)",
            )
        pairs.append((g, p))
    return pairs


def _checked_gt_frames(g: Sequence, settings: EvaluationSettings) -> list[int]:
    """The evaluated frames of GT sequence `g` (`_evaluated_frames`), after the sequence-level GT checks:
    when tracking, GT track ids below 10000 and, with `drop_last_frame`, more than one labelled frame."""
    idx = _evaluated_frames(g)
    if settings.tracking:
        for f in idx:
            for person in g.frames[f].persons:
                if person.track_id is not None and person.track_id >= MAX_TRACK_ID:
                    raise DataError(_where(g), f"GT track_id {person.track_id} is not below {MAX_TRACK_ID}", f)
        if settings.drop_last_frame and len(idx) == 1:
            raise DataError(
                _where(g),
                "only one labelled frame: the MOT metrics drop each sequence's last labelled frame "
                "(poseval crashes here); use drop_last_frame=False (--no-drop-last-frame) or AP only",
            )
    return idx


def evaluate(
    gt: list[Sequence],
    pred: list[Sequence],
    *,
    drop_last_frame: bool = True,
    empty_frame_rule: str = "poseval",
    motp: str = "matched",
    carry_over: str = "previous_update",
    tracking: bool = True,
    gt_names: SequenceLike[str] | None = None,
) -> EvaluationResult:
    """Score predicted tracked poses against GT with the PoseTrack evaluation (paper §5, Tables 1 and 2).

    gt, pred:  sequences paired by `name`; every GT sequence needs a prediction with the same number of
               frames (aligned by index). Extra predicted sequences are ignored.
    gt_names:  evaluate only these GT sequences, in this order (default: all of `gt`, in list order,
               which is also the order of the global AP ranking).
    The other switches: see `EvaluationSettings` (defaults = the official poseval behaviour).
    Raises DataError for missing predictions, frame-count mismatches, prediction track ids that are
    missing, duplicated in a frame or >= 10000, and, when tracking with `drop_last_frame`, sequences
    with a single labelled frame (poseval crashes there).
    """
    settings = EvaluationSettings(
        drop_last_frame=drop_last_frame,
        empty_frame_rule=empty_frame_rule,
        motp=motp,
        carry_over=carry_over,
        tracking=tracking,
    )
    pairs = _pair_sequences(gt, pred, gt_names)
    per_seq_frames: list[list[_FrameResult]] = []
    for g, p in pairs:
        _check_prediction_ids(p, tracking)
        idx = _checked_gt_frames(g, settings)
        frames = []
        for f in idx:
            arrays = _frame_arrays(g.frames[f], p.frames[f], _where(g), f, tracking)
            frames.append(_match_frame(arrays))
        per_seq_frames.append(frames)
    return _assemble(pairs, per_seq_frames, settings)


#: One sequence's AP inputs: scores (N, 15), TP labels (N, 15) bool, has (N, 15) bool over its evaluated
#: frames' predictions in order, and its GT joint counts (15,) int.
_APPart = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _ap_part(frames: list[_FrameResult]) -> _APPart:
    if not frames:
        empty = np.zeros((0, NUM_JOINTS))
        return empty, empty.astype(bool), empty.astype(bool), np.zeros(NUM_JOINTS, dtype=np.int64)
    return (np.concatenate([f.ap_scores for f in frames]), np.concatenate([f.ap_labels for f in frames]),
            np.concatenate([f.arrays.pr_has for f in frames]), np.sum([f.n_gt for f in frames], axis=0))


def _ap_rows(parts: list[_APPart]) -> list[dict[str, float]]:
    """AP, pre, rec, nGT, nPred per joint from sequences' parts in the official concatenation order (§1.5)."""
    if parts:
        scores = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        has = np.concatenate([p[2] for p in parts])
        n_gt = np.sum([p[3] for p in parts], axis=0).astype(np.float64)
    else:
        scores = labels = has = np.zeros((0, NUM_JOINTS))
        n_gt = np.zeros(NUM_JOINTS)
    rows = []
    for j in range(NUM_JOINTS):
        mask = has[:, j].astype(bool)
        ap, pre, rec = average_precision(scores[mask, j], labels[mask, j], n_gt[j])
        rows.append({"AP": ap, "pre": pre, "rec": rec, "nGT": int(n_gt[j]), "nPred": int(mask.sum())})
    return rows


def _ap_per_joint(frames_by_seq: list[list[_FrameResult]]) -> pd.DataFrame:
    """AP, pre, rec, nGT, nPred per joint from frames in the official concatenation order (§1.5)."""
    rows = _ap_rows([_ap_part(frames) for frames in frames_by_seq])
    return pd.DataFrame(rows, index=pd.Index(JOINT_NAMES, name="joint"))


def _mot_rows(counts_by_seq: list[list[dict[str, float]]]) -> list[dict[str, float]]:
    """Counts pooled over sequences per joint, then MOTA/MOTP/Prec/Rec per joint (§2.4)."""
    rows = []
    for j in range(NUM_JOINTS):
        pooled = {k: sum(seq[j][k] for seq in counts_by_seq) for k in _MOT_COUNTS}
        rows.append({**_mot_metrics(pooled), **pooled})
    return rows


def _mot_per_joint(counts_by_seq: list[list[dict[str, float]]]) -> pd.DataFrame:
    """Counts pooled over sequences per joint, then MOTA/MOTP/Prec/Rec per joint (§2.4)."""
    return pd.DataFrame(_mot_rows(counts_by_seq), index=pd.Index(JOINT_NAMES, name="joint"))


def summary_totals(ap_rows: list[dict[str, float]], mot_rows: list[dict[str, float]]) -> dict[str, float]:
    """The Totals of Tables 1 and 2 from per-joint rows, as `evaluate` computes them: mAP (Table 1 Total)
    and MOTA, MOTP, Prec, Rec (Table 2 Totals), each the NaN-skipping mean over the 15 joints."""
    out = {"mAP": _nanmean(r["AP"] for r in ap_rows)}
    for col in ("MOTA", "MOTP", "Prec", "Rec"):
        out[col] = _nanmean(r[col] for r in mot_rows)
    return out


def _nan_mot_per_joint() -> pd.DataFrame:
    cols = ["MOTA", "MOTP", "Prec", "Rec", *_MOT_COUNTS]
    return pd.DataFrame(np.nan, index=pd.Index(JOINT_NAMES, name="joint"), columns=cols)


def _mot_frames(frames: list[_FrameResult], settings: EvaluationSettings) -> list[_FrameResult]:
    return frames[:-1] if settings.drop_last_frame else frames


def _assemble(
    pairs: list[tuple[Sequence, Sequence]],
    frames_by_seq: list[list[_FrameResult]],
    settings: EvaluationSettings,
) -> EvaluationResult:
    ap = _ap_per_joint(frames_by_seq)
    if settings.tracking:
        counts_by_seq = [_mot_sequence(_mot_frames(frames, settings), settings) for frames in frames_by_seq]
        mot = _mot_per_joint(counts_by_seq)
    else:
        counts_by_seq = [[] for _ in frames_by_seq]
        mot = _nan_mot_per_joint()
    per_joint = pd.concat([ap, mot], axis=1)

    table1 = pd.DataFrame([_group_row(per_joint["AP"])], index=["AP"], columns=list(TABLE_COLUMNS))
    mota = _group_row(per_joint["MOTA"])
    totals = [_nanmean(per_joint[c]) for c in ("MOTP", "Prec", "Rec")]
    table2 = pd.DataFrame([[*mota, *totals]], index=["MOT"], columns=list(TABLE2_COLUMNS))

    seq_rows = []
    for frames, counts in zip(frames_by_seq, counts_by_seq, strict=True):
        row: dict[str, float] = {
            "frames": len(frames),
            "gt_persons": int(sum(len(f.arrays.gt_has) for f in frames)),
            "AP Total": _nanmean(_ap_per_joint([frames])["AP"]) if frames else np.nan,
        }
        if settings.tracking and frames:
            per = pd.DataFrame([_mot_metrics(c) for c in counts])
            for col in ("MOTA", "MOTP", "Prec", "Rec"):
                row[f"{col} Total"] = _nanmean(per[col])
        else:
            row.update({f"{c} Total": np.nan for c in ("MOTA", "MOTP", "Prec", "Rec")})
        seq_rows.append(row)
    per_sequence = pd.DataFrame(
        seq_rows,
        index=pd.Index([g.name for g, _ in pairs], name="sequence"),
        columns=["frames", "gt_persons", "AP Total", "MOTA Total", "MOTP Total", "Prec Total", "Rec Total"],
    )
    return EvaluationResult(
        table1=table1,
        table2=table2,
        per_joint=per_joint,
        per_sequence=per_sequence,
        settings=settings,
        sequences=[g.name for g, _ in pairs],
    )


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


def gt_folder(gt_dir: str | Path, split: str = "val") -> Path:
    """The folder of GT files: `gt_dir` itself, or `<gt_dir>/annotations/<split>` for a PoseTrack root."""
    gt_dir = Path(gt_dir)
    nested = gt_dir / "annotations" / split
    if nested.is_dir() and not any(gt_dir.glob("*.json")):
        return nested
    return gt_dir


def evaluate_folders(
    gt_dir: str | Path, pred_dir: str | Path, *, format: str = "auto", **switches
) -> EvaluationResult:
    """`evaluate` on folders of PoseTrack JSON files (one per sequence), matched by file name.

    gt_dir:   a folder of GT files, or a PoseTrack root holding `annotations/val/`.
    pred_dir: a folder with one prediction file per GT file, with the same file name.
    format:   "auto" (each file's own layout), "2017" or "2018" (files in the other layout: DataError).
    switches: `evaluate`'s keyword arguments.
    """
    from posekit.data.posetrack import read_folder, read_sequence

    if format not in ("auto", "2017", "2018"):
        raise ValueError(f"format must be 'auto', '2017' or '2018', got {format!r}")
    gt = read_folder(gt_folder(gt_dir))
    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise DataError(pred_dir, "no such prediction folder")
    preds = []
    for seq in gt:
        name = seq.source.name if seq.source is not None else f"{seq.name}.json"
        path = pred_dir / name
        if not path.is_file():
            raise DataError(path, f"missing prediction file for GT sequence {seq.name!r}")
        preds.append(read_sequence(path))
    if format != "auto":
        for seq in [*gt, *preds]:
            if seq.format != format:
                raise DataError(_where(seq), f"is PoseTrack {seq.format}, but --format {format} was asked")
    return evaluate(gt, preds, **switches)
