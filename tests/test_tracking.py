"""Tests of the geometric tracker (paper §3)."""

from __future__ import annotations

import numpy as np
import pytest

from posekit.tracking import GeometricTracker, greedy_match, pose_distance_matrix, track_sequence, track_steps

J = 15


def pose_at(x: float, y: float, spread: float = 10.0) -> np.ndarray:
    """A (15, 3) pose: joints on a small vertical line at (x, y + spread * k), visible 1."""
    p = np.zeros((J, 3))
    p[:, 0] = x
    p[:, 1] = y + spread * np.arange(J)
    p[:, 2] = 1.0
    return p


def test_distance_is_the_median_over_common_joints():
    a = pose_at(0, 0)[:, :2]
    b = a.copy()
    # Joint distances: joints 0..4 moved by 3, 4, 5, 100, 100 px; joints 5..14 missing in b.
    b[0] += (3, 0)
    b[1] += (0, 4)
    b[2] += (3, 4)  # 5 px
    b[3] += (100, 0)
    b[4] += (0, 100)
    b[5:] = np.nan
    d = pose_distance_matrix(a[None], b[None])
    # Common joints 0..4 -> distances [3, 4, 5, 100, 100] -> median 5.
    assert d.shape == (1, 1)
    assert d[0, 0] == pytest.approx(5.0)
    # Even count: drop joint 4 in a -> [3, 4, 5, 100] -> median (4 + 5) / 2 = 4.5.
    a2 = a.copy()
    a2[4] = np.nan
    assert pose_distance_matrix(a2[None], b[None])[0, 0] == pytest.approx(4.5)


def test_no_common_joint_is_infinite_and_never_matches():
    a = pose_at(0, 0)[:, :2]
    b = a.copy()
    a[:7] = np.nan
    b[7:] = np.nan
    d = pose_distance_matrix(a[None], b[None])
    assert np.isinf(d[0, 0])
    assert greedy_match(d, t_pose_dist=1e9) == []


def test_distance_matrix_matches_a_loop_reference():
    rng = np.random.default_rng(0)
    cur = rng.uniform(0, 100, (4, J, 2))
    prev = rng.uniform(0, 100, (3, J, 2))
    cur[rng.random((4, J)) < 0.3] = np.nan
    prev[rng.random((3, J)) < 0.3] = np.nan
    d = pose_distance_matrix(cur, prev)
    for i in range(4):
        for j in range(3):
            dj = np.linalg.norm(cur[i] - prev[j], axis=-1)
            dj = dj[np.isfinite(dj)]
            ref = np.median(dj) if dj.size else np.inf
            assert d[i, j] == pytest.approx(ref)


def test_greedy_takes_the_smallest_first_one_to_one():
    # Sorted pairs: (0,0)=1.0, (1,0)=2.0, (0,1)=2.5, (1,1)=3.0. (0,0) matches; (1,0) and (0,1) are skipped
    # because previous 0 / current 0 are used; (1,1) matches.
    d = np.array([[1.0, 2.5], [2.0, 3.0]])
    assert greedy_match(d, 10.0) == [(0, 0), (1, 1)]
    # Greedy, not optimal: greedy takes (0,0)=1 then (1,1)=9 (total 10) although (0,1)+(1,0)=2+2=4.
    d = np.array([[1.0, 2.0], [2.0, 9.0]])
    assert greedy_match(d, 10.0) == [(0, 0), (1, 1)]
    # With t_pose_dist=5 the pair (1,1)=9 is not allowed, and current 1 stays unmatched.
    assert greedy_match(d, 5.0) == [(0, 0)]


def test_threshold_is_strict():
    d = np.array([[200.0]])
    assert greedy_match(d, 200.0) == []  # equal to t_pose_dist: no match (strict <)
    assert greedy_match(d, 200.0001) == [(0, 0)]


def test_two_people_crossing_keep_their_ids():
    # Person A walks right, B walks left, both 30 px per frame; they cross near x=150 (A's head at
    # y=0, B's at y=40 so they overlap but are distinct). Per-frame motion 30 px is far less than the
    # distance between A and B (>= 40 px vertically), so the median rule keeps each ID.
    tracker = GeometricTracker(t_pose_dist=35.0, t_max_age=10)
    ids = []
    for t in range(11):
        a = pose_at(0 + 30 * t, 0)
        b = pose_at(300 - 30 * t, 40)
        ids.append(tracker.update([a, b]) if t % 2 == 0 else tracker.update([b, a])[::-1])
    assert all(frame_ids == [0, 1] for frame_ids in ids), ids


def test_person_leaving_and_returning_within_t_max_age_keeps_id_and_after_gets_a_new_one():
    t_max_age = 3
    p = pose_at(50, 50)
    other = pose_at(500, 500)
    # Missing for exactly t_max_age = 3 frames (frames 1, 2, 3), back in frame 4: same ID.
    frames = [[p, other], [other], [other], [other], [p, other]]
    ids = track_sequence(frames, t_pose_dist=20.0, t_max_age=t_max_age)
    assert ids[0] == [0, 1]
    assert ids[4] == [0, 1]
    # Missing for t_max_age + 1 = 4 frames (frames 1..4), back in frame 5: a new ID (2).
    frames = [[p, other], [other], [other], [other], [other], [p, other]]
    ids = track_sequence(frames, t_pose_dist=20.0, t_max_age=t_max_age)
    assert ids[5] == [2, 1]


def test_t_max_age_zero_compares_the_previous_frame_only():
    p = pose_at(0, 0)
    ids = track_sequence([[p], [p], [], [p]], t_pose_dist=5.0, t_max_age=0)
    assert ids == [[0], [0], [], [1]]


def test_distance_over_t_pose_dist_never_matches():
    # Every frame the person jumps 50 px; t_pose_dist=40: a new ID each frame.
    frames = [[pose_at(50 * t, 0)] for t in range(5)]
    ids = track_sequence(frames, t_pose_dist=40.0, t_max_age=10)
    assert ids == [[0], [1], [2], [3], [4]]
    # With t_pose_dist=60 it is the same ID throughout.
    ids = track_sequence(frames, t_pose_dist=60.0, t_max_age=10)
    assert ids == [[0]] * 5


def test_no_id_twice_in_a_frame_and_ids_are_unique():
    rng = np.random.default_rng(1)
    tracker = GeometricTracker(t_pose_dist=200.0, t_max_age=2)
    seen_per_frame = []
    for _ in range(30):
        n = int(rng.integers(0, 8))
        poses = [pose_at(*rng.uniform(0, 300, 2)) for _ in range(n)]
        for p in poses:
            p[rng.random(J) < 0.3] = np.nan
        ids = tracker.update(poses)
        assert len(ids) == n
        assert len(set(ids)) == n  # no ID assigned twice in a frame
        seen_per_frame.append(ids)
    # Three people all equally close to one previous person: only one of them inherits its ID.
    tracker = GeometricTracker(t_pose_dist=100.0, t_max_age=5)
    assert tracker.update([pose_at(0, 0)]) == [0]
    assert tracker.update([pose_at(5, 0), pose_at(-5, 0), pose_at(0, 5)]) == [0, 1, 2]


def test_matched_track_is_compared_with_its_most_recent_pose():
    # A person drifts 15 px per frame; t_pose_dist=20. Against the most recent pose it always matches;
    # against its first pose it would not (after 2 frames it is 30 px away).
    frames = [[pose_at(15 * t, 0)] for t in range(6)]
    assert track_sequence(frames, 20.0, 10) == [[0]] * 6


def test_empty_frames_and_missing_joints():
    tracker = GeometricTracker(200.0, 10)
    assert tracker.update([]) == []
    empty_pose = np.full((J, 3), np.nan)
    assert tracker.update([empty_pose]) == [0]
    assert tracker.update([empty_pose]) == [1]  # no common joint: never matches
    assert tracker.update(np.stack([pose_at(0, 0)[:, :2]])) == [2]  # (N, J, 2) array input


def test_track_steps_expose_distances_matching_order_and_expiry():
    t_max_age = 2
    a, b, c = pose_at(0, 0), pose_at(100, 0), pose_at(300, 0)
    # Frame 1: b moved 4 px, a 6 px: the greedy order takes b first (smallest median distance).
    frames = [[a, b], [pose_at(6, 0), pose_at(104, 0), c], [c], [c], [c], [c]]
    steps = track_steps(frames, t_pose_dist=20.0, t_max_age=t_max_age)
    assert [s.ids for s in steps] == track_sequence(frames, 20.0, t_max_age)
    s1 = steps[1]
    assert s1.candidate_ids == [0, 1] and s1.candidate_last_seen == [0, 0]
    assert s1.distances.shape == (3, 2)
    np.testing.assert_allclose(s1.distances[:2], [[6.0, 94.0], [104.0, 4.0]])
    assert s1.matches == [(1, 1), (0, 0)]  # in the order taken
    assert s1.ids == [0, 1, 2]  # c is new
    # IDs 0 and 1 were last seen in frame 1: still candidates in frame 4 (missing in 2, 3 = t_max_age
    # frames), discarded at frame 5.
    assert steps[4].candidate_ids == [0, 1, 2]
    assert [s.expired for s in steps] == [[], [], [], [], [], [0, 1]]
    assert steps[5].expired_last_seen == [1, 1] and steps[5].candidate_ids == [2]
