"""Letterbox (Paper §2.1) and the random augmentation of Paper §4: one matrix for image and points."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from posekit.augment import (
    AugmentParams,
    augment_sample,
    augmentation_matrix,
    intensity_bounds,
    normalize_intensity,
    sample_augmentation,
)
from posekit.config import AugmentConfig, NetworkConfig, get_profile
from posekit.geometry import PAD_VALUE, compose, invert_affine, letterbox, letterbox_matrix, transform_points
from posekit.joints import JOINT_INDEX, flip_permutation

TINY = get_profile("tiny")
NET = TINY.network  # 224 × 128 input


def _centroid(weights: np.ndarray) -> np.ndarray:
    """(x, y) intensity centroid of a non-negative (H, W) image."""
    ys, xs = np.indices(weights.shape)
    total = weights.sum()
    return np.array([(xs * weights).sum() / total, (ys * weights).sum() / total])


# ---------------------------------------------------------------------------------------------
# Letterbox


def test_letterbox_matrix_maps_known_point_and_back():
    # PoseTrack-sized 1280×720 into 896×512: s = min(0.7, 0.7111) = 0.7, content 896×504, pad_y = 4
    M = letterbox_matrix(1280, 720, 896, 512)
    np.testing.assert_allclose(M, [[0.7, 0, -0.15], [0, 0.7, 3.85]])
    # (100, 200) -> (0.7 * 100.5 - 0.5, 0.7 * 200.5 - 0.5 + 4) = (69.85, 143.85)
    p = transform_points(np.array([[100.0, 200.0]]), M)
    np.testing.assert_allclose(p, [[69.85, 143.85]], atol=1e-9)
    back = transform_points(p, invert_affine(M))
    assert np.abs(back - [[100.0, 200.0]]).max() < 0.5
    np.testing.assert_allclose(back, [[100.0, 200.0]], atol=1e-9)
    # the image centre maps to the input centre, the extents onto the (padded) input extent
    np.testing.assert_allclose(transform_points(np.array([[639.5, 359.5]]), M), [[447.5, 255.5]])
    np.testing.assert_allclose(transform_points(np.array([[-0.5, -0.5], [1279.5, 719.5]]), M),
                               [[-0.5, 3.5], [895.5, 507.5]])


def test_letterbox_matrix_tall_image_pads_x():
    # 100×400 into 224×128: s = min(2.24, 0.32) = 0.32, content 32 px wide, pad_x = (224 - 32) / 2 = 96
    M = letterbox_matrix(100, 400, 224, 128)
    np.testing.assert_allclose(M, [[0.32, 0, 0.16 - 0.5 + 96], [0, 0.32, 0.16 - 0.5]])


def test_letterbox_image_lands_where_the_matrix_says():
    image = np.zeros((720, 1280, 3), dtype=np.uint8)
    image[196:206, 96:106] = 255  # a 10×10 square, centre (100.5, 200.5)
    out, M = letterbox(image, 896, 512)
    assert out.shape == (512, 896, 3) and out.dtype == np.uint8
    # (0.7 * 101 - 0.5, 0.7 * 201 + 3.5) = (70.2, 144.2)
    expected = transform_points(np.array([100.5, 200.5]), M)
    np.testing.assert_allclose(expected, [70.2, 144.2])
    blob = out[:, :, 0].astype(np.float64)
    blob[blob == PAD_VALUE] = 0
    assert np.abs(_centroid(blob) - expected).max() <= 0.5
    # centred padding: content spans y in [3.5, 507.5], so rows 0..3 and 508..511 are pure padding
    assert (out[:4] == PAD_VALUE).all() and (out[508:] == PAD_VALUE).all()
    assert (out[4:508] != PAD_VALUE).all()


def test_transform_points_keeps_nan():
    M = letterbox_matrix(640, 480, 224, 128)
    out = transform_points(np.array([[np.nan, np.nan], [1.0, 2.0]]), M)
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()


# ---------------------------------------------------------------------------------------------
# Intensities


def test_normalize_intensity_maps_to_minus_one_one():
    v = np.array([[[0, 128, 255]]], dtype=np.uint8)
    out = normalize_intensity(v)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[[-1.0, 0.0, 127 / 128]]])  # (v - 128) / 128


def test_intensity_range_after_augmentation():
    cfg = TINY.augment
    lo, hi = intensity_bounds(cfg)
    # ((0 - 128) / 128 - 0.25) * 1.25 = -1.5625 ; ((255 - 128) / 128 + 0.25) * 1.25 = 1.552734375
    assert (lo, hi) == pytest.approx((-1.5625, 1.552734375))
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    image[:, 32:] = 255
    joints = np.full((15, 3), np.nan)
    rng = np.random.default_rng(0)
    seen_lo, seen_hi = np.inf, -np.inf
    for _ in range(200):
        params = sample_augmentation(rng, cfg)
        out, *_ = augment_sample(image, joints, np.zeros((0, 2)), [], params, NET, cfg)
        assert out.dtype == np.float32
        assert out.min() >= lo - 1e-6 and out.max() <= hi + 1e-6
        seen_lo, seen_hi = min(seen_lo, out.min()), max(seen_hi, out.max())
    assert seen_lo < -1.4 and seen_hi > 1.4  # the draws reach beyond [-1, 1], towards the bounds
    extreme = AugmentParams(intensity_shift=cfg.intensity_shift[0], intensity_scale=cfg.intensity_scale[1])
    out, *_ = augment_sample(image, joints, np.zeros((0, 2)), [], extreme, NET, cfg)
    assert out.min() == pytest.approx(lo)  # black pixels hit the lower bound exactly


# ---------------------------------------------------------------------------------------------
# Sampling


def test_sampled_parameters_stay_inside_and_cover_the_paper_ranges():
    cfg = get_profile("paper").augment
    rng = np.random.default_rng(123)
    draws = [sample_augmentation(rng, cfg) for _ in range(20000)]
    for name, (low, high) in [
        ("rotation_deg", cfg.rotation_deg),
        ("scale", cfg.scale),
        ("tx", cfg.translation_px),
        ("ty", cfg.translation_px),
        ("intensity_shift", cfg.intensity_shift),
        ("intensity_scale", cfg.intensity_scale),
    ]:
        values = np.array([getattr(d, name) for d in draws])
        assert values.min() >= low and values.max() <= high, name
        # 20000 uniform draws: the extremes lie within 0.1 % of the width of the ends (P(miss) ~ e^-20)
        width = high - low
        assert values.min() < low + 0.001 * width and values.max() > high - 0.001 * width, name
        # and the middle is as full as the ends (uniform): each quarter holds 25 % ± 2 %
        quarters = np.histogram(values, bins=4, range=(low, high))[0] / len(values)
        assert np.all(np.abs(quarters - 0.25) < 0.02), name
    mirrored = np.mean([d.mirror for d in draws])
    assert 0.48 < mirrored < 0.52
    no_mirror = dataclasses.replace(cfg, mirror=False)
    assert not any(sample_augmentation(rng, no_mirror).mirror for _ in range(200))


def test_geometric_range_narrows_rotation_and_scale_only():
    """`geometric_range` f: rotation f x the draw, scale 1 + f x (draw - 1); the other draws (same rng
    order) are unchanged, so f = 0.5 equals the paper's ranges halved and f = 0 turns both off."""
    paper = get_profile("paper").augment
    draws = {}
    for f in (1.0, 0.5, 0.0):
        rng = np.random.default_rng(7)
        cfg = dataclasses.replace(paper, geometric_range=f)
        draws[f] = [sample_augmentation(rng, cfg) for _ in range(500)]
    for full, half, off in zip(draws[1.0], draws[0.5], draws[0.0], strict=True):
        assert half.rotation_deg == pytest.approx(0.5 * full.rotation_deg, abs=1e-12)
        assert half.scale == pytest.approx(1 + 0.5 * (full.scale - 1), abs=1e-12)
        assert (off.rotation_deg, off.scale) == (0.0, 1.0)
        assert (off.mirror, off.tx, off.ty, off.intensity_shift) == (full.mirror, full.tx, full.ty,
                                                                      full.intensity_shift)
    rotations = np.array([d.rotation_deg for d in draws[0.5]])
    assert rotations.min() >= -22.5 and rotations.max() <= 22.5 and rotations.max() > 20


def test_paper_ranges_in_config():
    cfg = get_profile("paper").augment
    assert cfg.rotation_deg == (-45.0, 45.0) and cfg.scale == (0.5, 1.5) and cfg.geometric_range == 1.0
    assert cfg.translation_px == (-100.0, 100.0)
    assert cfg.intensity_shift == (-0.25, 0.25) and cfg.intensity_scale == (0.75, 1.25)


# ---------------------------------------------------------------------------------------------
# Geometry


def test_augmentation_matrix_about_the_input_centre():
    w, h = 224, 128
    c = np.array([111.5, 63.5])  # ((224 - 1) / 2, (128 - 1) / 2)
    rot = augmentation_matrix(AugmentParams(rotation_deg=90.0), w, h)
    np.testing.assert_allclose(transform_points(c, rot), c, atol=1e-9)
    # +90°: a point 10 px right of the centre goes 10 px below it (clockwise on screen, y down)
    np.testing.assert_allclose(transform_points(c + [10, 0], rot), c + [0, 10], atol=1e-9)
    sc = augmentation_matrix(AugmentParams(scale=1.5), w, h)
    np.testing.assert_allclose(transform_points(c + [10, -4], sc), c + [15, -6], atol=1e-9)
    # all together, p' = c + t + s R F (p - c): (10, 0) -F-> (-10, 0) -R90-> (0, -10) -×2-> (0, -20)
    full = augmentation_matrix(AugmentParams(mirror=True, rotation_deg=90.0, scale=2.0, tx=1.0, ty=2.0), w, h)
    np.testing.assert_allclose(transform_points(c + [10, 0], full), c + [1, -18], atol=1e-9)
    mi = augmentation_matrix(AugmentParams(mirror=True, tx=7.0, ty=-3.0), w, h)
    # mirror x about 111.5 (0 -> 223), then translate
    np.testing.assert_allclose(transform_points(np.array([0.0, 10.0]), mi), [223 + 7, 10 - 3], atol=1e-9)


def test_mirror_swaps_left_and_right_joints():
    net = NetworkConfig(input_width=64, input_height=32)  # a 64×32 image needs no letterbox (M = identity)
    image = np.zeros((32, 64, 3), dtype=np.uint8)
    joints = np.full((15, 3), np.nan)
    ra, la = JOINT_INDEX["right_ankle"], JOINT_INDEX["left_ankle"]
    nose = JOINT_INDEX["nose"]
    joints[ra] = [10.0, 20.0, 1.0]
    joints[la] = [20.0, 21.0, 0.0]
    joints[nose] = [15.0, 5.0, 1.0]
    _, out, _, _ = augment_sample(image, joints, np.zeros((0, 2)), [], AugmentParams(mirror=True), net)
    # x' = 63 - x; the right ankle becomes the left ankle of the mirrored person, visibility travels along
    np.testing.assert_allclose(out[la], [63 - 10.0, 20.0, 1.0])
    np.testing.assert_allclose(out[ra], [63 - 20.0, 21.0, 0.0])
    np.testing.assert_allclose(out[nose], [63 - 15.0, 5.0, 1.0])  # centre joints keep their index
    perm = flip_permutation()
    assert np.isnan(out[np.setdiff1d(np.arange(15), [ra, la, nose])]).all()
    assert perm[ra] == la and perm[JOINT_INDEX["left_wrist"]] == JOINT_INDEX["right_wrist"]
    # without mirror the order is kept
    _, same, _, _ = augment_sample(image, joints, np.zeros((0, 2)), [], AugmentParams(), net)
    np.testing.assert_allclose(same, joints)


def _dot_image(w: int, h: int, point: np.ndarray) -> np.ndarray:
    image = np.full((h, w, 3), PAD_VALUE, dtype=np.uint8)  # grey like the padding: only the dot stands out
    cv2.circle(image, (int(point[0]), int(point[1])), 4, (255, 255, 255), thickness=-1)
    return image


@pytest.mark.parametrize("seed", range(6))
def test_dots_land_on_the_transformed_joints(seed):
    """Draw a bright dot at a joint, augment image and joints with one draw: the dot is on the joint."""
    rng = np.random.default_rng(seed)
    cfg = TINY.augment
    w, h = 320, 180  # letterbox into 224 × 128: s = 0.7, pad_y = (128 - 126) / 2 = 1
    joints = np.full((15, 3), np.nan)
    joints[:, :2] = np.column_stack([rng.integers(40, w - 40, 15), rng.integers(30, h - 30, 15)])
    joints[:, 2] = 1.0
    params = sample_augmentation(rng, cfg)
    if seed == 0:
        params = params.replace(mirror=True)  # cover the mirror explicitly
    heads = joints[:2, :2].copy()
    _, out_joints, out_heads, _ = augment_sample(_dot_image(w, h, joints[0]), joints, heads, [], params,
                                                 NET, cfg)
    perm = flip_permutation() if params.mirror else np.arange(15)
    background = (0.0 + params.intensity_shift) * params.intensity_scale  # grey 128 -> (0 + shift) * scale
    checked = 0
    for k in range(15):
        image_out, *_ = augment_sample(_dot_image(w, h, joints[k]), joints, heads, [], params, NET, cfg)
        target = out_joints[perm[k]]  # joint k of the source is joint perm[k] after a mirror
        assert target[2] == 1.0
        x, y = target[:2]
        if not (6 <= x <= NET.input_width - 7 and 6 <= y <= NET.input_height - 7):
            continue  # the augmentation moved the dot (partly) out of the input
        weights = np.clip(image_out[:, :, 0] - background, 0, None)
        # the brief asks <= 1 px; measured <= 0.1 px, so 0.25 px also catches a half-pixel convention slip
        assert np.abs(_centroid(weights) - target[:2]).max() <= 0.25, (k, params)
        checked += 1
    assert checked >= 3
    # head centres go through the same matrix (no permutation)
    M = compose(augmentation_matrix(params, NET.input_width, NET.input_height),
                letterbox_matrix(w, h, NET.input_width, NET.input_height))
    np.testing.assert_allclose(out_heads, transform_points(heads, M))


def test_polygons_and_heads_use_the_image_matrix():
    net = NetworkConfig(input_width=64, input_height=32)
    image = np.zeros((16, 32, 3), dtype=np.uint8)  # letterbox: s = 2, no padding
    poly = np.array([[1.0, 1.0], [5.0, 1.0], [5.0, 4.0]])
    params = AugmentParams(rotation_deg=30.0, scale=0.8, tx=3.0, ty=-2.0)
    _, _, heads, polys = augment_sample(image, np.full((15, 3), np.nan), np.array([[4.0, 4.0]]), [poly],
                                        params, net)
    M = compose(augmentation_matrix(params, 64, 32), letterbox_matrix(32, 16, 64, 32))
    np.testing.assert_allclose(polys[0], transform_points(poly, M))
    np.testing.assert_allclose(heads, transform_points(np.array([[4.0, 4.0]]), M))


def test_identity_augmentation_is_letterbox_plus_normalisation():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (90, 160, 3), dtype=np.uint8)
    out, *_ = augment_sample(image, np.full((15, 3), np.nan), np.zeros((0, 2)), [], None, NET)
    boxed, _ = letterbox(image, NET.input_width, NET.input_height)
    np.testing.assert_array_equal(out, normalize_intensity(boxed))
    # the grey padding normalises to 0, the network's neutral input: (128 - 128) / 128
    assert normalize_intensity(np.array([PAD_VALUE], dtype=np.uint8), AugmentConfig())[0] == 0.0


def test_geometric_range_outside_zero_one_is_a_config_error():
    from posekit.errors import ConfigError

    cfg = dataclasses.replace(get_profile("paper").augment, geometric_range=1.5)
    with pytest.raises(ConfigError, match="geometric_range"):
        sample_augmentation(np.random.default_rng(0), cfg)
