"""Hand-made training batches for the model/training tests: stick figures drawn with OpenCV.

Not a test module (no `test_` prefix): imported by tests/test_train*.py and their subprocess scripts.
Everything is numpy + OpenCV and deterministic by seed; targets follow the paper §4 recipe (σ = 2 px
Gaussians at the heatmap resolution, σ = 4 px head mask), written here independently of posekit.targets so
the model tests do not depend on the input pipeline.
"""

from __future__ import annotations

import cv2
import numpy as np

from posekit.config import Config
from posekit.joints import JOINT_SIDE, NUM_JOINTS, SKELETON

# Joint layout of an upright figure, x and y in units of its height (head_top at y = 0), order of
# posekit.joints.
_TEMPLATE = np.array([
    (-0.10, 1.00), (-0.10, 0.75), (-0.08, 0.50), (0.08, 0.50), (0.10, 0.75), (0.10, 1.00),  # legs
    (-0.32, 0.50), (-0.26, 0.34), (-0.15, 0.20), (0.15, 0.20), (0.26, 0.34), (0.32, 0.50),  # arms
    (0.00, 0.18), (0.00, 0.09), (0.00, 0.00),  # neck, nose, head_top
])
_COLOURS = {"R": (255, 80, 80), "L": (80, 255, 80), "C": (80, 160, 255)}


def _gaussian(center: np.ndarray, h: int, w: int, sigma: float) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w]
    return np.exp(-((xs - center[0]) ** 2 + (ys - center[1]) ** 2) / (2 * sigma**2)).astype(np.float32)


def draw_frame(config: Config, rng: np.random.Generator, persons: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """An input image (H, W, 3) float32 in [-1, 1] with `persons` stick figures, and their joints (15, 2)
    in input pixels."""
    net = config.network
    H, W = net.input_height, net.input_width
    image = np.full((H, W, 3), 40, np.uint8)
    image += rng.integers(0, 20, (H, W, 3), dtype=np.uint8)
    all_joints = []
    slots = rng.permutation(persons)  # figures side by side, never overlapping
    for k in range(persons):
        height = H * rng.uniform(0.55, 0.75)
        cx = W * (slots[k] + 0.5) / persons + rng.uniform(-0.05, 0.05) * W
        top = rng.uniform(0.05, 0.95) * (H - height)
        joints = _TEMPLATE * height + np.array([cx, top]) + rng.normal(0, 0.02 * height, (NUM_JOINTS, 2))
        for a, b in SKELETON:
            colour = _COLOURS[JOINT_SIDE[a] if JOINT_SIDE[a] != "C" else JOINT_SIDE[b]]
            pa, pb = (tuple(int(round(v)) for v in joints[j]) for j in (a, b))
            cv2.line(image, pa, pb, colour, 3, cv2.LINE_AA)
        head = tuple(int(round(v)) for v in (joints[14] + joints[12]) / 2)
        cv2.circle(image, head, max(3, int(0.08 * height)), (230, 230, 230), -1, cv2.LINE_AA)
        all_joints.append(joints)
    return (image.astype(np.float32) - 128.0) / 128.0, all_joints


def to_heatmap(points: np.ndarray, stride: int) -> np.ndarray:
    """Input px -> heatmap px (pixel centres aligned)."""
    return (points + 0.5) / stride - 0.5


def make_samples(config: Config, frames: int = 3, seed: int = 0, missing_joint: int | None = None) -> list:
    """One (x, y, joints_hm) sample per person of interest of `frames` frames with 1-2 figures each.

    x, y unbatched in the posekit.dataset format; joints_hm (15, 2) the person's joints in heatmap px.
    `missing_joint` (if given) is left unannotated (weight 0) for every person.
    """
    rng = np.random.default_rng(seed)
    net, tg = config.network, config.targets
    h, w, s = net.heatmap_height, net.heatmap_width, net.heatmap_stride
    samples = []
    for f in range(frames):
        image, people = draw_frame(config, rng, persons=1 + f % 2)
        heads = [to_heatmap((j[14] + j[12]) / 2, s) for j in people]
        head_heatmap = np.max([_gaussian(c, h, w, tg.sigma) for c in heads], axis=0)[..., None]
        for p, joints in enumerate(people):
            jh = to_heatmap(joints, s)
            weights = np.ones(NUM_JOINTS, np.float32)
            if missing_joint is not None:
                weights[missing_joint] = 0.0
            joint_heatmaps = np.stack([_gaussian(c, h, w, tg.sigma) * wt for c, wt in zip(jh, weights)], -1)
            x = {"image": image, "head_mask": _gaussian(heads[p], h, w, tg.head_mask_sigma)[..., None]}
            y = {
                "head_heatmap": head_heatmap,
                "loss_mask": np.ones((h, w, 1), np.float32),
                "joint_heatmaps": joint_heatmaps,
                "joint_weights": weights,
            }
            samples.append((x, y, jh))
    return samples


class FigureBatches:
    """Batches of `config.train.batch_size` cycling through `samples`; batch i is a function of i only."""

    def __init__(self, config: Config, samples: list, nan_at: int | None = None):
        self.samples, self.batch_size, self.nan_at = samples, config.train.batch_size, nan_at

    def __len__(self) -> int:
        return 1_000_000

    def __getitem__(self, i: int):
        picked = [self.samples[(i * self.batch_size + b) % len(self.samples)] for b in range(self.batch_size)]
        x = {k: np.stack([p[0][k] for p in picked]) for k in picked[0][0]}
        y = {k: np.stack([p[1][k] for p in picked]) for k in picked[0][1]}
        if self.nan_at is not None and i == self.nan_at:  # a broken target: the loss of this batch is NaN
            y["head_heatmap"] = np.full_like(y["head_heatmap"], np.nan)
        return x, y


# ---------------------------------------------------------------------------------------------
# The generator itself (so the training tests stand on checked data)


def test_samples_have_targets_at_the_drawn_joints():
    from posekit.config import get_profile

    config = get_profile("tiny")
    samples = make_samples(config, frames=2, seed=5, missing_joint=3)
    assert len(samples) == 3  # frame 0: one figure, frame 1: two figures -> one sample per person
    for x, y, jh in samples:
        assert x["image"].shape == (128, 224, 3) and -1.0 <= x["image"].min() and x["image"].max() <= 1.0
        for j in range(15):
            if j == 3:  # the unannotated joint: weight 0, empty heatmap
                assert y["joint_weights"][j] == 0 and not y["joint_heatmaps"][..., j].any()
                continue
            peak = np.unravel_index(y["joint_heatmaps"][..., j].argmax(), (32, 56))
            # The Gaussian's brightest pixel is the pixel nearest the joint (heatmap px).
            assert (peak[0], peak[1]) == (int(round(jh[j, 1])), int(round(jh[j, 0])))
        # Head mask (σ = 4) peaks on this person's head centre, the head heatmap has one peak per person.
        head = (jh[14] + jh[12]) / 2
        mpeak = np.unravel_index(x["head_mask"][..., 0].argmax(), (32, 56))
        assert abs(mpeak[0] - head[1]) <= 0.5 + 1e-9 and abs(mpeak[1] - head[0]) <= 0.5 + 1e-9
        assert y["head_heatmap"][int(round(head[1])), int(round(head[0])), 0] > 0.8


def test_batches_are_a_function_of_the_index():
    from posekit.config import get_profile

    config = get_profile("tiny")
    batches = FigureBatches(config, make_samples(config, frames=3), nan_at=2)
    a, b = batches[1], batches[1]
    np.testing.assert_array_equal(a[0]["image"], b[0]["image"])
    assert a[0]["image"].shape == (4, 128, 224, 3) and a[1]["joint_weights"].shape == (4, 15)
    assert np.isnan(batches[2][1]["head_heatmap"]).all() and not np.isnan(batches[3][1]["head_heatmap"]).any()
