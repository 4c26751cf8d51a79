"""Textured backgrounds with distractor shapes for the synthetic dataset.

Not in the paper: a stand-in for PoseTrack's street and sports scenes. A background is a wall (or
facade) above the horizon and a floor below it, with low-frequency illumination, a texture (bricks,
planks, tiles, noise), and distractors: windows, doors, posters, poles and railings (limb-like
edges), benches, bushes. Round shapes are rare and never skin-coloured, so they seldom look like heads.
"""

from __future__ import annotations

import cv2
import numpy as np

from posekit.data.synthetic_body import RGB


def _muted(rng: np.random.Generator, val: tuple[float, float] = (0.3, 0.9), sat: float = 0.45) -> np.ndarray:
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(0.0, sat) * 255, rng.uniform(*val) * 255]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def _col(c: np.ndarray) -> RGB:
    return int(c[0]), int(c[1]), int(c[2])


def _smooth_field(rng: np.random.Generator, height: int, width: int, cells: int, amp: float) -> np.ndarray:
    """(H, W) float32 smooth random field around 1 (illumination)."""
    small = rng.uniform(1 - amp, 1 + amp, size=(max(2, cells * height // width + 1), cells + 1)).astype(
        np.float32
    )
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def make_background(rng: np.random.Generator, width: int, height: int, horizon: float) -> np.ndarray:
    """A (height, width, 3) uint8 RGB background; the floor starts at row `horizon`."""
    h_row = int(round(horizon))
    img = np.empty((height, width, 3), np.float32)
    wall, floor = _muted(rng), _muted(rng, (0.25, 0.75))
    ramp = np.linspace(0.85, 1.1, max(1, h_row), dtype=np.float32)[:, None, None]
    img[:h_row] = wall * ramp
    ramp = np.linspace(0.9, 1.15, height - h_row, dtype=np.float32)[:, None, None]
    img[h_row:] = floor * ramp
    canvas = np.clip(img, 0, 255).astype(np.uint8)
    _wall_texture(rng, canvas, h_row)
    _floor_texture(rng, canvas, h_row, width)
    _distractors(rng, canvas, h_row)
    light = _smooth_field(rng, height, width, 6, 0.18)[:, :, None]
    grain = rng.normal(0.0, 4.0, size=(height // 2 + 1, width // 2 + 1, 1)).astype(np.float32)
    grain = cv2.resize(grain, (width, height), interpolation=cv2.INTER_LINEAR)[:, :, None]
    out = canvas.astype(np.float32) * light + grain
    out = cv2.GaussianBlur(np.clip(out, 0, 255).astype(np.uint8), (0, 0), 0.7)
    return out


def _wall_texture(rng: np.random.Generator, img: np.ndarray, h_row: int) -> None:
    width = img.shape[1]
    kind = rng.choice(["bricks", "planks", "plain", "stripes"])
    line = _col(np.clip(img[max(0, h_row // 2), 0].astype(np.float32) * rng.uniform(0.6, 0.85), 0, 255))
    if kind == "bricks":
        bh = int(rng.integers(10, 22))
        bw = int(bh * rng.uniform(2.0, 3.2))
        for r, y in enumerate(range(0, h_row, bh)):
            cv2.line(img, (0, y), (width, y), line, 1)
            off = (bw // 2) * (r % 2)
            for x in range(-off, width, bw):
                cv2.line(img, (x, y), (x, min(h_row, y + bh)), line, 1)
    elif kind == "planks":
        pw = int(rng.integers(14, 40))
        for x in range(0, width, pw):
            cv2.line(img, (x, 0), (x, h_row), line, 1)
    elif kind == "stripes":
        sw = int(rng.integers(20, 60))
        other = _col(_muted(rng))
        for x in range(0, width, 2 * sw):
            cv2.rectangle(img, (x, 0), (x + sw, h_row), other, -1)


def _floor_texture(rng: np.random.Generator, img: np.ndarray, h_row: int, width: int) -> None:
    height = img.shape[0]
    line = _col(
        np.clip(img[min(height - 1, h_row + 5), 0].astype(np.float32) * rng.uniform(0.65, 0.85), 0, 255)
    )
    cv2.line(img, (0, h_row), (width, h_row), line, 2)
    if rng.random() < 0.6:  # tiles: rows getting wider towards the camera, lines converging to a point
        vx = rng.uniform(0.3, 0.7) * width
        vy = h_row - rng.uniform(0.3, 1.0) * (height - h_row)
        for x in np.arange(-width, 2 * width, rng.uniform(40, 90)):
            t = (h_row - vy) / (height - vy)
            cv2.line(img, (int(vx + (x - vx) * t), h_row), (int(x), height), line, 1)
        y, step = h_row + 4.0, 4.0
        while y < height:
            cv2.line(img, (0, int(y)), (width, int(y)), line, 1)
            step *= 1.35
            y += step


def _distractors(rng: np.random.Generator, img: np.ndarray, h_row: int) -> None:
    height, width = img.shape[:2]
    n = int(rng.integers(6, 16)) * width // 640
    for _ in range(n):
        kind = rng.choice(
            ["window", "poster", "pole", "rail", "bench", "bush", "box", "poly", "sign"],
            p=[0.16, 0.14, 0.16, 0.08, 0.08, 0.1, 0.1, 0.12, 0.06],
        )
        x = int(rng.uniform(0, width))
        c = _col(_muted(rng, (0.1, 0.95), 0.8))
        if kind == "window" and h_row > 40:
            w, h = int(rng.uniform(30, 90)), int(rng.uniform(30, min(120, h_row - 10)))
            y = int(rng.uniform(0, max(1, h_row - h)))
            cv2.rectangle(img, (x, y), (x + w, y + h), _col(_muted(rng, (0.1, 0.5))), -1)
            cv2.rectangle(img, (x, y), (x + w, y + h), c, 3)
            cv2.line(img, (x + w // 2, y), (x + w // 2, y + h), c, 2)
        elif kind == "poster" and h_row > 30:
            w, h = int(rng.uniform(20, 60)), int(rng.uniform(25, 80))
            y = int(rng.uniform(0, max(1, h_row - h)))
            cv2.rectangle(img, (x, y), (x + w, y + h), c, -1)
            for k in range(int(rng.integers(1, 5))):
                yy = y + int((k + 1) * h / 6)
                cv2.line(
                    img,
                    (x + 3, yy),
                    (x + w - 3, yy),
                    _col(_muted(rng, (0.0, 1.0), 1.0)),
                    int(rng.integers(1, 4)),
                )
        elif kind == "pole":  # vertical, limb-like edges from the floor upwards
            w = int(rng.uniform(3, 12))
            y1 = int(rng.uniform(h_row, height))
            y0 = int(rng.uniform(0, max(1, y1 - 60)))
            cv2.rectangle(img, (x, y0), (x + w, y1), c, -1)
        elif kind == "rail":
            y = int(rng.uniform(h_row * 0.5, min(height - 1, h_row + 40)))
            cv2.line(img, (0, y), (width, y + int(rng.uniform(-20, 20))), c, int(rng.integers(2, 6)))
        elif kind == "bench":
            y = int(rng.uniform(h_row + 5, height - 5))
            w, h = int(rng.uniform(50, 140)), int(rng.uniform(8, 20))
            cv2.rectangle(img, (x, y - h), (x + w, y), c, -1)
            for lx in (x + 5, x + w - 8):
                cv2.rectangle(img, (lx, y), (lx + 3, min(height - 1, y + 18)), c, -1)
        elif kind == "bush":  # a cluster of green blobs, never skin-coloured
            hsv = np.array([[[rng.uniform(35, 85), rng.uniform(100, 220), rng.uniform(50, 160)]]], np.uint8)
            g = _col(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32))
            y = int(rng.uniform(max(1, h_row - 40), height))
            for _k in range(int(rng.integers(5, 12))):
                cx, cy = x + int(rng.normal(0, 25)), y + int(rng.normal(0, 12))
                r = int(rng.uniform(8, 22))
                cv2.ellipse(img, (cx, cy), (r, int(r * rng.uniform(0.6, 1.0))), 0, 0, 360, g, -1)
        elif kind == "box":
            y = int(rng.uniform(h_row, height))
            w, h = int(rng.uniform(20, 80)), int(rng.uniform(20, 70))
            cv2.rectangle(img, (x, y - h), (x + w, y), c, -1)
            cv2.rectangle(img, (x, y - h), (x + w, y), _col(_muted(rng, (0.0, 0.4))), 1)
        elif kind == "poly":
            k = int(rng.integers(3, 7))
            pts = np.stack([x + rng.normal(0, 30, k), rng.uniform(0, height, 1) + rng.normal(0, 25, k)], 1)
            cv2.fillPoly(img, [pts.astype(np.int32)], c)
        else:  # sign: a rectangle on a post
            y = int(rng.uniform(h_row * 0.3, h_row + 20))
            cv2.rectangle(img, (x + 8, y), (x + 12, min(height - 1, y + 90)), (90, 90, 90), -1)
            cv2.rectangle(img, (x, y - 18), (x + 22, y + 4), c, -1)
