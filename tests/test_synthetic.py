"""The synthetic dataset (`posekit synth`): determinism, the PoseTrack 2018 round trip, annotation rules.

Most tests use the `small` preset (3 train x 6 frames, 2 val x 8 frames, generated once per module);
tests about `default` plan its sequences without rendering them, or render a few. The full `default`
generation (timed) is marked slow.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from posekit.cli import main as cli_main
from posekit.data.posetrack import dataset_summary, read_split, sequence_to_json
from posekit.data.synthetic import (
    PRESETS,
    dataset_fingerprint,
    ensure_dataset,
    generate_dataset,
    generate_sequence,
    labeled_frames,
    plan_sequence,
    preset_params,
    sequence_name,
    track_ids,
)
from posekit.data.synthetic_body import Pose, build_figure, draw_figure, sample_body
from posekit.data.synthetic_scene import Actor, Scene, annotate, render, scene_events
from posekit.errors import ConfigError, DataError
from posekit.joints import JOINT_INDEX, NUM_JOINTS

J = JOINT_INDEX
SMALL = PRESETS["small"]


@pytest.fixture(scope="module")
def small_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "small"
    generate_dataset(root, "small", seed=0, workers=1, progress=False)
    return root


def _annotation_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "annotations").rglob("*.json"))
    }


# ---- determinism, layout, round trip ---------------------------------------------------------------


def test_same_seed_gives_identical_json_bytes_whatever_the_workers(small_root: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_dataset(
        again, "small", seed=0, workers=2, progress=False
    )  # parallel vs. the fixture's serial run
    a, b = _annotation_bytes(small_root), _annotation_bytes(again)
    assert list(a) == list(b) and len(a) == 5  # 3 train + 2 val files
    assert a == b
    meta_a = json.loads((small_root / "dataset.json").read_text())
    meta_b = json.loads((again / "dataset.json").read_text())
    assert meta_a["fingerprint"] == meta_b["fingerprint"] == dataset_fingerprint(again)


def test_different_seed_gives_different_annotations(small_root: Path, tmp_path: Path) -> None:
    other = tmp_path / "seed1"
    generate_dataset(other, "small", seed=1, workers=1, progress=False)
    a, b = _annotation_bytes(small_root), _annotation_bytes(other)
    assert list(a) == list(b)  # same names ...
    assert all(a[k] != b[k] for k in a)  # ... every file differs
    assert dataset_fingerprint(small_root) != dataset_fingerprint(other)


def test_layout_names_and_dataset_json(small_root: Path) -> None:
    meta = json.loads((small_root / "dataset.json").read_text())
    assert meta["generator"] == "posekit.synth" and meta["preset"] == "small" and meta["seed"] == 0
    assert meta["parameters"]["train_sequences"] == 3 and meta["parameters"]["val_frames"] == 8
    assert meta["splits"]["train"]["names"] == ["000001_mpii_train", "000002_mpii_train", "000003_mpii_train"]
    assert meta["splits"]["val"]["names"] == ["500001_mpii_test", "500002_mpii_test"]
    for split, n_frames in (("train", 6), ("val", 8)):
        for name in meta["splits"][split]["names"]:
            assert (small_root / "annotations" / split / f"{name}.json").is_file()
            frames = sorted((small_root / "images" / split / name).glob("*.jpg"))
            assert [f.name for f in frames] == [f"{t:06d}.jpg" for t in range(n_frames)]
    assert not list(small_root.parent.glob(".small.*"))  # no temporary folders left behind


def test_reads_back_with_the_posetrack_2018_reader(small_root: Path) -> None:
    train, val = read_split(small_root, "train"), read_split(small_root, "val")
    assert [s.name for s in train] == [sequence_name("train", i) for i in range(3)]
    assert [s.name for s in val] == [sequence_name("val", i) for i in range(2)]
    for seq in train + val:
        assert seq.format == "2018" and seq.vid_id == seq.name[:6]
        # image ids follow PoseTrack: 1 (mpii) + 6-digit video id + 4-digit frame number
        assert [f.frame_id for f in seq.frames] == [
            int(f"1{seq.name[:6]}{t:04d}") for t in range(len(seq.frames))
        ]
        image = cv2.imread(str(seq.image_path(0)))
        assert image is not None and image.shape == (360, 640, 3)
        for frame in seq.frames:
            for p in frame.persons:
                assert p.head_box is not None and p.track_id is not None
                assert p.head_box[2] > p.head_box[0] and p.head_box[3] > p.head_box[1]
        # writing what was read gives the same document (nothing lost in the reader)
        assert sequence_to_json(seq) == json.loads(seq.source.read_text())
    summary = dataset_summary(train + val)
    assert summary["sequences"] == 5 and summary["frames"] == 3 * 6 + 2 * 8
    assert summary["labeled_frames"] == 3 * 6 + 2 * (8 - 2)  # val: 1 unlabelled frame at each end
    assert summary["persons"] > 0 and summary["tracks"]["total"] >= 5


def test_train_frames_all_labelled_and_val_has_one_dense_run() -> None:
    p = preset_params("default")
    assert labeled_frames(p, "train").all()
    lab = labeled_frames(p, "val")
    # 30 frames, margin 3: frames 3..26 labelled (24 consecutive)
    assert lab.sum() == 24 and np.flatnonzero(lab).tolist() == list(range(3, 27))


# ---- annotation rules, checked against the rendered pixels --------------------------------------------


def _all_small_sequences():
    for split in ("train", "val"):
        for i in range(SMALL.sequences(split)):
            yield split, i


def test_annotated_joints_lie_inside_the_image_on_their_own_person() -> None:
    checked = 0
    for split, i in _all_small_sequences():
        scene = plan_sequence(SMALL, 0, split, i)
        ids = track_ids(scene)
        pid_of = {k: pid for pid, k in ids.items()}
        syn = generate_sequence(SMALL, 0, split, i)
        for t, truth in enumerate(syn.truths):
            image, mask, _ = render(scene, t, clean=True)
            bg = scene.background_crop(t)
            for person in truth.frame.persons:
                pid = pid_of[person.track_id]
                xy = person.joints[person.annotated, :2]
                assert np.all((xy >= 0) & (xy <= [SMALL.width - 1, SMALL.height - 1]))
                px = np.round(xy).astype(int)
                assert np.all(mask[px[:, 1], px[:, 0]] == pid + 1)  # the person's own pixel, not background
                # ... and the clean rendering differs from the bare background there
                diff = np.abs(image[px[:, 1], px[:, 0]].astype(int) - bg[px[:, 1], px[:, 0]].astype(int)).max(
                    axis=1
                )
                assert np.mean(diff > 0) >= 0.95
                checked += len(px)
    assert checked > 500


def test_every_joint_of_a_lone_figure_is_on_a_drawn_pixel() -> None:
    """Independent of the id mask: a pixel covered by the figure has the same value on a black and on a
    white background; every joint (any size, facing, gait phase, arm pose) must be such a pixel."""
    rng = np.random.default_rng(7)
    for k in range(150):
        shape = sample_body(rng)
        height = float(rng.choice([28.0, 60.0, 150.0, 300.0]))
        pose = Pose(
            facing=rng.uniform(-np.pi, np.pi),
            phase=rng.uniform(0, 2 * np.pi),
            gait=rng.uniform(0, 1.1),
            abduction=(rng.uniform(0, 2.9), rng.uniform(0, 2.9)),
            swing=(rng.uniform(-0.4, 0.6), rng.uniform(-0.4, 0.6)),
            elbow=(rng.uniform(0, 2.4), rng.uniform(0, 2.4)),
            lean=rng.uniform(0, 0.1),
        )
        fig = build_figure(shape, pose, 200.0, 440.0, height)  # raised hands reach 1.25 heights up
        black, white = np.zeros((480, 400, 3), np.uint8), np.full((480, 400, 3), 255, np.uint8)
        draw_figure(black, None, fig, 1)
        draw_figure(white, None, fig, 1)
        px = np.round(fig.joints).astype(int)
        covered = np.all(black[px[:, 1], px[:, 0]] == white[px[:, 1], px[:, 0]], axis=1)
        assert covered.all(), f"draw {k}: joints {np.flatnonzero(~covered).tolist()} not on the figure"


def test_left_and_right_are_anatomically_correct() -> None:
    shape = sample_body(np.random.default_rng(0))
    front = build_figure(shape, Pose(facing=0.0), 300.0, 340.0, 300.0).joints
    back = build_figure(shape, Pose(facing=np.pi), 300.0, 340.0, 300.0).joints
    # Facing the camera, the person's right side is on image left; from behind, on image right.
    for r, left in (
        ("right_shoulder", "left_shoulder"),
        ("right_hip", "left_hip"),
        ("right_wrist", "left_wrist"),
    ):
        assert front[J[r], 0] < front[J[left], 0]
        assert back[J[r], 0] > back[J[left], 0]
    # Walking to the image right (facing pi/2) the nose points right; the right arm (towards the camera)
    # is drawn after (over) the left one.
    side = build_figure(shape, Pose(facing=np.pi / 2, phase=np.pi / 2, gait=1.0), 300.0, 340.0, 300.0)
    head_cx = (side.head_box[0] + side.head_box[2]) / 2
    assert side.joints[J["nose"], 0] > head_cx

    def upper_arm_depth(elbow: str) -> float:  # the capsule that ends at the elbow
        return next(
            p.depth
            for p in side.parts
            if p.kind == "capsule" and np.allclose(p.pts[1], side.joints[J[elbow]])
        )

    assert upper_arm_depth("right_elbow") > 0 > upper_arm_depth("left_elbow")
    order = [p.depth for p in side.parts]
    assert order == sorted(order)  # drawn far to near


def _standing_actor(pid: int, x: float, foot_y: float, T: int = 1, annotated: bool = True) -> Actor:
    shape = sample_body(np.random.default_rng(100 + pid))
    return Actor(
        pid=pid,
        shape=shape,
        scale=1.0,
        behaviour="stand",
        annotated=annotated,
        x=np.full(T, x),
        foot_y=np.full(T, foot_y),
        facing=np.zeros(T),
        phase=np.zeros(T),
        gait=np.zeros(T),
        lean=np.zeros(T),
        abduction=np.full((T, 2), 0.2),
        swing=np.zeros((T, 2)),
        elbow=np.full((T, 2), 0.3),
    )


def _scene(actors: list[Actor], T: int = 1, cam_x: np.ndarray | None = None) -> Scene:
    return Scene(
        width=640,
        height=360,
        n_frames=T,
        horizon=60.0,
        persp_k=0.9 * 360 / (0.98 * 360 - 60),
        cam_x=np.zeros(T, np.int64) if cam_x is None else cam_x,
        cam_y=np.zeros(T, np.int64),
        pad=4,
        bg_seed=1,
        noise_sigma=0.0,
        blur=0,
        blur_angle=0.0,
        gain=1.0,
        noise_seed=2,
        actors=actors,
    )


def test_joints_covered_by_a_nearer_person_are_not_annotated() -> None:
    # Person 0 stands far (feet on row 230, about 184 px tall); person 1 stands nearer (feet on row 355,
    # about 324 px tall) 40 px to the right, covering much of person 0's right half but not its head.
    far, near = _standing_actor(0, 300.0, 230.0), _standing_actor(1, 340.0, 355.0)
    scene = _scene([far, near])
    image, mask, figures = render(scene, 0, clean=True)
    truth = annotate(scene, 0, mask, figures, {0: 0, 1: 1}, True, "x.jpg")
    persons = {p.track_id: p for p in truth.frame.persons}
    fig_far = dict((a.pid, f) for a, f in figures)[0]
    px = np.round(fig_far.joints).astype(int)
    covered = mask[px[:, 1], px[:, 0]] == 2  # the far person's joints on the near person's pixels
    assert covered.sum() >= 2, "the test scene should occlude some joints"
    assert 0 in persons, "the far person's head is visible, so it is annotated"
    ann = persons[0].annotated
    assert not ann[covered].any()  # occluded joints are not claimed (PoseTrack: left unannotated)
    assert ann[~covered].all()  # every other joint (all inside the image) is annotated and visible
    assert np.all(persons[0].joints[ann, 2] == 1.0)
    assert persons[1].annotated.sum() >= 13  # the near person: everything inside the image
    assert truth.occluded[0].sum() == covered.sum()


def test_occluded_joints_can_be_annotated_invisible_instead() -> None:
    far, near = _standing_actor(0, 300.0, 230.0), _standing_actor(1, 340.0, 355.0)
    scene = _scene([far, near])
    _, mask, figures = render(scene, 0, clean=True)
    truth = annotate(scene, 0, mask, figures, {0: 0, 1: 1}, True, "x.jpg", occluded="invisible")
    p = next(p for p in truth.frame.persons if p.track_id == 0)
    assert p.annotated.all()
    assert np.array_equal(p.joints[:, 2] == 0, truth.occluded[0])


def test_unannotated_joints_in_the_dataset_are_outside_or_occluded() -> None:
    for split, i in _all_small_sequences():
        scene = plan_sequence(SMALL, 0, split, i)
        pid_of = {k: pid for pid, k in track_ids(scene).items()}
        syn = generate_sequence(SMALL, 0, split, i)
        for t, truth in enumerate(syn.truths):
            if not truth.frame.is_labeled:
                continue
            _, mask, figures = render(scene, t, clean=True)
            fig = {a.pid: f for a, f in figures}
            for person in truth.frame.persons:
                pid = pid_of[person.track_id]
                missing = ~person.annotated
                xy = fig[pid].joints[missing]
                inside = (xy[:, 0] >= 0) & (xy[:, 0] <= 639) & (xy[:, 1] >= 0) & (xy[:, 1] <= 359)
                px = np.round(xy[inside]).astype(int)
                assert np.all(mask[px[:, 1], px[:, 0]] != pid + 1)  # not visible: someone else is in front


def test_ignore_regions_cover_every_unannotated_person() -> None:
    # The small preset plus the first default train sequences that hold a deliberately unannotated person.
    default = preset_params("default", train_frames=8)
    cases = [(SMALL, s, i) for s, i in _all_small_sequences()]
    cases += [
        (default, "train", i)
        for i in range(12)
        if not all(a.annotated for a in plan_sequence(default, 0, "train", i).actors)
    ][:3]
    ignored_seen = 0
    for params, split, i in cases:
        scene = plan_sequence(params, 0, split, i)
        syn = generate_sequence(params, 0, split, i)
        unannotated = {a.pid for a in scene.actors if not a.annotated}
        for t, truth in enumerate(syn.truths):
            if not truth.frame.is_labeled:
                continue
            _, mask, _ = render(scene, t, clean=True)
            covered = np.zeros_like(mask)
            for region in truth.frame.ignore_regions:  # one by one: fillPoly XORs overlapping polygons
                cv2.fillPoly(covered, [np.round(region).astype(np.int32)], 1)
            for pid, status in truth.status.items():
                if pid in unannotated and status != "absent":
                    assert status == "ignored"
                if status == "ignored":
                    ignored_seen += 1
                    assert np.all(covered[mask == pid + 1] == 1), (
                        f"{syn.sequence.name} frame {t} person {pid}"
                    )
            # deliberately unannotated people never appear in the ground truth
            assert len(truth.frame.persons) == sum(s == "annotated" for s in truth.status.values())
    assert ignored_seen >= 5


def test_track_ids_persist_across_frames() -> None:
    for split, i in _all_small_sequences():
        scene = plan_sequence(SMALL, 0, split, i)
        syn = generate_sequence(SMALL, 0, split, i)
        ids = track_ids(scene)
        for t in range(len(syn.truths) - 1):
            a, b = syn.truths[t], syn.truths[t + 1]
            for person in a.frame.persons:
                nxt = [p for p in b.frame.persons if p.track_id == person.track_id]
                if not nxt:
                    continue
                # the same person: its head moves by at most ~1.5 head heights between frames
                # (speed <= 0.14 body heights/frame ~ 1.1 head heights, plus camera pan <= 3.5 px)
                hb = person.head_box[3] - person.head_box[1]
                assert np.linalg.norm(nxt[0].head_center - person.head_center) <= 1.5 * hb + 8
            # the same track id always belongs to the same actor
            for pid, st in a.status.items():
                if st == "annotated" and a.frame.is_labeled:
                    assert any(p.track_id == ids[pid] for p in a.frame.persons)


def test_default_preset_has_crossings_exits_entries_and_reentries() -> None:
    params = preset_params("default")
    found = []
    for i in range(16):
        ev = scene_events(plan_sequence(params, 0, "train", i))
        found.append(ev)
        if ev["crossings"] and ev["exits"] and ev["entries"]:
            break
    assert any(e["crossings"] and e["exits"] and e["entries"] for e in found), found
    reentries = sum(
        scene_events(plan_sequence(params, 0, "val", i))["reentries"] for i in range(params.val_sequences)
    )
    reentries += sum(e["reentries"] for e in found)
    assert reentries >= 1


def test_scene_events_count_a_hand_made_crossing_exit_and_entry() -> None:
    T = 10
    # Three standing-pose figures slid along x (frontal, about 45 px half-width):
    # a: x = 100 + 80 t, feet on row 300 (about 270 px tall): leaves the image between t=7 (x=660, its
    #    left edge ~615 < 639) and t=8 (x=740).
    # b: x = 400 - 40 t, feet on row 330: inside throughout.
    # c: x = -400 + 60 t, feet on row 250: enters between t=6 (x=-40, right edge < 0) and t=7 (x=20).
    # Crossings: a/b swap between t=2 (260 < 320) and t=3 (340 > 280); b/c tie at t=8 (80 = 80) and are
    # swapped at t=9 (140 > 40): one crossing through the tie. a/c never swap while both are in frame.
    a, b, c = (
        _standing_actor(0, 0.0, 300.0, T),
        _standing_actor(1, 0.0, 330.0, T),
        _standing_actor(2, 0.0, 250.0, T),
    )
    a.x[:] = 100 + 80.0 * np.arange(T)
    b.x[:] = 400 - 40.0 * np.arange(T)
    c.x[:] = -400 + 60.0 * np.arange(T)
    assert scene_events(_scene([a, b, c], T)) == {"crossings": 2, "exits": 1, "entries": 1, "reentries": 0}
    # d (feet on row 200, about 157 px tall, half-width < 35 px) goes out at the right edge and comes back:
    # x = 500, 600 | 700, 800, 700 | 600, 500, ... : exits between t=1 and t=2, re-enters between t=4 and 5,
    # and crosses a (x = 100 + 80 t) between t=5 (500 < 600) and t=6 (580 > 500).
    d = _standing_actor(3, 0.0, 200.0, T)
    d.x[:] = [500, 600, 700, 800, 700, 600, 500, 400, 300, 200]
    ev = scene_events(_scene([a, b, c, d], T))
    assert ev == {"crossings": 3, "exits": 2, "entries": 2, "reentries": 1}


def test_person_heights_mostly_between_35_and_90_percent_of_the_frame() -> None:
    params = preset_params("default")
    fr = []
    for i in range(20):
        scene = plan_sequence(params, 0, "train", i)
        fr += [scene.height_px(a, 0) / params.height for a in scene.actors]
    fr = np.array(fr)
    assert np.mean((fr >= 0.35) & (fr <= 0.9)) >= 0.6
    assert np.any(fr < 0.3)  # a few small people


# ---- folder handling and CLI -------------------------------------------------------------------------


def test_existing_folder_is_refused_and_force_replaces_only_synth_output(
    small_root: Path, tmp_path: Path
) -> None:
    with pytest.raises(DataError, match="already exists"):
        generate_dataset(small_root, "small", workers=1, progress=False)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(DataError, match="not a posekit synth folder"):
        generate_dataset(foreign, "small", workers=1, progress=False, overwrite=True)
    assert (foreign / "notes.txt").read_text() == "keep me"
    out = tmp_path / "replace"
    generate_dataset(
        out,
        "small",
        seed=1,
        workers=1,
        progress=False,
        params=preset_params("small", train_sequences=1, val_sequences=1),
    )
    (out / "stale.txt").write_text("old")
    generate_dataset(out, "small", seed=0, workers=1, progress=False, overwrite=True)
    assert not (out / "stale.txt").exists()
    assert _annotation_bytes(out) == _annotation_bytes(small_root)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_ensure_dataset_reuses_an_intact_folder_and_regenerates_a_changed_one(tmp_path: Path) -> None:
    params = preset_params("small", train_sequences=1, val_sequences=1, train_frames=2, val_frames=3)
    out = tmp_path / "d"
    first = ensure_dataset(out, "small", 0, params, workers=1, progress=False, log=None)
    stamp = (out / "dataset.json").stat().st_mtime_ns
    again = ensure_dataset(out, "small", 0, params, workers=1, progress=False, log=None)
    assert again["fingerprint"] == first["fingerprint"] and (out / "dataset.json").stat().st_mtime_ns == stamp
    victim = next((out / "annotations" / "train").glob("*.json"))
    victim.write_text(victim.read_text().replace('"track_id": 0', '"track_id": 7'))
    fixed = ensure_dataset(out, "small", 0, params, workers=1, progress=False, log=None)
    assert fixed["fingerprint"] == first["fingerprint"] == dataset_fingerprint(out)


def test_unknown_preset_and_parameters_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown synthetic preset"):
        preset_params("huge")
    with pytest.raises(ConfigError, match="unknown synthetic parameter"):
        preset_params("small", people=3)
    with pytest.raises(ConfigError):
        preset_params("small", max_people=9)


def test_cli_synth_writes_a_folder_that_info_reads(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "cli"
    rc = cli_main(
        [
            "synth",
            "--out",
            str(out),
            "--preset",
            "small",
            "--sequences",
            "2",
            "--frames",
            "4",
            "--size",
            "320x180",
            "--workers",
            "1",
            "--no-progress",
            "--seed",
            "3",
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0
    assert f"wrote {out}" in text and "train 2 sequences x 4 frames = 8 frames" in text
    # --sequences 2 -> val ceil(2/6) = 1 sequence of 4 + 4 // 4 = 5 frames
    assert "val   1 sequences x 5 frames = 5 frames" in text
    meta = json.loads((out / "dataset.json").read_text())
    assert meta["parameters"]["width"] == 320 and meta["seed"] == 3
    assert cv2.imread(str(out / "images/train/000001_mpii_train/000000.jpg")).shape == (180, 320, 3)
    assert cli_main(["synth", "--out", str(out), "--preset", "small", "--workers", "1", "--no-progress"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli_main(["info", str(out)]) == 0
    assert "sequences" in capsys.readouterr().out


def test_grid_figure_of_ground_truth(tmp_path: Path) -> None:
    """Writes the frame grid (ground-truth skeletons drawn) that a person looks at."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "scripts" / "synth_figure.py"
    out = tmp_path / "synth_grid.png"
    subprocess.run(
        [sys.executable, str(script), "--out", str(out), "--sequences", "2", "--frames", "3"], check=True
    )
    image = cv2.imread(str(out))
    # 2 rows x 3 columns of 320x180 tiles (scale 0.5) with 4-px padding: 3*320 + 4*4 = 976, 2*180 + 3*4 = 372
    assert image.shape == (372, 976, 3)


@pytest.mark.slow
def test_full_default_generation(tmp_path: Path) -> None:
    start = time.perf_counter()
    meta = generate_dataset(tmp_path / "default", "default", seed=0, workers=2, progress=False)
    seconds = time.perf_counter() - start
    assert meta["splits"]["train"]["frames"] == 60 * 24 and meta["splits"]["val"]["frames"] == 10 * 30
    # reported, never asserted (speed lives in benchmarks/)
    print(f"default preset generated in {seconds:.1f} s")
    assert len(read_split(tmp_path / "default", "val")) == 10
    assert (
        sum(
            1
            for s in meta["sequence_stats"].values()
            if all(s["events"][k] for k in ("crossings", "exits", "entries"))
        )
        >= 1
    )
    assert NUM_JOINTS == len(meta["splits"]["train"]["joints_per_type"])


def test_synth_help_states_the_presets_sizes(capsys: pytest.CaptureFixture) -> None:
    """The `--help` text is written by hand (the CLI does not import numpy to build it): it must agree with
    PRESETS, so a change of a preset's size that forgets the help text fails here."""
    with pytest.raises(SystemExit):
        cli_main(["synth", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    d, s = PRESETS["default"], PRESETS["small"]
    assert (f"default ({d.train_sequences} train x {d.train_frames} frames, {d.val_sequences} val x "
            f"{d.val_frames} frames, {d.width}x{d.height};") in text
    expected = f"small ({s.train_sequences} x {s.train_frames} and {s.val_sequences} x {s.val_frames} frames;"
    assert expected in text


def test_cli_more_train_sequences_keep_the_val_split_byte_for_byte(small_root: Path, tmp_path: Path) -> None:
    """`--sequences N --val-sequences M`: a larger train draw whose val split is the preset's (each sequence
    depends on (seed, split, index) only), as the ablation rows and the reference with more data need."""
    out = tmp_path / "more"
    rc = cli_main(["synth", "--out", str(out), "--preset", "small", "--sequences", "5",
                   "--val-sequences", "2", "--workers", "1", "--no-progress"])
    assert rc == 0
    more, base = _annotation_bytes(out), _annotation_bytes(small_root)
    assert sum(k.startswith("annotations/train/") for k in more) == 5
    val = {k: v for k, v in base.items() if k.startswith("annotations/val/")}
    assert len(val) == 2 and {k: more[k] for k in val} == val
    assert {k: more[k] for k in base if k.startswith("annotations/train/")} == {
        k: v for k, v in base.items() if k.startswith("annotations/train/")}


def test_cli_negative_val_sequences_is_named_in_a_one_line_error(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "neg"
    assert cli_main(["synth", "--out", str(out), "--preset", "small", "--val-sequences", "-1",
                     "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "must not be negative (train 3, val -1)" in err and "\n" not in err
    assert not out.exists()
