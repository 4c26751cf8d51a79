"""`posekit train` killed with SIGKILL mid-run, then rerun with the same command, ends at the same iteration
count with one CSV row per logged iteration (paper §4 training; resuming is not in the paper)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# two `posekit train` processes (~40 s); the default tier resumes in-process (test_train.py)
@pytest.mark.slow
def test_sigkill_then_same_command_resumes_to_the_end(tmp_path, small_synthetic):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "posekit", "train", "--profile", "tiny", "--data", str(small_synthetic),
           "--split", "train", "--out", str(run), "--quiet", "--set", "train.iterations=100000",
           "--set", "train.checkpoint_every=5", "--set", "train.log_every=5"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while not (run / "checkpoint.weights.h5").exists():
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.time() < deadline, "no checkpoint within 240 s"
        time.sleep(0.2)
    time.sleep(1.0)  # somewhere between two checkpoints, possibly inside a write
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (run / "model.keras").exists()
    with open(run / "losses.csv", newline="") as fh:
        before = [int(r["iteration"]) for r in csv.DictReader(fh) if r.get("decay_loss")]
    assert before
    # Rerun the same command, ending a few checkpoints after where the kill hit (`iterations` is bookkeeping:
    # changing it is allowed on resume; it keeps the test short whatever the machine's speed).
    end = (max(before) // 5 + 3) * 5
    cmd[cmd.index("train.iterations=100000")] = f"train.iterations={end}"
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (run / "model.keras").exists()
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")]  # no temp files left behind
    with open(run / "losses.csv", newline="") as fh:
        rows = [int(r["iteration"]) for r in csv.DictReader(fh)]
    assert rows == list(range(5, end + 1, 5))
    from posekit.model import load_model

    model = load_model(run)
    assert model.config.train.iterations == end
