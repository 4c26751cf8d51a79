"""The JAX side of tests/test_jax_backend.py, run as
`KERAS_BACKEND=jax python tests/jax_backend_check.py WORK`.

Not a test module (no `test_` prefix). TensorFlow is made unimportable first, so everything here runs as on a
machine with JAX and Keras only. Reads what the TensorFlow side wrote into WORK (batches.npz, w0.npz, the
overfit run folder, frames.npz), writes out.npz and out.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.modules["tensorflow"] = None  # type: ignore[assignment]  # `import tensorflow` now raises ImportError

import keras  # noqa: E402
import numpy as np  # noqa: E402

from posekit.config import get_profile, load_config  # noqa: E402
from posekit.errors import TrainingError  # noqa: E402
from posekit.train import CHECKPOINT_NAME, make_strategy, make_trainer, replace_train, train  # noqa: E402


def _batches(work: Path) -> list:
    with np.load(work / "batches.npz") as z:
        n = 1 + max(int(k.split("_")[0]) for k in z.files)
        return [({k.split("_", 2)[2]: z[k] for k in z.files if k.startswith(f"{i}_x_")},
                 {k.split("_", 2)[2]: z[k] for k in z.files if k.startswith(f"{i}_y_")}) for i in range(n)]


class _Kill(Exception):
    pass


def main(work: Path) -> None:
    assert keras.backend.backend() == "jax"
    config = get_profile("tiny")
    batches = _batches(work)
    with np.load(work / "w0.npz") as z:
        w0 = [z[f"arr_{i}"] for i in range(len(z.files))]
    arrays: dict[str, np.ndarray] = {}
    out: dict = {}

    # Component 1 / component 2 outputs and one training step from the TensorFlow side's initial weights.
    trainer = make_trainer(config)
    trainer.model.set_weights(w0)
    x, y = batches[0]
    for k, v in trainer.model(x).items():
        arrays[f"out_{k}"] = np.asarray(v)
    arrays["features"] = np.asarray(trainer.model.component1(x["image"])["features"])
    out["step"] = trainer.step(batches[0])
    out["iteration"] = trainer.iteration
    for i, v in enumerate(trainer.model.get_weights()):
        arrays[f"w1_{i}"] = v

    # The same step, data parallel over the two host devices (XLA_FLAGS from the test).
    dp = make_trainer(config, make_strategy("mirrored"))
    dp.model.set_weights(w0)
    out["dp_replicas"] = dp.replicas
    out["dp_step"] = dp.step(batches[0])
    for i, v in enumerate(dp.model.get_weights()):
        arrays[f"w1dp_{i}"] = v

    # train(): checkpoints, a resume after a kill, the CSV, a finished run, the NaN stop.
    runs = work / "jax_runs"
    cfg = replace_train(config, iterations=6, checkpoint_every=2, log_every=1)
    whole = train(cfg, batches, runs / "whole", progress=False)

    def kill_at_5(i: int, losses: dict) -> None:
        if i == 5:
            raise _Kill

    try:
        train(cfg, batches, runs / "run", hooks=[kill_at_5], progress=False)
    except _Kill:
        pass
    checkpoint_after_kill = (runs / "run" / CHECKPOINT_NAME).exists()
    resumed = train(cfg, batches, runs / "run", progress=False)
    again = train(cfg, batches, runs / "run", progress=False)
    out["train"] = {
        "whole_iterations": whole.iterations,
        "checkpoint_after_kill": checkpoint_after_kill,
        "resumed_from": resumed.resumed_from,
        "resumed_iterations": resumed.iterations,
        "resume_max_diff": max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                               for a, b in zip(whole.model.weights, resumed.model.weights, strict=True)),
        "again_losses": again.last_losses,
        "files": sorted(p.name for p in (runs / "run").iterdir()),
        "csv": (runs / "run" / "losses.csv").read_text(),
        "config_roundtrip": load_config(runs / "run" / "config.json") == cfg,
    }
    bx, by = batches[0]
    nan = [*batches, (bx, dict(by, joint_heatmaps=np.full_like(by["joint_heatmaps"], np.nan)))]  # index 3
    try:
        train(cfg, nan, runs / "nan", progress=False)
        out["nan_error"] = None
    except TrainingError as err:
        out["nan_error"] = str(err)
    out["nan_files"] = sorted(p.name for p in (runs / "nan").iterdir())

    # `posekit train` under JAX on the synthetic data (its output names the backend).
    import contextlib
    import io

    from posekit.cli import main as cli_main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        out["cli_status"] = cli_main(["train", "--profile", "tiny", "--data",
                                      (work / "synthetic.txt").read_text(),
                                      "--out", str(runs / "cli"), "--set", "train.iterations=2",
                                      "--set", "train.log_every=1", "--quiet"])
        out["cli_status_again"] = cli_main(["train", "--profile", "tiny", "--data",
                                            (work / "synthetic.txt").read_text(), "--out", str(runs / "cli"),
                                            "--set", "train.iterations=2", "--set", "train.log_every=1"])
    out["cli_output"] = printed.getvalue()

    # A .keras trained under TensorFlow, loaded and run by the Predictor under JAX.
    from posekit.inference import Predictor
    from posekit.model import load_model

    model = load_model(work / "overfit")
    predictor = Predictor(model)
    with np.load(work / "frames.npz") as z:
        frames = [z[f"arr_{i}"] for i in range(len(z.files))]
    net = predictor.run_network(frames)
    for k in ("features", "multi_person_heatmaps", "head_heatmap"):
        arrays[f"pred_{k}"] = net[k]
    decoded = predictor.decode(net, [(f.shape[1], f.shape[0]) for f in frames], intermediates=True)
    arrays["pred_filtered"] = decoded.filtered
    arrays["pred_peaks"] = decoded.peaks
    persons = predictor.predict_frames(frames)
    out["persons_per_frame"] = [len(p) for p in persons]
    for b, frame_persons in enumerate(persons):
        for j, p in enumerate(frame_persons):
            arrays[f"person_{b}_{j}"] = p.joints
    out["tensorflow_imported"] = sys.modules.get("tensorflow") is not None
    np.savez(work / "out.npz", **arrays)
    (work / "out.json").write_text(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
