"""The stacked GT and prediction sides of `posekit.evaluation.frames`: head sizes computed as poseval
computes them, the first GT problem named in frame order, and ignore regions applied per frame."""

from __future__ import annotations

import numpy as np
import pytest

from posekit.data.schema import Frame, Person, Sequence
from posekit.errors import DataError
from posekit.evaluation.frames import (
    filter_points,
    frame_poses,
    gt_frames,
    head_size,
    head_sizes,
    prediction_frames,
    sequence_poses,
    stacked_prediction_frames,
)
from posekit.joints import NUM_JOINTS


def _person(x: float, y: float, track_id: int | None, box: bool = True, scores: bool = False) -> Person:
    joints = np.column_stack([x + np.arange(NUM_JOINTS), y + 2 * np.arange(NUM_JOINTS), np.ones(NUM_JOINTS)])
    return Person(joints=joints, head_box=np.array([x, y, x + 30, y + 40.0]) if box else None,
                  track_id=track_id, scores=np.linspace(0.1, 0.9, NUM_JOINTS) if scores else None)


def test_head_sizes_equal_poseval_head_size_bit_for_bit():
    rng = np.random.default_rng(3)
    boxes = np.concatenate([rng.uniform(0, 1920, size=(2000, 4)), rng.integers(0, 1920, size=(2000, 4))])
    valid = rng.random(len(boxes)) < 0.9
    got = head_sizes(boxes, valid)
    want = np.array([head_size(b) if v else np.nan for b, v in zip(boxes, valid)])
    assert np.array_equal(got, want, equal_nan=True)  # == on every float, not approx


def _gt(frames: list[list[Person]], regions: dict[int, list] | None = None) -> Sequence:
    regions = regions or {}
    return Sequence("s", [Frame(image=f"s/{f:06d}.jpg", persons=persons, ignore_regions=regions.get(f, []))
                          for f, persons in enumerate(frames)])


def test_first_gt_problem_in_frame_order_is_named():
    dup_in_2 = [_person(0, 0, 1), _person(100, 0, 1)]
    no_box_in_1 = [_person(0, 0, 1, box=False)]
    seq = _gt([[_person(0, 0, 1)], no_box_in_1, dup_in_2])
    with pytest.raises(DataError, match=r"\(frame 1\): GT person 0 has joints but no head box"):
        gt_frames(seq, [0, 1, 2], "s", tracking=True)
    seq = _gt([[_person(0, 0, 1)], [_person(0, 0, 1), _person(9, 9, None)], dup_in_2])
    with pytest.raises(DataError, match=r"\(frame 1\): GT person 1 has no track_id"):
        gt_frames(seq, [0, 1, 2], "s", tracking=True)
    seq = _gt([[_person(0, 0, 1)], [_person(0, 0, 1)], dup_in_2])
    with pytest.raises(DataError, match=r"\(frame 2\): duplicate GT track_id in one frame"):
        gt_frames(seq, [0, 1, 2], "s", tracking=True)
    assert gt_frames(seq, [0, 1, 2], "s", tracking=False).ids.tolist() == [1, 1, 1, 1]


def test_a_person_without_head_box_inside_an_ignore_region_is_removed_not_an_error():
    region = np.array([[-50.0, -50], [500, -50], [500, 500], [-50, 500]])  # covers the first person
    seq = _gt([[_person(0, 0, 1, box=False), _person(1000, 0, 2)], [_person(1000, 0, 2)]], {0: [region]})
    gt = gt_frames(seq, [0, 1], "s", tracking=True)
    assert gt.start.tolist() == [0, 1, 2] and gt.ids.tolist() == [2, 2]
    assert np.all(np.isfinite(gt.head_size))
    with pytest.raises(DataError, match="no head box"):
        gt_frames(_gt([[_person(0, 0, 1, box=False)], [_person(1000, 0, 2)]]), [0, 1], "s", tracking=True)


def test_stacked_prediction_side_equals_frame_by_frame_filtering():
    region = np.array([[-50.0, -50], [12, -50], [12, 500], [-50, 500]])  # the first joints of person 0
    gt = gt_frames(_gt([[_person(0, 0, 1)], [_person(0, 0, 1)], [_person(0, 0, 1)]], {1: [region]}),
                   [0, 1, 2], "s", tracking=True)
    pred_frames = [Frame(image="a", persons=[_person(0, 0, 5, scores=True), _person(300, 0, 6, scores=True)]),
                   Frame(image="b", persons=[_person(0, 0, 5, scores=True), _person(-40, 0, 7, scores=True)]),
                   Frame(image="c", persons=[])]
    pr = stacked_prediction_frames(gt, *sequence_poses(pred_frames), "s")
    assert pr.start.tolist() == [0, 2, 3, 3]  # frame 1: person 7 lies inside the region, removed
    assert [k.tolist() for k in pr.kept] == [[0, 1], [0], []]
    assert pr.ids.tolist() == [5, 6, 5]
    want_kept, want_xy = filter_points(frame_poses(pred_frames[1])[0], [region])
    assert np.array_equal(pr.xy[2:3], want_xy, equal_nan=True) and want_kept.tolist() == [0]
    assert np.isnan(pr.xy[2, :12]).all() and np.isfinite(pr.xy[2, 12:]).all()  # x = 12: on the edge, kept
    same = prediction_frames(gt, [frame_poses(f) for f in pred_frames], "s")
    for name in ("start", "xy", "has", "scores", "ids"):
        assert np.array_equal(getattr(pr, name), getattr(same, name), equal_nan=True), name
