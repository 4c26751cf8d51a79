"""Targets of Paper §4: Gaussians (σ=2, peak 1), max-combined heads, ignore mask, joint weights, head mask."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posekit.config import TargetConfig
from posekit.targets import (
    gaussian_heatmap,
    head_mask,
    heatmap_to_input,
    ignore_mask,
    input_to_heatmap,
    joint_in_view,
    multi_person_head_heatmap,
    single_person_targets,
)

SIGMA = TargetConfig().sigma


def _parabola_vertex(lm: float, l0: float, lp: float) -> float:
    """Offset of the vertex of the parabola through (-1, lm), (0, l0), (1, lp)."""
    return (lm - lp) / (2.0 * (lm - 2.0 * l0 + lp))


def test_gaussian_peak_is_one_on_a_pixel_centre():
    hm = gaussian_heatmap(np.array([5.0, 7.0]), 16, 12, SIGMA)
    assert hm.shape == (16, 12) and hm.dtype == np.float32
    assert hm[7, 5] == 1.0  # exp(0), x=5 is column 5, y=7 is row 7
    assert np.unravel_index(hm.argmax(), hm.shape) == (7, 5)
    # one pixel right: exp(-1 / (2 * 2²)) = exp(-0.125) = 0.8824969
    assert hm[7, 6] == pytest.approx(0.8824969, abs=1e-6)


def test_gaussian_peak_at_subpixel_centre():
    cx, cy = 5.3, 7.6
    hm = gaussian_heatmap(np.array([cx, cy]), 16, 12, SIGMA)
    # pixel (row 8, col 5): d² = 0.3² + 0.4² = 0.25 -> exp(-0.25 / 8) = 0.9692332
    assert hm[8, 5] == pytest.approx(0.9692332, abs=1e-6)
    assert np.unravel_index(hm.argmax(), hm.shape) == (8, 5)
    # log of a Gaussian is an exact parabola, so its vertex through 3 pixels is the sub-pixel centre
    lg = np.log(hm.astype(np.float64))
    x_peak = 5 + _parabola_vertex(lg[8, 4], lg[8, 5], lg[8, 6])
    y_peak = 8 + _parabola_vertex(lg[7, 5], lg[8, 5], lg[9, 5])
    assert x_peak == pytest.approx(cx, abs=1e-4)
    assert y_peak == pytest.approx(cy, abs=1e-4)
    # the continuous maximum is 1: value / exp(-d²/2σ²) at the nearest pixel recovers the peak value
    assert hm[8, 5] / math.exp(-0.25 / (2 * SIGMA**2)) == pytest.approx(1.0, abs=1e-6)


def test_gaussian_nan_centre_is_zero():
    assert not gaussian_heatmap(np.array([np.nan, 3.0]), 8, 8, SIGMA).any()


def test_gaussians_of_mixed_centres_zero_exactly_the_missing_ones():
    """Centres with a NaN coordinate (either) give all-zero maps; the others their own Gaussian, whatever
    else is in the batch (the factors of missing centres are zeroed, not the product)."""
    from posekit.targets import _gaussians

    centres = np.array([[2.0, 3.0], [np.nan, np.nan], [np.nan, 4.0], [5.5, np.nan], [6.25, 1.5]])
    g = _gaussians(centres, 8, 10, SIGMA)
    assert g.shape == (5, 8, 10) and g.dtype == np.float32
    assert not g[1:4].any()
    yy, xx = np.mgrid[0:8, 0:10].astype(np.float64)
    for i in (0, 4):
        cx, cy = centres[i]
        expected = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * SIGMA**2))
        # float32 rounding of a float64 value computed two ways (separable vs joint exponent)
        np.testing.assert_allclose(g[i], expected, rtol=4 * np.finfo(np.float32).eps, atol=0)
        np.testing.assert_array_equal(g[i], _gaussians(centres[i:i + 1], 8, 10, SIGMA)[0])


def test_head_heatmap_takes_the_maximum_of_overlapping_heads():
    heads = np.array([[10.0, 10.0], [13.0, 10.0]])
    hm = multi_person_head_heatmap(heads, 20, 24, SIGMA)
    assert hm.shape == (20, 24, 1) and hm.dtype == np.float32
    a = gaussian_heatmap(heads[0], 20, 24, SIGMA)
    b = gaussian_heatmap(heads[1], 20, 24, SIGMA)
    np.testing.assert_array_equal(hm[:, :, 0], np.maximum(a, b))
    # both peaks stay exactly 1 (a sum would give 1 + exp(-9/8) = 1.3247 at each centre)
    assert hm[10, 10, 0] == 1.0 and hm[10, 13, 0] == 1.0
    # between them at x=11: max(exp(-1/8), exp(-4/8)) = 0.8824969, not the sum 1.4890
    assert hm[10, 11, 0] == pytest.approx(0.8824969, abs=1e-6)
    assert hm.max() == 1.0


def test_head_heatmap_without_heads_is_zero():
    hm = multi_person_head_heatmap(np.zeros((0, 2)), 6, 5, SIGMA)
    assert hm.shape == (6, 5, 1) and not hm.any()


def test_ignore_mask_zero_inside_polygon_one_outside():
    square = np.array([[2.0, 2.0], [8.0, 2.0], [8.0, 6.0], [2.0, 6.0]])
    mask = ignore_mask([square], 10, 12)
    assert mask.shape == (10, 12, 1) and mask.dtype == np.float32
    assert mask[4, 5, 0] == 0.0  # inside
    assert mask[0, 0, 0] == 1.0 and mask[7, 5, 0] == 1.0 and mask[4, 9, 0] == 1.0  # outside
    assert mask[2, 5, 0] == 0.0 and mask[4, 8, 0] == 0.0  # centres on the boundary count as inside
    # columns 2..8 (7) × rows 2..6 (5) = 35 ignored pixel centres
    assert int((mask == 0).sum()) == 35


def test_ignore_mask_concave_polygon_and_subpixel_edges():
    # an L shape: the notch (x in (4, 8), y in (1.5, 5)) is outside the polygon
    ell = np.array([[0.5, 0.5], [8.5, 0.5], [8.5, 1.5], [4.5, 1.5], [4.5, 5.5], [0.5, 5.5]])
    mask = ignore_mask([ell], 8, 10)[:, :, 0]
    assert mask[1, 7] == 0.0  # in the horizontal bar
    assert mask[4, 2] == 0.0  # in the vertical bar
    assert mask[4, 7] == 1.0  # in the notch
    assert mask[6, 2] == 1.0 and mask[1, 9] == 1.0  # below / right of it
    # bar: rows 1, columns 1..8 (8); vertical part: rows 2..5, columns 1..4 (16) -> 24
    assert int((mask == 0).sum()) == 24


def test_ignore_mask_skips_degenerate_and_outside_polygons():
    mask = ignore_mask([np.array([[1.0, 1.0], [3.0, 3.0]]), np.array([[20.0, 20], [30, 20], [30, 30]])], 5, 5)
    assert (mask == 1).all()


def test_missing_joints_have_weight_zero():
    joints = np.full((15, 3), np.nan)
    joints[0] = [5.0, 4.0, 1.0]  # annotated, in view
    joints[1] = [6.0, 3.0, 0.0]  # annotated but occluded: still weight 1
    joints[2] = [-0.4, 3.0, 1.0]  # inside the extent [-0.5, w-0.5)
    joints[3] = [-0.6, 3.0, 1.0]  # moved out of the heatmap by augmentation
    joints[4] = [11.5, 3.0, 1.0]  # x = w - 0.5 is outside (w = 12)
    joints[5] = [3.0, 9.6, 1.0]  # y beyond h - 0.5 = 9.5
    heatmaps, weights = single_person_targets(joints, 10, 12, SIGMA)
    assert heatmaps.shape == (10, 12, 15) and heatmaps.dtype == np.float32
    assert weights.dtype == np.float32
    np.testing.assert_array_equal(weights, [1, 1, 1, 0, 0, 0] + [0] * 9)
    assert heatmaps[4, 5, 0] == 1.0 and heatmaps[3, 6, 1] == 1.0
    assert not heatmaps[:, :, 3:].any()  # zero target for every missing joint
    np.testing.assert_array_equal(heatmaps[:, :, 0], gaussian_heatmap(joints[0, :2], 10, 12, SIGMA))


def test_joint_in_view_extent():
    pts = np.array([[-0.5, -0.5], [3.49, 1.0], [3.5, 1.0], [np.nan, 1.0]])
    np.testing.assert_array_equal(joint_in_view(pts, 2, 4), [True, True, False, False])


def test_head_mask_sigma_from_config():
    sigma = TargetConfig().head_mask_sigma
    assert sigma == 4.0  # the integer distance below relies on it
    m = head_mask(np.array([20.0, 10.0]), 24, 40)
    assert m.shape == (24, 40, 1) and m.dtype == np.float32
    assert m[10, 20, 0] == 1.0
    d = int(sigma)
    # value at distance σ is exp(-σ² / 2σ²) = exp(-1/2) = 0.6065307
    for i, j in [(10, 20 + d), (10, 20 - d), (10 + d, 20), (10 - d, 20)]:
        assert m[i, j, 0] == pytest.approx(math.exp(-0.5), abs=1e-6)
    # and it is wider than the σ=2 target: at distance 4 the target has exp(-16/8) = 0.1353353
    assert (gaussian_heatmap(np.array([20.0, 10.0]), 24, 40, SIGMA)[10, 24]
            == pytest.approx(0.1353353, abs=1e-6))


def test_heatmap_input_coordinates():
    stride = 4
    # heatmap pixel 0 pools input pixels 0..3, centre 1.5; heatmap pixel 1 -> 5.5
    np.testing.assert_allclose(heatmap_to_input(np.array([[0.0, 1.0]]), stride), [[1.5, 5.5]])
    # the extents coincide: input -0.5 <-> heatmap -0.5; input 4w-0.5 <-> heatmap w-0.5
    np.testing.assert_allclose(input_to_heatmap(np.array([[-0.5, 895.5]]), stride), [[-0.5, 223.5]])
    pts = np.array([[12.3, 45.6], [np.nan, 1.0]])
    back = heatmap_to_input(input_to_heatmap(pts, stride), stride)
    np.testing.assert_allclose(back, pts)  # NaN stays NaN (assert_allclose treats NaN == NaN)
