"""The in-memory schema shared by every stage: `Person`, `Frame`, `Sequence`.

Conventions (STYLE.md): image coordinates in pixels, x right, y down; joints are `(15, 3)` float
arrays of x, y, visibility in the PoseTrack 2017 joint order (`posekit.joints`), NaN rows where a
joint is not annotated (or not predicted). Ground truth and predictions use the same classes:
predictions carry per-joint `scores` and a person `score`; ground truth carries `head_box`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from posekit.joints import NUM_JOINTS


def empty_joints() -> np.ndarray:
    """A `(15, 3)` array with every joint unannotated (NaN)."""
    return np.full((NUM_JOINTS, 3), np.nan, dtype=np.float64)


@dataclass(eq=False)
class Person:
    """One annotated or predicted person in one frame.

    joints:    (15, 3) float64, columns x, y, visible (1.0 visible, 0.0 annotated but occluded); a row of
               NaN for a joint that is not annotated / not predicted.
    head_box:  (4,) float64 x1, y1, x2, y2 of the head bounding box, or None (predictions need none).
    track_id:  integer identity within the sequence, or None (e.g. single-frame detections).
    scores:    (15,) float64 per-joint confidence (predictions), NaN where the joint is absent; None in GT.
    score:     person-level confidence (predictions), None in GT.
    """

    joints: np.ndarray = field(default_factory=empty_joints)
    head_box: np.ndarray | None = None
    track_id: int | None = None
    scores: np.ndarray | None = None
    score: float | None = None

    def __post_init__(self) -> None:
        self.joints = np.asarray(self.joints, dtype=np.float64)
        if self.joints.shape != (NUM_JOINTS, 3):
            raise ValueError(f"Person.joints must have shape ({NUM_JOINTS}, 3), got {self.joints.shape}")
        if self.head_box is not None:
            self.head_box = np.asarray(self.head_box, dtype=np.float64).reshape(4)
        if self.scores is not None:
            self.scores = np.asarray(self.scores, dtype=np.float64).reshape(NUM_JOINTS)

    @property
    def annotated(self) -> np.ndarray:
        """(15,) bool: which joints are annotated (or predicted)."""
        return ~np.isnan(self.joints[:, 0])

    @property
    def head_center(self) -> np.ndarray | None:
        """(2,) centre of the head box (the target of the head heatmap, paper §4), or None."""
        if self.head_box is None:
            return None
        x1, y1, x2, y2 = self.head_box
        return np.array([(x1 + x2) / 2.0, (y1 + y2) / 2.0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Person):
            return NotImplemented
        return (
            _arr_eq(self.joints, other.joints)
            and _arr_eq(self.head_box, other.head_box)
            and self.track_id == other.track_id
            and _arr_eq(self.scores, other.scores)
            and _float_eq(self.score, other.score)
        )


@dataclass(eq=False)
class Frame:
    """One video frame.

    image:           the image path as written in the annotation file (relative to the dataset root).
    persons:         the annotated (GT) or predicted persons.
    ignore_regions:  polygons, each an (N, 2) float64 array of x, y: regions with unannotated people.
    is_labeled:      whether the frame was annotated (PoseTrack labels a subset of frames).
    frame_id:        the PoseTrack 2018 `id`/`frame_id` of the image, or None.
    """

    image: str
    persons: list[Person] = field(default_factory=list)
    ignore_regions: list[np.ndarray] = field(default_factory=list)
    is_labeled: bool = True
    frame_id: int | None = None

    def __post_init__(self) -> None:
        self.ignore_regions = [np.asarray(r, dtype=np.float64).reshape(-1, 2) for r in self.ignore_regions]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frame):
            return NotImplemented
        return (
            self.image == other.image
            and self.is_labeled == other.is_labeled
            and self.frame_id == other.frame_id
            and len(self.persons) == len(other.persons)
            and all(a == b for a, b in zip(self.persons, other.persons))
            and len(self.ignore_regions) == len(other.ignore_regions)
            and all(_arr_eq(a, b) for a, b in zip(self.ignore_regions, other.ignore_regions))
        )


@dataclass(eq=False)
class Sequence:
    """One video: its frames in order.

    name:        the sequence name (the annotation file name without extension, e.g. `000001_mpii_test`).
    frames:      all frames of the video, labelled or not, in temporal order.
    root:        the dataset root that `Frame.image` paths are relative to (None when unknown).
    source:      the annotation file it was read from (None for in-memory sequences).
    format:      "2017" or "2018": the PoseTrack layout it was read from (predictions are written alike).
    vid_id:      the PoseTrack 2018 `vid_id`, or None.
    """

    name: str
    frames: list[Frame] = field(default_factory=list)
    root: Path | None = None
    source: Path | None = None
    format: str = "2018"
    vid_id: str | None = None

    @property
    def labeled_frames(self) -> list[int]:
        """Indices of the frames with `is_labeled`."""
        return [i for i, f in enumerate(self.frames) if f.is_labeled]

    def image_path(self, index: int) -> Path:
        """Absolute path of frame `index`'s image (resolved against `root`)."""
        p = Path(self.frames[index].image)
        return p if p.is_absolute() or self.root is None else Path(self.root) / p

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return (
            self.name == other.name
            and len(self.frames) == len(other.frames)
            and all(a == b for a, b in zip(self.frames, other.frames))
        )


def _arr_eq(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=0, atol=1e-6, equal_nan=True))


def _float_eq(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 or (np.isnan(a) and np.isnan(b))
