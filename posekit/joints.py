"""The joints of PoseTrack 2017 and 2018, as data (paper §4: PoseTrack dataset).

Everything that depends on joint order lives here: names in the official PoseTrack 2017 order
(the order of the ids in the official evaluation), the left/right flip partners used by the
mirror augmentation, the skeleton edges used for drawing, the joint groups of Table 1, and the
PoseTrack 2018 17-keypoint layout with its mapping to the 15 joints of 2017.
"""

from __future__ import annotations

import numpy as np

#: PoseTrack 2017 joint names, index == official joint id (0..14).
JOINT_NAMES: tuple[str, ...] = (
    "right_ankle",  # 0
    "right_knee",  # 1
    "right_hip",  # 2
    "left_hip",  # 3
    "left_knee",  # 4
    "left_ankle",  # 5
    "right_wrist",  # 6
    "right_elbow",  # 7
    "right_shoulder",  # 8
    "left_shoulder",  # 9
    "left_elbow",  # 10
    "left_wrist",  # 11
    "neck",  # 12 (PoseTrack 2018: head_bottom)
    "nose",  # 13
    "head_top",  # 14
)
NUM_JOINTS: int = len(JOINT_NAMES)
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES)}

#: Left/right partners (a mirror in x swaps them).
FLIP_PAIRS: tuple[tuple[int, int], ...] = ((0, 5), (1, 4), (2, 3), (6, 11), (7, 10), (8, 9))


def flip_permutation() -> np.ndarray:
    """Index array `perm` such that `joints_mirrored = joints[perm]` after mirroring in x."""
    perm = np.arange(NUM_JOINTS)
    for a, b in FLIP_PAIRS:
        perm[a], perm[b] = b, a
    return perm


#: Bones for drawing a skeleton (pairs of joint ids).
SKELETON: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2),  # right leg
    (5, 4), (4, 3),  # left leg
    (2, 3),  # pelvis
    (2, 8), (3, 9),  # torso sides
    (8, 9),  # shoulders
    (8, 7), (7, 6),  # right arm
    (9, 10), (10, 11),  # left arm
    (8, 12), (9, 12),  # shoulders to neck
    (12, 13), (13, 14),  # neck - nose - head top
)

#: Which side each joint is on, for colouring: "R", "L" or "C" (centre).
JOINT_SIDE: tuple[str, ...] = tuple(
    "R" if n.startswith("right") else "L" if n.startswith("left") else "C" for n in JOINT_NAMES
)

#: The columns of Table 1 / Table 2 and the joints averaged into each (official `getCum`).
JOINT_GROUPS: dict[str, tuple[int, ...]] = {
    "Head": (14, 12, 13),  # head_top, neck, nose
    "Sho": (8, 9),
    "Elb": (7, 10),
    "Wri": (6, 11),
    "Hip": (2, 3),
    "Knee": (1, 4),
    "Ank": (0, 5),
}
GROUP_NAMES: tuple[str, ...] = tuple(JOINT_GROUPS)

#: PoseTrack 2018 keypoint order (COCO-like, 17 entries); the ears are never annotated.
POSETRACK18_KEYPOINTS: tuple[str, ...] = (
    "nose", "head_bottom", "head_top", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
#: 2018 name -> 2017 name (the ears map to nothing).
NAME_18_TO_17: dict[str, str | None] = {
    n: ("neck" if n == "head_bottom" else None if n.endswith("_ear") else n) for n in POSETRACK18_KEYPOINTS
}
#: For each 2018 keypoint index, the 2017 joint id or -1 (ears).
KP18_TO_17: tuple[int, ...] = tuple(
    JOINT_INDEX[NAME_18_TO_17[n]] if NAME_18_TO_17[n] is not None else -1 for n in POSETRACK18_KEYPOINTS
)
#: For each 2017 joint id, its index in the 2018 keypoint list.
J17_TO_KP18: tuple[int, ...] = tuple(KP18_TO_17.index(j) for j in range(NUM_JOINTS))


def joint_id_from_name(name: str) -> int:
    """2017 joint id of a 2017 or 2018 joint name; ValueError for unknown names and the ears."""
    name17 = NAME_18_TO_17.get(name, name)
    if name17 is None or name17 not in JOINT_INDEX:
        raise ValueError(f"unknown joint name {name!r}")
    return JOINT_INDEX[name17]
