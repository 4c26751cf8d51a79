"""Keypoint HOTA per joint, as the PoseTrack21 evaluation defines it (Doering et al., CVPR 2022).

Kernel of `posekit.evaluation`. HOTA (Luiten et al., IJCV 2021) computed on keypoints, per joint, the way
PoseTrack21's `hota_pose.py` (class `HOTAeypoints`) and `datasets/posetrack.py` do it:

- similarity of a GT and a predicted joint: S = max(1 - d / 0.5001, 0), d = pixel distance / head size,
  head size = 0.6 x the GT head-box diagonal (the PCKh normalisation); S > 0 iff d < 0.5001;
- per frame and joint, one Hungarian assignment maximising the summed similarity over all GT and all
  predicted persons of the frame (`linear_sum_assignment(-S)`); a pair counts as a true positive at
  localisation threshold α if S >= α - eps, for α = 0.05, 0.10, ..., 0.95;
- DetA = TP / (TP + FN + FP), AssA = the TP-weighted mean over matched (GT id, predicted id) pairs of
  TPA / (TPA + FNA + FPA), where FNA/FPA count the frames in which either id has the joint but they are
  not matched; DetRe/DetPr and AssRe/AssPr likewise; LocA = the mean similarity of the TPs;
  HOTA = sqrt(DetA · AssA); each is reported as the mean over α;
- per sequence, then combined over sequences: detection counts summed, AssA/AssRe/AssPr and LocA
  averaged with the TPs as weights;
- Total: PoseTrack21's extra column: per sequence TP/FN/FP summed over joints and AssA/AssRe/AssPr/LocA
  averaged over joints, then the same combination (so DetA Total pools the joints; HOTA Total is
  sqrt(DetA Total · AssA Total) per α).

`matching="trackeval"` is the HOTA paper's (and trackeval's) assignment instead: per frame and joint the
Hungarian step maximises the similarity weighted by the ids' global alignment score, over the persons that
have the joint. PoseTrack21 has that line commented out; it is kept for the differential test against
trackeval and for users who want the original HOTA.

Where posekit differs from the PoseTrack21 code, on purpose:
- FP and FN in frames without GT or without predictions. `hota_pose.py` adds the *sequence's* total number
  of predicted (resp. GT) joints for each such frame (`num_tracker_joints`, PoseTrack21 issue #10,
  acknowledged as a bug); posekit adds that frame's own joints, as trackeval's HOTA does.
- Which frames and joints: the frames and joints every posekit metric uses (frames whose GT lists a person,
  keypoints strictly inside ignore regions deleted, persons left without keypoints removed). PoseTrack21
  reads `is_labeled` instead and treats a joint at x <= 0 or y <= 0 as absent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posekit.evaluation.assignment import linear_sum_assignment
from posekit.evaluation.frames import FrameMatches, GTFrames, PredictionFrames
from posekit.joints import NUM_JOINTS

#: PoseTrack21's similarity scale: S = max(1 - d / 0.5001, 0) (`HOTAeypoints.distance2sim`).
SIM_DISTANCE: float = 0.5001
#: The localisation thresholds α (`np.arange(0.05, 0.99, 0.05)`, 19 values).
ALPHAS: np.ndarray = np.arange(0.05, 0.99, 0.05)
_EPS = np.finfo("float").eps
HOTA_MATCHING: tuple[str, ...] = ("posetrack21", "trackeval")
#: Per-α arrays of one sequence or of a combination, each (19, 16): 15 joints, then the Total column.
HOTA_FIELDS: tuple[str, ...] = ("HOTA", "DetA", "AssA", "LocA", "DetRe", "DetPr", "AssRe", "AssPr")


def similarity(dist: np.ndarray) -> np.ndarray:
    """PoseTrack21's keypoint similarity from normalised distances (inf -> 0)."""
    return np.maximum((-1 / SIM_DISTANCE) * np.asarray(dist, dtype=np.float64) + 1, 0)


@dataclass
class HOTACounts:
    """The HOTA counts of one sequence or of several combined: (19 α, 16) arrays (15 joints + Total) of
    TP, FN, FP and the TP-weighted sums of AssA, AssRe, AssPr and LocA (divide by TP for the value)."""

    tp: np.ndarray
    fn: np.ndarray
    fp: np.ndarray
    ass_a: np.ndarray
    ass_re: np.ndarray
    ass_pr: np.ndarray
    loc_a: np.ndarray

    @staticmethod
    def zeros() -> HOTACounts:
        return HOTACounts(*(np.zeros((len(ALPHAS), NUM_JOINTS + 1)) for _ in range(7)))

    def __add__(self, other: HOTACounts) -> HOTACounts:
        return HOTACounts(*(getattr(self, f) + getattr(other, f) for f in _COUNT_FIELDS))


_COUNT_FIELDS = ("tp", "fn", "fp", "ass_a", "ass_re", "ass_pr", "loc_a")


def _sequence_counts(tp, n_gt, n_pr, ass_a, ass_re, ass_pr, loc_sum) -> HOTACounts:
    """One sequence's (19, 15) per-joint values -> HOTACounts with PoseTrack21's Total column."""
    fn, fp = n_gt[None, :] - tp, n_pr[None, :] - tp
    div = np.maximum(1, tp)
    a, re, pr = ass_a / div, ass_re / div, ass_pr / div  # per-sequence AssA etc.
    loc = np.maximum(1e-10, loc_sum) / np.maximum(1e-10, tp)  # per-sequence LocA
    def total_sum(x):
        return np.concatenate([x, x.sum(axis=1, keepdims=True)], axis=1)

    def total_mean(x):
        return np.concatenate([x, x.mean(axis=1, keepdims=True)], axis=1)

    tp16 = total_sum(tp)
    return HOTACounts(tp16, total_sum(fn), total_sum(fp), total_mean(a) * tp16, total_mean(re) * tp16,
                      total_mean(pr) * tp16, total_mean(loc) * tp16)


def hota_values(counts: HOTACounts) -> dict[str, np.ndarray]:
    """The HOTA fields (19, 16) of combined counts (PoseTrack21 `combine_sequences` + final fields)."""
    tp, fn, fp = counts.tp, counts.fn, counts.fp
    ass_a = counts.ass_a / np.maximum(1.0, tp)
    det_a = tp / np.maximum(1, tp + fn + fp)
    return {
        "HOTA": np.sqrt(det_a * ass_a),
        "DetA": det_a,
        "AssA": ass_a,
        "LocA": np.maximum(1e-10, counts.loc_a) / np.maximum(1e-10, tp),
        "DetRe": tp / np.maximum(1, tp + fn),
        "DetPr": tp / np.maximum(1, tp + fp),
        "AssRe": counts.ass_re / np.maximum(1.0, tp),
        "AssPr": counts.ass_pr / np.maximum(1.0, tp),
    }


def hota_summary(counts: HOTACounts) -> dict[str, np.ndarray]:
    """Each HOTA field as PoseTrack21 prints it: 100 x the mean over α, (16,) = 15 joints + Total."""
    return {k: 100 * v.mean(axis=0) for k, v in hota_values(counts).items()}


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and lengths of the runs of equal values of sorted `keys`."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return starts, np.diff(np.append(starts, len(keys)))


def _has_repeats(group: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Per pair: does its group contain another pair with the same member?"""
    key = group * (int(member.max()) + 1 if len(member) else 1) + member
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return counts[inverse] > 1


def _rows_added(index: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
    """(size, C) float: out[i] = the sum of the rows (N, C) whose index is i, added in row order (as
    `np.add.at(out, index, rows)` adds them, in one `np.bincount`)."""
    c = rows.shape[1]
    cells = (np.asarray(index)[:, None] * c + np.arange(c)).ravel()
    return np.bincount(cells, np.asarray(rows, dtype=np.float64).ravel(), minlength=size * c).reshape(size, c)


def hota_counts(gt: GTFrames, pr: PredictionFrames, matches: FrameMatches, matching: str = "posetrack21"
                ) -> HOTACounts:
    """The keypoint-HOTA counts of one sequence over all its evaluated frames (see the module docstring)."""
    if matching not in HOTA_MATCHING:
        raise ValueError(f"matching must be one of {HOTA_MATCHING}, got {matching!r}")
    g_ids, g_index = np.unique(gt.ids, return_inverse=True)
    p_ids, p_index = np.unique(pr.ids, return_inverse=True)
    gt_count = _rows_added(g_index, gt.has, len(g_ids))
    pr_count = _rows_added(p_index, pr.has, len(p_ids))
    sim_all = similarity(matches.pair_dist)
    pos = sim_all > 0
    frame, g, p, joint, sim = (matches.pair_frame[pos], matches.pair_gt[pos], matches.pair_pr[pos],
                               matches.pair_joint[pos], sim_all[pos])
    fj = frame * NUM_JOINTS + joint
    order = np.lexsort((p, g, fj))
    frame, g, p, joint, sim, fj = frame[order], g[order], p[order], joint[order], sim[order], fj[order]
    align = None
    if matching == "trackeval":
        align = _global_alignment(fj, g, p, joint, sim, g_index, p_index, gt_count, pr_count)
    contested = _has_repeats(fj, g) | _has_repeats(fj, p)
    chosen = ~contested
    if contested.any():
        starts, lengths = _groups(fj)
        group_contested = np.logical_or.reduceat(contested, starts) if len(starts) else np.zeros(0, bool)
        for s, n in zip(starts[group_contested].tolist(), lengths[group_contested].tolist()):
            rows = slice(s, s + n)
            chosen[rows] = _assign(gt, pr, int(frame[s]), int(joint[s]), g[rows], p[rows], sim[rows], align,
                                   g_index, p_index)
    # Per α: a chosen pair is a TP if S >= α - eps; k = how many thresholds it passes.
    joint, g, p, sim = joint[chosen], g[chosen], p[chosen], sim[chosen]
    k = np.searchsorted(ALPHAS - _EPS, sim, side="right")
    n_a = len(ALPHAS)

    def passing(index: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
        """(size, 19): per index, the (weighted) number of chosen pairs passing each α."""
        hist = np.bincount(index * (n_a + 1) + k, weights, minlength=size * (n_a + 1)).reshape(size, n_a + 1)
        return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]

    tp = passing(joint, NUM_JOINTS).T  # (19, 15)
    loc_sum = passing(joint, NUM_JOINTS, sim).T
    key = (joint * len(g_ids) + g_index[g]) * len(p_ids) + p_index[p]
    keys, inverse = np.unique(key, return_inverse=True)
    mc = passing(inverse, len(keys))  # (K, 19): matches per (joint, GT id, predicted id)
    kj = keys // (len(g_ids) * len(p_ids))
    kg = (keys // len(p_ids)) % len(g_ids)
    kp = keys % len(p_ids)
    gc, pc = gt_count[kg, kj][:, None], pr_count[kp, kj][:, None]
    ass_a = _rows_added(kj, mc * (mc / np.maximum(1, gc + pc - mc)), NUM_JOINTS)
    ass_re = _rows_added(kj, mc * (mc / np.maximum(1, gc)), NUM_JOINTS)
    ass_pr = _rows_added(kj, mc * (mc / np.maximum(1, pc)), NUM_JOINTS)
    return _sequence_counts(tp, gt.has.sum(axis=0), pr.has.sum(axis=0), ass_a.T, ass_re.T, ass_pr.T, loc_sum)


def _assign(gt: GTFrames, pr: PredictionFrames, f: int, j: int, g: np.ndarray, p: np.ndarray, sim: np.ndarray,
            align: np.ndarray | None, g_index: np.ndarray, p_index: np.ndarray) -> np.ndarray:
    """The Hungarian step of one contested frame and joint: which of its pairs are assigned."""
    g0, g1, p0, p1 = int(gt.start[f]), int(gt.start[f + 1]), int(pr.start[f]), int(pr.start[f + 1])
    if align is None:  # PoseTrack21: every GT and predicted person of the frame, similarity only
        rows, cols = np.arange(g0, g1), np.arange(p0, p1)
    else:  # trackeval: the persons that have the joint, similarity x global alignment
        rows, cols = g0 + np.flatnonzero(gt.has[g0:g1, j]), p0 + np.flatnonzero(pr.has[p0:p1, j])
    r_of = {r: i for i, r in enumerate(rows.tolist())}
    c_of = {c: i for i, c in enumerate(cols.tolist())}
    ri = np.array([r_of[x] for x in g.tolist()])
    ci = np.array([c_of[x] for x in p.tolist()])
    score = np.zeros((len(rows), len(cols)))
    score[ri, ci] = sim if align is None else align[j, g_index[g], p_index[p]] * sim
    a_rows, a_cols = linear_sum_assignment(-score)
    assigned = np.zeros(score.shape, dtype=bool)
    assigned[a_rows, a_cols] = True
    return assigned[ri, ci]


def _global_alignment(fj, g, p, joint, sim, g_index, p_index, gt_count, pr_count) -> np.ndarray:
    """trackeval's global alignment score per joint and (GT id, predicted id): the similarity-IoU summed
    over frames / (GT count + predicted count - that sum)."""
    n_g, n_p = gt_count.shape[0], pr_count.shape[0]
    row_sum = np.zeros(len(sim))
    col_sum = np.zeros(len(sim))
    for keys, out in (((fj, g), row_sum), ((fj, p), col_sum)):
        key = keys[0] * (int(keys[1].max()) + 1 if len(sim) else 1) + keys[1]
        _, inverse = np.unique(key, return_inverse=True)
        sums = np.bincount(inverse, weights=sim)
        out[:] = sums[inverse]
    denom = row_sum + col_sum - sim
    iou = np.where(denom > 0 + _EPS, sim / np.where(denom > 0, denom, 1), 0.0)
    potential = np.zeros((NUM_JOINTS, n_g, n_p))
    np.add.at(potential, (joint, g_index[g], p_index[p]), iou)
    with np.errstate(invalid="ignore", divide="ignore"):
        return potential / (gt_count.T[:, :, None] + pr_count.T[:, None, :] - potential)
