"""Overfitting a handful of hand-drawn frames at the `tiny` profile (paper §2, §4): the two-component
network and its loss can fit, and argmax decoding of the final single-person heatmaps finds the joints."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def _rows(run: Path) -> list[dict]:
    with open(run / "losses.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_overfit_tiny_loss_falls_and_joints_decode_near_truth(overfit_tiny):
    # Four hand-drawn samples (3 frames, one with two figures: the head mask picks the person) in one batch,
    # trained by the session fixture `overfit_tiny` (tests/conftest.py: 250 iterations at lr 1e-3).
    config, samples, batches, result = (overfit_tiny.config, overfit_tiny.samples, overfit_tiny.batches,
                                        overfit_tiny.result)
    assert len(samples) == 4 and config.train.log_every == 10
    rows = _rows(overfit_tiny.run)
    first = float(rows[0]["head_loss"]) + float(rows[0]["pose_loss"])
    last = float(rows[-1]["head_loss"]) + float(rows[-1]["pose_loss"])
    assert last <= 0.2 * first, (first, last)  # the data loss falls by >= 80 %
    # Decode the final single-person heatmaps by argmax: each joint within a few heatmap pixels of the truth.
    x, _ = batches[0]
    heatmaps = np.asarray(result.model(x)["single_person_heatmaps"])  # (4, 32, 56, 15)
    decoded = []
    for b in range(4):
        flat = heatmaps[b].reshape(-1, 15).argmax(axis=0)
        py, px = np.unravel_index(flat, heatmaps.shape[1:3])
        decoded.append(np.stack([px, py], axis=1))  # (15, 2) heatmap px
    dists = np.concatenate([np.hypot(*(d - s[2]).T) for d, s in zip(decoded, samples)])
    assert np.median(dists) <= 1.5, np.round(dists, 1)
    assert np.mean(dists <= 3.0) >= 0.9, np.round(dists, 1)
    # Samples 1 and 2 share one image with two figures; only the head mask differs. Each decodes onto
    # its own person: every joint is nearer to its own figure's joint than to the other figure's.
    for own, other in ((1, 2), (2, 1)):
        d_own = np.hypot(*(decoded[own] - samples[own][2]).T)
        d_other = np.hypot(*(decoded[own] - samples[other][2]).T)
        assert np.all(d_own < d_other), (own, np.round(d_own, 1), np.round(d_other, 1))
