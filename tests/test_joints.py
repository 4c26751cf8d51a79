"""Joint order, flip pairs, groups and the 2018 <-> 2017 mapping."""

from __future__ import annotations

import numpy as np
import pytest

from posekit import joints as J


def test_official_2017_order():
    # poseval eval_helpers.py: ids 0..14 from right ankle to head top.
    assert J.JOINT_NAMES[0] == "right_ankle" and J.JOINT_NAMES[5] == "left_ankle"
    assert J.JOINT_NAMES[6] == "right_wrist" and J.JOINT_NAMES[11] == "left_wrist"
    assert J.JOINT_NAMES[12:] == ("neck", "nose", "head_top")
    assert J.NUM_JOINTS == 15


def test_flip_pairs_swap_left_and_right_names():
    perm = J.flip_permutation()
    for i, name in enumerate(J.JOINT_NAMES):
        partner = J.JOINT_NAMES[perm[i]]
        if name.startswith("right_"):
            assert partner == "left_" + name[6:]
        elif name.startswith("left_"):
            assert partner == "right_" + name[5:]
        else:
            assert partner == name
    assert np.array_equal(perm[perm], np.arange(15))  # an involution


def test_groups_cover_every_joint_once():
    ids = sorted(j for g in J.JOINT_GROUPS.values() for j in g)
    assert ids == list(range(15))
    assert J.JOINT_GROUPS["Head"] == (14, 12, 13)
    assert J.GROUP_NAMES == ("Head", "Sho", "Elb", "Wri", "Hip", "Knee", "Ank")


def test_2018_mapping_by_name():
    # EVALUATION.md §3.1: 2018 index -> 2017 id.
    expected = [13, 12, 14, -1, -1, 9, 8, 10, 7, 11, 6, 3, 2, 4, 1, 5, 0]
    assert list(J.KP18_TO_17) == expected
    for j in range(15):
        assert J.KP18_TO_17[J.J17_TO_KP18[j]] == j
    assert J.joint_id_from_name("head_bottom") == 12 and J.joint_id_from_name("neck") == 12
    with pytest.raises(ValueError):
        J.joint_id_from_name("left_ear")
    with pytest.raises(ValueError):
        J.joint_id_from_name("tail")


def test_skeleton_edges_are_valid_and_connected():
    edges = J.SKELETON
    assert all(0 <= a < 15 and 0 <= b < 15 and a != b for a, b in edges)
    seen, todo = {14}, [14]
    while todo:
        n = todo.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == n and y not in seen:
                    seen.add(y)
                    todo.append(y)
    assert seen == set(range(15))
