"""benchmarks.bench_step_layers times every convolution of a training step: its rows must cover exactly the
convolutions the analytic FLOP count (posekit.model.model_summary) counts, at the batch of a step."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_layer_rows_cover_the_analytic_flops_of_a_step(monkeypatch):
    pytest.importorskip("tensorflow")
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.bench_step_layers import layer_timings
    from posekit.config import apply_overrides, get_profile
    from posekit.model import model_summary

    overrides = ("train.persons_per_image=2",)  # 2 images x 2 persons: the two components' batches differ
    config = apply_overrides(get_profile("tiny"), list(overrides))
    assert config.train.batch_size == 4
    rows = layer_timings("tiny", "fp32", repeats=1, overrides=overrides)
    _, _, c1_gflop, c2_gflop = model_summary(config)
    images = config.train.batch_size // config.train.persons_per_image
    by_comp = {c: sum(r["fwd_GFLOP"] for r in rows if r["component"] == c)
               for c in ("component1", "component2")}
    assert by_comp["component1"] == pytest.approx(images * c1_gflop, rel=1e-9)
    assert by_comp["component2"] == pytest.approx(config.train.batch_size * c2_gflop, rel=1e-9)
    assert rows[0]["layer"] == "features0_conv0" and rows[0]["input"].endswith("×3")
    assert all(r["seconds"] > 0 and r["GFLOP_per_s"] > 0 for r in rows)
