"""Average precision per joint, as the official evaluation integrates it (EVALUATION.md §1.5-1.6).

Kernel of `posekit.evaluation`: one global ranking per joint over every frame of every sequence, ties
broken by numpy's default `argsort()[::-1]` on the concatenation order, VOC all-point AP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from posekit.joints import NUM_JOINTS


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


@dataclass
class APInputs:
    """One sequence's AP inputs: scores (N, 15), TP labels (N, 15) bool and has (N, 15) bool of its
    evaluated frames' predicted persons in order, and its GT joint counts n_gt (15,) int."""

    scores: np.ndarray
    labels: np.ndarray
    has: np.ndarray
    n_gt: np.ndarray


def ap_rows(parts: list[APInputs]) -> list[dict[str, float]]:
    """AP, pre, rec, nGT, nPred per joint from sequences' inputs in the official concatenation order."""
    if parts:
        scores = np.concatenate([p.scores for p in parts])
        labels = np.concatenate([p.labels for p in parts])
        has = np.concatenate([p.has for p in parts])
        n_gt = np.sum([p.n_gt for p in parts], axis=0).astype(np.float64)
    else:
        scores = labels = has = np.zeros((0, NUM_JOINTS))
        n_gt = np.zeros(NUM_JOINTS)
    rows = []
    for j in range(NUM_JOINTS):
        mask = has[:, j].astype(bool)
        ap, pre, rec = average_precision(scores[mask, j], labels[mask, j], n_gt[j])
        rows.append({"AP": ap, "pre": pre, "rec": rec, "nGT": int(n_gt[j]), "nPred": int(mask.sum())})
    return rows


def nanmean(values: Iterable[float]) -> float:
    """The mean of the non-NaN values (NaN if there is none), as poseval's Totals."""
    arr = np.asarray(list(values), dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    return float(arr.mean()) if arr.size else float("nan")
