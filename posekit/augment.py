"""The paper's random data augmentation and intensity normalisation (Paper §4); numpy + OpenCV, no TensorFlow.

Paper §4: "we shift each intensity component by -128 and scale it by 1/128 ... In training, we perform
random data augmentation. We shift the input intensity values by [-0.25, 0.25] and scale them by
[0.75, 1.25]. The input images are randomly mirrored in x-axis, rotated by [-45°, 45°], scaled by
[0.5, 1.5] and translated by [-100, 100]. All random transformations sample from a uniform
distribution within the specified intervals."

Geometry (the letterbox, affine matrices and their pixel-centre convention) is `posekit.geometry`; the
augmentation matrix here composes with its letterbox matrix, so image and points move together.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from posekit.config import AugmentConfig, NetworkConfig
from posekit.errors import ConfigError
from posekit.geometry import PAD_VALUE, compose, letterbox_matrix, transform_points
from posekit.joints import flip_permutation

# ---------------------------------------------------------------------------------------------
# Intensities


def _intensity_affine(cfg: AugmentConfig, shift: float, scale: float) -> tuple[float, float]:
    """(a, b) with output = a * v + b for uint8 value v: ((v + offset) * factor + shift) * scale."""
    a = cfg.intensity_factor * scale
    b = (cfg.intensity_offset * cfg.intensity_factor + shift) * scale
    return a, b


def normalize_intensity(image_uint8: np.ndarray, cfg: AugmentConfig | None = None) -> np.ndarray:
    """uint8 image -> float32 (v + intensity_offset) * intensity_factor, i.e. (v - 128) / 128 in [-1, 1).

    Paper §4: "we shift each intensity component by -128 and scale it by 1/128 such that the range of
    input intensity values is [-1, 1]". Same shape as the input.
    """
    cfg = cfg or AugmentConfig()
    a, b = _intensity_affine(cfg, 0.0, 1.0)
    return _apply_intensity(image_uint8, a, b)


def _apply_intensity(image: np.ndarray, a: float, b: float) -> np.ndarray:
    out = np.multiply(image, np.float32(a), dtype=np.float32)
    out += np.float32(b)
    return out


# ---------------------------------------------------------------------------------------------
# Random augmentation


@dataclass(frozen=True)
class AugmentParams:
    """One draw of the paper's §4 augmentation.

    mirror:           flip in x (about the input centre), swapping left/right joints.
    rotation_deg:     rotation about the input centre; positive turns the content clockwise on screen
                      (x right, y down: R = [[cos, -sin], [sin, cos]]).
    scale:            isotropic scale about the input centre.
    tx, ty:           translation in input pixels (after letterbox).
    intensity_shift:  added to the normalised intensities ...
    intensity_scale:  ... which are then multiplied by this: ((v - 128) / 128 + shift) * scale.
    """

    mirror: bool = False
    rotation_deg: float = 0.0
    scale: float = 1.0
    tx: float = 0.0
    ty: float = 0.0
    intensity_shift: float = 0.0
    intensity_scale: float = 1.0

    @classmethod
    def identity(cls) -> AugmentParams:
        """No augmentation (letterbox and normalisation only)."""
        return cls()

    def replace(self, **changes: object) -> AugmentParams:
        return dataclasses.replace(self, **changes)


def sample_augmentation(rng: np.random.Generator, cfg: AugmentConfig) -> AugmentParams:
    """Draw one AugmentParams, every value uniform in its `cfg` interval (Paper §4).

    Not in the paper: the mirror probability, 0.5 (when `cfg.mirror`); tx and ty are drawn
    independently from `cfg.translation_px`; `cfg.geometric_range` narrows the rotation and scale ranges
    about (0°, 1) (1: the paper's). All seven numbers are always drawn in a fixed order, so
    a given rng state gives the same draw whatever `cfg.mirror` says.
    """
    f = cfg.geometric_range
    if not 0.0 <= f <= 1.0:
        raise ConfigError(f"augment.geometric_range must be in [0, 1], got {f}")
    mirror_u = rng.random()
    params = AugmentParams(
        mirror=bool(cfg.mirror and mirror_u < 0.5),
        rotation_deg=float(f * rng.uniform(*cfg.rotation_deg)),
        scale=float(1.0 + f * (rng.uniform(*cfg.scale) - 1.0)),
        tx=float(rng.uniform(*cfg.translation_px)),
        ty=float(rng.uniform(*cfg.translation_px)),
        intensity_shift=float(rng.uniform(*cfg.intensity_shift)),
        intensity_scale=float(rng.uniform(*cfg.intensity_scale)),
    )
    return params


def augmentation_matrix(params: AugmentParams, input_w: int, input_h: int) -> np.ndarray:
    """(2, 3) affine of mirror, rotation and scale about the input centre, then translation.

    p_out = c + t + scale * R(rotation) @ F @ (p - c), with c = ((input_w-1)/2, (input_h-1)/2) the
    input centre in pixel-centre coordinates, F = diag(-1, 1) when mirrored, t = (tx, ty).
    """
    c = np.array([(input_w - 1) / 2.0, (input_h - 1) / 2.0])
    theta = np.deg2rad(params.rotation_deg)
    cos, sin = np.cos(theta), np.sin(theta)
    A = params.scale * np.array([[cos, -sin], [sin, cos]])
    if params.mirror:
        A = A @ np.diag([-1.0, 1.0])
    t = c + np.array([params.tx, params.ty]) - A @ c
    return np.hstack([A, t[:, None]])


def augment_sample(
    image: np.ndarray,
    joints: np.ndarray,
    head_centers: np.ndarray,
    ignore_polygons: list[np.ndarray],
    params: AugmentParams | None,
    net_cfg: NetworkConfig,
    aug_cfg: AugmentConfig | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Letterbox + augment an image and its annotations with ONE affine (Paper §2.1, §4).

    image:            (H, W, 3) uint8 RGB, original size.
    joints:           (..., 15, 3) x, y, visible in original image pixels, NaN rows where unannotated.
    head_centers:     (N, 2) in original image pixels.
    ignore_polygons:  list of (K, 2) polygons in original image pixels.
    params:           the augmentation draw; None = no augmentation (letterbox + normalisation only).
    Returns (image (input_h, input_w, 3) float32 normalised and intensity-augmented, joints (..., 15, 3),
    head_centers (N, 2), polygons), all points in input pixels. A mirror also reorders the joints by
    `posekit.joints.flip_permutation()`, so index k is again the joint named JOINT_NAMES[k].
    The letterbox and the augmentation are composed into one matrix and the image is resampled once
    (bilinear, padding `PAD_VALUE` before the intensity augmentation, so padding takes part in it).
    """
    aug_cfg = aug_cfg or AugmentConfig()
    params = params or AugmentParams.identity()
    w_in, h_in = net_cfg.input_width, net_cfg.input_height
    h, w = image.shape[:2]
    M = compose(augmentation_matrix(params, w_in, h_in), letterbox_matrix(w, h, w_in, h_in))
    warped = cv2.warpAffine(
        image, M, (w_in, h_in), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=(PAD_VALUE,) * 4,
    )
    a, b = _intensity_affine(aug_cfg, params.intensity_shift, params.intensity_scale)
    image_out = _apply_intensity(warped, a, b)

    joints = np.array(joints, dtype=np.float64, copy=True)
    joints[..., :2] = transform_points(joints[..., :2], M)
    if params.mirror:
        joints = joints[..., flip_permutation(), :]
    heads = transform_points(np.asarray(head_centers, dtype=np.float64).reshape(-1, 2), M)
    polygons = [transform_points(np.asarray(p, dtype=np.float64).reshape(-1, 2), M) for p in ignore_polygons]
    return image_out, joints, heads, polygons


def intensity_bounds(cfg: AugmentConfig) -> tuple[float, float]:
    """The smallest and largest value `augment_sample` can output for uint8 input over all draws."""
    lo, hi = np.inf, -np.inf
    for v in (0.0, 255.0):
        for shift in cfg.intensity_shift:
            for scale in cfg.intensity_scale:
                a, b = _intensity_affine(cfg, shift, scale)
                lo, hi = min(lo, a * v + b), max(hi, a * v + b)
    return float(lo), float(hi)
