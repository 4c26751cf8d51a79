"""The geometric multi-person tracker of paper §3 (pure numpy).

Paper §3: every person detected in the current frame gets a new unique ID; then tuples of (current
person, previously detected person) are ranked by the median distance between their body joints and,
starting from the smallest, matched one-to-one while that distance is under `t_pose_dist`; a matched
current person takes the ID of its match. IDs unseen for more than `t_max_age` frames are discarded.

Where the paper is ambiguous, these are our choices (each repeated where it is implemented):

- Not in the paper: which previous pose of an ID is compared. We compare the ID's most recent pose
  (the pose it had in the last frame it was matched or created in): the person has moved least since
  then, and it keeps the candidate set to one pose per live ID, so "one-to-one" is well defined.
- Not in the paper: the median is over the joints present (finite x, y) in *both* poses; with an even
  count it is numpy's median (the mean of the two middle values); with no common joint the distance is
  infinite, so such a pair never matches.
- Not in the paper: a pair matches when its median distance is strictly `< t_pose_dist` ("under a
  certain threshold"); a distance equal to `t_pose_dist` does not match.
- Not in the paper: ties in the greedy order (equal distances) are broken by current-person index, then
  by the age of the ID (older IDs first), so the result is deterministic.
- Not in the paper: the age rule. An ID last seen in frame s is a candidate in frame t while it has been
  missing for at most `t_max_age` frames, i.e. t - s - 1 <= t_max_age. With t_max_age = 10 a person last
  seen in frame 0 can be matched again up to frame 11 (missing in frames 1..10); from frame 12 on the ID
  is discarded and the person gets a new one. With t_max_age = 0 only the previous frame is compared.
- Not in the paper: IDs are the integers 0, 1, 2, ... in order of creation and are never reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def _xy(poses: Sequence[np.ndarray] | np.ndarray, num_joints: int | None = None) -> np.ndarray:
    """Stack poses ((J, 2) or (J, 3) each) into an (N, J, 2) float64 array of x, y (NaN = missing)."""
    if isinstance(poses, np.ndarray) and poses.ndim == 3:
        arr = poses[..., :2].astype(np.float64)
    elif len(poses) == 0:
        return np.zeros((0, num_joints or 0, 2), dtype=np.float64)
    else:
        arr = np.stack([np.asarray(p, dtype=np.float64)[:, :2] for p in poses])
    # A joint with a NaN in x or y is missing in both coordinates.
    missing = ~np.isfinite(arr).all(axis=-1)
    arr = arr.copy()
    arr[missing] = np.nan
    return arr


def pose_distance_matrix(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Median joint distance between every current and every previous pose. Paper §3.

    current:  (N, J, 2) x, y, NaN where a joint is missing.
    previous: (M, J, 2) idem.
    returns:  (N, M) float64: for each pair, the median over the joints present in both poses of the
              Euclidean distances between corresponding joints; +inf when no joint is present in both.
    """
    n, m = current.shape[0], previous.shape[0]
    if n == 0 or m == 0:
        return np.full((n, m), np.inf, dtype=np.float64)
    diff = current[:, None, :, :] - previous[None, :, :, :]  # (N, M, J, 2)
    dist = np.sqrt((diff**2).sum(axis=-1))  # (N, M, J); NaN where either joint is missing
    common = np.isfinite(dist)
    # Median over the common joints: sort with missing joints pushed to the end (+inf), then take the
    # middle one (odd count) or the mean of the two middle ones (even count).
    count = common.sum(axis=-1)  # (N, M)
    ordered = np.sort(np.where(common, dist, np.inf), axis=-1)
    lo = np.maximum((count - 1) // 2, 0)
    hi = np.maximum(count // 2, 0)
    lo_val = np.take_along_axis(ordered, lo[..., None], axis=-1)[..., 0]
    hi_val = np.take_along_axis(ordered, hi[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore"):
        median = 0.5 * (lo_val + hi_val)
    median[count == 0] = np.inf
    return median


def greedy_match(distances: np.ndarray, t_pose_dist: float) -> list[tuple[int, int]]:
    """One-to-one greedy matching from the smallest distance while it is < `t_pose_dist`. Paper §3.

    distances: (N, M) current × previous.
    returns:   (current index, previous index) pairs in matching order.

    Not in the paper: strict `<`; ties broken by current index, then previous index (stable sort).
    """
    n, m = distances.shape
    if n == 0 or m == 0:
        return []
    flat = distances.ravel()
    order = np.argsort(flat, kind="stable")  # row-major: ties by current index, then previous index
    used_current = np.zeros(n, dtype=bool)
    used_previous = np.zeros(m, dtype=bool)
    pairs: list[tuple[int, int]] = []
    for k in order:
        if not flat[k] < t_pose_dist:  # also stops at +inf / NaN
            break
        i, j = divmod(int(k), m)
        if used_current[i] or used_previous[j]:
            continue
        used_current[i] = used_previous[j] = True
        pairs.append((i, j))
        if len(pairs) == min(n, m):
            break
    return pairs


@dataclass
class TrackStep:
    """What the tracker did in one frame (paper §3), for a reader to see.

    frame:              the frame index (0, 1, ...).
    candidate_ids:      the live IDs the current persons were compared with (oldest first), after the
                        t_max_age discard; candidate_last_seen: the frame each was last seen in (its pose
                        compared is the one of that frame).
    distances:          (N, M) median joint distance, current person × candidate ID (+inf: no common joint).
    matches:            (current index, candidate index) pairs in the greedy order they were taken.
    ids:                the N current persons' IDs (matched ones inherit, the others are new).
    expired:            the IDs discarded at this frame (missing for more than t_max_age frames);
                        expired_last_seen: the frame each was last seen in.
    """

    frame: int
    candidate_ids: list[int]
    candidate_last_seen: list[int]
    distances: np.ndarray
    matches: list[tuple[int, int]]
    ids: list[int]
    expired: list[int] = field(default_factory=list)
    expired_last_seen: list[int] = field(default_factory=list)


class GeometricTracker:
    """Frame-by-frame tracker of paper §3: median joint distance, greedy one-to-one matching.

    t_pose_dist: maximal (exclusive) median joint distance of a match, in the poses' units (image px).
    t_max_age:   frames an ID may be missing and still be matched (see the module docstring).

    State: for each live ID its most recent pose (J, 2) and the frame it was last seen in.
    """

    def __init__(self, t_pose_dist: float, t_max_age: int):
        self.t_pose_dist = float(t_pose_dist)
        self.t_max_age = int(t_max_age)
        self.reset()

    def reset(self) -> None:
        """Forget every track; the next frame is frame 0 and the next new ID is 0."""
        self.frame_index = -1
        self.next_id = 0
        self._ids: list[int] = []  # live IDs, oldest first
        self._poses: list[np.ndarray] = []  # their most recent (J, 2) poses
        self._last_seen: list[int] = []  # the frame each was last seen in

    def update(self, poses: Sequence[np.ndarray] | np.ndarray) -> list[int]:
        """Track the poses of the next frame. Paper §3.

        poses:   N poses, each (J, 3) x, y, visible or (J, 2) x, y; NaN where a joint is missing.
        returns: N track IDs, in the order of `poses`, pairwise distinct.
        """
        return self.step(poses).ids

    def step(self, poses: Sequence[np.ndarray] | np.ndarray) -> TrackStep:
        """`update`, returning what the tracker did in this frame (`TrackStep`): the distances, the matches
        in the order they were taken, the IDs, and the IDs discarded by t_max_age."""
        self.frame_index += 1
        t = self.frame_index
        # Discard IDs missing for more than t_max_age frames (missing frames: s+1 .. t-1).
        alive = [t - s - 1 <= self.t_max_age for s in self._last_seen]
        expired = [(i, s) for i, s, a in zip(self._ids, self._last_seen, alive, strict=True) if not a]
        self._ids = [v for v, a in zip(self._ids, alive, strict=True) if a]
        self._poses = [v for v, a in zip(self._poses, alive, strict=True) if a]
        self._last_seen = [v for v, a in zip(self._last_seen, alive, strict=True) if a]
        candidates, last_seen = list(self._ids), list(self._last_seen)

        current = _xy(poses)
        n = current.shape[0]
        ids: list[int] = [-1] * n
        dist = np.full((n, len(candidates)), np.inf)
        matches: list[tuple[int, int]] = []
        if n and self._ids:
            previous = np.stack(self._poses)  # (M, J, 2), oldest ID first
            dist = pose_distance_matrix(current, previous)
            matches = greedy_match(dist, self.t_pose_dist)
            for i, j in matches:
                ids[i] = self._ids[j]
                self._poses[j] = current[i]
                self._last_seen[j] = t
        for i in range(n):
            if ids[i] < 0:  # previously undetected person: a new unique ID
                ids[i] = self.next_id
                self.next_id += 1
                self._ids.append(ids[i])
                self._poses.append(current[i])
                self._last_seen.append(t)
        return TrackStep(t, candidates, last_seen, dist, matches, ids, [i for i, _ in expired],
                         [s for _, s in expired])


def track_steps(
    poses_per_frame: Sequence[Sequence[np.ndarray] | np.ndarray], t_pose_dist: float, t_max_age: int
) -> list[TrackStep]:
    """`GeometricTracker.step` for every frame of a video, with a fresh tracker (notebook 05's figure)."""
    tracker = GeometricTracker(t_pose_dist, t_max_age)
    return [tracker.step(poses) for poses in poses_per_frame]


def track_sequence(
    poses_per_frame: Sequence[Sequence[np.ndarray] | np.ndarray], t_pose_dist: float, t_max_age: int
) -> list[list[int]]:
    """Track IDs for every frame of a video with a fresh `GeometricTracker`. Paper §3.

    poses_per_frame: for each frame (in temporal order) its poses, each (J, 3) or (J, 2).
    returns:         for each frame the IDs of its poses, in the same order.
    """
    return [step.ids for step in track_steps(poses_per_frame, t_pose_dist, t_max_age)]
