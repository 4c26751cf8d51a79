"""IDF1, IDP, IDR per joint with motmetrics' definitions (Ristani et al., ECCV 2016 workshops).

Kernel of `posekit.evaluation`. motmetrics 1.4.0 (`metrics.py`, `id_global_assignment`) counts, per
accumulator, how many frames each GT id and each hypothesis id appear in, and for each (GT id, hypothesis
id) the frames in which their distance was finite (here: normalised distance <= 0.5, the pairs poseval
feeds it). One global one-to-one assignment of GT ids to hypothesis ids maximises the co-occurrences kept
(IDTP); everything else is IDFN (GT appearances) or IDFP (hypothesis appearances):
IDP = IDTP / (IDTP + IDFP), IDR = IDTP / (IDTP + IDFN), IDF1 = 2 IDTP / (#GT + #hypothesis appearances).

Not in poseval (it has no ID measures); choices made here, with reasons:
- one accumulator per joint and sequence, as poseval's MOTA; the counts are pooled over sequences per joint
  (motmetrics' own "OVERALL" rule), and the group and Total columns are means over joints, as Table 2's;
- every evaluated frame counts, including each sequence's last one (poseval drops it for MOTA only
  because of "buggy annotations"), and frames whose GT or prediction side is empty count their real
  misses and false positives: poseval's dummy update would invent a GT id 0 and a hypothesis id 0 there,
  which would collide with real ids in a global identity assignment;
- the ignore regions apply, as for every metric (the frames are the filtered ones).
"""

from __future__ import annotations

import numpy as np

from posekit.evaluation.assignment import linear_sum_assignment
from posekit.evaluation.frames import DIST_THRESH, FrameMatches, GTFrames, PredictionFrames
from posekit.joints import NUM_JOINTS

#: The counts behind IDF1 (`id_objects`/`id_predictions`: GT / hypothesis appearances, motmetrics
#: `num_objects` / `num_predictions`).
ID_COUNTS: tuple[str, ...] = ("idtp", "idfn", "idfp", "id_objects", "id_predictions")


def one_to_one(weights: np.ndarray) -> np.ndarray:
    """Whether each (..., rows, columns) weight matrix (>= 0) has at most one positive entry per row and per
    column: then the best one-to-one assignment keeps every weight (its total is the sum)."""
    present = weights > 0
    return (present.sum(axis=-1) <= 1).all(axis=-1) & (present.sum(axis=-2) <= 1).all(axis=-1)


def max_cooccurrence(weights: np.ndarray) -> float:
    """The largest total weight of a one-to-one assignment of rows to columns (weights >= 0)."""
    if weights.size == 0:
        return 0.0
    if one_to_one(weights):
        return float(weights.sum())
    rows, cols = linear_sum_assignment(-weights)
    return float(weights[rows, cols].sum())


def id_counts(gt: GTFrames, pr: PredictionFrames, matches: FrameMatches) -> list[dict[str, float]]:
    """Per joint (15 dicts, `ID_COUNTS`) of one sequence, over all its evaluated frames."""
    g_ids, g_index = np.unique(gt.ids, return_inverse=True)
    p_ids, p_index = np.unique(pr.ids, return_inverse=True)
    n_g, n_p = len(g_ids), len(p_ids)
    close = matches.pair_dist <= DIST_THRESH
    cell = (matches.pair_joint[close] * n_g + g_index[matches.pair_gt[close]]) * n_p + \
        p_index[matches.pair_pr[close]]
    co = np.bincount(cell, minlength=NUM_JOINTS * n_g * n_p).astype(np.float64).reshape(NUM_JOINTS, n_g, n_p)
    simple = one_to_one(co).tolist()  # those joints keep all their co-occurrences (no solver call)
    totals = co.sum(axis=(1, 2)).tolist()
    n_obj = gt.has.sum(axis=0).tolist()
    n_pred = pr.has.sum(axis=0).tolist()
    out = []
    for j in range(NUM_JOINTS):
        idtp = float(totals[j]) if simple[j] else max_cooccurrence(co[j])
        o, p = float(n_obj[j]), float(n_pred[j])
        out.append({"idtp": idtp, "idfn": o - idtp, "idfp": p - idtp, "id_objects": o, "id_predictions": p})
    return out


def id_metrics(counts: dict[str, float]) -> dict[str, float]:
    """IDF1, IDP, IDR (in %) from (pooled) counts; NaN where the denominator is 0 (motmetrics' quiet
    divide)."""
    def ratio(a: float, b: float) -> float:
        return 100 * a / b if b > 0 else float("nan")

    idtp = counts["idtp"]
    return {
        "IDF1": ratio(2 * idtp, counts["id_objects"] + counts["id_predictions"]),
        "IDP": ratio(idtp, idtp + counts["idfp"]),
        "IDR": ratio(idtp, idtp + counts["idfn"]),
    }


def id_rows(counts_by_seq: list[list[dict[str, float]]]) -> list[dict[str, float]]:
    """Counts pooled over sequences per joint, then IDF1/IDP/IDR per joint."""
    rows = []
    for j in range(NUM_JOINTS):
        pooled = {k: sum(seq[j][k] for seq in counts_by_seq) for k in ID_COUNTS}
        rows.append({**id_metrics(pooled), **pooled})
    return rows
