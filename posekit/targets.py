"""Training targets at the network's output resolution (Paper §4); pure numpy, no TensorFlow.

Coordinate convention (shared with `posekit.augment` and with the decoding in inference):

- Pixel centres sit at integer coordinates in every image: input pixel (i, j) has its centre at
  input point (x=j, y=i); heatmap pixel (i, j) has its centre at heatmap point (x=j, y=i).
- The heatmaps are `stride` = `NetworkConfig.heatmap_stride` (4) times smaller than the input. Heatmap
  pixel j pools input pixels stride*j .. stride*j + stride-1 (two 2×2 max-poolings), whose centre is
  input x = (j + 0.5) * stride - 0.5. Hence

      heatmap = (input + 0.5) / stride - 0.5          (`input_to_heatmap`)
      input   = (heatmap + 0.5) * stride - 0.5        (`heatmap_to_input`)

  e.g. stride 4: heatmap pixel 0 <-> input 1.5, heatmap pixel 1 <-> input 5.5; the heatmap extent
  [-0.5, w-0.5] is exactly the input extent [-0.5, 4w-0.5].
- σ is in heatmap pixels (Paper §4: "σ = 2 px", at the output resolution, as the targets are).
- Every target function takes points already in heatmap coordinates; NaN points contribute nothing.
"""

from __future__ import annotations

import numpy as np

from posekit.config import TargetConfig


def input_to_heatmap(points: np.ndarray, stride: int) -> np.ndarray:
    """Input-pixel points (..., 2) -> heatmap-pixel points (..., 2): (p + 0.5) / stride - 0.5."""
    return (np.asarray(points, dtype=np.float64) + 0.5) / stride - 0.5


def heatmap_to_input(points: np.ndarray, stride: int) -> np.ndarray:
    """Heatmap-pixel points (..., 2) -> input-pixel points (..., 2): (p + 0.5) * stride - 0.5."""
    return (np.asarray(points, dtype=np.float64) + 0.5) * stride - 0.5


def _gaussians(centers: np.ndarray, height: int, width: int, sigma: float) -> np.ndarray:
    """(N, H, W) float32: one unit-peak Gaussian per centre (N, 2); all-zero for NaN centres."""
    c = np.asarray(centers, dtype=np.float64).reshape(-1, 2)
    x = np.arange(width, dtype=np.float64)
    y = np.arange(height, dtype=np.float64)
    gx = np.exp(-((x[None, :] - c[:, :1]) ** 2) / (2.0 * sigma**2))  # (N, W)
    gy = np.exp(-((y[None, :] - c[:, 1:]) ** 2) / (2.0 * sigma**2))  # (N, H)
    # A NaN centre gives NaN rows; zeroing its factors (not the (N, H, W) product: the input pipeline's
    # largest cost) gives the same zeros, and every other value the same float64 product.
    missing = np.isnan(c).any(axis=1)
    if missing.any():
        gx[missing] = 0.0
        gy[missing] = 0.0
    g = gy[:, :, None] * gx[:, None, :]  # (N, H, W): separable exp(-|p - c|² / 2σ²)
    return g.astype(np.float32)


def gaussian_heatmap(center: np.ndarray, height: int, width: int, sigma: float) -> np.ndarray:
    """(H, W) float32 exp(-|p - center|² / (2σ²)) over the pixel centres p; center (2,) in heatmap px.

    Paper §4: "a 2D Gaussian centered at the position ... σ = 2 px and scaled to a maximum value of 1".
    The continuous peak is 1 at `center` (sub-pixel); a pixel holds exactly 1 when `center` is on its
    centre. Not truncated. A NaN centre gives all zeros.
    """
    return _gaussians(np.asarray(center).reshape(1, 2), height, width, sigma)[0]


def multi_person_head_heatmap(head_centers: np.ndarray, height: int, width: int, sigma: float) -> np.ndarray:
    """(H, W, 1) float32 maximum over one Gaussian per head centre (N, 2) (heatmap px); zeros if N = 0.

    Paper §4: "Each head is represented as an image of a 2D Gaussian centered at the position of the
    head bounding box ... The target multi-person heatmap is calculated by taking the maximum over all
    head heatmap images of all persons on the input image."
    """
    heads = np.asarray(head_centers, dtype=np.float64).reshape(-1, 2)
    if len(heads) == 0:
        return np.zeros((height, width, 1), dtype=np.float32)
    return _gaussians(heads, height, width, sigma).max(axis=0)[:, :, None]


def _points_in_polygon(px: np.ndarray, py: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Bool (P,): point (px, py) inside `poly` (K, 2) by the even-odd rule, or on its boundary."""
    x0, y0 = poly[:, 0][None, :], poly[:, 1][None, :]  # (1, K) edge starts
    x1, y1 = np.roll(poly[:, 0], -1)[None, :], np.roll(poly[:, 1], -1)[None, :]  # (1, K) edge ends
    X, Y = px[:, None], py[:, None]  # (P, 1)
    straddles = (y0 > Y) != (y1 > Y)  # (P, K) edge crosses the horizontal line through the point
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x0 + (Y - y0) * (x1 - x0) / (y1 - y0)
    inside = np.count_nonzero(straddles & (X < x_cross), axis=1) % 2 == 1
    # On the boundary: distance to the nearest edge segment (tolerance scaled to the coordinates).
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.where(length2 > 0, ((X - x0) * dx + (Y - y0) * dy) / length2, 0.0), 0.0, 1.0)
    d2 = (x0 + t * dx - X) ** 2 + (y0 + t * dy - Y) ** 2
    on_edge = (d2 <= 1e-18 * (1.0 + X * X + Y * Y)).any(axis=1)
    return inside | on_edge


def ignore_mask(polygons: list[np.ndarray], height: int, width: int) -> np.ndarray:
    """(H, W, 1) float32 loss mask: 0 where a pixel centre is inside an ignore polygon, 1 elsewhere.

    Paper §4: "we multiply the differences of prediction and target with this mask before calculating
    the loss of the head bounding box centers" (the mask of the annotated region; PoseTrack ships it as
    ignore regions around unannotated people). polygons: list of (K, 2) in heatmap px.
    Rasterisation rule (not in the paper): a pixel is ignored when its centre (x=j, y=i) lies inside the
    polygon by the even-odd rule or exactly on its boundary; pixels whose centre is outside stay 1 even
    if the polygon covers part of their square. Polygons with fewer than 3 finite vertices are skipped.
    """
    mask = np.ones((height, width), dtype=np.float32)
    for poly in polygons:
        p = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
        p = p[np.isfinite(p).all(axis=1)]
        if len(p) < 3:
            continue
        # Only pixel centres inside the polygon's bounding box can be inside it.
        j0, j1 = max(int(np.ceil(p[:, 0].min())), 0), min(int(np.floor(p[:, 0].max())), width - 1)
        i0, i1 = max(int(np.ceil(p[:, 1].min())), 0), min(int(np.floor(p[:, 1].max())), height - 1)
        if j0 > j1 or i0 > i1:
            continue
        jj, ii = np.meshgrid(np.arange(j0, j1 + 1), np.arange(i0, i1 + 1))
        inside = _points_in_polygon(jj.ravel().astype(np.float64), ii.ravel().astype(np.float64), p)
        mask[i0 : i1 + 1, j0 : j1 + 1][inside.reshape(jj.shape)] = 0.0
    return mask[:, :, None]


def joint_in_view(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bool (...,): point (..., 2) in heatmap px is finite and inside the heatmap extent.

    The extent is [-0.5, width-0.5) × [-0.5, height-0.5), the area the heatmap's pixels cover, which
    is exactly the network's input image (see the module docstring).
    """
    p = np.asarray(points, dtype=np.float64)
    x, y = p[..., 0], p[..., 1]
    with np.errstate(invalid="ignore"):
        return (np.isfinite(x) & np.isfinite(y) & (x >= -0.5) & (x < width - 0.5)
                & (y >= -0.5) & (y < height - 0.5))


def single_person_targets(
    joints: np.ndarray, height: int, width: int, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Targets of the person of interest: heatmaps (H, W, 15) float32 and weights (15,) float32.

    joints: (15, 3) x, y, visible in heatmap px (NaN rows where unannotated).
    Paper §4: "Each body joint of the person of interest is represented as an image of a 2D Gaussian
    centered at the position of the body joint ... we do not calculate the loss for body joint heatmaps
    with a missing annotation." A joint is missing (weight 0, heatmap all zero) when its row is NaN or
    (not in the paper) when augmentation moved it outside the heatmap extent (`joint_in_view`): its
    position is then unknown to the network, as for an unannotated joint. Annotated but occluded joints
    (visible = 0) keep weight 1: their position is annotated.
    """
    j = np.asarray(joints, dtype=np.float64)
    present = joint_in_view(j[:, :2], height, width)
    centers = np.where(present[:, None], j[:, :2], np.nan)
    heatmaps = np.moveaxis(_gaussians(centers, height, width, sigma), 0, -1)  # (H, W, 15)
    return np.ascontiguousarray(heatmaps), present.astype(np.float32)


def multi_person_joint_heatmaps(joints: np.ndarray, height: int, width: int, sigma: float) -> np.ndarray:
    """(H, W, 15) float32 multi-person joint targets: per joint type, the maximum over the Gaussians of
    every person's joint (joints (P, 15, 3) in heatmap px, NaN rows where unannotated); zeros if P = 0.

    Not in the paper: the paper's loss does not supervise the multi-person heatmaps directly (§4); this is
    the target of the optional `TrainConfig.multi_person_loss_weight` term, built like the head target of
    §4 ("taking the maximum over all ... heatmap images of all persons"). Joints outside the heatmap
    extent contribute nothing.
    """
    j = np.asarray(joints, dtype=np.float64)
    j = j.reshape(-1, j.shape[-2], 3)
    out = np.zeros((height, width, j.shape[1]), dtype=np.float32)
    for person in j:
        present = joint_in_view(person[:, :2], height, width)
        if not present.any():
            continue
        centers = np.where(present[:, None], person[:, :2], np.nan)
        np.maximum(out, np.moveaxis(_gaussians(centers, height, width, sigma), 0, -1), out=out)
    return out


def head_mask(
    center: np.ndarray, height: int, width: int, sigma: float = TargetConfig.head_mask_sigma
) -> np.ndarray:
    """(H, W, 1) float32 Gaussian head mask of the person of interest; center (2,) in heatmap px.

    Paper §4: "To create the mask of head of the person of interest for the second network component,
    we create a Gaussian heatmap with σ = 4 px on the position of the head bounding box center. In
    network training, we do not perform local maxima detection ... but take the groundtruth position."
    """
    return gaussian_heatmap(center, height, width, sigma)[:, :, None]
