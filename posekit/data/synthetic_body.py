"""Articulated 2D figures of the synthetic dataset: body shape, pose, projection to the image, drawing.

Not in the paper: the paper trains on PoseTrack (§4); this kit also ships a procedural stand-in
(`posekit.data.synthetic`). A figure is a stick skeleton of the 15 PoseTrack joints (`posekit.joints`
order) fleshed out with filled limbs (tapered capsules), a torso polygon, a neck and an elliptic head.

Body frame: points are (l, v, s) in units of the standing height h: l towards the person's RIGHT, v up
from the ground, s forwards (the facing direction). A person facing the camera has `facing` 0, walking
to the image right pi/2, facing away pi. Projection (orthographic per person, scaled by its height in
pixels, placed by perspective in the scene module):

    image_x = x + h_px * (-cos(facing) * l + sin(facing) * s)
    image_y = foot_y - h_px * v
    depth   =        sin(facing) * l + cos(facing) * s        (towards the camera, for draw order)

so a person facing the camera has its right side on image left, and a person walking to the image
right shows its right side to the camera: left/right stay anatomically correct in every view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from posekit.joints import JOINT_INDEX, NUM_JOINTS

#: Sub-pixel precision of OpenCV drawing (coordinates are multiplied by 2**SHIFT).
SHIFT = 4
_ONE = 1 << SHIFT
#: Smallest radius (px) of any drawn part, so every joint of a small person lies on a drawn pixel.
MIN_RADIUS = 1.6

RGB = tuple[int, int, int]

_SKIN: tuple[RGB, ...] = (
    (255, 224, 196),
    (241, 194, 160),
    (224, 172, 135),
    (198, 134, 99),
    (161, 102, 70),
    (125, 78, 52),
    (96, 60, 40),
    (232, 190, 150),
)
_HAIR: tuple[RGB, ...] = (
    (20, 16, 14),
    (45, 30, 20),
    (80, 52, 30),
    (120, 84, 50),
    (190, 150, 90),
    (150, 150, 150),
    (60, 40, 35),
)

_J = JOINT_INDEX


@dataclass(frozen=True)
class BodyShape:
    """Proportions (fractions of the standing height) and colours of one person; constant over a video."""

    head_h: float  # head height (chin to crown)
    head_w: float  # head width (ear to ear)
    head_d: float  # head depth (nose to back)
    neck: float  # neck length between shoulder line and head bottom
    shoulder_w: float  # distance between the shoulder joints
    hip_w: float  # distance between the hip joints
    torso_d: float  # torso thickness front to back
    upper_arm: float
    forearm: float
    thigh: float
    shin: float
    ankle_h: float  # ankle height above the ground
    torso: float  # hip to shoulder line (derived: the parts add up to 1)
    r_upper_arm: float  # limb radii
    r_forearm: float
    r_thigh: float
    r_shin: float
    r_neck: float
    r_hand: float
    foot: float  # foot length
    skin: RGB
    hair: RGB
    shirt: RGB
    trousers: RGB
    shoes: RGB
    short_sleeves: bool
    shorts: bool


def _colour(rng: np.random.Generator, sat: tuple[float, float], val: tuple[float, float]) -> RGB:
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(*sat) * 255, rng.uniform(*val) * 255]]], np.uint8)
    r, g, b = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0]
    return int(r), int(g), int(b)


def sample_body(rng: np.random.Generator) -> BodyShape:
    """A random body: proportions about ±10 % of an adult's, widths ×0.85–1.2, limb radii ×0.8–1.25."""
    u = rng.uniform
    head_h = u(0.12, 0.14)
    neck = u(0.03, 0.045)
    thigh = u(0.225, 0.26)
    shin = thigh * u(0.95, 1.05)
    ankle_h = 0.04
    torso = 1.0 - (head_h + neck + thigh + shin + ankle_h)
    b = u(0.85, 1.2)  # slim ... broad
    t = u(0.8, 1.25)  # limb thickness
    shirt = _colour(rng, (0.0, 0.9), (0.15, 0.95))
    trousers = _colour(rng, (0.0, 0.6), (0.1, 0.7))
    return BodyShape(
        head_h=head_h,
        head_w=head_h * u(0.74, 0.84),
        head_d=head_h * u(0.9, 1.0),
        neck=neck,
        shoulder_w=0.23 * b * u(0.95, 1.05),
        hip_w=0.12 * b,
        torso_d=0.13 * b,
        upper_arm=u(0.17, 0.19),
        forearm=u(0.15, 0.17),
        thigh=thigh,
        shin=shin,
        ankle_h=ankle_h,
        torso=torso,
        r_upper_arm=0.030 * b * t,
        r_forearm=0.024 * b * t,
        r_thigh=0.046 * b * t,
        r_shin=0.033 * b * t,
        r_neck=0.028 * b,
        r_hand=0.026 * t,
        foot=u(0.07, 0.09),
        skin=_SKIN[int(rng.integers(len(_SKIN)))],
        hair=_HAIR[int(rng.integers(len(_HAIR)))],
        shirt=shirt,
        trousers=trousers,
        shoes=_colour(rng, (0.0, 0.5), (0.05, 0.5)),
        short_sleeves=bool(rng.random() < 0.35),
        shorts=bool(rng.random() < 0.15),
    )


@dataclass(frozen=True)
class Pose:
    """The articulation of one person in one frame (angles in radians; index 0 right, 1 left)."""

    facing: float = 0.0  # 0 facing the camera, pi/2 facing image right, pi facing away
    phase: float = 0.0  # walking-cycle phase of the right leg
    gait: float = 0.0  # amplitude of the walking cycle: 0 standing ... 1 walking
    abduction: tuple[float, float] = (0.15, 0.15)  # upper arm raised sideways (0 hanging, pi/2 horizontal)
    swing: tuple[float, float] = (0.0, 0.0)  # upper arm forward offset (added to the gait's arm swing)
    elbow: tuple[float, float] = (0.25, 0.25)  # elbow flexion
    lean: float = 0.0  # forward lean of the upper body


def _leg_dir(angle: float, side: float, splay: float = 0.04) -> np.ndarray:
    return np.array([side * np.sin(splay), -np.cos(angle) * np.cos(splay), np.sin(angle) * np.cos(splay)])


def _arm_dir(swing: float, abduction: float, side: float) -> np.ndarray:
    return np.array(
        [side * np.sin(abduction), -np.cos(abduction) * np.cos(swing), np.cos(abduction) * np.sin(swing)]
    )


def skeleton_3d(shape: BodyShape, pose: Pose) -> dict[str, np.ndarray]:
    """Body-frame points (l, v, s) of the 15 joints and of the drawing helpers.

    Returns {"joints": (15, 3), "head": (3,) head centre, "hand_r"/"hand_l", "toe_r"/"toe_l",
    "neck_base": (3,)}; the lower foot touches the ground (v = ankle_h).
    """
    p, g = pose.phase, pose.gait
    leg_amp, arm_amp = 0.38 * g, 0.38 * g
    pts: dict[str, np.ndarray] = {}
    joints = np.zeros((NUM_JOINTS, 3))
    # Legs: thigh angle swings forward/back, the knee flexes most early in the swing phase.
    legs = {}
    for side, ph, (hip, knee, ankle) in (
        (1.0, p, ("right_hip", "right_knee", "right_ankle")),
        (-1.0, p + np.pi, ("left_hip", "left_knee", "left_ankle")),
    ):
        alpha = leg_amp * np.sin(ph)
        kappa = 0.06 + g * 0.75 * max(0.0, np.cos(ph + 0.3)) ** 2
        hip_p = np.array([side * shape.hip_w / 2, 0.0, 0.0])
        knee_p = hip_p + shape.thigh * _leg_dir(alpha, side)
        ankle_p = knee_p + shape.shin * _leg_dir(alpha - kappa, side)
        legs[side] = (hip, knee, ankle, hip_p, knee_p, ankle_p)
    # Pelvis height: the lower ankle rests at ankle_h above the ground.
    pelvis_v = shape.ankle_h - min(legs[1.0][5][1], legs[-1.0][5][1])
    lift = np.array([0.0, pelvis_v, 0.0])
    for side, (hip, knee, ankle, hip_p, knee_p, ankle_p) in legs.items():
        joints[_J[hip]], joints[_J[knee]], joints[_J[ankle]] = hip_p + lift, knee_p + lift, ankle_p + lift
        pts["toe_r" if side > 0 else "toe_l"] = joints[_J[ankle]] + np.array(
            [0.0, -0.5 * shape.ankle_h, shape.foot]
        )
    # Upper body, leaning forward by `lean` about the pelvis.
    up = np.array([0.0, np.cos(pose.lean), np.sin(pose.lean)])
    neck_base = lift + shape.torso * up
    pts["neck_base"] = neck_base
    for k, (side, sh, el, wr, hand) in enumerate(
        (
            (1.0, "right_shoulder", "right_elbow", "right_wrist", "hand_r"),
            (-1.0, "left_shoulder", "left_elbow", "left_wrist", "hand_l"),
        )
    ):
        beta = (-1.0 if side > 0 else 1.0) * arm_amp * np.sin(p) + pose.swing[k] + pose.lean
        eps = pose.elbow[k] + 0.3 * g * max(0.0, beta)
        sh_p = neck_base + np.array([side * shape.shoulder_w / 2, -0.012, 0.0])
        el_p = sh_p + shape.upper_arm * _arm_dir(beta, pose.abduction[k], side)
        fore = _arm_dir(beta + eps, pose.abduction[k], side)
        wr_p = el_p + shape.forearm * fore
        joints[_J[sh]], joints[_J[el]], joints[_J[wr]] = sh_p, el_p, wr_p
        pts[hand] = wr_p + 0.8 * shape.r_hand * fore
    neck = neck_base + shape.neck * up
    head = neck + 0.5 * shape.head_h * up
    joints[_J["neck"]] = neck + 0.06 * shape.head_h * up  # the head's bottom, just inside the chin
    joints[_J["head_top"]] = head + 0.40 * shape.head_h * up  # just inside the crown
    joints[_J["nose"]] = head + np.array([0.0, -0.1 * shape.head_h, 0.3 * shape.head_d])
    pts["head"] = head
    pts["joints"] = joints
    return pts


@dataclass
class Primitive:
    """One filled shape: kind "capsule" (p0, p1, r0, r1), "poly" (pts), "ellipse" (centre, axes), "circle"."""

    depth: float
    kind: str
    pts: np.ndarray  # (N, 2) image px
    radii: tuple[float, ...] = ()
    colour: RGB = (0, 0, 0)
    in_mask: bool = True  # part of the person's silhouette (details inside it need not be)


@dataclass
class Figure:
    """One person drawn in one frame, in image pixels.

    joints:    (15, 2) x, y of the joints (before visibility checks).
    head_box:  (4,) x1, y1, x2, y2 of the head ellipse's bounding box (encloses the whole head).
    parts:     primitives sorted far to near (draw order).
    depth:     foot y in the image: larger is nearer to the camera (scene draw order).
    height_px: standing height in pixels.
    """

    joints: np.ndarray
    head_box: np.ndarray
    parts: list[Primitive] = field(default_factory=list)
    depth: float = 0.0
    height_px: float = 0.0

    def outline_points(self) -> np.ndarray:
        """(N, 2) points whose convex hull contains every drawn pixel of the figure."""
        angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        ring = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        out = []
        for prim in self.parts:
            if prim.kind == "poly":
                out.append(prim.pts)
            elif prim.kind == "capsule":
                for pt, r in zip(prim.pts, prim.radii, strict=True):
                    out.append(pt + (r + 0.5) * ring)
            elif prim.kind == "circle":
                out.append(prim.pts[0] + (prim.radii[0] + 0.5) * ring)
            else:  # ellipse
                out.append(prim.pts[0] + (np.array(prim.radii) + 0.5) * ring)
        return np.concatenate(out, axis=0)

    def bbox(self) -> np.ndarray:
        """(4,) x1, y1, x2, y2 of the drawn extent."""
        pts = self.outline_points()
        return np.array([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()])


def build_figure(shape: BodyShape, pose: Pose, x: float, foot_y: float, height_px: float) -> Figure:
    """The figure of `shape` in `pose`, its pelvis at image x `x`, feet on image row `foot_y`.

    Returns a Figure with the joints (15, 2) and the primitives sorted far to near.
    """
    pts3 = skeleton_3d(shape, pose)
    c, s = np.cos(pose.facing), np.sin(pose.facing)
    hp = float(height_px)

    def proj(p: np.ndarray) -> np.ndarray:
        p = np.atleast_2d(p)
        return np.stack([x + hp * (-c * p[:, 0] + s * p[:, 2]), foot_y - hp * p[:, 1]], axis=1)

    def depth(p: np.ndarray) -> float:
        p = np.atleast_2d(p)
        return float(np.mean(s * p[:, 0] + c * p[:, 2]))

    def rad(r: float) -> float:
        return max(MIN_RADIUS, r * hp)

    J3 = pts3["joints"]
    J2 = proj(J3)
    parts: list[Primitive] = []

    def capsule(a3: np.ndarray, b3: np.ndarray, r0: float, r1: float, colour: RGB, bias: float = 0.0) -> None:
        parts.append(
            Primitive(
                depth(np.stack([a3, b3])) + bias,
                "capsule",
                proj(np.stack([a3, b3])),
                (rad(r0), rad(r1)),
                colour,
            )
        )

    # Legs (trousers; shins skin with shorts) and shoes.
    for hip, knee, ankle, toe in (
        ("right_hip", "right_knee", "right_ankle", "toe_r"),
        ("left_hip", "left_knee", "left_ankle", "toe_l"),
    ):
        h3, k3, a3 = J3[_J[hip]], J3[_J[knee]], J3[_J[ankle]]
        capsule(h3, k3, shape.r_thigh, shape.r_thigh * 0.8, shape.trousers)
        capsule(k3, a3, shape.r_shin, shape.r_shin * 0.75, shape.skin if shape.shorts else shape.trousers)
        capsule(a3, pts3[toe], shape.r_shin * 0.7, shape.r_shin * 0.6, shape.shoes, bias=0.001)
    # Torso: hull of shoulders and hips, thickened front/back by the torso depth (visible in side views).
    fwd = np.array([0.0, 0.0, shape.torso_d / 2])
    sh_r, sh_l = J3[_J["right_shoulder"]], J3[_J["left_shoulder"]]
    hip_r, hip_l = J3[_J["right_hip"]], J3[_J["left_hip"]]
    widen = np.array([shape.r_upper_arm * 0.6, 0.0, 0.0])
    waist = 0.35
    corners = [
        sh_r + widen,
        sh_l - widen,
        hip_r * 1.25 + (1 - 1.25) * (hip_r + hip_l) / 2,
        hip_l * 1.25 + (1 - 1.25) * (hip_r + hip_l) / 2,
    ]
    corners += [
        sh_r + np.array([0.0, shape.r_upper_arm, 0.0]),
        sh_l + np.array([0.0, shape.r_upper_arm, 0.0]),
    ]
    torso3 = np.array([p + sgn * fwd for p in corners for sgn in (1.0, -1.0)])
    torso2 = proj(torso3)
    parts.append(
        Primitive(
            0.0,
            "poly",
            cv2.convexHull(torso2.astype(np.float32))[:, 0, :].astype(np.float64),
            (),
            shape.shirt,
        )
    )
    # Trousers over the pelvis: from the hips up to the waist.
    mid_hip = (hip_r + hip_l) / 2
    waist_up = waist * (sh_r + sh_l) / 2 + (1 - waist) * mid_hip - mid_hip
    pelvis3 = [
        p + w + sgn * fwd
        for p in (hip_r * 1.25 - 0.25 * mid_hip, hip_l * 1.25 - 0.25 * mid_hip)
        for w in (np.zeros(3), waist_up)
        for sgn in (1.0, -1.0)
    ]
    pelvis2 = proj(np.array(pelvis3))
    parts.append(
        Primitive(
            0.0005,
            "poly",
            cv2.convexHull(pelvis2.astype(np.float32))[:, 0, :].astype(np.float64),
            (),
            shape.trousers,
        )
    )
    # Arms: sleeves on the upper arm (and forearm unless short sleeves), skin hands.
    for sh, el, wr, hand in (
        ("right_shoulder", "right_elbow", "right_wrist", "hand_r"),
        ("left_shoulder", "left_elbow", "left_wrist", "hand_l"),
    ):
        s3, e3, w3 = J3[_J[sh]], J3[_J[el]], J3[_J[wr]]
        lateral = np.array([np.sign(s3[0]) * 0.02, 0.0, 0.0])  # arms hang just outside the torso
        capsule(s3 + lateral, e3, shape.r_upper_arm, shape.r_forearm, shape.shirt, bias=0.002)
        capsule(
            e3,
            w3,
            shape.r_forearm,
            shape.r_forearm * 0.8,
            shape.skin if shape.short_sleeves else shape.shirt,
            bias=0.002,
        )
        parts.append(
            Primitive(depth(w3) + 0.003, "circle", proj(pts3[hand]), (rad(shape.r_hand),), shape.skin)
        )
    # Neck and head.
    neck_top = J3[_J["neck"]]
    capsule(pts3["neck_base"], neck_top, shape.r_neck, shape.r_neck, shape.skin, bias=0.01)
    head_c = proj(pts3["head"])[0]
    half_w = 0.5 * np.hypot(shape.head_w * c, shape.head_d * s) * hp
    half_h = 0.5 * shape.head_h * hp
    axes = np.array([max(MIN_RADIUS, half_w), max(MIN_RADIUS, half_h)])
    # Small heads: grow the ellipse until the pixels of head_top and nose (rounded, plus ~1 px for the
    # antialiased edge) lie inside it, so both joints are on the drawn head.
    rel = np.abs(np.round(J2[[_J["head_top"], _J["nose"]]]) - head_c) + 0.9
    grow = float(np.sqrt(((rel / axes) ** 2).sum(axis=1)).max())
    axes = (float(axes[0] * max(1.0, grow)), float(axes[1] * max(1.0, grow)))
    head_depth = depth(pts3["head"]) + 0.02
    parts.append(Primitive(head_depth, "ellipse", head_c[None], axes, shape.hair))
    # Face: the skin part of the head, towards the facing direction; hidden from behind.
    if c > -0.35:
        vis = 0.55 + 0.35 * max(0.0, c)
        face_c = head_c + np.array([s * 0.2 * shape.head_d * hp, 0.12 * half_h])
        face_axes = (max(1.0, axes[0] * vis), max(1.0, axes[1] * 0.8))
        parts.append(
            Primitive(head_depth + 1e-4, "ellipse", face_c[None], face_axes, shape.skin, in_mask=False)
        )
        if c > 0.3 and hp > 60:  # eyes when the face is towards the camera
            eye_y = head_c[1] - 0.05 * half_h
            for e in (-1.0, 1.0):
                ex = face_c[0] + e * 0.35 * axes[0] * c
                parts.append(
                    Primitive(
                        head_depth + 2e-4,
                        "circle",
                        np.array([[ex, eye_y]]),
                        (max(0.7, 0.1 * half_h),),
                        (25, 20, 20),
                        in_mask=False,
                    )
                )
    parts.sort(key=lambda prim: prim.depth)
    box = np.array([head_c[0] - axes[0], head_c[1] - axes[1], head_c[0] + axes[0], head_c[1] + axes[1]])
    return Figure(joints=J2, head_box=box, parts=parts, depth=float(foot_y), height_px=hp)


def _fix(pts: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(pts) * _ONE).astype(np.int32)


def _capsule_poly(p0: np.ndarray, p1: np.ndarray, r0: float, r1: float) -> np.ndarray | None:
    d = p1 - p0
    n = float(np.hypot(*d))
    if n < 1e-6:
        return None
    perp = np.array([-d[1], d[0]]) / n
    return np.array([p0 + r0 * perp, p1 + r1 * perp, p1 - r1 * perp, p0 - r0 * perp])


def draw_primitive(image: np.ndarray, prim: Primitive, colour: RGB | int, line_type: int) -> None:
    """Fill one primitive into `image` (H, W, 3) uint8 or (H, W) mask with `colour`."""
    col = colour if isinstance(colour, tuple) else int(colour)
    if prim.kind == "poly":
        cv2.fillConvexPoly(image, _fix(prim.pts), col, line_type, SHIFT)
    elif prim.kind == "capsule":
        p0, p1 = prim.pts
        r0, r1 = prim.radii
        poly = _capsule_poly(p0, p1, r0, r1)
        if poly is not None:
            cv2.fillConvexPoly(image, _fix(poly), col, line_type, SHIFT)
        for p, r in ((p0, r0), (p1, r1)):
            cv2.circle(image, tuple(int(v) for v in _fix(p)), int(round(r * _ONE)), col, -1, line_type, SHIFT)
    elif prim.kind == "circle":
        cv2.circle(
            image,
            tuple(int(v) for v in _fix(prim.pts[0])),
            int(round(prim.radii[0] * _ONE)),
            col,
            -1,
            line_type,
            SHIFT,
        )
    else:
        centre = tuple(int(v) for v in _fix(prim.pts[0]))
        axes = tuple(int(round(a * _ONE)) for a in prim.radii)
        cv2.ellipse(image, centre, axes, 0.0, 0.0, 360.0, col, -1, line_type, SHIFT)


def draw_figure(image: np.ndarray, mask: np.ndarray | None, figure: Figure, label: int) -> None:
    """Draw `figure` into `image` (H, W, 3) uint8 RGB, antialiased, and `label` into `mask` (H, W) int."""
    for prim in figure.parts:
        draw_primitive(image, prim, prim.colour, cv2.LINE_AA)
        if mask is not None and prim.in_mask:
            draw_primitive(mask, prim, label, cv2.LINE_8)
