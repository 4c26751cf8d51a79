"""Tests of the Predictor (paper §2 inference around the network) and `posekit predict`."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from tolerances import component2_rtol, network_rtol

from posekit.config import Thresholds, get_profile
from posekit.data.schema import Frame, Sequence
from posekit.decoding import decode_single_person, find_head_peaks, head_masks, heatmap_to_image
from posekit.errors import ConfigError, DataError

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
CONFIG = get_profile("tiny")  # 224×128 input, 56×32 heatmaps, 16 channels
# float32 bound of component 2's sums in another order (tests/tolerances.py)
C2_ATOL = component2_rtol(CONFIG)


@pytest.fixture(scope="module")
def model():
    from posekit.model import build_model

    return build_model(CONFIG)  # random weights (seeded)


@pytest.fixture(scope="module")
def predictor(model):
    from posekit.inference import Predictor

    return Predictor(model, CONFIG.thresholds, CONFIG, batch_size=2, head_chunk=3)


def random_frames(n: int, seed: int = 0, sizes=((360, 480), (200, 150), (128, 224))) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (*sizes[i % len(sizes)], 3), dtype=np.uint8) for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Component 2: batched == per-head loop


@pytest.mark.parametrize("num_heads", [0, 1, 7])
def test_batched_component2_equals_per_head_loop(model, predictor, num_heads):
    net = predictor.run_network(random_frames(3))
    f, m, head = net["features"], net["multi_person_heatmaps"], net["head_heatmap"]
    rng = np.random.default_rng(num_heads)
    frame_index = rng.integers(0, 3, num_heads)
    peaks = rng.uniform([0, 0], [55, 31], (num_heads, 2)).round()
    masked = head_masks(peaks, 32, 56) * head[frame_index]  # (K, 32, 56, 1)
    # Batched over all heads (chunks of 3: 7 heads = 3 calls), features gathered by frame index.
    filtered = predictor.run_component2(f, m, masked, frame_index)
    final = predictor.run_component2(f, m, masked, frame_index, final=True)
    assert filtered.shape == (num_heads, 32, 56, 15)
    # The reference: one component-2 call per head.
    for k in range(num_heads):
        b = frame_index[k]
        ref = np.asarray(model.component2([f[b : b + 1], m[b : b + 1], masked[k : k + 1]], training=False))[0]
        # Heatmaps lie in (-1, 1); the first convolution's sum is split per frame / per head
        # (model.split_component2) and the batch differs, so the sums of component 2 are ordered
        # differently: the float32 bound of its convolutions (tests/tolerances.py), |multi| < 1 for final.
        np.testing.assert_allclose(filtered[k], ref, rtol=0, atol=C2_ATOL)
        np.testing.assert_allclose(final[k], ref * m[b], rtol=0, atol=C2_ATOL)
    # Per-head inputs (no frame index) give the same, up to the same bound (another batch composition:
    # the kernels may block the sums differently, as on an AVX2 CPU, where 7e-6 was measured).
    per_head = predictor.run_component2(f[frame_index], m[frame_index], masked)
    np.testing.assert_allclose(per_head, filtered, rtol=0, atol=C2_ATOL)


def test_no_retracing_across_batch_and_head_counts(predictor):
    predictor.predict_frames(random_frames(3, seed=1))  # a batch of 2 and a batch of 1, varying heads
    predictor.predict_frames(random_frames(1, seed=2))
    assert predictor._component1.experimental_get_tracing_count() == 1
    assert predictor._component2.experimental_get_tracing_count() == 1


# ---------------------------------------------------------------------------------------------
# The whole frame -> poses path equals its steps composed by hand


def test_predict_frames_equals_the_steps_composed(model, predictor):
    frames = random_frames(3, seed=3)
    th = Thresholds(t_head=0.1, t_head_dist=4, t_joint=0.2, t_person=1.0)
    from posekit.inference import Predictor

    pred = Predictor(model, th, CONFIG, batch_size=2, head_chunk=4, max_heads=5)
    persons = pred.predict_frames(frames)
    assert len(persons) == 3
    net = pred.run_network(frames)
    total = 0
    for b, frame in enumerate(frames):
        peaks, _ = find_head_peaks(net["head_heatmap"][b], th.t_head, th.t_head_dist, max_peaks=5)
        masked = head_masks(peaks, 32, 56, 4.0) * net["head_heatmap"][b]
        finals = [
            np.asarray(model.component2([net["features"][b : b + 1], net["multi_person_heatmaps"][b : b + 1],
                                         masked[k : k + 1]], training=False))[0]
            * net["multi_person_heatmaps"][b]
            for k in range(len(peaks))
        ]
        finals = np.stack(finals) if finals else np.zeros((0, 32, 56, 15), np.float32)
        joints, keep = decode_single_person(finals, th.t_joint, th.t_person)
        size = (frame.shape[1], frame.shape[0])
        expected = [heatmap_to_image(joints[i, :, :2], 4, net["letterbox"][b], size)
                    for i in np.flatnonzero(keep)]
        assert len(persons[b]) == len(expected)
        for person, xy, i in zip(persons[b], expected, np.flatnonzero(keep), strict=True):
            # the same argmax pixels through the same float64 affine: equal to float64 rounding
            np.testing.assert_allclose(person.joints[:, :2], xy, atol=1e-9)
            present = ~np.isnan(xy[:, 0])
            np.testing.assert_array_equal(person.joints[present, 2], 1.0)  # visible column 1 for predictions
            # heatmap values of batched vs per-head component 2 (values in (-1, 1)): the component-2 bound
            np.testing.assert_allclose(person.scores, joints[i, :, 2], rtol=0, atol=C2_ATOL, equal_nan=True)
            assert person.score == pytest.approx(np.nanmean(joints[i, :, 2]), abs=C2_ATOL)
            assert person.track_id is None
        total += len(expected)
        # Predictions are in the frame's own pixels, inside it (maxima in the letterbox padding are clipped).
        h, w = frame.shape[:2]
        for person in persons[b]:
            xy = person.joints[~np.isnan(person.joints[:, 0]), :2]
            assert (xy >= 0).all() and (xy[:, 0] <= w - 1).all() and (xy[:, 1] <= h - 1).all()
    assert total > 0  # random weights still give heads at these thresholds: the comparison is not vacuous
    assert set(pred.timings) >= {"component1", "component2", "decode"} and pred.timings["component1"] > 0


def test_thresholds_reach_the_predictor(model):
    from posekit.inference import Predictor

    frames = random_frames(2, seed=4)
    none = Predictor(model, Thresholds(t_head=2.0), CONFIG).predict_frames(frames)  # tanh < 1: no head
    assert none == [[], []]
    capped = Predictor(model, Thresholds(t_head=-1.0, t_person=0.0, t_joint=-1.0), CONFIG, max_heads=2)
    assert [len(p) for p in capped.predict_frames(frames)] == [2, 2]


# ---------------------------------------------------------------------------------------------
# Sequences: every frame predicted, in order, tracked


def test_predict_sequence_keeps_frames_and_tracks(model, tmp_path):
    from posekit.inference import Predictor

    frames = random_frames(5, seed=5, sizes=((120, 160),))
    names = []
    for i, image in enumerate(frames):
        name = f"images/seq/{i:06d}.jpg"
        (tmp_path / "images" / "seq").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(tmp_path / name), image[..., ::-1])
        names.append(name)
    seq = Sequence(
        name="seq", root=tmp_path, format="2017",
        frames=[Frame(image=n, is_labeled=(i % 2 == 0), frame_id=100 + i) for i, n in enumerate(names)],
    )
    pred = Predictor(model, Thresholds(t_head=-1.0, t_joint=-1.0, t_person=0.0), CONFIG, max_heads=3)
    calls = []
    out = pred.predict_sequence(seq, progress=calls.append)
    assert calls == [1] * 5
    assert out.name == "seq" and out.format == "2017"
    assert [f.image for f in out.frames] == names
    assert [f.is_labeled for f in out.frames] == [True, False, True, False, True]
    assert [f.frame_id for f in out.frames] == [100, 101, 102, 103, 104]
    for frame in out.frames:
        ids = [p.track_id for p in frame.persons]
        assert len(frame.persons) == 3 and None not in ids and len(set(ids)) == len(ids)
    # A missing image is a DataError naming the file and the frame.
    seq.frames.append(Frame(image="images/seq/missing.jpg"))
    with pytest.raises(DataError, match=r"missing\.jpg \(frame 5\)"):
        pred.predict_sequence(seq)


# ---------------------------------------------------------------------------------------------
# posekit predict


@pytest.fixture(scope="module")
def run_dir(model, tmp_path_factory):
    from posekit.config import save_config
    from posekit.model import save_model

    run = tmp_path_factory.mktemp("run")
    save_model(model, run / "model.keras")
    save_config(CONFIG, run / "config.json")
    return run


def test_resolve_thresholds(tmp_path):
    from posekit.commands.predict import resolve_thresholds

    six = {"t_head": 0.5, "t_head_dist": 3, "t_joint": 0.3, "t_person": 2, "t_pose_dist": 50, "t_max_age": 3}
    flat = tmp_path / "t.json"
    flat.write_text(json.dumps(six))
    nested = tmp_path / "n.json"
    nested.write_text(json.dumps({"thresholds": {**six, "t_joint": 0.1}, "objective": "sum"}))
    c = resolve_thresholds(CONFIG, str(flat), ["thresholds.t_head=0.7"])
    assert (c.thresholds.t_head, c.thresholds.t_max_age, c.thresholds.t_joint) == (0.7, 3, 0.3)
    assert resolve_thresholds(CONFIG, str(nested), []).thresholds.t_joint == 0.1
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"thresholds": {"t_joint": 0.1}}))
    with pytest.raises(ConfigError, match="partial.json: .*missing"):  # the one reader needs all six
        resolve_thresholds(CONFIG, str(partial), [])
    with pytest.raises(ConfigError, match="thresholds"):
        resolve_thresholds(CONFIG, None, ["network.num_filters=8"])
    assert resolve_thresholds(CONFIG, None, ["decoding.subpixel=true"]).decoding.subpixel is True
    assert resolve_thresholds(CONFIG, None, ["decoding.subpixel=false"]).decoding.subpixel is False
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"t_unknown": 1}))
    with pytest.raises(ConfigError, match="bad.json"):
        resolve_thresholds(CONFIG, str(bad), [])


def test_predict_data_writes_posetrack_files_in_the_input_format(run_dir, tmp_path, capsys):
    from posekit.cli import main
    from posekit.data.posetrack import read_sequence, write_sequence

    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    for fmt in ("2017", "2018"):
        names = []
        for i, image in enumerate(random_frames(3, seed=6, sizes=((96, 128),))):
            name = f"images/{fmt}_{i:06d}.jpg"
            cv2.imwrite(str(data / name), image)
            names.append(name)
        seq = Sequence(name=f"seq{fmt}", format=fmt,
                       frames=[Frame(image=n, is_labeled=i == 1) for i, n in enumerate(names)])
        write_sequence(seq, data / "annotations" / "val" / f"seq{fmt}.json")
    out = tmp_path / "pred"
    status = main(["predict", "--model", str(run_dir), "--data", str(data), "--split", "val",
                   "--out", str(out), "--quiet", "--set", "thresholds.t_head=-1",
                   "--set", "thresholds.t_person=0", "--max-heads", "2"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "6 frames" in printed and "frames/s" in printed
    assert "annolist" in json.loads((out / "seq2017.json").read_text())
    assert "images" in json.loads((out / "seq2018.json").read_text())
    for fmt in ("2017", "2018"):
        pred = read_sequence(out / f"seq{fmt}.json")
        assert pred.format == fmt and len(pred.frames) == 3
        assert all(len(f.persons) == 2 for f in pred.frames)
        assert all({p.track_id for p in f.persons} == {0, 1} for f in pred.frames[:1])


def test_predict_video_on_the_fixture(run_dir, tmp_path):
    video = FIXTURES / "video" / "mmpose_demo_street_5frames.mp4"
    if not video.exists():
        pytest.skip(f"real-data fixtures absent ({video}); see /work/shared/fixtures/README.md")
    from posekit.cli import main

    out = tmp_path / "out"
    assert main(["predict", "--model", str(run_dir), "--video", str(video), "--out", str(out), "--quiet",
                 "--max-frames", "3", "--max-heads", "4"]) == 0
    annotated = out / "mmpose_demo_street_5frames_tracked.mp4"
    cap = cv2.VideoCapture(str(annotated))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == 3 and frames[0].shape == (540, 960, 3)
    poses = sorted((out / "mmpose_demo_street_5frames_poses").glob("*.json"))
    assert [p.name for p in poses] == ["000000.json", "000001.json", "000002.json"]
    first = json.loads(poses[0].read_text())
    assert first["frame"] == 0 and len(first["joint_names"]) == 15
    for person in first["persons"]:
        assert isinstance(person["track_id"], int) and len(person["keypoints"]) == 15


def test_predict_frame_folder(run_dir, tmp_path):
    from posekit.cli import main

    folder = tmp_path / "frames"
    folder.mkdir()
    for i, image in enumerate(random_frames(2, seed=7, sizes=((90, 120),))):
        cv2.imwrite(str(folder / f"{i:03d}.png"), image)
    out = tmp_path / "out"
    assert main(["predict", "--model", str(run_dir), "--video", str(folder), "--out", str(out),
                 "--quiet"]) == 0
    assert (out / "frames_tracked.mp4").stat().st_size > 0
    names = [json.loads(p.read_text())["image"] for p in sorted((out / "frames_poses").glob("*.json"))]
    assert names == ["000.png", "001.png"]


@pytest.mark.parametrize(
    "kind, message",
    [
        ("text", "cannot open as a video|no readable frame"),
        ("empty_file", "cannot open as a video|no readable frame"),
        ("empty_dir", "no image files"),
        ("missing", "no such video file"),
    ],
)
def test_unreadable_or_empty_videos_are_data_errors(run_dir, tmp_path, capsys, kind, message):
    from posekit.cli import main
    from posekit.video import open_frames

    path = tmp_path / "in.mp4"
    if kind == "text":
        path.write_text("this is not a video\n")
    elif kind == "empty_file":
        path.write_bytes(b"")
    elif kind == "empty_dir":
        path = tmp_path / "frames"
        path.mkdir()
    with pytest.raises(DataError, match=message) as err:
        open_frames(path)
    assert str(path) in str(err.value)
    assert main(["predict", "--model", str(run_dir), "--video", str(path), "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    assert str(path) in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# End to end with a trained (overfit) tiny network


def test_end_to_end_overfit_tiny_model_predicts_near_ground_truth(overfit_tiny):
    # The training tests' overfit model (tests/conftest.py `overfit_tiny`: stick figures, 1-2 per frame; not
    # the paper's learning rate), then the whole Predictor with the paper's thresholds. Frames are uint8 RGB
    # at the input size (the letterbox is then the identity); GT joints in input px.
    from posekit.inference import Predictor

    config, result, frames, truth = (overfit_tiny.config, overfit_tiny.result, overfit_tiny.frames,
                                     overfit_tiny.truth)
    assert [len(t) for t in truth] == [1, 2, 1]
    # t_head 0.2, t_head_dist 4, t_joint 0.3, t_person 3
    predictor = Predictor(result.model, config.thresholds, config)
    persons = predictor.predict_frames(frames)
    assert [len(p) for p in persons] == [1, 2, 1]
    dists = []
    for preds, gts in zip(persons, truth, strict=True):
        # Each ground-truth figure has its own prediction (the nearest by median joint distance).
        d = np.array([[np.nanmedian(np.hypot(*(p.joints[:, :2] - g).T)) for p in preds] for g in gts])
        assert len(set(d.argmin(axis=1))) == len(gts), d
        for g, k in zip(gts, d.argmin(axis=1), strict=True):
            dists.append(np.hypot(*(preds[k].joints[:, :2] - g).T))
    dists = np.concatenate(dists)  # input px; 4 input px = 1 heatmap px
    assert np.mean(np.isfinite(dists)) >= 0.9, np.round(dists, 1)  # few joints dropped by t_joint
    # Measured: median 3.0 input px, 56 of 60 joints within 12 px (3 heatmap px), the rest 12-23 px.
    assert np.nanmedian(dists) <= 6.0, np.round(dists, 1)
    assert np.nanmean(dists <= 12.0) >= 0.85, np.round(dists, 1)
    # Tracking the same frames again and again keeps every ID.
    tracker = predictor.tracker()
    ids = [[p.track_id for p in predictor.track(list(ps), tracker)] for ps in (persons[1], persons[1])]
    assert ids[0] == ids[1] == [0, 1]


def test_decoding_subpixel_reaches_the_predictor(model):
    """`config.decoding.subpixel` moves joints off the integer heatmap grid (same heads, same values)."""
    import dataclasses

    from posekit.config import DecodingConfig
    from posekit.inference import Predictor

    frames = random_frames(2, seed=5)
    th = Thresholds(t_head=-1.0, t_person=0.0, t_joint=-1.0)
    plain = Predictor(model, th, dataclasses.replace(CONFIG, decoding=DecodingConfig(False)), max_heads=2)
    refined = Predictor(model, th, dataclasses.replace(CONFIG, decoding=DecodingConfig(True)), max_heads=2)
    net = plain.run_network(frames)
    sizes = [(f.shape[1], f.shape[0]) for f in frames]
    a, b = plain.decode(net, sizes), refined.decode(net, sizes)
    assert len(a.joints) == len(b.joints) == 4
    np.testing.assert_array_equal(a.joints[..., 2], b.joints[..., 2])
    moved = np.abs(a.joints[..., :2] - b.joints[..., :2])
    assert np.any(moved > 0.1)
    stride_px = CONFIG.network.heatmap_stride * max(s[0] / CONFIG.network.input_width for s in sizes) * 2
    assert np.all(moved <= 0.5 * stride_px + 1e-9)  # at most half a heatmap pixel in image px


@pytest.mark.parametrize("flip_test", [False, True])
def test_flip_test_makes_the_heatmaps_mirror_equivariant(model, flip_test):
    """`decoding.flip_test` averages each output with the mirrored frame's, mirrored back, so the averaged
    multi-person, head and final heatmaps of a mirrored frame are exactly the mirror of the frame's (both
    averages hold the same two network passes). A random network alone is far from equivariant."""
    import dataclasses

    from posekit.config import DecodingConfig
    from posekit.decoding import head_masks, mirror_heatmaps
    from posekit.inference import Predictor

    config = dataclasses.replace(CONFIG, decoding=DecodingConfig(flip_test=flip_test))
    predictor = Predictor(model, CONFIG.thresholds, config, batch_size=1)
    net_in = CONFIG.network
    frame = random_frames(1, seed=9, sizes=((net_in.input_height, net_in.input_width),))[0]  # no letterbox
    a, b = predictor.run_network([frame]), predictor.run_network([np.ascontiguousarray(frame[:, ::-1])])
    assert ("features_mirrored" in a) is flip_test
    w, h = CONFIG.network.heatmap_width, CONFIG.network.heatmap_height
    peak = np.array([[17.0, 12.0]])
    finals = []
    for net, p in ((a, peak), (b, np.array([[w - 1 - peak[0, 0], peak[0, 1]]]))):
        masked = head_masks(p, h, w, CONFIG.targets.head_mask_sigma) * net["head_heatmap"][:1]
        finals.append(predictor.run_component2(net["features"], net["multi_person_heatmaps"], masked,
                                               final=True, features_mirrored=net.get("features_mirrored")))
    pairs = [(a["multi_person_heatmaps"], mirror_heatmaps(b["multi_person_heatmaps"])),
             (a["head_heatmap"], mirror_heatmaps(b["head_heatmap"], joints=False)),
             (finals[0], mirror_heatmaps(finals[1]))]
    for x, y in pairs:
        scale = float(np.abs(x).max())
        if flip_test:  # the same float32 passes summed in the other order: a + b == b + a
            np.testing.assert_allclose(x, y, atol=network_rtol(CONFIG) * scale)
        else:
            assert np.abs(x - y).max() > 0.01 * scale
