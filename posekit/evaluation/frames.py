"""One sequence's evaluated frames as arrays, and the official per-frame PCKh matching
(EVALUATION.md §1.1-1.4).

Kernel of `posekit.evaluation`: everything here is a pure function of arrays and schema objects (no file
reading). The frames of one sequence are concatenated along a person axis with offsets per frame, so the
distances and the pose assignment of a whole sequence are a handful of numpy operations:

- `gt_frames`: the GT side of the evaluated frames (ignore-region filtering, head sizes, track ids);
- `prediction_frames`: the prediction side (the same filtering, the poseval score fallback);
- `match_frames`: normalised joint distances, poseval's greedy PCKh pose assignment and AP labels, and
  the joint pairs close enough to matter for the tracking metrics (MOT, IDF1, HOTA).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from posekit.data.schema import Frame, Sequence
from posekit.errors import DataError
from posekit.joints import NUM_JOINTS

#: poseval `distThresh` (evaluateAP.py L40, evaluateTracking.py L206): a joint is correct if dist <= 0.5.
DIST_THRESH: float = 0.5
#: poseval `getHeadSize`: head size = 0.6 x head-box diagonal (eval_helpers.py L77-79).
HEAD_SIZE_FACTOR: float = 0.6
#: poseval `MAX_TRACK_ID`: track ids must be below it (eval_helpers.py L10).
MAX_TRACK_ID: int = 10000
#: poseval `MIN_SCORE`: the score of a predicted keypoint that has none (eval_helpers.py L9).
MIN_SCORE: float = -9999.0
#: Joint pairs kept by `match_frames` for the tracking metrics: every pair with a positive keypoint-HOTA
#: similarity (distance < 0.5001, `hota.SIM_DISTANCE`), a superset of the MOT pairs (distance <= 0.5).
PAIR_CUT: float = 0.5002


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


def filter_points(xy: np.ndarray, regions: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
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


def head_size(box: np.ndarray) -> float:
    """poseval `getHeadSize`, computed the same way: 0.6 * ||(x2, y2) - (x1, y1)||."""
    return float(HEAD_SIZE_FACTOR * np.linalg.norm(np.subtract([box[2], box[3]], [box[0], box[1]])))


def frame_regions(gt_frame: Frame) -> list[np.ndarray]:
    """The non-empty ignore regions of a GT frame."""
    return [r for r in gt_frame.ignore_regions if len(r)]


def persons_xy(persons: list) -> np.ndarray:
    """(P, 15, 2) joint x, y of `persons` (absent joints NaN)."""
    if not persons:
        return np.zeros((0, NUM_JOINTS, 2))
    return np.stack([p.joints[:, :2] for p in persons])


# --------------------------------------------------------------------------------------------------
# The GT and prediction sides of one sequence
# --------------------------------------------------------------------------------------------------


def _offsets(counts: list[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)


@dataclass
class GTFrames:
    """The GT side of one sequence's evaluated frames after ignore-region filtering (NG persons in all).

    frames:    the evaluated frame indices in the sequence (F of them);
    start:     (F + 1,) offsets: frame k's persons are rows start[k]:start[k + 1];
    xy (NG, 15, 2), has (NG, 15) bool, head_size (NG,), ids (NG,) int (-1: no track id);
    regions:   per evaluated frame, its ignore regions (what the predictions are filtered with).
    """

    frames: list[int]
    start: np.ndarray
    xy: np.ndarray
    has: np.ndarray
    head_size: np.ndarray
    ids: np.ndarray
    regions: list[list[np.ndarray]]

    @property
    def n_frames(self) -> int:
        return len(self.frames)


def gt_frames(seq: Sequence, frames: list[int], where: str, tracking: bool) -> GTFrames:
    """The GT side of `frames` of `seq` (§1.1-1.2). DataError for a GT person with joints but no head box,
    and (when tracking) for a GT person without a track id or a track id repeated in a frame."""
    persons_all = [p for f in frames for p in seq.frames[f].persons]
    bounds = _offsets([len(seq.frames[f].persons) for f in frames]).tolist()
    regions_all = [frame_regions(seq.frames[f]) for f in frames]
    # One stack for the whole sequence; only frames with ignore regions are filtered on their own.
    _, xy = filter_points(persons_xy(persons_all), [])
    rows, kept = _filter_frames(xy, bounds, regions_all)
    counts = [len(k) for k in kept]
    if rows is not None:
        persons = [persons_all[r] for r in rows]
        xy = xy[rows]
    else:
        persons = persons_all
    has = np.isfinite(xy[:, :, 0])
    start = _offsets(counts)
    boxes = np.full((len(persons), 4), np.nan)
    for r, person in enumerate(persons):
        if person.head_box is not None:
            boxes[r] = person.head_box
    box_ok = np.isfinite(boxes).all(axis=1)
    ids = np.array([-1 if p.track_id is None else int(p.track_id) for p in persons], dtype=np.int64)
    problem = bool((~box_ok & has.any(axis=1)).any())
    if tracking and not problem:
        missing = any(p.track_id is None for p in persons)
        frame_of = np.repeat(np.arange(len(counts)), counts)
        order = np.lexsort((ids, frame_of))
        f_sorted, i_sorted = frame_of[order], ids[order]
        problem = missing or bool(((f_sorted[1:] == f_sorted[:-1]) & (i_sorted[1:] == i_sorted[:-1])).any())
    if problem:  # name the first problem exactly as the frame-by-frame check does
        _raise_gt_problem(frames, where, tracking, persons, has, start)
    return GTFrames(
        frames=list(frames),
        start=start,
        xy=xy,
        has=has,
        head_size=head_sizes(boxes, box_ok),
        ids=ids,
        regions=regions_all,
    )


def _filter_frames(xy: np.ndarray, bounds: list[int], regions_by_frame: list[list[np.ndarray]]
                   ) -> tuple[list[int] | None, list[np.ndarray]]:
    """`filter_points` on the frames of a stack that have ignore regions (frame k: rows
    bounds[k]:bounds[k + 1] of xy, whose deleted joints are set to NaN in place). Returns (the stack's rows
    that survive, None when no frame has regions; per frame the indices of its surviving persons)."""
    kept_all = [np.arange(b - a) for a, b in zip(bounds, bounds[1:])]
    if not any(regions_by_frame):
        return None, kept_all
    rows: list[int] = []
    for k, regions in enumerate(regions_by_frame):
        a, b = bounds[k], bounds[k + 1]
        if regions:
            kept, sub = filter_points(xy[a:b], regions)
            xy[a + kept] = sub
            kept_all[k] = kept
            rows.extend((a + kept).tolist())
        else:
            rows.extend(range(a, b))
    return rows, kept_all


def head_sizes(boxes: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """`head_size` of each valid (N, 4) box (NaN elsewhere), computed with the same operations: the
    difference (x2 - x1, y2 - y1), its dot product with itself (BLAS, as `np.linalg.norm` does), the square
    root, times 0.6."""
    diff = boxes[:, 2:4] - boxes[:, 0:2]
    out = np.full(len(boxes), np.nan)
    for r in np.flatnonzero(valid).tolist():
        d = diff[r]
        out[r] = HEAD_SIZE_FACTOR * np.sqrt(d.dot(d))
    return out


def _raise_gt_problem(frames: list[int], where: str, tracking: bool, persons: list, has: np.ndarray,
                      start: np.ndarray) -> None:
    """Raise the DataError of the first GT problem in frame order (`gt_frames` found one); persons, has:
    the filtered persons of every frame (rows start[k]:start[k + 1] of frame k)."""
    for k, f in enumerate(frames):
        frame_persons = persons[start[k]:start[k + 1]]
        for g, person in enumerate(frame_persons):
            box = person.head_box
            if not (box is not None and np.all(np.isfinite(box))) and has[start[k] + g].any():
                raise DataError(where, f"GT person {g} has joints but no head box (needed for PCKh)", f)
            if person.track_id is None and tracking:
                raise DataError(where, f"GT person {g} has no track_id (needed for MOTA)", f)
        if tracking and len({p.track_id for p in frame_persons}) != len(frame_persons):
            raise DataError(where, "duplicate GT track_id in one frame", f)
    raise AssertionError("gt_frames found a problem that the frame-by-frame check does not")


@dataclass
class PredictionFrames:
    """The prediction side of one sequence's evaluated frames after ignore-region filtering (NP persons).

    start (F + 1,) offsets per evaluated frame; xy (NP, 15, 2), has (NP, 15), scores (NP, 15) (the poseval
    fallback -9999 where a present joint had none), ids (NP,) int (-1: none);
    kept: per evaluated frame, the indices of the frame's predicted persons that survived the filtering.
    """

    start: np.ndarray
    xy: np.ndarray
    has: np.ndarray
    scores: np.ndarray
    ids: np.ndarray
    kept: list[np.ndarray]


def prediction_frames(gt: GTFrames, poses: list[tuple[np.ndarray, np.ndarray, np.ndarray]], where: str
                      ) -> PredictionFrames:
    """The prediction side from, per evaluated frame, (xy (P, 15, 2), scores (P, 15) with NaN = no score,
    ids (P,) int with -1 = none). Warns once when a present joint has no score (poseval's -9999)."""
    counts = [len(np.asarray(ids).reshape(-1)) for _, _, ids in poses]
    if poses:
        xy = np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1, NUM_JOINTS, 2) for a, _, _ in poses])
        scores = np.concatenate([np.asarray(a, np.float64).reshape(-1, NUM_JOINTS) for _, a, _ in poses])
        ids = np.concatenate([np.asarray(a, dtype=np.int64).reshape(-1) for _, _, a in poses])
    else:
        xy, scores, ids = np.zeros((0, NUM_JOINTS, 2)), np.zeros((0, NUM_JOINTS)), np.zeros(0, dtype=np.int64)
    return stacked_prediction_frames(gt, xy, scores, ids, counts, where)


def stacked_prediction_frames(gt: GTFrames, xy: np.ndarray, scores: np.ndarray, ids: np.ndarray,
                              counts: list[int], where: str) -> PredictionFrames:
    """`prediction_frames` from the persons of every evaluated frame stacked: xy (P, 15, 2), scores (P, 15)
    (NaN = no score), ids (P,) (-1 = none), counts: persons per evaluated frame (in `gt.frames` order)."""
    if len(counts) != gt.n_frames:
        raise ValueError(f"{len(counts)} prediction frames for {gt.n_frames} evaluated GT frames")
    _, xy = filter_points(xy, [])  # a joint with one non-finite coordinate is absent
    scores = np.asarray(scores, dtype=np.float64).reshape(-1, NUM_JOINTS)
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    rows, kept_all = _filter_frames(xy, _offsets(counts).tolist(), gt.regions)
    if rows is not None:
        xy, scores, ids = xy[rows], scores[rows], ids[rows]
    has = np.isfinite(xy[:, :, 0])
    missing = has & ~np.isfinite(scores)
    if missing.any():
        warnings.warn(
            f"{where}: prediction score is missing; using the poseval fallback score {MIN_SCORE:g}",
            stacklevel=3,
        )
        scores = scores.copy()
        scores[missing] = MIN_SCORE
    return PredictionFrames(_offsets([len(k) for k in kept_all]), xy, has, scores, ids, kept_all)


def frame_poses(frame: Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xy (P, 15, 2), scores (P, 15) NaN = none, ids (P,) -1 = none) of a prediction frame's persons."""
    return sequence_poses([frame])[:3]


def sequence_poses(frames: list[Frame]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """`frame_poses` of several frames stacked: (xy (P, 15, 2), scores (P, 15), ids (P,), persons per
    frame), the input of `stacked_prediction_frames`."""
    persons = [p for frame in frames for p in frame.persons]
    counts = [len(frame.persons) for frame in frames]
    if all(p.scores is not None for p in persons):
        scores = np.stack([p.scores for p in persons]) if persons else np.zeros((0, NUM_JOINTS))
    else:
        scores = np.full((len(persons), NUM_JOINTS), np.nan)
        for k, person in enumerate(persons):
            if person.scores is not None:
                scores[k] = person.scores
    ids = np.array([-1 if p.track_id is None else int(p.track_id) for p in persons], dtype=np.int64)
    return persons_xy(persons), scores, ids, counts


# --------------------------------------------------------------------------------------------------
# The per-frame matching of a whole sequence
# --------------------------------------------------------------------------------------------------


@dataclass
class FrameMatches:
    """What the evaluated frames of one sequence contribute (P = predicted persons, all frames).

    labels (NP, 15) bool: the AP label of every predicted joint (True: matched and within the threshold);
    n_gt (15,): GT joints; pairs: the joint pairs with distance < `PAIR_CUT`, as parallel arrays
    pair_frame (evaluated-frame index), pair_gt (GT row), pair_pr (prediction row), pair_joint, pair_dist,
    ordered by frame, prediction, GT, joint.
    """

    labels: np.ndarray
    n_gt: np.ndarray
    pair_frame: np.ndarray
    pair_gt: np.ndarray
    pair_pr: np.ndarray
    pair_joint: np.ndarray
    pair_dist: np.ndarray


def _segment_first_max(values: np.ndarray, starts: np.ndarray,
                       lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per contiguous segment (starts, lengths > 0): its maximum and the index of its first maximum."""
    seg_max = np.maximum.reduceat(values, starts)
    seg = np.repeat(np.arange(len(starts)), lengths)
    pos = np.where(values == seg_max[seg], np.arange(len(values)), len(values))
    return seg_max, np.minimum.reduceat(pos, starts)


def match_frames(gt: GTFrames, pr: PredictionFrames) -> FrameMatches:
    """Distances, the PCKh pose assignment and the AP labels of every evaluated frame (§1.2-1.4).

    Per frame with GT and predictions: dist[p, g, j] = ||pred - gt|| / head size (inf unless both have
    joint j); PCKh[p, g] = #(dist <= 0.5) / #GT joints (the raw count for a GT without joints); each
    prediction keeps its best GT only (first on ties); each GT takes its best remaining prediction (first
    on ties, none if 0). The labels of a matched prediction are its within-threshold joints.
    """
    n_pr = len(pr.has)
    labels = np.zeros((n_pr, NUM_JOINTS), dtype=bool)
    n_gt = gt.has.sum(axis=0).astype(np.int64)
    n_g = np.diff(gt.start)
    n_p = np.diff(pr.start)
    n_pairs = n_g * n_p
    total = int(n_pairs.sum())
    empty_i = np.zeros(0, dtype=np.int64)
    if total == 0:
        return FrameMatches(labels, n_gt, empty_i, empty_i, empty_i, empty_i, np.zeros(0))
    frame_of = np.repeat(np.arange(len(n_pairs)), n_pairs)
    k = np.arange(total) - np.repeat(_offsets(n_pairs.tolist())[:-1], n_pairs)
    g_count = n_g[frame_of]
    p = pr.start[:-1][frame_of] + k // g_count
    g = gt.start[:-1][frame_of] + k % g_count
    diff = pr.xy[p] - gt.xy[g]  # (N, 15, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        dist = np.sqrt(diff[..., 0] ** 2 + diff[..., 1] ** 2) / gt.head_size[g][:, None]
    both = pr.has[p] & gt.has[g]
    dist[~both] = np.inf
    _exact_near_threshold(dist, gt, pr, p, g)
    match = dist <= DIST_THRESH
    n_gtp = gt.has.sum(axis=1)[g]
    count = match.sum(axis=1).astype(np.float64)
    pck = np.where(n_gtp > 0, count / np.maximum(n_gtp, 1), count)
    # Each prediction keeps its best GT: segments of consecutive pairs with the same prediction.
    p_starts = np.flatnonzero(k % g_count == 0)
    p_best, p_first = _segment_first_max(pck, p_starts, g_count[p_starts])
    keep = np.zeros(total)
    keep[p_first] = p_best
    # Each GT takes its best prediction: the pairs ordered by GT, then prediction.
    order = np.lexsort((p, g))
    g_sorted = g[order]
    g_starts = np.flatnonzero(np.concatenate([[True], g_sorted[1:] != g_sorted[:-1]]))
    g_lengths = np.diff(np.append(g_starts, total))
    g_best, g_first = _segment_first_max(keep[order], g_starts, g_lengths)
    chosen = order[g_first[g_best > 0]]
    labels[p[chosen]] = match[chosen]
    rows, joints = np.nonzero(dist < PAIR_CUT)
    return FrameMatches(labels, n_gt, frame_of[rows], g[rows], p[rows], joints, dist[rows, joints])


def _exact_near_threshold(dist: np.ndarray, gt: GTFrames, pr: PredictionFrames, p: np.ndarray, g: np.ndarray
                          ) -> None:
    """Recompute distances within 1e-9 of the threshold exactly as poseval does (np.linalg.norm / size).

    The vectorised sqrt(dx^2 + dy^2) can differ from poseval's expression in the last bit, which would
    flip `dist <= 0.5` for a joint exactly 0.3 x head diagonal away.
    """
    near = np.argwhere(np.isfinite(dist) & (np.abs(dist - DIST_THRESH) <= 1e-9))
    for n, j in near:
        point_gt = [gt.xy[g[n], j, 0], gt.xy[g[n], j, 1]]
        point_pr = [pr.xy[p[n], j, 0], pr.xy[p[n], j, 1]]
        dist[n, j] = np.linalg.norm(np.subtract(point_gt, point_pr)) / gt.head_size[g[n]]
