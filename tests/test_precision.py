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
