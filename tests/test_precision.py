"""bf16 inference (`Predictor(precision="bf16")`): the same weights, outputs close to fp32, float32 out."""

from __future__ import annotations

import numpy as np
import pytest

from posekit.config import get_profile
from posekit.errors import ConfigError


@pytest.fixture(scope="module")
def tiny_model():
    from posekit.model import build_model

    return build_model(get_profile("tiny"))


def test_bf16_network_outputs_follow_fp32(tiny_model):
    from posekit.inference import Predictor

    cfg = get_profile("tiny")
    frame = np.random.default_rng(0).integers(0, 255, (180, 320, 3), dtype=np.uint8)
    fp32 = Predictor(tiny_model, config=cfg).run_network([frame])
    bf16 = Predictor(tiny_model, config=cfg, precision="bf16").run_network([frame])
    for key in ("multi_person_heatmaps", "head_heatmap"):
        a, b = fp32[key], bf16[key]
        assert b.dtype == np.float32 and a.shape == b.shape
        assert not np.array_equal(a, b)  # really computed in another precision
        # bfloat16 keeps 8 bits of mantissa: a few 1e-2 of absolute error on tanh outputs in [-1, 1]
        assert np.max(np.abs(a - b)) < 0.1
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.99


def test_bf16_copy_shares_the_weights_and_unknown_precision_fails(tiny_model):
    from posekit.model import with_precision

    assert with_precision(tiny_model, "fp32") is tiny_model
    copy = with_precision(tiny_model, "bf16")
    for w0, w1 in zip(tiny_model.get_weights(), copy.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)
    import keras

    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    with pytest.raises(ConfigError, match="unknown precision 'fp16'"):
        with_precision(tiny_model, "fp16")


def _batch(config, seed: int = 0):
    n, B = config.network, config.train.batch_size
    h, w = n.heatmap_height, n.heatmap_width
    rng = np.random.default_rng(seed)
    x = {"image": rng.uniform(-1, 1, (B, n.input_height, n.input_width, 3)).astype(np.float32),
         "head_mask": rng.uniform(0, 1, (B, h, w, 1)).astype(np.float32)}
    y = {"head_heatmap": rng.uniform(0, 1, (B, h, w, 1)).astype(np.float32),
         "loss_mask": np.ones((B, h, w, 1), np.float32),
         "joint_heatmaps": rng.uniform(0, 1, (B, h, w, 15)).astype(np.float32),
         "joint_weights": np.ones((B, 15), np.float32)}
    return x, y


def test_bf16_training_computes_in_bfloat16_keeps_float32_weights_and_learns(tmp_path):
    import dataclasses

    import keras

    from posekit.model import load_model, save_model, with_precision
    from posekit.train import Trainer

    base = get_profile("tiny")
    losses = {}
    for precision in ("fp32", "bf16"):
        cfg = dataclasses.replace(base, train=dataclasses.replace(base.train, precision=precision,
                                                                  learning_rate=0.001))
        trainer = Trainer(cfg)
        batch = _batch(cfg)
        losses[precision] = [trainer.step(batch)["loss"] for _ in range(15)]
        expected = "bfloat16" if precision == "bf16" else "float32"
        assert trainer.model.component1.compute_dtype == expected
        assert all(v.dtype == "float32" for v in trainer.model.trainable_variables)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    for precision, curve in losses.items():
        assert np.all(np.isfinite(curve)) and curve[-1] < 0.8 * curve[0], (precision, curve)
    # Same start (same seeded weights, same batch): the first losses agree to bfloat16 precision. bfloat16
    # keeps 8 significant bits (unit roundoff 2**-8 = 0.4 %); the loss ½Σ(out - target)² with random
    # targets in [0, 1] and outputs near 0 is dominated by the (exact, float32) targets, and the outputs'
    # rounding, of either sign, averages over 10**5 terms: within 5 units of bfloat16 rounding.
    assert losses["bf16"][0] == pytest.approx(losses["fp32"][0], rel=5 * 2.0**-8)
    # A bf16-trained model saves and loads as an ordinary (float32-computing) model.
    save_model(trainer.model, tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.component1.compute_dtype == "float32"
    assert with_precision(trainer.model, "fp32").component1.compute_dtype == "float32"


def test_unknown_training_precision_is_a_config_error():
    import dataclasses

    from posekit.train import Trainer

    base = get_profile("tiny")
    cfg = dataclasses.replace(base, train=dataclasses.replace(base.train, precision="fp8"))
    with pytest.raises(ConfigError, match="unknown precision 'fp8'"):
        Trainer(cfg)
