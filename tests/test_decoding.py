"""Tests of the pure decoding steps of paper §2: head peaks, argmax decoding, t_joint / t_person,
head masks and the heatmap -> image coordinate mapping."""

from __future__ import annotations

import numpy as np
import pytest

from posekit.decoding import decode_single_person, find_head_peaks

H, W = 32, 56


def gaussian(x: float, y: float, sigma: float = 2.0, amp: float = 1.0, h: int = H, w: int = W) -> np.ndarray:
    """Hand-made (h, w) Gaussian peaking at integer pixel (x, y) with value `amp`."""
    yy, xx = np.mgrid[0:h, 0:w]
    return amp * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))


def test_peaks_found_exactly_on_gaussians():
    hm = np.maximum.reduce([gaussian(10, 8, amp=0.9), gaussian(40, 20, amp=0.6), gaussian(25, 28, amp=0.4)])
    peaks, values = find_head_peaks(hm, t_head=0.2, t_head_dist=4)
    # Sorted by descending value.
    np.testing.assert_array_equal(peaks, [[10, 8], [40, 20], [25, 28]])
    np.testing.assert_allclose(values, [0.9, 0.6, 0.4])
    # (h, w, 1) input works the same.
    peaks2, _ = find_head_peaks(hm[..., None], t_head=0.2, t_head_dist=4)
    np.testing.assert_array_equal(peaks2, peaks)


def test_t_head_drops_weak_peaks_and_is_inclusive():
    hm = np.maximum(gaussian(10, 8, amp=0.9), gaussian(40, 20, amp=0.5))
    assert len(find_head_peaks(hm, t_head=0.5, t_head_dist=4)[0]) == 2  # 0.5 >= 0.5 is kept
    peaks, _ = find_head_peaks(hm, t_head=0.51, t_head_dist=4)
    np.testing.assert_array_equal(peaks, [[10, 8]])
    assert len(find_head_peaks(hm, t_head=0.95, t_head_dist=4)[0]) == 0


def test_t_head_dist_merges_close_peaks():
    # Two narrow Gaussians (σ = 1) 5 px apart in x: both are local maxima.
    hm = np.maximum(gaussian(20, 10, sigma=1.0, amp=1.0), gaussian(25, 10, sigma=1.0, amp=0.8))
    assert len(find_head_peaks(hm, t_head=0.2, t_head_dist=5)[0]) == 2  # exactly 5 apart: kept (>=)
    peaks, values = find_head_peaks(hm, t_head=0.2, t_head_dist=5.01)
    np.testing.assert_array_equal(peaks, [[20, 10]])  # the weaker one is suppressed
    assert values[0] == pytest.approx(1.0)
    # Diagonal distance: (3, 4) apart = 5 px Euclidean.
    hm = np.maximum(gaussian(20, 10, sigma=0.7), gaussian(23, 14, sigma=0.7, amp=0.7))
    assert len(find_head_peaks(hm, 0.2, 5.0)[0]) == 2
    assert len(find_head_peaks(hm, 0.2, 5.5)[0]) == 1


def test_only_local_maxima_are_peaks():
    # A wide Gaussian: its shoulders are above t_head and far from the top, but are not local maxima.
    hm = gaussian(28, 16, sigma=8.0)
    peaks, _ = find_head_peaks(hm, t_head=0.2, t_head_dist=2)
    np.testing.assert_array_equal(peaks, [[28, 16]])


def test_plateau_gives_one_peak_and_border_maxima_count():
    hm = np.zeros((H, W))
    hm[5, 5:8] = 0.7  # a 3-pixel plateau
    hm[0, W - 1] = 0.5  # a maximum on the corner
    peaks, values = find_head_peaks(hm, t_head=0.2, t_head_dist=4)
    np.testing.assert_array_equal(peaks, [[5, 5], [W - 1, 0]])  # first plateau pixel in raster order
    # With t_head_dist = 1 every pixel of the plateau is kept (they are 1 px apart, 1 >= 1).
    assert len(find_head_peaks(hm, t_head=0.2, t_head_dist=1)[0]) == 4


def test_max_peaks_keeps_the_strongest():
    hm = np.maximum.reduce([gaussian(10, 8, amp=0.5), gaussian(40, 20, amp=0.9), gaussian(25, 28, amp=0.7)])
    peaks, values = find_head_peaks(hm, 0.2, 4, max_peaks=2)
    np.testing.assert_array_equal(peaks, [[40, 20], [25, 28]])
    assert find_head_peaks(np.zeros((4, 4)), 0.2, 4)[0].shape == (0, 2)


def make_final(joints_xy: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(N, H, W, 15) heatmaps with a Gaussian of peak `values[n, j]` at `joints_xy[n, j]`."""
    n = joints_xy.shape[0]
    out = np.zeros((n, H, W, 15), dtype=np.float32)
    for i in range(n):
        for j in range(15):
            out[i, :, :, j] = gaussian(*joints_xy[i, j], amp=values[i, j])
    return out


def test_argmax_decoding_recovers_positions():
    rng = np.random.default_rng(0)
    xy = np.stack([rng.integers(0, W, (3, 15)), rng.integers(0, H, (3, 15))], axis=-1)
    values = rng.uniform(0.5, 1.0, (3, 15))
    joints, keep = decode_single_person(make_final(xy, values), t_joint=0.3, t_person=3.0)
    assert joints.shape == (3, 15, 3)
    np.testing.assert_array_equal(joints[..., :2], xy)
    # float64 values stored float32: 2**-24 relative
    np.testing.assert_allclose(joints[..., 2], values, rtol=1e-6)
    assert keep.all()  # sums are >= 15 * 0.5 = 7.5 >= 3


def test_t_joint_drops_weak_joints_inclusive():
    xy = np.tile(np.array([[10, 10]]), (1, 15, 1))
    values = np.full((1, 15), 0.8)
    values[0, 3] = 0.29
    values[0, 7] = 0.3
    joints, keep = decode_single_person(make_final(xy, values.astype(np.float32)), t_joint=0.3, t_person=0.0)
    assert np.isnan(joints[0, 3]).all()  # 0.29 < 0.3: dropped
    assert not np.isnan(joints[0, 7]).any()  # 0.3 >= 0.3 (float32 0.3 rounds up): kept
    assert np.isfinite(joints[0, [i for i in range(15) if i != 3]]).all()


def test_t_person_sums_kept_joints_only():
    xy = np.tile(np.array([[10, 10]]), (3, 15, 1))
    values = np.zeros((3, 15))
    values[0, :4] = 0.8  # kept joints sum to 4 * 0.8 = 3.2 >= 3: kept
    values[1, :3] = 0.8  # 3 * 0.8 = 2.4 < 3: dropped
    values[1, 3:] = 0.25  # 12 weak joints (< t_joint) add 3.0 if they counted; they do not
    values[2, :] = 0.2  # all joints dropped; raw sum 15 * 0.2 = 3.0 would pass: person dropped
    joints, keep = decode_single_person(make_final(xy, values), t_joint=0.3, t_person=3.0)
    np.testing.assert_array_equal(keep, [True, False, False])
    # t_person = 2 keeps the second person (2.4 >= 2) but never the one without joints.
    _, keep = decode_single_person(make_final(xy, values), t_joint=0.3, t_person=2.0)
    np.testing.assert_array_equal(keep, [True, True, False])


def test_decode_no_heads():
    joints, keep = decode_single_person(np.zeros((0, H, W, 15), np.float32), 0.3, 3.0)
    assert joints.shape == (0, 15, 3) and keep.shape == (0,)


def test_head_masks_are_the_targets_gaussian():
    from posekit.decoding import head_masks
    from posekit.targets import head_mask

    peaks = np.array([[10.0, 8.0], [40.0, 20.0]])
    masks = head_masks(peaks, H, W)
    assert masks.shape == (2, H, W, 1) and masks.dtype == np.float32
    for i in range(2):
        np.testing.assert_array_equal(masks[i], head_mask(peaks[i], H, W, sigma=4.0))
    assert masks[0, 8, 10, 0] == pytest.approx(1.0)
    # σ = 4: one σ away the mask is exp(-1/2) = 0.6065.
    assert masks[0, 8, 14, 0] == pytest.approx(np.exp(-0.5), rel=1e-6)
    assert head_masks(np.zeros((0, 2)), H, W).shape == (0, H, W, 1)


def test_heatmap_to_image_hand_computed_and_round_trip():
    from posekit.decoding import heatmap_to_image
    from posekit.geometry import letterbox_matrix, transform_points
    from posekit.targets import input_to_heatmap

    # 1280×720 into 896×512: s = min(896/1280, 512/720) = 0.7, pad_x = 0, pad_y = (512 - 504) / 2 = 4.
    M = letterbox_matrix(1280, 720, 896, 512)
    # Heatmap pixel (0, 0) is input (1.5, 1.5) (stride 4); image x = (1.5 + 0.5 - 0) / 0.7 - 0.5 = 2.3571,
    # y = (1.5 + 0.5 - 4) / 0.7 - 0.5 = -3.3571 (it lies in the top padding).
    out = heatmap_to_image(np.array([[0.0, 0.0]]), 4, M)
    np.testing.assert_allclose(out, [[2.0 / 0.7 - 0.5, -2.0 / 0.7 - 0.5]])
    # Round trip: image -> letterbox -> heatmap -> image, NaN rows pass through.
    rng = np.random.default_rng(0)
    pts = np.concatenate([rng.uniform([0, 0], [1280, 720], (20, 2)), [[np.nan, np.nan]]])
    hm = input_to_heatmap(transform_points(pts, M), 4)
    back = heatmap_to_image(hm.reshape(3, 7, 2), 4, M).reshape(-1, 2)
    np.testing.assert_allclose(back, pts, atol=1e-9)
    assert np.isnan(back[-1]).all()


def test_heatmap_to_image_clips_to_the_frame():
    from posekit.decoding import heatmap_to_image
    from posekit.geometry import letterbox_matrix

    # 150×200 (w×h) into 224×128: s = 0.64, the frame spans input x 64 .. 160; heatmap x 0 lies in the
    # padding.
    M = letterbox_matrix(150, 200, 224, 128)
    pts = np.array([[0.0, 0.0], [55.0, 31.0], [28.0, 16.0], [np.nan, np.nan]])
    free = heatmap_to_image(pts, 4, M)
    assert free[0, 0] < 0 and free[1, 0] > 149  # outside the frame without clipping
    clipped = heatmap_to_image(pts, 4, M, image_size=(150, 200))
    # Heatmap (55, 31) -> input (221.5, 125.5) -> image x (222 - 64) / 0.64 - 0.5 = 246.4 (clipped to 149),
    # y = 126 / 0.64 - 0.5 = 196.375 (the frame fills the input's height: inside, unchanged).
    np.testing.assert_allclose(clipped[:2], [[0, 2.625], [149, 196.375]])  # y of (0, 0): 2 / 0.64 - 0.5
    np.testing.assert_allclose(clipped[2], free[2])  # inside: unchanged
    assert np.isnan(clipped[3]).all()


def test_apply_joint_thresholds_on_decoded_joints_equals_decoding_with_thresholds():
    from posekit.decoding import apply_joint_thresholds

    rng = np.random.default_rng(3)
    final = rng.uniform(-1, 1, (6, H, W, 15)).astype(np.float32) ** 3  # peaks of varied height
    raw, keep_all = decode_single_person(final, -np.inf, -np.inf)
    assert keep_all.all() and np.isfinite(raw).all()
    for t_joint, t_person in ((0.3, 3.0), (0.6, 1.0), (0.9, 0.0)):
        a, ka = decode_single_person(final, t_joint, t_person)
        b, kb = apply_joint_thresholds(raw, t_joint, t_person)
        np.testing.assert_array_equal(ka, kb)
        np.testing.assert_array_equal(a, b)
    # Hand-made: values [0.5, 0.2, NaN] with t_joint 0.3 -> only joint 0 kept, sum 0.5.
    j = np.array([[[1, 1, 0.5], [2, 2, 0.2], [np.nan, np.nan, np.nan]]])
    out, keep = apply_joint_thresholds(j, 0.3, 0.5)
    assert keep.tolist() == [True] and np.isnan(out[0, 1:]).all() and out[0, 0, 2] == 0.5
    assert apply_joint_thresholds(j, 0.3, 0.51)[1].tolist() == [False]
    assert np.isfinite(j[0, 1]).all()  # the input is not modified


# ---------------------------------------------------------------------------------------------
# Sub-pixel refinement (DecodingConfig.subpixel, not in the paper)


def off_grid_gaussian(x: float, y: float, sigma: float = 2.0) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    return np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))


@pytest.mark.parametrize("dx, dy", [(0.3, -0.2), (-0.45, 0.4), (0.1, 0.0)])
def test_subpixel_moves_the_maximum_towards_an_off_grid_peak(dx, dy):
    # A σ = 2 Gaussian (the §4 target) centred between pixels: argmax gives the nearest pixel; the parabola
    # vertex lands within 0.1 px of the true centre (the parabola fits the Gaussian's top, not exactly).
    x0, y0 = 20 + dx, 10 + dy
    hm = np.stack([off_grid_gaussian(x0, y0), off_grid_gaussian(33 - dx, 21 - dy)], axis=-1)[None]
    plain, _ = decode_single_person(hm, t_joint=0.0, t_person=0.0)
    refined, _ = decode_single_person(hm, t_joint=0.0, t_person=0.0, subpixel=True)
    truth = np.array([[x0, y0], [33 - dx, 21 - dy]])
    np.testing.assert_array_equal(plain[0, :, :2], np.round(truth))
    err_plain = np.abs(plain[0, :, :2] - truth)
    err_refined = np.abs(refined[0, :, :2] - truth)
    assert np.all(err_refined < 0.1)
    assert np.all(err_refined <= err_plain + 1e-12)
    np.testing.assert_array_equal(refined[0, :, 2], plain[0, :, 2])  # the value stays the maximum's


def test_subpixel_on_symmetric_border_and_plateau_maxima():
    sym = off_grid_gaussian(20, 10)  # centred on a pixel: neighbours equal, offset 0
    border = off_grid_gaussian(0, 31)  # maximum on the left and bottom border: no neighbour there
    flat = np.zeros((H, W))
    flat[4:7, 7] = 0.8
    flat[5, 7] = 1.0  # equal neighbours in y (0.8) and in x (0): offset 0 on both axes
    pair = np.zeros((H, W))
    pair[12, 30:32] = 1.0  # two equal pixels: the parabola through 0, 1, 1 peaks half-way between them
    hm = np.stack([sym, border, flat, pair], axis=-1)[None]
    refined, _ = decode_single_person(hm, t_joint=0.0, t_person=0.0, subpixel=True)
    np.testing.assert_allclose(refined[0, :, :2], [[20, 10], [0, 31], [7, 5], [30.5, 12]], atol=1e-12)


def test_subpixel_offsets_are_at_most_half_a_pixel():
    from posekit.decoding import subpixel_offsets

    rng = np.random.default_rng(0)
    hm = rng.uniform(-1, 1, (3, H, W, 15))
    idx = hm.reshape(3, -1, 15).argmax(axis=1)
    dx, dy = subpixel_offsets(hm, idx % W, idx // W)
    assert dx.shape == dy.shape == (3, 15)
    assert np.all(np.abs(dx) <= 0.5) and np.all(np.abs(dy) <= 0.5)
    assert np.any(np.abs(dx) > 0.01)  # random maxima are not symmetric


def test_subpixel_with_no_heads():
    joints, keep = decode_single_person(np.zeros((0, H, W, 15)), 0.3, 3.0, subpixel=True)
    assert joints.shape == (0, 15, 3) and keep.shape == (0,)


def test_mirror_heatmaps_is_the_heatmap_of_the_mirrored_pose():
    """Mirroring the input (x -> W - 1 - x, left/right joints swapped) moves each joint's target Gaussian
    to the mirrored heatmap column, on posekit's pixel-centre grid: no half-pixel shift."""
    from posekit.decoding import mirror_heatmaps
    from posekit.joints import flip_permutation
    from posekit.targets import multi_person_joint_heatmaps

    stride, w, h, W = 4, 56, 32, 224
    rng = np.random.default_rng(3)
    joints = np.concatenate([rng.uniform([0, 0], [W - 1, 4 * h - 1], (2, 15, 2)), np.ones((2, 15, 1))], -1)
    mirrored = joints.copy()
    mirrored[..., 0] = W - 1 - joints[..., 0]
    mirrored = mirrored[:, flip_permutation()]
    maps = multi_person_joint_heatmaps(_in_heatmap_px(joints, stride), h, w, 2.0)
    maps_m = multi_person_joint_heatmaps(_in_heatmap_px(mirrored, stride), h, w, 2.0)
    np.testing.assert_allclose(mirror_heatmaps(maps_m[None])[0], maps, atol=1e-6)
    assert np.abs(mirror_heatmaps(maps_m[None], joints=False)[0] - maps).max() > 0.5  # the swap matters
    np.testing.assert_array_equal(mirror_heatmaps(mirror_heatmaps(maps[None])), maps[None])  # involution


def _in_heatmap_px(joints: np.ndarray, stride: int) -> np.ndarray:
    from posekit.targets import input_to_heatmap

    out = joints.copy()
    out[..., :2] = input_to_heatmap(joints[..., :2], stride)
    return out
