"""benchmarks/gpu_check.py, the prepared GPU check, smoke-tested on this CPU with `--quick` (`tiny` sizes),
with TensorFlow and OpenCV made unimportable as on the GPU machine. Slow tier: one JAX start and three
compiles."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

BLOCKED = r"""
import runpy, sys
sys.modules["tensorflow"] = None  # as on the GPU machine: no TensorFlow, no OpenCV
sys.modules["cv2"] = None
sys.argv = ["gpu_check"] + sys.argv[1:]
runpy.run_module("benchmarks.gpu_check", run_name="__main__")
"""


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                    reason="JAX is not installed (pip install -e '.[jax]')")
def test_quick_gpu_check_writes_every_figure_without_tensorflow_or_opencv(tmp_path):
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", BLOCKED, "--quick", "--train-seconds", "40",
                          "--out", str(tmp_path), "--machine", "smoke"],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    payload = json.loads((tmp_path / "smoke.json").read_text())
    names = [f["name"] for f in payload["figures"]]
    for part in ("fp32 matmul", "bf16 matmul", "component 1 throughput, tiny, batch 1",
                 "component 1 throughput, tiny, batch 8", "component 2 throughput, tiny, 8 heads",
                 "training step, tiny (batch 4), fp32", "training step, tiny (batch 4), bf16",
                 "loss over the last"):
        assert any(part in n for n in names), part
    assert all(np.isfinite(f["value"]) and f["value"] > 0 for f in payload["figures"])
    step = next(f for f in payload["figures"] if f["name"] == "training step, tiny (batch 4), fp32")
    # the projection of 10**6 iterations
    assert f"{1_000_000 * step['value'] / 3600:,.1f} h" in step["reference"]
    curve = payload["loss_curve"]
    assert len(curve) >= 2 and curve[-1][1] < curve[0][1]  # the loss falls
    assert (payload["backend"] == "jax"
            and (tmp_path / "smoke.md").read_text().startswith("# posekit benchmarks"))
