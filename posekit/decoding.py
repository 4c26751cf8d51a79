"""Decoding the network's heatmaps into heads and poses (paper §2), pure numpy.

Paper §2: heads are "the local maxima with a minimal value t_head and a minimal distance t_head_dist"
of the head heatmap; for each head a mask (Gaussian, σ = 4 px, §4) times the head heatmap is the
second component's input; "we obtain the coordinate of each body joint by taking the maximum response
on its single-person heatmap", "remove joints, whose heatmap value is below t_joint" and "remove
persons, for whom the sum of all heatmap values for all body joints is below t_person".

Coordinates here are heatmap pixels (x right, y down) in the convention of `posekit.targets`;
`heatmap_to_image` maps them back to the original frame through the inverse letterbox.
"""

from __future__ import annotations

import numpy as np

from posekit.config import TargetConfig
from posekit.data.schema import Person
from posekit.geometry import invert_affine, transform_points
from posekit.joints import flip_permutation
from posekit.targets import head_mask, heatmap_to_input


def _local_maxima(heatmap: np.ndarray) -> np.ndarray:
    """(h, w) bool: pixels whose value is >= each of their 8 neighbours (outside the map counts as -inf)."""
    h, w = heatmap.shape
    padded = np.pad(heatmap, 1, mode="constant", constant_values=-np.inf)
    is_max = np.ones((h, w), dtype=bool)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy == 1 and dx == 1:
                continue
            is_max &= heatmap >= padded[dy : dy + h, dx : dx + w]
    return is_max


def find_head_peaks(
    head_heatmap: np.ndarray, t_head: float, t_head_dist: float, max_peaks: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Heads: local maxima of the head heatmap with value >= t_head, at least t_head_dist apart. Paper §2.

    head_heatmap: (h, w) or (h, w, 1) float.
    returns:      peaks (N, 2) float64 heatmap x, y (integer pixel positions), values (N,) float64,
                  sorted by descending value.

    The rule, precisely (Not in the paper: the paper names the two thresholds only):
    1. a candidate is a pixel whose value is >= t_head (the paper's "minimal value", so equality
       counts) and >= each of its 8 neighbours (a local maximum; pixels outside the map do not count);
    2. candidates are visited by descending value (ties in raster order: y, then x) and a candidate is
       kept when no already-kept peak lies at Euclidean distance < t_head_dist from it, so kept peaks
       are pairwise at least t_head_dist apart (the paper's "minimal distance", equality allowed);
    3. plateaus: every pixel of a flat top is a candidate (>= neighbours); step 2 keeps its first pixel
       in raster order and suppresses the others whenever t_head_dist > √2 (the paper's 4 does);
       with t_head_dist <= 1 all pixels of a plateau are kept.
    `max_peaks` (Not in the paper: a bound on the work of an untrained network; None = no bound) keeps
    only the strongest peaks.
    """
    hm = np.asarray(head_heatmap, dtype=np.float64)
    if hm.ndim == 3:
        hm = hm[..., 0]
    if hm.ndim != 2:
        raise ValueError(f"head_heatmap must be (h, w) or (h, w, 1), got shape {np.shape(head_heatmap)}")
    candidates = _local_maxima(hm) & (hm >= t_head)  # NaN compares False: never a candidate
    ys, xs = np.nonzero(candidates)  # raster order
    values = hm[ys, xs]
    order = np.argsort(-values, kind="stable")
    ys, xs, values = ys[order], xs[order], values[order]
    limit = len(values) if max_peaks is None else max(int(max_peaks), 0)
    min_d2 = float(t_head_dist) ** 2
    kept: list[int] = []
    kept_xy = np.empty((0, 2), dtype=np.float64)
    for k in range(len(values)):
        if len(kept) >= limit:
            break
        xy = np.array([xs[k], ys[k]], dtype=np.float64)
        if kept and (((kept_xy - xy) ** 2).sum(axis=1) < min_d2).any():
            continue
        kept.append(k)
        kept_xy = np.vstack([kept_xy, xy])
    idx = np.asarray(kept, dtype=np.int64)
    peaks = np.stack([xs[idx], ys[idx]], axis=1).astype(np.float64).reshape(-1, 2)
    return peaks, values[idx].astype(np.float64)


def head_masks(
    peaks: np.ndarray, height: int, width: int, sigma: float = TargetConfig.head_mask_sigma
) -> np.ndarray:
    """One head mask per head: a Gaussian of σ = `sigma` heatmap px at the head, max 1. Paper §2, §4.

    peaks:   (N, 2) heatmap x, y.
    returns: (N, height, width, 1) float32; the same Gaussian as `posekit.targets.head_mask` (σ = 4 px,
             §4: "a Gaussian heatmap with σ = 4 px on the position of the head bounding box center").
    """
    peaks = np.asarray(peaks, dtype=np.float64).reshape(-1, 2)
    out = np.zeros((len(peaks), height, width, 1), dtype=np.float32)
    for i, center in enumerate(peaks):
        out[i] = head_mask(center, height, width, sigma=sigma)
    return out


def mirror_heatmaps(heatmaps: np.ndarray, joints: bool = True) -> np.ndarray:
    """Heatmaps of a frame mirrored in x, as heatmaps of the frame itself (`DecodingConfig.flip_test`).

    heatmaps: (B, h, w, C) numpy; joints: C = 15 joint channels, whose left/right partners swap
    (`posekit.joints.FLIP_PAIRS`); False for single-channel maps (head heatmap, head mask).
    Exact on posekit's pixel-centre grid (`targets.heatmap_to_input`): mirroring the W-px input,
    x -> W - 1 - x, moves heatmap column p to w - 1 - p (W = stride · w). Its own inverse.
    """
    out = np.asarray(heatmaps)[:, :, ::-1]
    if joints:
        out = out[..., flip_permutation()]
    return np.ascontiguousarray(out)


def subpixel_offsets(heatmaps: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel offsets of maxima at integer pixels (x, y): per axis, the vertex of the parabola through the
    value at the maximum and its two neighbours, clipped to [-0.5, 0.5]. Not in the paper
    (`DecodingConfig.subpixel`).

    heatmaps: (N, h, w, J); x, y: (N, J) int, the maxima (as `decode_single_person` finds them).
    returns:  (dx, dy), each (N, J) float64. At the border (no neighbour on one side) and where the three
              values are not strictly concave (a plateau) the offset is 0.
    """
    hm = np.asarray(heatmaps)
    n, h, w, j = hm.shape
    ni, ji = np.meshgrid(np.arange(n), np.arange(j), indexing="ij")

    def value(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        return hm[ni, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1), ji].astype(np.float64)

    def vertex(before: np.ndarray, centre: np.ndarray, after: np.ndarray, inside: np.ndarray) -> np.ndarray:
        curvature = 2.0 * centre - before - after  # > 0 for a strict maximum of the three
        ok = inside & (curvature > 0)
        offset = 0.5 * (after - before) / np.where(ok, curvature, 1.0)
        return np.where(ok, np.clip(offset, -0.5, 0.5), 0.0)

    centre = value(y, x)
    dx = vertex(value(y, x - 1), centre, value(y, x + 1), (x > 0) & (x < w - 1))
    dy = vertex(value(y - 1, x), centre, value(y + 1, x), (y > 0) & (y < h - 1))
    return dx, dy


def decode_single_person(
    final_heatmaps: np.ndarray, t_joint: float, t_person: float, subpixel: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Joints at the argmax of each final single-person heatmap, with t_joint and t_person. Paper §2.

    final_heatmaps: (N, h, w, J) float, one set of single-person heatmaps per head.
    subpixel:       refine each maximum between pixels (`subpixel_offsets`; Not in the paper,
                    `DecodingConfig.subpixel`). The value stays the one at the integer maximum.
    returns:        joints (N, J, 3) float64 heatmap x, y and the heatmap value at the maximum, a row of
                    NaN for a joint dropped by t_joint; keep (N,) bool, False for a person dropped by
                    t_person.

    Each joint is at the maximum of its heatmap (ties: first pixel in raster order); without `subpixel`
    at integer heatmap pixels (the paper takes "the maximum response"). The thresholds are
    `apply_joint_thresholds`.
    """
    hm = np.asarray(final_heatmaps)
    if hm.ndim != 4:
        raise ValueError(f"final_heatmaps must be (N, h, w, J), got shape {hm.shape}")
    n, h, w, j = hm.shape
    flat = hm.reshape(n, h * w, j)
    idx = np.argmax(flat, axis=1)  # (N, J)
    values = np.take_along_axis(flat, idx[:, None, :], axis=1)[:, 0, :].astype(np.float64)  # (N, J)
    x, y = (idx % w).astype(np.float64), (idx // w).astype(np.float64)
    if subpixel and n:
        dx, dy = subpixel_offsets(hm, idx % w, idx // w)
        x, y = x + dx, y + dy
    joints = np.stack([x, y, values], axis=-1)
    return apply_joint_thresholds(joints, t_joint, t_person)


def apply_joint_thresholds(
    joints: np.ndarray, t_joint: float, t_person: float
) -> tuple[np.ndarray, np.ndarray]:
    """Drop joints below t_joint and persons whose kept joints sum below t_person. Paper §2.

    joints:  (N, J, 3) x, y, value (any coordinates: only the values are read); NaN rows stay dropped.
    returns: a copy with the rows of dropped joints set to NaN, and keep (N,) bool.

    - A joint is dropped when its value is < t_joint (a value equal to t_joint is kept): "remove joints,
      whose heatmap value is below t_joint".
    - Not in the paper: whether dropped joints count in the person's sum. We sum the values of the
      *kept* joints only, since the removal of joints comes first in §2 and a person whose joints were
      all removed would otherwise survive on weak responses (15 joints at 0.2 sum to the paper's
      t_person = 3). A person is dropped when that sum is < t_person, and always when no joint is kept.
    """
    out = np.array(joints, dtype=np.float64, copy=True).reshape(-1, *np.shape(joints)[-2:])
    values = out[..., 2]
    with np.errstate(invalid="ignore"):
        kept_joint = values >= t_joint  # (N, J); NaN -> False
    out[~kept_joint] = np.nan
    person_sum = np.where(kept_joint, values, 0.0).sum(axis=1)  # (N,)
    keep = (person_sum >= t_person) & kept_joint.any(axis=1)
    return out, keep


def heatmap_to_image(
    points: np.ndarray, stride: int, M_letterbox: np.ndarray, image_size: tuple[int, int] | None = None
) -> np.ndarray:
    """Heatmap coordinates -> original-image coordinates through the inverse letterbox.

    points:      (..., 2) heatmap x, y (NaN passes through as NaN).
    stride:      input pixels per heatmap pixel (`NetworkConfig.heatmap_stride`).
    M_letterbox: (2, 3) affine that maps original-image pixels to network-input pixels.
    image_size:  (width, height) of the original image: when given, points are clipped to its pixel
                 centres [0, width-1] × [0, height-1] (Not in the paper: a maximum that falls in the
                 letterbox padding is moved to the nearest frame pixel; a joint outside the frame can
                 be neither annotated nor drawn).
    returns:     (..., 2) float64 image x, y.

    The heatmap -> input step is `posekit.targets.heatmap_to_input` (the pixel-centre convention of the
    targets), the input -> image step the inverse letterbox affine (`posekit.geometry`).
    """
    pts = np.asarray(points, dtype=np.float64)
    shape = pts.shape
    flat = pts.reshape(-1, 2)
    inp = heatmap_to_input(flat, stride)
    img = transform_points(inp, invert_affine(M_letterbox))
    if image_size is not None:
        width, height = image_size
        img = np.clip(img, [0.0, 0.0], [width - 1.0, height - 1.0])  # NaN stays NaN
    return img.reshape(shape)


def to_person(pose: np.ndarray, track_id: int | None = None) -> Person:
    """A predicted person from its decoded pose (15, 3): image x, y, heatmap value per joint (NaN: dropped).

    The `Person` the PoseTrack files hold: joints (15, 3) image x, y and visible 1 (NaN for dropped joints),
    `scores` the heatmap values. Not in the paper: the scores the evaluation reads — a joint's score is its
    final heatmap value at the maximum, a person's score the mean of its kept joints' scores.
    """
    pose = np.asarray(pose, dtype=np.float64)
    scores = pose[:, 2].copy()
    joints = np.concatenate([pose[:, :2], np.where(np.isnan(scores), np.nan, 1.0)[:, None]], axis=1)
    return Person(joints=joints, scores=scores, score=float(np.nanmean(scores)),
                  track_id=None if track_id is None else int(track_id))
