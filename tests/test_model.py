"""The two-component network (paper §2, §2.1, §4, Fig. 1): structure, shapes, loss, saving, FLOPs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from tolerances import network_rtol, sum_atol

from posekit.cli import main as cli_main
from posekit.config import get_profile, save_config
from posekit.errors import ConfigError, DataError
from posekit.model import (
    OUTPUT_KEYS,
    PoseNet,
    build_component1,
    build_component2,
    build_model,
    load_model,
    loss_terms,
    model_summary,
    pose_loss,
    save_model,
    single_person_heatmaps,
    training_diagnostics,
)

ROOT = Path(__file__).resolve().parents[1]


def _shape(layer: keras.layers.Layer) -> tuple:
    return tuple(layer.output.shape)


def _source(tensor) -> str:
    """Name of the layer that produced a symbolic tensor."""
    return tensor._keras_history.operation.name


@pytest.fixture(scope="module")
def tiny():
    return build_model(get_profile("tiny"))


def _inputs(config, batch=2, seed=0):
    rng = np.random.default_rng(seed)
    n = config.network
    return {
        "image": rng.uniform(-1, 1, (batch, n.input_height, n.input_width, 3)).astype("float32"),
        "head_mask": rng.uniform(0, 1, (batch, n.heatmap_height, n.heatmap_width, 1)).astype("float32"),
    }


@pytest.mark.parametrize("profile", ["paper", "cpu", "tiny"])
def test_output_shapes_for_every_profile(profile):
    config = get_profile(profile)
    n = config.network
    c1 = build_component1(n)
    c2 = build_component2(n)
    h, w = n.input_height // 4, n.input_width // 4  # two 2×2 poolings
    assert tuple(c1.input.shape) == (None, n.input_height, n.input_width, 3)
    assert tuple(c1.output["features"].shape) == (None, h, w, n.num_filters)
    assert tuple(c1.output["multi_person_heatmaps"].shape) == (None, h, w, 15)
    assert tuple(c1.output["head_heatmap"].shape) == (None, h, w, 1)
    assert [tuple(t.shape) for t in c2.inputs] == [(None, h, w, n.num_filters), (None, h, w, 15),
                                                   (None, h, w, 1)]
    assert tuple(c2.output.shape) == (None, h, w, 15)
    # The lowest U-Net level is 7×4 (w×h) at every profile.
    lowest = n.num_levels - 1
    assert _shape(c1.get_layer(f"c1_down{lowest}_conv1"))[1:3] == (4, 7)
    assert _shape(c2.get_layer(f"c2_down{lowest}_conv1"))[1:3] == (4, 7)


def test_paper_profile_feature_map_and_lowest_level():
    n = get_profile("paper").network
    c1 = build_component1(n)
    # §2.1: 896×512 -> two blocks of (conv, conv, 2×2 pool) -> 224×128 features with 128 channels.
    assert _shape(c1.get_layer("features0_conv1")) == (None, 512, 896, 128)
    assert _shape(c1.get_layer("features1_pool")) == (None, 128, 224, 128)
    # §2.1: 6 levels, lowest 4×7 px: 224 / 2**5 = 7, 128 / 2**5 = 4.
    pools = [layer for layer in c1.layers
             if layer.name.startswith("c1_down") and layer.name.endswith("_pool")]
    assert len(pools) == 5
    assert _shape(c1.get_layer("c1_down5_conv1")) == (None, 4, 7, 128)
    convs = [layer for layer in c1.layers if isinstance(layer, keras.layers.Conv2D)]
    # Every intermediate convolution: 3×3, 128 outputs, ReLU, padded ("same").
    for layer in convs:
        if layer.name in ("multi_person_heatmaps", "head_heatmap"):
            assert layer.activation.__name__ == "tanh"
        else:
            assert layer.kernel_size == (3, 3) and layer.filters == 128 and layer.padding == "same"
            assert layer.activation.__name__ == "relu"
    # 4 feature convs + 6 levels × 2 down + 5 levels × 2 up + 2 heatmap layers = 28.
    assert len(convs) == 4 + 12 + 10 + 2


def test_upsampling_is_nearest_and_skips_are_added(tiny):
    for comp, prefix in ((tiny.component1, "c1"), (tiny.component2, "c2")):
        ups = [layer for layer in comp.layers if isinstance(layer, keras.layers.UpSampling2D)]
        adds = [layer for layer in comp.layers if isinstance(layer, keras.layers.Add)]
        assert len(ups) == len(adds) == get_profile("tiny").network.num_levels - 1
        for up in ups:
            assert up.interpolation == "nearest" and tuple(up.size) == (2, 2)
        for add in adds:
            level = int(add.name.split("_up")[1].split("_")[0])
            sources = sorted(_source(t) for t in add._inbound_nodes[0].input_tensors)
            # Skip = last contracting conv of the same level; the other input = the upsampled lower level.
            assert sources == sorted([f"{prefix}_down{level}_conv1", f"{prefix}_up{level}_upsample"])
        # No concatenation inside the U-Nets (component 2 concatenates its three inputs only).
        concats = [layer.name for layer in comp.layers if isinstance(layer, keras.layers.Concatenate)]
        assert concats == ([] if prefix == "c1" else ["c2_input"])
    # Nearest-neighbour upsampling repeats each value in a 2×2 block: [[1, 2], [3, 4]] -> 4×4.
    up = tiny.component1.get_layer("c1_up0_upsample")
    out = np.asarray(up(np.array([[1.0, 2.0], [3.0, 4.0]], "float32").reshape(1, 2, 2, 1)))[0, :, :, 0]
    np.testing.assert_array_equal(out, [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])


def test_component2_input_is_features_multi_person_and_masked_head(tiny):
    c2 = tiny.component2
    concat = c2.get_layer("c2_input")
    assert [_source(t) for t in concat._inbound_nodes[0].input_tensors] == [
        "features", "multi_person_heatmaps", "masked_head_heatmap"
    ]
    n = get_profile("tiny").network
    assert tuple(concat.output.shape)[-1] == n.num_filters + 15 + 1


def test_final_heatmaps_are_filtered_times_multi_person(tiny):
    # Known tensors: 0.5 × -0.4 = -0.2, 1 × 0.25 = 0.25.
    filtered = np.full((1, 2, 2, 15), 0.5, "float32")
    filtered[0, 1, 1, 3] = 1.0
    multi = np.full((1, 2, 2, 15), -0.4, "float32")
    multi[0, 1, 1, 3] = 0.25
    out = np.asarray(single_person_heatmaps(filtered, multi))
    assert out[0, 0, 0, 0] == pytest.approx(-0.2)
    assert out[0, 1, 1, 3] == pytest.approx(0.25)
    # Inside PoseNet: component 2 gets head_heatmap × head_mask, and the product is taken with its output.
    x = _inputs(get_profile("tiny"))
    out = {k: np.asarray(v) for k, v in tiny(x).items()}
    assert set(out) == set(OUTPUT_KEYS)
    c1 = {k: np.asarray(v) for k, v in tiny.component1(x["image"]).items()}
    filtered = np.asarray(tiny.component2([c1["features"], c1["multi_person_heatmaps"],
                                           c1["head_heatmap"] * x["head_mask"]]))
    # The same layers on the same inputs, called in another graph: the float32 bound of the network's sums
    # in another order (tests/tolerances.py); |multi| < 1 for the product.
    atol = network_rtol(get_profile("tiny"))
    np.testing.assert_allclose(out["filtered_heatmaps"], filtered, rtol=0, atol=atol)
    np.testing.assert_allclose(out["single_person_heatmaps"], filtered * c1["multi_person_heatmaps"],
                               rtol=0, atol=atol)
    # A different head mask changes the single-person output but not the multi-person heatmaps.
    x2 = dict(x, head_mask=np.zeros_like(x["head_mask"]))
    out2 = {k: np.asarray(v) for k, v in tiny(x2).items()}
    np.testing.assert_allclose(out2["multi_person_heatmaps"], out["multi_person_heatmaps"], rtol=0, atol=atol)
    assert np.abs(out2["filtered_heatmaps"] - out["filtered_heatmaps"]).max() > 1e-4
    for key in OUTPUT_KEYS:  # tanh heatmaps and their product lie in [-1, 1] (float32 tanh may round to 1)
        assert np.abs(out[key]).max() <= 1.0


def test_he_init_zero_bias_and_l2_decay(tiny):
    convs = [x for c in (tiny.component1, tiny.component2) for x in c.layers
             if isinstance(x, keras.layers.Conv2D)]
    kernels = []
    for layer in convs:
        kernel, bias = (np.asarray(v) for v in layer.weights)
        assert not bias.any()
        fan_in = np.prod(kernel.shape[:3])
        # He: std √(2 / fan_in); Keras' truncated normal keeps that std (to sampling error).
        if kernel.size > 1000:
            assert kernel.std() == pytest.approx(np.sqrt(2.0 / fan_in), rel=0.15)
        kernels.append(kernel)
    # Layers get distinct seeds: no two same-shape kernels are equal.
    assert not np.array_equal(kernels[2], kernels[3])
    # L2 decay 0.0005 as ½ · 0.0005 · Σw² over kernels only (biases are zero anyway).
    expected = 0.5 * 0.0005 * sum(float(np.sum(k.astype(np.float64) ** 2)) for k in kernels)
    # float32 Σw² over every kernel weight against float64: the bound of one float32 sum of that many terms
    n_weights = sum(k.size for k in kernels)
    assert (float(sum(np.asarray(v) for v in tiny.losses))
            == pytest.approx(expected, rel=sum_atol(n_weights, 1.0)))


def test_same_seed_same_weights_other_seed_other_weights():
    from posekit.train import replace_train

    config = get_profile("tiny")
    a, b = build_model(config), build_model(config)
    c = build_model(replace_train(config, seed=1))
    for va, vb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(np.asarray(va), np.asarray(vb))
    assert not np.array_equal(np.asarray(a.weights[0]), np.asarray(c.weights[0]))


def _targets(config, batch=2):
    n = config.network
    h, w = n.heatmap_height, n.heatmap_width
    return {
        "head_heatmap": np.zeros((batch, h, w, 1), "float32"),
        "loss_mask": np.ones((batch, h, w, 1), "float32"),
        "joint_heatmaps": np.zeros((batch, h, w, 15), "float32"),
        "joint_weights": np.ones((batch, 15), "float32"),
    }


def _outputs(config, batch=2):
    n = config.network
    h, w = n.heatmap_height, n.heatmap_width
    z = np.zeros((batch, h, w, 15), "float32")
    return {"head_heatmap": np.zeros((batch, h, w, 1), "float32"), "single_person_heatmaps": z,
            "multi_person_heatmaps": z, "filtered_heatmaps": z}


def test_loss_value_by_hand():
    config = get_profile("tiny")
    y, out = _targets(config), _outputs(config)
    assert float(pose_loss(y, out)) == 0.0
    # One head pixel off by 1 and one joint pixel off by 2, batch 2: ½·1/2 = 0.25 and ½·4/2 = 1.0.
    out["head_heatmap"][0, 3, 4, 0] = 1.0
    out["single_person_heatmaps"][1, 5, 6, 7] = 2.0
    terms = loss_terms(y, out)
    assert float(terms["head_loss"]) == pytest.approx(0.25)
    assert float(terms["pose_loss"]) == pytest.approx(1.0)
    assert float(pose_loss(y, out)) == pytest.approx(1.25)


def test_loss_ignores_masked_regions_and_missing_joints():
    config = get_profile("tiny")
    rng = np.random.default_rng(3)
    y = {k: rng.uniform(0, 1, v.shape).astype("float32") for k, v in _targets(config).items()}
    y["loss_mask"][:] = 1.0
    y["loss_mask"][0, 10:20, 5:15] = 0.0  # an ignore region in sample 0
    y["joint_weights"][:] = 1.0
    y["joint_weights"][1, 4] = 0.0  # joint 4 of sample 1 not annotated
    out = {k: rng.uniform(-1, 1, v.shape).astype("float32") for k, v in _outputs(config).items()}
    base = loss_terms(y, out)
    changed = {k: v.copy() for k, v in out.items()}
    changed["head_heatmap"][0, 10:20, 5:15] += 5.0  # inside the ignore region
    changed["single_person_heatmaps"][1, :, :, 4] += 5.0  # the missing joint, everywhere
    after = loss_terms(y, changed)
    # The masked terms are exact zeros either way; only the float32 sum's order may change (its bound).
    n_terms = out["single_person_heatmaps"].size
    assert float(after["head_loss"]) == pytest.approx(float(base["head_loss"]), rel=sum_atol(n_terms, 1.0))
    assert float(after["pose_loss"]) == pytest.approx(float(base["pose_loss"]), rel=sum_atol(n_terms, 1.0))
    # The same change outside the ignore region / on an annotated joint does change the loss.
    other = {k: v.copy() for k, v in out.items()}
    other["head_heatmap"][1, 10:20, 5:15] += 5.0
    other["single_person_heatmaps"][0, :, :, 4] += 5.0
    moved = loss_terms(y, other)
    assert float(moved["head_loss"]) > float(base["head_loss"]) + 1.0
    assert float(moved["pose_loss"]) > float(base["pose_loss"]) + 1.0


def test_keras_round_trip_gives_identical_outputs(tmp_path, tiny):
    config = get_profile("tiny")
    x = _inputs(config)
    path = tmp_path / "model.keras"
    save_model(tiny, path)
    assert path.exists() and not list(tmp_path.glob(".*tmp*"))
    loaded = load_model(path)
    assert isinstance(loaded, PoseNet) and loaded.config == tiny.config
    a, b = tiny(x), loaded(x)
    for key in OUTPUT_KEYS:
        np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))
    # A run folder: model.keras + config.json; the run's config is attached.
    run = tmp_path / "run"
    run.mkdir()
    save_model(tiny, run / "model.keras")
    run_config = config.replace(thresholds=config.thresholds.__class__(t_head=0.5))
    save_config(run_config, run / "config.json")
    from_run = load_model(run)
    assert from_run.config.thresholds.t_head == 0.5
    np.testing.assert_array_equal(np.asarray(from_run(x)["head_heatmap"]), np.asarray(a["head_heatmap"]))


def test_load_model_errors_are_one_line(tmp_path):
    with pytest.raises(DataError, match="no such model file"):
        load_model(tmp_path)
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError) as err:
        load_model(bad)
    assert "\n" not in str(err.value) and "bad.keras" in str(err.value)


def test_model_summary_paper_flops_by_hand():
    _, params, g1, g2 = model_summary(get_profile("paper"))
    # 2·MACs. Features: 896·512·9·(3·128 + 128·128) + 2·448·256·9·128·128 MACs = 103.05 G -> 206.11 GFLOP.
    # U-Net at 224·128 = 28672 px: 9·128·128 MACs per px per conv; levels 0-4: 4 convs, level 5: 2 convs,
    # each level 1/4 of the pixels: 5.33008 conv-equivalents · 28672 · 147456 · 2 = 45.07 GFLOP.
    # Heads 1×1: 28672·128·16·2 = 0.117 GFLOP -> 251.30; component 2: 45.07 + 28672·9·16·128·2 (extra
    # input channels) = 1.057 + 28672·128·15·2 = 0.110 -> 46.24.
    assert g1 == pytest.approx(251.295, abs=0.01)
    assert g2 == pytest.approx(46.237, abs=0.01)
    # Parameters. Comp 1: first conv 3·9·128+128 = 3,584; 3 more feature convs + 22 U-Net convs of
    # 9·128·128+128 = 147,584; 1×1 heads 128·15+15 + 128+1 -> 3,695,248. Comp 2: first conv 9·144·128+128 =
    # 166,016; 21 × 147,584; 1×1 head 1,935 -> 3,267,215. Total 6,962,463.
    expected = 3584 + 25 * 147584 + (128 * 15 + 15) + (128 + 1) + (9 * 144 * 128 + 128) + 21 * 147584 + 1935
    assert expected == 6_962_463
    assert params == expected


def test_posekit_model_command(capsys):
    assert cli_main(["model", "--profile", "tiny"]) == 0
    out = capsys.readouterr().out
    assert "c1_down3_conv1" in out and "4×7×16" in out
    assert "parameters: 75,199" in out and "GFLOP" in out


def test_bad_sizes_raise_config_error(capsys):
    # 200 is not divisible by 4 · 2**3 = 32.
    assert cli_main(["model", "--profile", "tiny", "--set", "network.input_width=200"]) == 2
    assert "divisible by 32" in capsys.readouterr().err


def test_runs_under_jax_backend():
    pytest.importorskip("jax", reason="jax is not installed in this environment")
    code = (
        "import numpy as np; from posekit.config import get_profile;"
        " from posekit.model import build_model, pose_loss;"
        "c = get_profile('tiny'); m = build_model(c); n = c.network;"
        "x = {'image': np.zeros((1, n.input_height, n.input_width, 3), 'float32'),"
        " 'head_mask': np.ones((1, n.heatmap_height, n.heatmap_width, 1), 'float32')};"
        "o = m(x); print(o['single_person_heatmaps'].shape);"
        # component 2 split per frame / per head (inference) equals component 2 under JAX too
        "from posekit.model import split_component2; import keras; r = np.random.default_rng(0);"
        "f = r.normal(size=(2, 32, 56, 16)).astype('float32');"
        " mp = r.uniform(-1, 1, (2, 32, 56, 15)).astype('float32');"
        "mk = r.uniform(0, 1, (3, 32, 56, 1)).astype('float32'); i = np.array([0, 1, 1]);"
        "pf, ph = split_component2(m.component2);"
        "d = np.abs(np.asarray(ph(keras.ops.take(pf(f, mp), i, axis=0), mk))"
        " - np.asarray(m.component2([f[i], mp[i], mk])));"
        "print('split max diff', float(d.max()) < 5e-5)"
    )
    env = dict(os.environ, KERAS_BACKEND="jax")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "(1, 32, 56, 15)" in res.stdout
    assert "split max diff True" in res.stdout


def test_config_json_is_stored_in_keras_file(tmp_path, tiny):
    import zipfile

    save_model(tiny, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        stored = json.loads(z.read("config.json"))
    assert stored["config"]["config"]["network"]["num_filters"] == 16


def test_training_diagnostics_count_found_joints_and_split_gradient_norms():
    """The logged diagnostics (both trainers): the share of weighted joints whose single-person peak reaches
    t_joint, the multi-person L2 against its target per image, and one gradient norm per component."""
    rng = np.random.default_rng(3)
    single = np.zeros((2, 4, 6, 15), np.float32)
    single[0, 1, 2, :5] = 0.5  # 5 joints of person 0 reach t_joint = 0.3 ...
    single[1, 3, 3, :3] = 0.2  # ... 3 of person 1 stay below it
    weights = np.ones((2, 15), np.float32)
    weights[0, 4] = 0.0  # an unannotated joint does not count, found or not
    multi = rng.normal(size=(1, 4, 6, 15)).astype(np.float32)
    target = rng.normal(size=(1, 4, 6, 15)).astype(np.float32)
    mask = np.ones((1, 4, 6, 1), np.float32)
    mask[0, 0] = 0.0  # an ignore region
    grads = [rng.normal(size=(3, 3)).astype(np.float32) for _ in range(3)] + [None]
    diag = training_diagnostics(
        {"joint_weights": weights, "multi_person_heatmaps": target, "loss_mask": mask},
        {"single_person_heatmaps": single, "multi_person_heatmaps": multi}, grads, n1=2, t_joint=0.3,
    )
    diag = {k: float(keras.ops.convert_to_numpy(v)) for k, v in diag.items()}
    assert diag["joints_found"] == pytest.approx(4 / 29)
    expected_l2 = 0.5 * float(np.sum(((multi - target) * mask) ** 2))
    assert diag["multi_l2"] == pytest.approx(expected_l2, abs=sum_atol(4 * 6 * 15, expected_l2))
    norm_c1 = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads[:2])))
    norm_c2 = float(np.linalg.norm(grads[2].astype(np.float64)))
    # a float32 sum of 18 (9) squares, then a square root (which halves the relative error)
    assert diag["grad_norm_c1"] == pytest.approx(norm_c1, abs=sum_atol(18, norm_c1**2) / norm_c1)
    assert diag["grad_norm_c2"] == pytest.approx(norm_c2, abs=sum_atol(9, norm_c2**2) / norm_c2)


def test_component2_filters_sets_only_the_single_person_unet_width():
    """`network.component2_filters` (not in the paper; 0 = num_filters, the paper's "same structure"):
    component 2's intermediate convolutions get that many outputs, component 1 and the heatmaps are unchanged,
    component 2's FLOPs fall, and the per-frame / per-head split of inference still equals the whole."""
    from posekit.config import apply_overrides
    from posekit.model import split_component2

    base = get_profile("tiny")
    assert base.network.component2_filters == 0
    assert base.network.single_person_filters == base.network.num_filters
    narrow = apply_overrides(base, ["network.component2_filters=8"])
    c2 = build_component2(narrow.network, seed=0)
    convs = [layer for layer in c2.layers if isinstance(layer, keras.layers.Conv2D)]
    assert {int(layer.filters) for layer in convs[:-1]} == {8}
    assert int(convs[-1].filters) == 15  # the filtered heatmaps
    c1_base, c1_narrow = build_component1(base.network), build_component1(narrow.network)
    assert c1_base.count_params() == c1_narrow.count_params()
    _, _, c1_gflop, c2_gflop = model_summary(base)
    _, _, c1_gflop_n, c2_gflop_n = model_summary(narrow)
    assert c1_gflop_n == c1_gflop and c2_gflop_n < 0.5 * c2_gflop
    n = narrow.network
    rng = np.random.default_rng(0)
    features = rng.uniform(0, 1, (2, n.heatmap_height, n.heatmap_width, n.num_filters)).astype("float32")
    multi = rng.uniform(-1, 1, (2, n.heatmap_height, n.heatmap_width, 15)).astype("float32")
    head = rng.uniform(0, 1, (2, n.heatmap_height, n.heatmap_width, 1)).astype("float32")
    whole = np.asarray(c2([features, multi, head]))
    per_frame, per_head = split_component2(c2)
    parts = np.asarray(per_head(per_frame(features, multi), head))
    np.testing.assert_allclose(parts, whole, rtol=0, atol=network_rtol(narrow))
    assert get_profile("paper").network.component2_filters == 0  # §2.1: the same U-Net as component 1
    with pytest.raises(ConfigError, match="component2_filters"):
        build_component2(apply_overrides(base, ["network.component2_filters=-1"]).network)
