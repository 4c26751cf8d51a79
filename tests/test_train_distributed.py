"""Distributed training (`tf.distribute`): the same update as one device, under mirrored and multi-worker.

Each case runs in fresh subprocesses: logical devices and `TF_CONFIG` must be set before TensorFlow starts
and would clash with the other tests' TensorFlow state.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tolerances import network_rtol

from posekit.config import get_profile

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS), env.get("PYTHONPATH", "")])
    return env


MIRRORED = r"""
import json, sys
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from posekit.config import get_profile
from posekit.train import Trainer
from test_train_figures import FigureBatches, make_samples

config = get_profile("tiny")
batches = FigureBatches(config, make_samples(config, frames=3, seed=2))
one = Trainer(config)  # the default strategy: one device
two = Trainer(config, tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
w0 = [v.numpy() for v in one.model.weights]
same_init = all(np.array_equal(a, b.numpy()) for a, b in zip(w0, two.model.weights))
losses = []
for i in range(2):
    losses.append((one.step(batches[i]), two.step(batches[i])))
w1 = [v.numpy() for v in one.model.weights]
w2 = [v.numpy() for v in two.model.weights]
print(json.dumps({
    "replicas": two.replicas,
    "same_init": same_init,
    "losses": losses,
    "moved": max(float(np.abs(a - b).max()) for a, b in zip(w0, w1)),
    "weight_diff": max(float(np.abs(a - b).max()) for a, b in zip(w1, w2)),
    "weight_scale": max(float(np.abs(a).max()) for a in w1),
}))
"""


def test_mirrored_on_two_logical_cpus_matches_one_device():
    res = subprocess.run([sys.executable, "-c", MIRRORED], env=_env(), capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2 and out["same_init"]
    # Each replica runs batch 2 instead of 4: the kernels may block the sums differently, so every heatmap
    # value moves by at most δ = network_rtol (tests/tolerances.py); a loss term ½Σd²/B with |d| < 2
    # (tanh outputs, targets in [0, 1]) then moves by at most 2δ per pixel and heatmap of one image.
    n = get_profile("tiny").network
    delta = network_rtol(get_profile("tiny"))
    atol = {"head_loss": 2 * delta * n.heatmap_width * n.heatmap_height,
            "pose_loss": 2 * delta * n.heatmap_width * n.heatmap_height * 15}
    atol["loss"] = atol["head_loss"] + atol["pose_loss"]
    atol["decay_loss"] = 0.0  # the same weights (step 1) or weights equal to 1e-6 (step 2): below
    for single, mirrored in out["losses"]:
        # Same loss, not doubled (the compute_loss trap): each replica divides by the number of replicas.
        for key in ("loss", "head_loss", "pose_loss", "decay_loss"):
            assert mirrored[key] == pytest.approx(single[key], rel=1e-4, abs=atol[key]), key
    # The weights moved (Adam's first steps move each weight by about lr = 5e-5) and stayed equal.
    assert out["moved"] > 1e-5
    assert out["weight_diff"] < 1e-6 * max(1.0, out["weight_scale"]) + 1e-7


WORKER = r"""
import json, sys
import numpy as np
from posekit.train import make_strategy, replace_train, train

strategy = make_strategy(sys.argv[1])  # first: multi-worker must start before other TensorFlow work
from posekit.config import get_profile
from test_train_figures import FigureBatches, make_samples

config = replace_train(get_profile("tiny"), iterations=4, checkpoint_every=2, log_every=1)
batches = FigureBatches(config, make_samples(config, frames=3, seed=4))
result = train(config, batches, sys.argv[2], strategy=strategy, progress=False)
np.savez(sys.argv[3], *[v.numpy() for v in result.model.weights])
print(json.dumps({"iterations": result.iterations, "loss": result.last_losses["loss"]}))
"""


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _load(path: Path) -> list[np.ndarray]:
    with np.load(path) as z:
        return [z[f"arr_{i}"] for i in range(len(z.files))]


@pytest.mark.slow
def test_multiworker_two_local_workers_end_with_identical_weights(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    run = tmp_path / "run"
    procs = []
    for k in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": k}})
        procs.append(subprocess.Popen(
            [sys.executable, "-c", WORKER, "multiworker", str(run), str(tmp_path / f"worker{k}.npz")],
            env=_env(TF_CONFIG=tf_config), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        ))
    outs = []
    for p in procs:
        try:
            stdout, stderr = p.communicate(timeout=480)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        assert p.returncode == 0, stderr[-3000:]
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    assert [o["iterations"] for o in outs] == [4, 4]
    assert outs[0]["loss"] == pytest.approx(outs[1]["loss"], rel=1e-6)
    w0, w1 = _load(tmp_path / "worker0.npz"), _load(tmp_path / "worker1.npz")
    for a, b in zip(w0, w1):
        np.testing.assert_array_equal(a, b)
    # Only the chief (worker 0) wrote the run folder.
    assert (run / "model.keras").exists() and (run / "losses.csv").exists()
    # And the two workers (one replica each, 2 samples each) made the updates of one device on the batch of 4.
    single = subprocess.run([sys.executable, "-c", WORKER, "none", str(tmp_path / "single"),
                             str(tmp_path / "single.npz")],
                            env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stderr[-3000:]
    # Adam divides by √v, so a weight whose gradient is near 0 can move differently by up to lr per step
    # when the all-reduce sums in another order: bound every weight by 4 steps × lr = 2e-4, and the bulk
    # tighter.
    diffs = np.concatenate([np.abs(a - b).ravel() for a, b in zip(w0, _load(tmp_path / "single.npz"))])
    assert diffs.max() <= 4 * 5e-5
    assert np.mean(diffs < 1e-6) > 0.99
