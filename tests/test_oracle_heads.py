"""scripts/oracle_heads.py: ground-truth heads and multi-person heatmaps land where the §4 targets put
them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from posekit.config import get_profile
from posekit.data.schema import Person
from posekit.joints import NUM_JOINTS
from scripts.oracle_heads import gt_head_peaks, gt_multi_person_heatmaps

#: image px -> input px: scale 0.5 and a 10 px vertical letterbox offset (x' = 0.5 x, y' = 0.5 y + 10)
LETTERBOX = np.array([[0.5, 0.0, 0.0], [0.0, 0.5, 10.0]])


def _person(x0: float, y0: float, track_id: int, head: bool = True) -> Person:
    joints = np.full((NUM_JOINTS, 3), np.nan)
    for j in range(NUM_JOINTS):
        joints[j] = (x0 + 8 * j, y0 + 4 * j, 1.0)
    joints[3] = np.nan  # one joint not annotated
    box = np.array([x0 - 10, y0 - 20, x0 + 10, y0]) if head else None
    return Person(joints=joints, head_box=box, track_id=track_id)


def test_gt_head_peaks_are_the_head_box_centres_in_heatmap_px_and_skip_persons_without_a_box() -> None:
    persons = [_person(100, 60, 7), _person(300, 90, 9, head=False), _person(200, 120, 4)]
    peaks, ids = gt_head_peaks(persons, LETTERBOX, stride=4)
    assert ids == [7, 4]
    # centre (100, 50) -> input (50, 35) -> heatmap ((50.5) / 4 - 0.5, (35.5) / 4 - 0.5)
    np.testing.assert_allclose(peaks[0], [50.5 / 4 - 0.5, 35.5 / 4 - 0.5])
    np.testing.assert_allclose(peaks[1], [100.5 / 4 - 0.5, 65.5 / 4 - 0.5])
    empty, none = gt_head_peaks([_person(1, 1, 1, head=False)], LETTERBOX, 4)
    assert empty.shape == (0, 2) and none == []


def test_gt_multi_person_heatmaps_peak_at_every_annotated_joint_x_right_y_down() -> None:
    config = get_profile("cpu")
    predictor = SimpleNamespace(heatmap_size=(112, 64), stride=4, config=config)
    person = _person(100, 60, 1)
    hm = gt_multi_person_heatmaps([person], {"letterbox": LETTERBOX[None]}, predictor)
    assert hm.shape == (64, 112, NUM_JOINTS)
    assert hm[..., 3].max() == 0.0  # the unannotated joint has no Gaussian
    for j in (0, 7, 14):
        x, y = person.joints[j, :2]
        hx, hy = (0.5 * x + 0.5) / 4 - 0.5, (0.5 * y + 10 + 0.5) / 4 - 0.5
        row, col = np.unravel_index(np.argmax(hm[..., j]), hm.shape[:2])
        assert (col, row) == (round(hx), round(hy)), j
        assert hm[row, col, j] > 0.9  # within half a pixel of the centre of a σ = 2 Gaussian of peak 1
    assert not gt_multi_person_heatmaps([], {"letterbox": LETTERBOX[None]}, predictor).any()
