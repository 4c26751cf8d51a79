"""Scenes of the synthetic dataset: who walks where, the camera, rendering, per-frame annotation.

Not in the paper: a stand-in for PoseTrack videos (paper §4). A scene has a ground plane seen from a
standing camera: a person whose feet are on image row `foot_y` is
`persp_k * (foot_y - horizon) * scale` pixels tall (near people larger). People (actors) walk with
individual speeds and gaits, turn, stand, cross, leave and re-enter the frame; the camera pans mildly.

Annotation rules (as PoseTrack annotates, EVALUATION.md §1.1):
- A joint outside the image is not annotated.
- A joint covered by a nearer person (its pixel belongs to someone else in the person-id mask) is not
  annotated: PoseTrack 2018 files mark only annotated keypoints ("typically we do not annotate occluded
  keypoints", poseval issue #36); with `occluded="invisible"` it is annotated with visible 0 instead.
- Self-occlusion (a far arm behind the torso) keeps the joint annotated: its pixel is the person's own.
- A person is annotated in a frame when its head centre is inside the image and at least two of its
  three head joints are annotated (the method detects people by their heads, paper §2).
- Deliberately unannotated people, and people visible in the frame whose head centre is outside it
  (truncated at the border), are covered by an ignore region: the convex hull of the whole drawn
  person with a margin, clipped to the image.
- People whose head is hidden behind a nearer person are neither annotated nor ignored ("hidden").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from posekit.data.schema import Frame, Person, empty_joints
from posekit.data.synthetic_background import make_background
from posekit.data.synthetic_body import BodyShape, Figure, Pose, build_figure, draw_figure, sample_body
from posekit.joints import JOINT_INDEX, NUM_JOINTS

HEAD_JOINTS = (JOINT_INDEX["neck"], JOINT_INDEX["nose"], JOINT_INDEX["head_top"])
#: Behaviours of actors and their probabilities.
BEHAVIOURS: dict[str, float] = {
    "walk": 0.42,
    "stand": 0.2,
    "stand_walk": 0.1,
    "walk_stop": 0.1,
    "reenter": 0.18,
}
#: Person-height classes (fractions of the image height) and their probabilities.
HEIGHT_CLASSES: dict[str, tuple[float, float, float]] = {
    "normal": (0.35, 0.9, 0.8),
    "small": (0.12, 0.3, 0.1),
    "near": (0.9, 1.12, 0.1),
}
#: Ground foreshortening: walking towards the camera moves the feet down by this fraction of the step.
GROUND_K = 0.12
#: Ignore-region margin: pixels plus a fraction of the person's height.
IGNORE_MARGIN = (4.0, 0.04)
#: A person with fewer visible pixels than this is treated as not in the frame.
MIN_VISIBLE_PIXELS = 12


@dataclass
class Actor:
    """One person over a whole sequence (arrays have one row per frame).

    x:         (T,) world x of the pelvis (the image x is x - cam_x[t]).
    foot_y:    (T,) image row of the feet (before camera shake).
    facing, phase, gait, lean: (T,) pose parameters (see synthetic_body.Pose).
    abduction, swing, elbow:   (T, 2) arm parameters, right then left.
    annotated: False for people deliberately left unannotated (covered by ignore regions).
    """

    pid: int
    shape: BodyShape
    scale: float
    behaviour: str
    annotated: bool
    x: np.ndarray
    foot_y: np.ndarray
    facing: np.ndarray
    phase: np.ndarray
    gait: np.ndarray
    lean: np.ndarray
    abduction: np.ndarray
    swing: np.ndarray
    elbow: np.ndarray

    def pose(self, t: int) -> Pose:
        return Pose(
            facing=float(self.facing[t]),
            phase=float(self.phase[t]),
            gait=float(self.gait[t]),
            abduction=(float(self.abduction[t, 0]), float(self.abduction[t, 1])),
            swing=(float(self.swing[t, 0]), float(self.swing[t, 1])),
            elbow=(float(self.elbow[t, 0]), float(self.elbow[t, 1])),
            lean=float(self.lean[t]),
        )


@dataclass
class Scene:
    """A planned sequence: ground geometry, camera path, actors, image degradations."""

    width: int
    height: int
    n_frames: int
    horizon: float
    persp_k: float
    cam_x: np.ndarray  # (T,) int: world x of the image's left column
    cam_y: np.ndarray  # (T,) int: vertical shake in px
    pad: int  # background margin (px) around the frame for the pan and shake
    bg_seed: int
    noise_sigma: float
    blur: int  # motion-blur kernel length (0: none)
    blur_angle: float
    gain: float
    noise_seed: int
    actors: list[Actor] = field(default_factory=list)
    _background: np.ndarray | None = None
    _noise: np.ndarray | None = None

    def height_px(self, actor: Actor, t: int) -> float:
        return float(self.persp_k * (actor.foot_y[t] - self.horizon) * actor.scale)

    def figure(self, actor: Actor, t: int) -> Figure:
        """The actor's figure in frame t, in image coordinates."""
        x = float(actor.x[t] - self.cam_x[t])
        foot_y = float(actor.foot_y[t] - self.cam_y[t])
        return build_figure(actor.shape, actor.pose(t), x, foot_y, self.height_px(actor, t))

    def figures(self, t: int) -> list[tuple[Actor, Figure]]:
        """Every actor's figure in frame t, far to near (draw order)."""
        out = [(a, self.figure(a, t)) for a in self.actors]
        out.sort(key=lambda af: (af[1].depth, af[0].pid))
        return out

    def background(self) -> np.ndarray:
        if self._background is None:
            span = int(self.cam_x.max() - self.cam_x.min())
            rng = np.random.default_rng(self.bg_seed)
            self._background = make_background(
                rng, self.width + span + 2 * self.pad, self.height + 2 * self.pad, self.horizon + self.pad
            )
        return self._background

    def noise(self, t: int) -> np.ndarray:
        """(H, W, 3) float32 sensor noise of frame t: a random window of one of two per-sequence fields
        (drawing a fresh field per frame costs as much as rendering the frame)."""
        if self._noise is None:
            rng = np.random.default_rng(self.noise_seed)
            shape = (2, self.height + 32, self.width + 32, 3)
            self._noise = rng.standard_normal(shape, dtype=np.float32) * np.float32(self.noise_sigma)
        dy, dx = np.random.default_rng([self.noise_seed, t]).integers(0, 32, size=2)
        return self._noise[t % 2, dy : dy + self.height, dx : dx + self.width]

    def background_crop(self, t: int) -> np.ndarray:
        """(H, W, 3) uint8 RGB: the background seen in frame t."""
        x0 = int(self.cam_x[t] - self.cam_x.min()) + self.pad
        y0 = int(self.cam_y[t]) + self.pad
        return self.background()[y0 : y0 + self.height, x0 : x0 + self.width].copy()


# --------------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------------


def _smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3 - 2 * u)


def plan_scene(
    rng: np.random.Generator,
    width: int,
    height: int,
    n_frames: int,
    min_people: int = 1,
    max_people: int = 8,
    unannotated_prob: float = 0.1,
) -> Scene:
    """Plan a sequence: ground, camera, 1-8 actors with behaviours and per-frame poses."""
    T = n_frames
    horizon = rng.uniform(0.12, 0.3) * height
    persp_k = 0.9 * height / (0.98 * height - horizon)
    pan = 0.0 if rng.random() < 0.35 else rng.uniform(0.5, 3.5) * rng.choice([-1.0, 1.0])
    shake = rng.uniform(0.0, 1.5)
    cam_x = np.round(pan * np.arange(T) + rng.normal(0, shake, T)).astype(np.int64)
    cam_y = np.round(rng.normal(0, shake * 0.6, T)).clip(-3, 3).astype(np.int64)
    blur = int(rng.choice([0, 0, 3, 5, 7])) if rng.random() < 0.45 else 0
    blur_angle = 0.0 if (pan != 0 and rng.random() < 0.7) else rng.uniform(0, np.pi)
    scene = Scene(
        width=width,
        height=height,
        n_frames=T,
        horizon=horizon,
        persp_k=persp_k,
        cam_x=cam_x,
        cam_y=cam_y,
        pad=4,
        bg_seed=int(rng.integers(2**31)),
        noise_sigma=0.0 if rng.random() < 0.3 else rng.uniform(1.0, 7.0),
        blur=blur,
        blur_angle=blur_angle,
        gain=rng.uniform(0.8, 1.15),
        noise_seed=int(rng.integers(2**31)),
    )
    weights = np.array([0.05, 0.1, 0.14, 0.16, 0.16, 0.15, 0.12, 0.12])[min_people - 1 : max_people]
    n = min_people + int(rng.choice(len(weights), p=weights / weights.sum()))
    for pid in range(n):
        scene.actors.append(_plan_actor(rng, scene, pid, unannotated_prob))
    if not any(a.annotated for a in scene.actors):
        scene.actors[0].annotated = True  # every video has at least one track
    return scene


def _foot_for_height(scene: Scene, frac: float, scale: float) -> float:
    return scene.horizon + frac * scene.height / (scene.persp_k * scale)


def _plan_actor(rng: np.random.Generator, scene: Scene, pid: int, unannotated_prob: float) -> Actor:
    W, T = scene.width, scene.n_frames
    shape = sample_body(rng)
    scale = rng.uniform(0.9, 1.08)
    names = list(HEIGHT_CLASSES)
    probs = np.array([HEIGHT_CLASSES[k][2] for k in names])
    hclass = names[int(rng.choice(len(names), p=probs))]
    lo, hi, _ = HEIGHT_CLASSES[hclass]
    frac = rng.uniform(lo, hi)
    foot0 = _foot_for_height(scene, frac, scale)
    foot_lo, foot_hi = _foot_for_height(scene, 0.1, scale), _foot_for_height(scene, 1.15, scale)
    annotated = not (rng.random() < (0.4 if hclass == "small" else unannotated_prob))
    names_b = list(BEHAVIOURS)
    behaviour = names_b[int(rng.choice(len(names_b), p=np.array(list(BEHAVIOURS.values()))))]

    speed = rng.uniform(0.06, 0.13)  # body heights per frame
    # Facing: side views while walking across, some walk towards / away from the camera.
    direction = rng.choice([-1.0, 1.0])
    if rng.random() < 0.18:
        facing0 = rng.normal(0.0, 0.45) if rng.random() < 0.5 else np.pi + rng.normal(0.0, 0.45)
    else:
        facing0 = direction * np.pi / 2 + rng.normal(0.0, 0.3)
    cam0 = float(scene.cam_x[0])
    if behaviour in ("stand", "stand_walk"):
        x0 = cam0 + rng.uniform(0.05, 0.95) * W
        if rng.random() < 0.6:
            facing0 = rng.normal(0.0, 0.7)  # standing people mostly face the camera
    elif behaviour == "reenter":  # starts near a border walking out; turns round once outside
        side = rng.choice([-1.0, 1.0])
        x0 = cam0 + (W - rng.uniform(0.02, 0.15) * W if side > 0 else rng.uniform(0.02, 0.15) * W)
        facing0 = side * np.pi / 2 + rng.normal(0.0, 0.2)
        speed = rng.uniform(0.1, 0.14)
    else:
        x0 = cam0 + rng.uniform(-0.3, 1.3) * W
        goes_right = np.sin(facing0) > 0
        outside = x0 < cam0 or x0 > cam0 + W
        if outside and (goes_right == (x0 > cam0 + W / 2)):
            facing0 = -facing0  # walk into the frame, not away from it
        if abs(np.sin(facing0)) < 0.5:  # towards / away from the camera: start inside the frame
            x0 = cam0 + rng.uniform(0.1, 0.9) * W
        elif not outside and rng.random() < 0.5:
            x0 = cam0 + (rng.uniform(-0.15, 0.1) * W if np.sin(facing0) > 0 else rng.uniform(0.9, 1.15) * W)

    # Time-varying controls.
    moving = np.ones(T)
    if behaviour == "stand":
        moving[:] = 0.0
    elif behaviour == "stand_walk":
        t0 = int(rng.integers(0, max(1, T - 2)))
        moving = np.clip((np.arange(T) - t0) / 3.0, 0.0, 1.0)
    elif behaviour == "walk_stop":
        t1 = int(rng.integers(1, max(2, T)))
        moving = np.clip((t1 - np.arange(T)) / 3.0, 0.0, 1.0)
    turn_at, turn_by, turn_len = None, 0.0, 5
    if behaviour in ("walk", "walk_stop", "stand_walk") and rng.random() < 0.3:
        turn_at = int(rng.uniform(0.2, 0.8) * T)
        turn_by = rng.choice([np.pi, -np.pi, np.pi / 2, -np.pi / 2])
        turn_len = int(rng.integers(3, 7))
    elif behaviour == "stand" and rng.random() < 0.35:
        turn_at = int(rng.uniform(0.0, 0.7) * T)
        turn_by = rng.uniform(-2.0, 2.0)
        turn_len = int(rng.integers(4, 10))

    # Arms: walkers swing them; standing people gesture (arms out, raised, waving, hands on hips).
    abd = np.tile([rng.uniform(0.08, 0.28), rng.uniform(0.08, 0.28)], (T, 1))
    swing = np.zeros((T, 2))
    elbow = np.tile([rng.uniform(0.15, 0.5), rng.uniform(0.15, 0.5)], (T, 1))
    for k in range(2):
        r = rng.random()
        still = behaviour == "stand"
        if (still and r < 0.18) or (not still and r < 0.04):  # raised
            abd[:, k] = rng.uniform(2.0, 2.9)
            elbow[:, k] = rng.uniform(0.0, 1.0)
        elif still and r < 0.3:  # waving
            abd[:, k] = 2.3 + 0.45 * np.sin(rng.uniform(0.8, 1.6) * np.arange(T) + rng.uniform(0, 6.3))
            elbow[:, k] = rng.uniform(0.3, 1.0)
        elif (still and r < 0.48) or (not still and r < 0.1):  # out to the side
            abd[:, k] = rng.uniform(0.5, 1.5)
            elbow[:, k] = rng.uniform(0.0, 0.8)
        elif still and r < 0.58:  # hand on hip
            abd[:, k], swing[:, k], elbow[:, k] = rng.uniform(0.5, 0.8), -0.3, rng.uniform(1.5, 2.0)
        elif r > 0.93:  # holding a phone / cup
            swing[:, k], elbow[:, k] = rng.uniform(0.2, 0.6), rng.uniform(1.8, 2.4)
    x, foot_y, facing = np.empty(T), np.empty(T), np.empty(T)
    phase = np.empty(T)
    xc, fc, ph = x0, foot0, rng.uniform(0, 2 * np.pi)
    face = facing0
    turned = False
    for t in range(T):
        if turn_at is not None:
            face = facing0 + turn_by * float(_smoothstep(np.array((t - turn_at) / turn_len)))
        h = scene.persp_k * (fc - scene.horizon) * scale
        if behaviour == "reenter" and not turned:
            cam = float(scene.cam_x[t])
            if xc < cam - 0.3 * h or xc > cam + W + 0.3 * h:
                turned, turn_at, turn_by, facing0 = True, t, (np.pi if rng.random() < 0.5 else -np.pi), face
                turn_len = int(rng.integers(2, 5))
        x[t], foot_y[t], facing[t], phase[t] = xc, fc, face, ph
        v = speed * moving[t] * h
        xc += v * np.sin(face)
        fc = float(np.clip(fc + GROUND_K * v * np.cos(face), foot_lo, foot_hi))
        ph += 2 * np.pi * speed * moving[t] / rng.uniform(1.2, 1.5)
    gait = moving * rng.uniform(0.75, 1.1)
    lean = gait * rng.uniform(0.0, 0.1)
    return Actor(
        pid=pid,
        shape=shape,
        scale=scale,
        behaviour=behaviour,
        annotated=bool(annotated),
        x=x,
        foot_y=foot_y,
        facing=facing,
        phase=phase,
        gait=gait,
        lean=lean,
        abduction=abd,
        swing=swing,
        elbow=elbow,
    )


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def render(
    scene: Scene, t: int, clean: bool = False
) -> tuple[np.ndarray, np.ndarray, list[tuple[Actor, Figure]]]:
    """Render frame t.

    Returns image (H, W, 3) uint8 RGB, mask (H, W) uint8 with actor pid + 1 where that person is the
    front-most drawn thing (0: background), and the figures far to near. `clean=True` skips the camera
    degradations (gain, motion blur, noise), so pixels can be compared with the mask.
    """
    image = scene.background_crop(t)
    mask = np.zeros((scene.height, scene.width), np.uint8)
    figures = scene.figures(t)
    for actor, fig in figures:
        draw_figure(image, mask, fig, actor.pid + 1)
    if not clean:
        image = degrade(scene, t, image)
    return image, mask, figures


def degrade(scene: Scene, t: int, image: np.ndarray) -> np.ndarray:
    """Camera effects: gain, motion blur along `blur_angle`, Gaussian sensor noise (deterministic)."""
    out = image.astype(np.float32)
    out *= np.float32(scene.gain)
    if scene.blur > 1:
        k = np.zeros((scene.blur, scene.blur), np.float32)
        c = (scene.blur - 1) / 2
        d = np.array([np.cos(scene.blur_angle), np.sin(scene.blur_angle)]) * c
        cv2.line(
            k,
            (int(round(c - d[0])), int(round(c - d[1]))),
            (int(round(c + d[0])), int(round(c + d[1]))),
            1.0,
            1,
        )
        out = cv2.filter2D(out, -1, k / k.sum())
    if scene.noise_sigma > 0:
        out += scene.noise(t)
    out += np.float32(0.5)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


# --------------------------------------------------------------------------------------------------
# Annotation
# --------------------------------------------------------------------------------------------------


@dataclass
class FrameTruth:
    """The annotation of one frame and, for tests and statistics, what the generator knows.

    frame:      the PoseTrack Frame (persons, ignore regions, is_labeled).
    status:     pid -> "annotated" | "ignored" | "hidden" | "absent".
    occluded:   pid -> (15,) bool: joints inside the image covered by a nearer person.
    inside:     pid -> (15,) bool: joints inside the image.
    """

    frame: Frame
    status: dict[int, str]
    occluded: dict[int, np.ndarray]
    inside: dict[int, np.ndarray]


def ignore_polygon(fig: Figure, width: int, height: int) -> np.ndarray | None:
    """(N, 2) convex hull of the whole drawn figure plus a margin, clipped to the image; None if outside."""
    margin = IGNORE_MARGIN[0] + IGNORE_MARGIN[1] * fig.height_px
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ring = margin / np.cos(np.pi / 12) * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    hull = cv2.convexHull(fig.outline_points().astype(np.float32))[:, 0, :]
    grown = (hull[:, None, :] + ring[None].astype(np.float32)).reshape(-1, 2)
    hull = cv2.convexHull(grown)
    frame = np.array([[[0, 0]], [[width - 1, 0]], [[width - 1, height - 1]], [[0, height - 1]]], np.float32)
    area, poly = cv2.intersectConvexConvex(hull, frame)
    if poly is None or area <= 0:
        return None
    return np.round(poly.reshape(-1, 2).astype(np.float64), 1)


def annotate(
    scene: Scene,
    t: int,
    mask: np.ndarray,
    figures: list[tuple[Actor, Figure]],
    track_ids: dict[int, int],
    is_labeled: bool,
    image: str,
    frame_id: int | None = None,
    occluded: str = "unannotated",
) -> FrameTruth:
    """Annotate frame t from its person-id mask (see the module docstring for the rules)."""
    W, H = scene.width, scene.height
    counts = np.bincount(mask.ravel(), minlength=len(scene.actors) + 1)
    persons, regions = [], []
    status, occ, ins = {}, {}, {}
    for actor, fig in sorted(figures, key=lambda af: af[0].pid):
        label = actor.pid + 1
        xy = fig.joints
        inside = (xy[:, 0] >= 0) & (xy[:, 0] <= W - 1) & (xy[:, 1] >= 0) & (xy[:, 1] <= H - 1)
        own = np.zeros(NUM_JOINTS, bool)
        px = np.round(xy[inside]).astype(int)
        own[inside] = mask[px[:, 1], px[:, 0]] == label
        occ[actor.pid], ins[actor.pid] = inside & ~own, inside
        if counts[label] < MIN_VISIBLE_PIXELS:
            status[actor.pid] = "absent"
            continue
        hx, hy = (fig.head_box[0] + fig.head_box[2]) / 2, (fig.head_box[1] + fig.head_box[3]) / 2
        head_in = 0 <= hx <= W - 1 and 0 <= hy <= H - 1
        if not actor.annotated or not head_in:
            status[actor.pid] = "ignored"
            poly = ignore_polygon(fig, W, H)
            if poly is not None:
                regions.append(poly)
            continue
        if int(own[list(HEAD_JOINTS)].sum()) < 2:
            status[actor.pid] = "hidden"
            continue
        status[actor.pid] = "annotated"
        joints = empty_joints()
        joints[own, :2] = np.round(xy[own], 2)
        joints[own, 2] = 1.0
        if occluded == "invisible":
            hid = inside & ~own
            joints[hid, :2] = np.round(xy[hid], 2)
            joints[hid, 2] = 0.0
        persons.append(
            Person(joints=joints, head_box=np.round(fig.head_box, 2), track_id=track_ids[actor.pid])
        )
    if not is_labeled:
        persons, regions = [], []
    frame = Frame(
        image=image, persons=persons, ignore_regions=regions, is_labeled=is_labeled, frame_id=frame_id
    )
    return FrameTruth(frame=frame, status=status, occluded=occ, inside=ins)


# --------------------------------------------------------------------------------------------------
# Events (from geometry only, no rendering)
# --------------------------------------------------------------------------------------------------


def scene_events(scene: Scene, figures: list[list[tuple[Actor, Figure]]] | None = None) -> dict[str, int]:
    """Count crossings, exits, entries and re-entries of the planned sequence.

    in frame: the drawn extent overlaps the image. exit: in frame t, not in t+1; entry: the reverse;
    re-entry: an entry after an exit of the same person; crossing: the pelvis x order of two people
    swaps while both stay in frame and their vertical extents overlap. `figures`: the figures of every
    frame when already built (else they are built here).
    """
    W, H, T = scene.width, scene.height, scene.n_frames
    n = len(scene.actors)
    boxes = np.zeros((T, n, 4))
    for t in range(T):
        for a, fig in figures[t] if figures is not None else scene.figures(t):
            boxes[t, a.pid] = fig.bbox()
    inside = (boxes[..., 2] > 0) & (boxes[..., 0] < W - 1) & (boxes[..., 3] > 0) & (boxes[..., 1] < H - 1)
    xs = np.array([[a.x[t] - scene.cam_x[t] for a in scene.actors] for t in range(T)])
    exits = entries = reentries = crossings = 0
    for i in range(n):
        left = False
        for t in range(T - 1):
            if inside[t, i] and not inside[t + 1, i]:
                exits += 1
                left = True
            if not inside[t, i] and inside[t + 1, i]:
                entries += 1
                reentries += int(left)
    for i in range(n):
        for j in range(i + 1, n):
            last = 0.0  # the last non-zero sign of x_i - x_j while both are in frame (a tie is no swap)
            for t in range(T):
                if not (inside[t, i] and inside[t, j]):
                    last = 0.0
                    continue
                sign = float(np.sign(xs[t, i] - xs[t, j]))
                if sign != 0 and last != 0 and sign != last:
                    overlap = min(boxes[t, i, 3], boxes[t, j, 3]) - max(boxes[t, i, 1], boxes[t, j, 1])
                    crossings += int(overlap > 0)
                last = sign if sign != 0 else last
    return {"crossings": crossings, "exits": exits, "entries": entries, "reentries": reentries}
