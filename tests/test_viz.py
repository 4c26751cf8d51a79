"""Drawing helpers (`posekit.viz`): side colours, track colours, frames, grids."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from posekit.data.schema import Frame, Person, empty_joints
from posekit.errors import DataError
from posekit.imageio import read_image
from posekit.joints import JOINT_INDEX, NUM_JOINTS
from posekit.viz import (
    NO_TRACK_COLOR,
    SIDE_COLORS,
    draw_frame,
    draw_pose,
    frame_grid,
    track_color,
)

J = JOINT_INDEX


def _frontal_joints() -> np.ndarray:
    """A person facing the camera in a 200x200 image: its right side on image LEFT."""
    j = np.zeros((NUM_JOINTS, 3))
    j[:, 2] = 1.0
    pts = {
        "head_top": (100, 20),
        "nose": (100, 35),
        "neck": (100, 50),
        "right_shoulder": (70, 60),
        "left_shoulder": (130, 60),
        "right_elbow": (60, 95),
        "left_elbow": (140, 95),
        "right_wrist": (55, 130),
        "left_wrist": (145, 130),
        "right_hip": (85, 120),
        "left_hip": (115, 120),
        "right_knee": (83, 155),
        "left_knee": (117, 155),
        "right_ankle": (82, 190),
        "left_ankle": (118, 190),
    }
    for name, (x, y) in pts.items():
        j[J[name], :2] = (x, y)
    return j


def test_track_colors_are_deterministic_distinct_and_grey_for_none() -> None:
    assert track_color(5) == track_color(5)
    colours = np.array([track_color(k) for k in range(16)], float)
    dist = np.linalg.norm(colours[:, None] - colours[None], axis=2)
    assert dist[~np.eye(16, dtype=bool)].min() > 25  # no two of the first 16 tracks look alike
    assert track_color(None) == NO_TRACK_COLOR


def test_joints_are_coloured_by_side_so_a_mirror_is_visible() -> None:
    image = np.zeros((200, 200, 3), np.uint8)
    joints = _frontal_joints()
    out = draw_pose(image, joints, color=(0, 255, 0), thickness=2, radius=4)
    assert not image.any()  # drawn on a copy
    assert tuple(out[60, 70]) == SIDE_COLORS["R"]  # right shoulder, image left: red
    assert tuple(out[60, 130]) == SIDE_COLORS["L"]  # left shoulder, image right: blue
    assert tuple(out[50, 100]) == SIDE_COLORS["C"]  # neck: white
    # bones take the track colour: the middle of the right thigh (85,120)-(83,155) ~ (84, 137)
    assert tuple(out[137, 84]) == (0, 255, 0)
    # a mirrored skeleton (x flipped, labels not swapped) shows red on the image right
    mirrored = joints.copy()
    mirrored[:, 0] = 199 - mirrored[:, 0]
    out_m = draw_pose(image, mirrored, thickness=2, radius=4)
    assert tuple(out_m[60, 199 - 70]) == SIDE_COLORS["R"]


def test_missing_joints_are_skipped_and_occluded_ones_drawn_hollow() -> None:
    image = np.zeros((200, 200, 3), np.uint8)
    joints = _frontal_joints()
    joints[J["left_wrist"]] = np.nan
    joints[J["right_wrist"], 2] = 0.0
    out = draw_pose(image, joints, thickness=1, radius=5)
    assert not out[125:136, 140:151].any()  # nothing at or around the missing left wrist (145, 130)
    # hollow: the centre of the occluded right wrist (55, 130) is not filled red, its ring is
    assert tuple(out[130, 55]) != SIDE_COLORS["R"]
    ring = np.abs(out[124:137, 49:62].astype(int) - SIDE_COLORS["R"]).max(axis=2) < 40
    assert ring.sum() >= 8


def test_draw_frame_draws_people_head_boxes_and_ignore_regions() -> None:
    image = np.full((200, 300, 3), 40, np.uint8)
    joints = _frontal_joints()
    person = Person(joints=joints, head_box=np.array([88.0, 15.0, 112.0, 52.0]), track_id=3)
    region = np.array([[200.0, 20.0], [290.0, 20.0], [290.0, 180.0], [200.0, 180.0]])
    frame = Frame(image="x.jpg", persons=[person, Person(joints=empty_joints())], ignore_regions=[region])
    out = draw_frame(image, frame, thickness=2)
    assert (image == 40).all()
    assert tuple(out[30, 88]) == track_color(3)  # left edge of the head box, in the track colour
    # inside the ignore region: blended towards grey (40 -> 40*0.55 + 128*0.45 = 79.6)
    assert abs(int(out[100, 250, 0]) - 80) <= 1
    assert (out[100, 150] == 40).all()  # outside everything: untouched


def test_overlapping_ignore_regions_are_both_shaded() -> None:
    image = np.zeros((100, 100, 3), np.uint8)
    a = np.array([[10.0, 10.0], [60.0, 10.0], [60.0, 60.0], [10.0, 60.0]])
    frame = Frame(image="x.jpg", ignore_regions=[a, a + 20])
    out = draw_frame(image, frame)
    assert out[50, 50, 0] > 0  # the overlap (40..60) is shaded too, not cancelled out


def test_frame_grid_layout() -> None:
    images = [np.full((10, 20, 3), k * 40, np.uint8) for k in range(5)]
    images[3] = np.full((5, 10), 200, np.uint8)  # grey and smaller: made RGB and resized to 10x20
    grid = frame_grid(images, ncols=2, pad=4)
    # 3 rows x 2 columns: height 3*10 + 4*4 = 46, width 2*20 + 3*4 = 52
    assert grid.shape == (46, 52, 3)
    assert (grid[4:14, 4:24] == 0).all()  # image 0 at row 0, column 0
    assert (grid[18:28, 28:48] == 200).all()  # image 3 at row 1, column 1
    assert (grid[32:42, 4:24] == 160).all()  # image 4 at row 2, column 0
    assert (grid[32:42, 28:48] == 255).all()  # empty cell: background
    assert (grid[0:4] == 255).all()
    with pytest.raises(ValueError):
        frame_grid([])


def test_read_image_returns_rgb(tmp_path: Path) -> None:
    bgr = np.zeros((4, 4, 3), np.uint8)
    bgr[..., 0] = 255  # blue in OpenCV's order
    cv2.imwrite(str(tmp_path / "b.png"), bgr)
    rgb = read_image(tmp_path / "b.png")
    assert tuple(rgb[0, 0]) == (0, 0, 255)
    with pytest.raises(DataError, match="missing.png: image file not found"):
        read_image(tmp_path / "missing.png")
