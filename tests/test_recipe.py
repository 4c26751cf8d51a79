"""The training recipe's fields that are not in the paper (posekit.config.TrainConfig) and the training
compute."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from tolerances import network_rtol

from posekit.config import apply_overrides, get_profile
from posekit.errors import ConfigError
from posekit.targets import gaussian_heatmap, multi_person_joint_heatmaps

TINY = get_profile("tiny")


def _tiny(**train):
    return TINY.replace(train=dataclasses.replace(TINY.train, **train))


def test_paper_profile_keeps_the_paper_recipe():
    t = get_profile("paper").train
    assert ((t.persons_per_image, t.multi_person_loss_weight, t.lr_schedule, t.warmup_iterations)
            == (1, 0.0, "constant", 0))
    assert (t.heatmap_init_scale, t.filtered_init, t.learning_rate) == (1.0, 0.0, 0.00005)
    # §2: joints at "the maximum response" (integer heatmap pixels); the cpu profile refines them
    assert get_profile("paper").decoding.subpixel is False and get_profile("cpu").decoding.subpixel is True


def test_multi_person_joint_heatmaps_is_the_max_over_persons():
    joints = np.full((3, 15, 3), np.nan)
    joints[0, 0] = (10.0, 5.0, 1.0)
    joints[1, 0] = (30.0, 12.0, 1.0)
    joints[1, 4] = (20.0, 8.0, 1.0)
    joints[2, 4] = (-5.0, 8.0, 1.0)  # outside the heatmap: contributes nothing
    hm = multi_person_joint_heatmaps(joints, 32, 56, 2.0)
    assert hm.shape == (32, 56, 15) and hm.dtype == np.float32
    expected0 = np.maximum(gaussian_heatmap(np.array([10.0, 5.0]), 32, 56, 2.0),
                           gaussian_heatmap(np.array([30.0, 12.0]), 32, 56, 2.0))
    np.testing.assert_array_equal(hm[..., 0], expected0)
    np.testing.assert_array_equal(hm[..., 4], gaussian_heatmap(np.array([20.0, 8.0]), 32, 56, 2.0))
    assert not hm[..., [1, 2, 3, *range(5, 15)]].any()
    assert not multi_person_joint_heatmaps(np.zeros((0, 15, 3)), 32, 56, 2.0).any()


def test_training_flops_counts_both_components_per_image_and_person():
    from posekit.model import model_summary, training_compute_line, training_flops

    cfg = _tiny(batch_size=6, persons_per_image=3, iterations=10)  # 2 images x 3 persons
    _, _, c1, c2 = model_summary(cfg)
    assert training_flops(cfg) == pytest.approx(3 * (2 * c1 + 6 * c2) * 1e9 * 10, rel=1e-12)
    line = training_compute_line(cfg)
    assert line.startswith(f"training compute: {3 * (2 * c1 + 6 * c2) * 10 / 1e3:,.1f} TFLOP")
    assert "(2 images × component 1 + 6 persons × component 2)" in line


def test_posekit_model_ends_with_the_training_compute(capsys):
    from posekit.cli import main

    assert main(["model", "--profile", "tiny", "--set", "train.iterations=100"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("training compute: ") and "100 iterations" in last


def test_learning_rate_schedules():
    import keras

    from posekit.model import learning_rate

    assert learning_rate(_tiny(learning_rate=0.01).train) == 0.01
    sched = learning_rate(_tiny(learning_rate=0.01, lr_schedule="cosine", warmup_iterations=10,
                                iterations=110).train)
    lr = [float(keras.ops.convert_to_numpy(sched(step))) for step in (0, 5, 10, 60, 110)]
    assert lr[0] == pytest.approx(0.0, abs=1e-9) and lr[1] == pytest.approx(0.005, rel=1e-5)
    assert lr[2] == pytest.approx(0.01, rel=1e-5) and lr[3] == pytest.approx(0.005, rel=1e-4)
    assert lr[4] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ConfigError, match="lr_schedule"):
        learning_rate(_tiny(lr_schedule="step").train)


@pytest.mark.parametrize("override, message", [
    ("train.persons_per_image=0", "persons_per_image"),
    ("train.persons_per_image=3", "persons_per_image"),  # does not divide the batch of 4
    ("train.multi_person_loss_weight=-1", "multi_person_loss_weight"),
    ("train.lr_schedule=linear", "lr_schedule"),
    ("train.filtered_init=1.0", "filtered_init"),
    ("train.heatmap_init_scale=0", "heatmap_init_scale"),
])
def test_recipe_fields_out_of_range_are_config_errors(override, message):
    from posekit.train import check_recipe

    with pytest.raises(ConfigError, match=message):
        check_recipe(apply_overrides(TINY, [override]).train)


def test_init_fields_set_the_heatmap_layers_start():
    from posekit.model import build_model

    he, small = build_model(TINY), build_model(_tiny(heatmap_init_scale=0.01, filtered_init=0.5))
    for comp, layer in (("component1", "multi_person_heatmaps"), ("component2", "filtered_heatmaps")):
        k_he = getattr(he, comp).get_layer(layer).kernel.numpy()
        k_small = getattr(small, comp).get_layer(layer).kernel.numpy()
        # same seeds, so the same truncated-normal draw scaled by 0.01 (float32 rounding of one product)
        np.testing.assert_allclose(k_small, 0.01 * k_he, rtol=4 * np.finfo(np.float32).eps)
    np.testing.assert_allclose(small.component2.get_layer("filtered_heatmaps").bias.numpy(), np.arctanh(0.5),
                               rtol=np.finfo(np.float32).eps)
    assert not he.component2.get_layer("filtered_heatmaps").bias.numpy().any()
    # the intermediate convolutions keep He init
    np.testing.assert_array_equal(small.component1.get_layer("c1_down0_conv0").kernel.numpy(),
                                  he.component1.get_layer("c1_down0_conv0").kernel.numpy())


def test_k_persons_per_image_equal_k_single_person_passes():
    """PoseNet with B images x K persons gives, per person, what the paper's one-person-per-image call
    gives."""
    from posekit.model import build_model, loss_terms

    model = build_model(TINY)
    n = TINY.network
    h, w = n.heatmap_height, n.heatmap_width
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (2, n.input_height, n.input_width, 3)).astype(np.float32)
    masks = rng.uniform(0, 1, (6, h, w, 1)).astype(np.float32)  # 2 images x 3 persons
    shared = model({"image": images, "head_mask": masks})
    single = model({"image": np.repeat(images, 3, axis=0), "head_mask": masks})
    # Same convolutions on the same inputs: only the batch layout differs, and with it how the kernels may
    # block the sums — the float32 bound of the network's sums in another order (tests/tolerances.py).
    tol = network_rtol(TINY)
    for key in ("filtered_heatmaps", "single_person_heatmaps"):
        np.testing.assert_allclose(np.asarray(shared[key]), np.asarray(single[key]), atol=tol, rtol=0)
    assert np.asarray(shared["multi_person_heatmaps"]).shape[0] == 2
    # The pose loss averages over persons, the image terms over images; the multi-person term is off by
    # default.
    y = {"head_heatmap": np.zeros((2, h, w, 1), np.float32), "loss_mask": np.ones((2, h, w, 1), np.float32),
         "joint_heatmaps": np.zeros((6, h, w, 15), np.float32), "joint_weights": np.ones((6, 15), np.float32),
         "multi_person_heatmaps": np.zeros((2, h, w, 15), np.float32)}
    terms = loss_terms(y, shared)
    sp = np.asarray(shared["single_person_heatmaps"], np.float64)
    assert float(terms["pose_loss"]) == pytest.approx(0.5 * (sp**2).sum() / 6, rel=1e-5)
    assert float(terms["multi_loss"]) == 0.0
    mp = np.asarray(shared["multi_person_heatmaps"], np.float64)
    weighted = loss_terms(y, shared, multi_person_loss_weight=2.0)
    assert float(weighted["multi_loss"]) == pytest.approx(2.0 * 0.5 * (mp**2).sum() / 2, rel=1e-5)


def test_a_saved_config_without_newer_fields_loads_them_at_their_paper_defaults(tmp_path):
    """A run's config.json written before a field existed means that field's paper default (the behaviour
    of the code that wrote it), not the profile's current value."""
    import json

    from posekit.config import load_config, save_config

    path = tmp_path / "config.json"
    save_config(get_profile("cpu"), path)
    data = json.loads(path.read_text())
    del data["network"]["first_block_filters"], data["train"]["persons_per_image"], data["decoding"]
    path.write_text(json.dumps(data))
    saved = load_config(path, saved=True)
    assert saved.network.first_block_filters == 0 and saved.train.persons_per_image == 1
    assert saved.decoding.subpixel is False  # a run from before decoding.subpixel decoded at the argmax
    assert saved.train.multi_person_loss_weight == get_profile("cpu").train.multi_person_loss_weight  # kept
    fresh = load_config(path)  # a hand-written partial file: the named profile fills the gaps
    assert fresh.network.first_block_filters == get_profile("cpu").network.first_block_filters
