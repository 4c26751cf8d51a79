"""Drawing poses, tracks, head boxes and ignore regions on images (pure numpy / OpenCV).

Images are (H, W, 3) uint8 RGB (as matplotlib shows them; convert OpenCV's BGR with
`image[..., ::-1]` or `posekit.imageio.read_image`). Colours are RGB tuples. Every function draws on a copy
and returns it, unless `inplace=True`.

Joints are coloured by side (`posekit.joints.JOINT_SIDE`): the person's RIGHT joints red, LEFT joints
blue, centre joints white, so a mirrored skeleton (left/right swapped) is obvious at a glance. Bones
take the track colour; the limbs of the right side are drawn with a red core line, those of the left
side with a blue one.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence as Seq

import cv2
import numpy as np

from posekit.data.schema import Frame
from posekit.joints import JOINT_SIDE, SKELETON

RGB = tuple[int, int, int]
#: Joint fill colour by side: R(ight) red, L(eft) blue, C(entre) white.
SIDE_COLORS: dict[str, RGB] = {"R": (235, 45, 45), "L": (40, 110, 255), "C": (255, 255, 255)}
#: Colour of people without a track id.
NO_TRACK_COLOR: RGB = (200, 200, 200)
IGNORE_COLOR: RGB = (128, 128, 128)


def track_color(track_id: int | None) -> RGB:
    """A deterministic, distinct, saturated colour for a track id (golden-ratio hue steps); grey for None."""
    if track_id is None:
        return NO_TRACK_COLOR
    h = (0.13 + 0.618033988749895 * int(track_id)) % 1.0
    s = 0.85 if int(track_id) % 2 == 0 else 0.65
    v = 0.95 if int(track_id) % 3 != 1 else 0.8
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return int(round(255 * r)), int(round(255 * g)), int(round(255 * b))


def _pt(x: float, y: float) -> tuple[int, int]:
    return int(round(x)), int(round(y))


def _line_width(image: np.ndarray, thickness: int | None) -> int:
    return thickness if thickness is not None else max(1, int(round(min(image.shape[:2]) / 220)))


def draw_pose(
    image: np.ndarray,
    joints: np.ndarray,
    color: RGB = (255, 255, 0),
    thickness: int | None = None,
    radius: int | None = None,
    inplace: bool = False,
) -> np.ndarray:
    """Draw one skeleton: bones (`posekit.joints.SKELETON`) in `color`, joints filled by side.

    image: (H, W, 3) uint8 RGB. joints: (15, 2) or (15, 3) x, y[, visible]; NaN rows are skipped, joints
    with visible == 0 are drawn hollow. Returns the drawn image.
    """
    out = image if inplace else image.copy()
    joints = np.asarray(joints, dtype=np.float64)
    lw = _line_width(out, thickness)
    r = radius if radius is not None else lw + 2
    present = np.isfinite(joints[:, 0]) & np.isfinite(joints[:, 1])
    for a, b in SKELETON:
        if present[a] and present[b]:
            pa, pb = _pt(*joints[a, :2]), _pt(*joints[b, :2])
            cv2.line(out, pa, pb, (0, 0, 0), lw + 2, cv2.LINE_AA)
            cv2.line(out, pa, pb, color, lw, cv2.LINE_AA)
            side = JOINT_SIDE[a] if JOINT_SIDE[a] == JOINT_SIDE[b] else "C"
            if side != "C" and lw >= 3:
                cv2.line(out, pa, pb, SIDE_COLORS[side], max(1, lw // 3), cv2.LINE_AA)
    for j in np.flatnonzero(present):
        p = _pt(*joints[j, :2])
        fill = SIDE_COLORS[JOINT_SIDE[j]]
        hidden = joints.shape[1] > 2 and joints[j, 2] == 0
        cv2.circle(out, p, r + 1, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(out, p, r, fill, 2 if hidden else -1, cv2.LINE_AA)
    return out


def draw_box(
    image: np.ndarray, box: np.ndarray, color: RGB, thickness: int = 1, inplace: bool = False
) -> np.ndarray:
    """Draw an x1, y1, x2, y2 box."""
    out = image if inplace else image.copy()
    x1, y1, x2, y2 = np.asarray(box, dtype=np.float64)
    cv2.rectangle(out, _pt(x1, y1), _pt(x2, y2), color, thickness, cv2.LINE_8)  # axis-aligned: crisp
    return out


def draw_ignore_regions(
    image: np.ndarray, regions: Seq[np.ndarray], alpha: float = 0.45, inplace: bool = False
) -> np.ndarray:
    """Shade ignore-region polygons ((N, 2) arrays) grey with a dashed-looking white outline."""
    out = image if inplace else image.copy()
    if not regions:
        return out
    polys = [
        np.round(np.asarray(r, dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2)
        for r in regions
        if len(r)
    ]
    shade = out.copy()
    for poly in polys:  # one at a time: cv2.fillPoly with several polygons leaves their overlap unfilled
        cv2.fillPoly(shade, [poly], IGNORE_COLOR)
    blended = cv2.addWeighted(out, 1 - alpha, shade, alpha, 0)
    out[...] = blended
    cv2.polylines(out, polys, True, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def draw_frame(
    image: np.ndarray,
    frame: Frame,
    head_boxes: bool = True,
    ignore_regions: bool = True,
    track_ids: bool = True,
    thickness: int | None = None,
    inplace: bool = False,
) -> np.ndarray:
    """Draw every person of `frame` (skeleton in its track colour, head box, track id) and its ignore regions.

    image: (H, W, 3) uint8 RGB of the frame. Returns the drawn image.
    """
    out = image if inplace else image.copy()
    if ignore_regions:
        draw_ignore_regions(out, frame.ignore_regions, inplace=True)
    lw = _line_width(out, thickness)
    for person in frame.persons:
        color = track_color(person.track_id)
        if head_boxes and person.head_box is not None and np.all(np.isfinite(person.head_box)):
            draw_box(out, person.head_box, color, max(1, lw - 1), inplace=True)
        draw_pose(out, person.joints, color, thickness=lw, inplace=True)
        if track_ids and person.track_id is not None:
            anchor = person.head_box if person.head_box is not None else None
            if anchor is not None and np.all(np.isfinite(anchor)):
                x, y = anchor[0], anchor[1] - 3
            else:
                ok = np.isfinite(person.joints[:, 0])
                if not ok.any():
                    continue
                x, y = person.joints[ok, 0].min(), person.joints[ok, 1].min() - 3
            text = str(person.track_id)
            scale = 0.35 + 0.1 * lw
            org = _pt(x, max(10.0, y))
            cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), lw + 2, cv2.LINE_AA)
            cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, lw, cv2.LINE_AA)
    return out


def frame_grid(images: Seq[np.ndarray], ncols: int = 4, pad: int = 4, background: int = 255) -> np.ndarray:
    """Tile images row-major into one (rows*h + pads, ncols*w + pads, 3) uint8 image.

    Images are resized to the first one's size where they differ; grey images are made RGB.
    """
    if not images:
        raise ValueError("frame_grid needs at least one image")
    first = np.asarray(images[0])
    h, w = first.shape[:2]
    ncols = max(1, min(ncols, len(images)))
    nrows = (len(images) + ncols - 1) // ncols
    grid = np.full((nrows * h + (nrows + 1) * pad, ncols * w + (ncols + 1) * pad, 3), background, np.uint8)
    for k, img in enumerate(images):
        img = np.asarray(img)
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        if img.shape[:2] != (h, w):
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        r, c = divmod(k, ncols)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        grid[y : y + h, x : x + w] = img[:, :, :3]
    return grid
