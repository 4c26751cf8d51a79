"""Test-time geometry: the letterbox of paper §2.1 and the affine helpers every stage shares (numpy, OpenCV).

Paper §2.1: "every input image is scaled with fixed aspect ratio to fit this size" (896 × 512).
Inference letterboxes each frame (`letterbox`) and maps predictions back (`invert_affine`,
`transform_points`, via `posekit.decoding.heatmap_to_image`); training composes the same letterbox
matrix with the augmentation of §4 (`posekit.augment`).

Conventions (used by every function here, by `posekit.augment` and by `posekit.targets`):

- Pixel centres sit at integer coordinates: pixel (row i, column j) of an image covers the square
  [j-0.5, j+0.5] × [i-0.5, i+0.5] and its centre is the point (x=j, y=i). This is OpenCV's
  `warpAffine` convention, so a (2, 3) matrix `M` maps points exactly as it maps the image.
  An image of width W spans x in [-0.5, W-0.5].
- Affine matrices are (2, 3) float64 and map source points to destination points:
  `p_dst = M[:, :2] @ p_src + M[:, 2]`.
- Letterbox: one isotropic scale `s = min(dst_w / src_w, dst_h / src_h)` maps the source image's
  extent onto a centred box in the destination; the rest is padding of `PAD_VALUE` (grey 128, which
  becomes 0 after the intensity normalisation), split equally between the two sides (centred padding).
"""

from __future__ import annotations

import cv2
import numpy as np

from posekit.config import AugmentConfig

#: Not in the paper: grey padding, i.e. 0 after (v - 128) / 128, the network's neutral input value.
PAD_VALUE: int = int(-AugmentConfig().intensity_offset)


# ---------------------------------------------------------------------------------------------
# Affine helpers


def letterbox_matrix(src_w: int, src_h: int, dst_w: int, dst_h: int) -> np.ndarray:
    """(2, 3) affine that scales a src_w × src_h image with fixed aspect ratio to fit dst_w × dst_h, centred.

    Paper §2.1: "every input image is scaled with fixed aspect ratio to fit this size".
    With pixel centres at integers, the source extent [-0.5, src_w-0.5] maps to
    [pad_x - 0.5, pad_x + s*src_w - 0.5] with pad_x = (dst_w - s*src_w) / 2 (likewise in y), hence
    x_dst = s * (x_src + 0.5) - 0.5 + pad_x.
    """
    s = min(dst_w / src_w, dst_h / src_h)
    pad_x = (dst_w - s * src_w) / 2.0
    pad_y = (dst_h - s * src_h) / 2.0
    return np.array([[s, 0.0, 0.5 * s - 0.5 + pad_x], [0.0, s, 0.5 * s - 0.5 + pad_y]], dtype=np.float64)


def compose(after: np.ndarray, before: np.ndarray) -> np.ndarray:
    """(2, 3) affine that applies `before`, then `after`."""
    a = np.vstack([after, [0.0, 0.0, 1.0]])
    b = np.vstack([before, [0.0, 0.0, 1.0]])
    return (a @ b)[:2]


def invert_affine(M: np.ndarray) -> np.ndarray:
    """(2, 3) inverse of a (2, 3) affine (maps destination points back to the source)."""
    return np.linalg.inv(np.vstack([np.asarray(M, dtype=np.float64), [0.0, 0.0, 1.0]]))[:2]


def transform_points(points: np.ndarray, M: np.ndarray) -> np.ndarray:
    """Apply the (2, 3) affine `M` to points (..., 2); NaN stays NaN. Returns float64 (..., 2)."""
    p = np.asarray(points, dtype=np.float64)
    return p @ M[:, :2].T + M[:, 2]


def letterbox(image: np.ndarray, dst_w: int, dst_h: int) -> tuple[np.ndarray, np.ndarray]:
    """Letterbox an image (H, W, C) uint8 into (dst_h, dst_w, C) uint8; returns (image_out, M).

    `M` maps original image points to letterboxed ones (`invert_affine(M)` maps predictions back).
    Padding is `PAD_VALUE`, centred. Not in the paper: bilinear interpolation.
    """
    h, w = image.shape[:2]
    M = letterbox_matrix(w, h, dst_w, dst_h)
    out = cv2.warpAffine(
        image, M, (dst_w, dst_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=(PAD_VALUE,) * 4,
    )
    return out, M
