"""Training batches (Paper §4): shapes for the tiny profile, determinism per seed/epoch, DataError."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from posekit.config import get_profile
from posekit.data.schema import Frame, Person, Sequence
from posekit.dataset import TrainingBatches, make_sample
from posekit.errors import DataError
from posekit.geometry import letterbox_matrix, transform_points
from posekit.imageio import read_image
from posekit.targets import input_to_heatmap

TINY = get_profile("tiny")  # input 224 × 128, heatmaps 56 × 32, batch 4
W, H = 160, 90  # source images; letterbox: s = min(224/160, 128/90) = 1.4, content 224 × 126, pad_y = 1


def _person(x0: float, y0: float, with_head: bool = True, track_id: int = 0) -> Person:
    joints = np.full((15, 3), np.nan)
    for k in range(12):  # the limbs; neck / nose / head top (12..14) left unannotated
        joints[k] = [x0 + 2 * (k % 6), y0 + 20 + 3 * (k // 6), 1.0]
    head = np.array([x0 - 4, y0 - 4, x0 + 4, y0 + 4]) if with_head else None
    return Person(joints=joints, head_box=head, track_id=track_id)


def _write_jpeg(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), image)


@pytest.fixture()
def sequence(tmp_path: Path) -> Sequence:
    for i in range(4):
        _write_jpeg(tmp_path / f"{i:06d}.jpg", i)
    frames = [
        Frame("000000.jpg", [_person(40, 20), _person(110, 30, track_id=1)],
              ignore_regions=[np.array([[130.0, 60.0], [155.0, 60.0], [155.0, 85.0], [130.0, 85.0]])]),
        Frame("000001.jpg", [_person(50, 25)], is_labeled=False),  # unlabelled: never sampled
        Frame("000002.jpg", [_person(60, 20, with_head=False)]),  # no head box: never sampled
        Frame("000003.jpg", [_person(70, 30, with_head=False, track_id=0), _person(30, 25, track_id=1)]),
    ]
    return Sequence(name="seq_a", frames=frames, root=tmp_path)


def test_only_labelled_frames_with_a_head_box_are_used(sequence):
    ds = TrainingBatches([sequence], TINY, workers=1)
    assert [(s, f, heads) for s, f, heads in ds.frames] == [(0, 0, [0, 1]), (0, 3, [1])]
    assert len(ds) == 1  # ceil(2 usable frames / batch 4)
    assert len(TrainingBatches([sequence], TINY, steps_per_epoch=7, workers=1)) == 7


def test_batch_shapes_and_dtypes_tiny(sequence):
    ds = TrainingBatches([sequence], TINY, workers=1)
    x, y = ds[0]
    assert set(x) == {"image", "head_mask"}
    assert set(y) == {"head_heatmap", "loss_mask", "joint_heatmaps", "joint_weights", "multi_person_heatmaps"}
    b = TINY.train.batch_size
    assert x["image"].shape == (b, 128, 224, 3)
    assert x["head_mask"].shape == (b, 32, 56, 1)
    assert y["head_heatmap"].shape == (b, 32, 56, 1)
    assert y["loss_mask"].shape == (b, 32, 56, 1)
    assert y["joint_heatmaps"].shape == (b, 32, 56, 15)
    assert y["joint_weights"].shape == (b, 15)
    assert y["multi_person_heatmaps"].shape == (b, 32, 56, 15)
    # the multi-person target holds the person of interest's joints (and the other persons')
    assert np.all(y["multi_person_heatmaps"] >= y["joint_heatmaps"] - 1e-6)
    for arr in [*x.values(), *y.values()]:
        assert arr.dtype == np.float32
    # joints 12..14 are never annotated in this data: weight 0 in every sample
    assert not y["joint_weights"][:, 12:].any()
    assert 0.0 <= x["head_mask"].min() and x["head_mask"].max() <= 1.0


def test_deterministic_per_seed_and_epoch_regardless_of_order(sequence):
    a = TrainingBatches([sequence], TINY, seed=3, steps_per_epoch=3, workers=1)
    b = TrainingBatches([sequence], TINY, seed=3, steps_per_epoch=3, workers=1)
    in_order = [a[i] for i in range(3)]
    with ThreadPoolExecutor(3) as pool:  # concurrent and reversed, as workers might do it
        shuffled = list(pool.map(b.__getitem__, [2, 1, 0]))[::-1]
    for (xa, ya), (xb, yb) in zip(in_order, shuffled, strict=True):
        for k in xa:
            np.testing.assert_array_equal(xa[k], xb[k])
        for k in ya:
            np.testing.assert_array_equal(ya[k], yb[k])
    assert not np.array_equal(in_order[0][0]["image"], in_order[1][0]["image"])  # batches differ
    other_seed = TrainingBatches([sequence], TINY, seed=4, steps_per_epoch=3, workers=1)
    assert not np.array_equal(other_seed[0][0]["image"], in_order[0][0]["image"])
    a.on_epoch_end()
    assert a.epoch == 1
    assert not np.array_equal(a[0][0]["image"], in_order[0][0]["image"])  # a new epoch, new draws
    b.set_epoch(1)
    np.testing.assert_array_equal(a[0][0]["image"], b[0][0]["image"])


def test_person_of_interest_head_stays_in_view(sequence):
    """Augmentation is redrawn until the head of the person of interest is inside the input (head mask)."""
    ds = TrainingBatches([sequence], TINY, seed=11, steps_per_epoch=4, workers=1)
    for i in range(len(ds)):
        x, _ = ds[i]
        # a centre inside the heatmap extent is <= 0.5·√2 px from a pixel centre:
        # exp(-0.5 / (2 · 4²)) = 0.9845
        assert (x["head_mask"].max(axis=(1, 2, 3)) > 0.98).all()


def test_unaugmented_sample_targets_sit_at_the_letterboxed_annotations(sequence):
    rng = np.random.default_rng(0)
    x, y = make_sample(sequence, 0, 1, TINY, rng, augment=False)
    M = letterbox_matrix(W, H, 224, 128)  # s = 1.4, offset (0.2, 1.2)
    stride = TINY.network.heatmap_stride
    poi = sequence.frames[0].persons[1]
    head_hm = input_to_heatmap(transform_points(poi.head_center, M), stride)
    # head (110, 30) -> input (1.4 * 110.5 - 0.5, 1.4 * 30.5 - 0.5 + 1) = (154.2, 43.2)
    #                -> heatmap ((154.2 + 0.5) / 4 - 0.5, (43.2 + 0.5) / 4 - 0.5) = (38.175, 10.425)
    np.testing.assert_allclose(head_hm, [38.175, 10.425])
    i, j = np.unravel_index(x["head_mask"][:, :, 0].argmax(), (32, 56))
    assert (j, i) == (38, 10)
    # the head heatmap has a peak (near 1) at both persons' heads
    assert y["head_heatmap"][10, 38, 0] > 0.9
    other = input_to_heatmap(transform_points(sequence.frames[0].persons[0].head_center, M), stride)
    assert y["head_heatmap"][int(round(other[1])), int(round(other[0])), 0] > 0.9
    # joint 0 (110, 50) -> input (154.2, 71.2) -> heatmap (38.175, 17.425): peak at (row 17, col 38)
    i, j = np.unravel_index(y["joint_heatmaps"][:, :, 0].argmax(), (32, 56))
    assert (j, i) == (38, 17)
    np.testing.assert_array_equal(y["joint_weights"], [1] * 12 + [0] * 3)
    # ignore region x 130..155 -> input 182.2..217.2 -> heatmap 45.175..53.925;
    #              y 60..85   -> input 85.2..120.2  -> heatmap 20.925..29.675: masked inside only
    assert y["loss_mask"][25, 50, 0] == 0.0 and y["loss_mask"][10, 10, 0] == 1.0
    assert int((y["loss_mask"] == 0).sum()) == 8 * 9  # columns 46..53 × rows 21..29
    # the image is the normalised letterbox: values in [-1, 1)
    assert x["image"].min() >= -1.0 and x["image"].max() < 1.0


def test_sample_rejects_a_person_without_head_box(sequence):
    with pytest.raises(DataError, match="no head box"):
        make_sample(sequence, 2, 0, TINY, np.random.default_rng(0))


def test_load_image_rgb(tmp_path):
    image = np.zeros((8, 10, 3), dtype=np.uint8)
    image[..., 2] = 255  # BGR red in OpenCV's order
    cv2.imwrite(str(tmp_path / "red.png"), image)
    rgb = read_image(tmp_path / "red.png")
    assert rgb.shape == (8, 10, 3) and rgb.dtype == np.uint8
    assert (rgb[..., 0] == 255).all() and (rgb[..., 2] == 0).all()


def test_missing_or_broken_image_raises_data_error_naming_the_file(sequence, tmp_path):
    missing = tmp_path / "nope.jpg"
    with pytest.raises(DataError, match="nope.jpg.*not found"):
        read_image(missing)
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(DataError, match="broken.jpg.*cannot decode"):
        read_image(tmp_path / "broken.jpg")
    (tmp_path / "000003.jpg").unlink()
    with pytest.raises(DataError, match="000003.jpg"):
        make_sample(sequence, 3, 1, TINY, np.random.default_rng(0))


def test_no_usable_frame_is_a_data_error(sequence):
    bare = Sequence(name="empty_seq", frames=[sequence.frames[2]], root=sequence.root)
    with pytest.raises(DataError, match="empty_seq"):
        TrainingBatches([bare], TINY)


def test_keras_worker_threads_give_the_same_batches(sequence):
    """Through Keras' own enqueuer (2 worker threads), as `fit` reads it: same batches, epoch advances."""
    adapter_mod = pytest.importorskip("keras.src.trainers.data_adapters.py_dataset_adapter")
    ds = TrainingBatches([sequence], TINY, seed=5, steps_per_epoch=4, workers=2)
    reference = TrainingBatches([sequence], TINY, seed=5, steps_per_epoch=4, workers=1)
    adapter = adapter_mod.PyDatasetAdapter(ds)
    for epoch in range(2):
        adapter.on_epoch_begin()
        batches = list(adapter.get_numpy_iterator())
        adapter.on_epoch_end()
        reference.set_epoch(epoch)
        assert len(batches) == 4
        for i, (x, y) in enumerate(batches):
            xr, yr = reference[i]
            np.testing.assert_array_equal(x["image"], xr["image"])
            np.testing.assert_array_equal(y["joint_heatmaps"], yr["joint_heatmaps"])
    assert ds.epoch == 2


def test_persons_per_image_shares_one_augmented_image(sequence):
    """K persons of interest per image (train.persons_per_image): batch_size persons on batch_size / K images,
    image b's persons at rows b·K .. b·K + K - 1, each posed on the same augmented image."""
    k = 3
    cfg = TINY.replace(train=dataclasses.replace(TINY.train, persons_per_image=k, batch_size=2 * k))
    ds = TrainingBatches([sequence], cfg, seed=1, workers=1)
    x, y = ds[0]
    b = 2  # images
    assert x["image"].shape == (b, 128, 224, 3) and y["head_heatmap"].shape == (b, 32, 56, 1)
    assert x["head_mask"].shape == (b * k, 32, 56, 1)
    assert y["joint_heatmaps"].shape == (b * k, 32, 56, 15) and y["joint_weights"].shape == (b * k, 15)
    for i in range(b):
        rows = slice(i * k, (i + 1) * k)
        # every person's targets lie under the image's multi-person target, and its head-mask peak lies on
        # the image's head heatmap (a head of this image, not of another sample's)
        assert np.all(y["multi_person_heatmaps"][i] >= y["joint_heatmaps"][rows].max(axis=0) - 1e-6)
        for m in x["head_mask"][rows]:
            r, c = np.unravel_index(np.argmax(m[..., 0]), m.shape[:2])
            assert y["head_heatmap"][i, r, c, 0] > 0.5
