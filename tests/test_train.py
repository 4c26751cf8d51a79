"""Training (paper §4): the network learns, resumes after an interruption, stops on NaN, logs."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from test_train_figures import FigureBatches, make_samples
from tolerances import F32_EPS

from posekit.cli import main as cli_main
from posekit.config import get_profile, load_config
from posekit.errors import ConfigError, TrainingError
from posekit.model import load_model
from posekit.train import CHECKPOINT_NAME, CSV_COLUMNS, replace_train, train

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def _tiny(**train_changes):
    return replace_train(get_profile("tiny"), **train_changes)


def _weights(model) -> list[np.ndarray]:
    return [np.asarray(v) for v in model.weights]


def _rows(run: Path) -> list[dict]:
    with open(run / "losses.csv", newline="") as fh:
        return list(csv.DictReader(fh))


class _Kill(Exception):
    pass


def _kill_at(iteration: int):
    def hook(i: int, losses: dict) -> None:
        if i == iteration:
            raise _Kill(f"killed at {i}")

    return hook


def test_resume_after_interruption_matches_uninterrupted_run(tmp_path):
    config = _tiny(iterations=6, checkpoint_every=2, log_every=1)
    samples = make_samples(config, frames=3, seed=1)
    batches = FigureBatches(config, samples)
    whole = train(config, batches, tmp_path / "whole", progress=False)
    assert whole.iterations == 6 and whole.resumed_from == 0

    run = tmp_path / "run"
    with pytest.raises(_Kill):
        train(config, batches, run, hooks=[_kill_at(5)], progress=False)
    assert (run / CHECKPOINT_NAME).exists() and not (run / "model.keras").exists()
    assert [r["iteration"] for r in _rows(run)] == ["1", "2", "3", "4", "5"]
    (run / ".checkpoint.weights.h5.999.tmp.weights.h5").write_bytes(b"half")  # a write cut short by a kill
    resumed = train(config, batches, run, progress=False)
    assert not list(run.glob(".*"))
    # Checkpoints at 2 and 4; killed at 5 -> resumes from 4 and ends at 6 like the whole run. The same
    # steps on the same batches from the same checkpointed state: equal but for a summation order a fresh
    # tf.function may pick, which moves an Adam update (at most lr per step) only where a gradient rounds
    # near 0. A wrong resume (Adam moments lost, a batch skipped or repeated) moves weights by O(lr): the
    # allowance is a fifth of lr, and the float32 rounding of w - update (2 ulp).
    assert resumed.resumed_from == 4 and resumed.iterations == 6
    lr = config.train.learning_rate
    for a, b in zip(_weights(whole.model), _weights(resumed.model)):
        np.testing.assert_allclose(a, b, rtol=2 * F32_EPS, atol=0.2 * lr)
    # The CSV has each logged iteration once (rows past the checkpoint were dropped, then re-logged).
    assert [int(r["iteration"]) for r in _rows(run)] == [1, 2, 3, 4, 5, 6]
    assert list(_rows(run)[0]) == list(CSV_COLUMNS)
    # The run folder: final model + config + TensorBoard events.
    assert load_config(run / "config.json") == config
    events = sorted((run / "tensorboard").glob("events.out.tfevents.*"))
    assert events
    import tensorflow as tf

    logged = [
        (e.step, v.tag, float(tf.make_ndarray(v.tensor)), v.metadata.plugin_data.plugin_name)
        for f in events
        for e in tf.compat.v1.train.summary_iterator(str(f))
        for v in e.summary.value
    ]
    # FigureBatches carry no multi-person target, so its diagnostic (multi_l2) is not logged (NaN in the CSV).
    assert ({(tag, plugin) for _, tag, _, plugin in logged}
            == {(c, "scalars") for c in CSV_COLUMNS[1:] if c != "multi_l2"})
    csv_loss = {int(r["iteration"]): float(r["loss"]) for r in _rows(run)}
    # The CSV keeps 6 significant digits (%.6g: relative rounding <= 5e-6), TensorBoard the float32 value.
    assert all(v == pytest.approx(csv_loss[step], rel=1e-5) for step, tag, v, _ in logged if tag == "loss")
    loaded = load_model(run)
    for a, b in zip(_weights(resumed.model), _weights(loaded)):
        np.testing.assert_array_equal(a, b)
    # Rerunning a finished run trains nothing.
    again = train(config, batches, run, progress=False)
    assert again.iterations == 6 and again.last_losses == {}
    # More iterations may be asked of a finished run (bookkeeping change), continuing from its checkpoint.
    longer = train(replace_train(config, iterations=7), batches, run, progress=False)
    assert longer.resumed_from == 6 and longer.iterations == 7


def test_resume_refuses_a_different_method(tmp_path):
    config = _tiny(iterations=4, checkpoint_every=2)
    batches = FigureBatches(config, make_samples(config, frames=1))
    train(config, batches, tmp_path / "run", progress=False)
    with pytest.raises(ConfigError, match=r"train\.learning_rate"):
        train(replace_train(config, learning_rate=1e-3), batches, tmp_path / "run", progress=False)


def test_a_finished_run_takes_a_new_decoding_without_retraining(tmp_path):
    """The decoding is not part of training: a finished run accepts another `decoding.subpixel` (e.g. a model
    trained before the field existed), is not trained again, and its config.json names the new value."""
    import dataclasses

    from posekit.config import DecodingConfig, load_config

    config = _tiny(iterations=2, checkpoint_every=2)
    batches = FigureBatches(config, make_samples(config, frames=1))
    run = tmp_path / "run"
    train(config, batches, run, progress=False)
    before = (run / "model.keras").read_bytes()
    refined = dataclasses.replace(config, decoding=DecodingConfig(subpixel=not config.decoding.subpixel))
    again = train(refined, batches, run, progress=False)
    assert again.resumed_from == 2 and again.seconds == 0.0
    assert (run / "model.keras").read_bytes() == before
    assert load_config(run / "config.json", saved=True).decoding == refined.decoding


def test_nan_loss_stops_with_one_line_error_and_keeps_checkpoint(tmp_path):
    config = _tiny(iterations=10, checkpoint_every=3, log_every=1)
    # Batch index 6 (iteration 7) has a NaN target.
    batches = FigureBatches(config, make_samples(config, frames=2), nan_at=6)
    run = tmp_path / "run"
    saved = {}

    def remember(i: int, losses: dict) -> None:
        if i == 6:
            saved["bytes"] = (run / CHECKPOINT_NAME).read_bytes()

    with pytest.raises(TrainingError) as err:
        train(config, batches, run, hooks=[remember], progress=False)
    message = str(err.value)
    assert "\n" not in message and "iteration 7" in message and "iteration 6" in message
    assert (run / CHECKPOINT_NAME).read_bytes() == saved["bytes"]  # the checkpoint of iteration 6, untouched
    assert not (run / "model.keras").exists()


def test_nan_weights_are_never_checkpointed(tmp_path):
    # A NaN image gives a finite loss (ReLU/max pooling turn NaN into 0) but NaN gradients, so the weights
    # become NaN at iteration 2 and the checkpoint due at iteration 2 must not be written.
    config = _tiny(iterations=6, checkpoint_every=2, log_every=1)
    batches = FigureBatches(config, make_samples(config, frames=2))
    broken = _NanImage(batches, 1)
    with pytest.raises(TrainingError, match="iteration 2"):
        train(config, broken, tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / CHECKPOINT_NAME).exists()


class _NanImage:
    def __init__(self, batches, index):
        self.batches, self.index = batches, index

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        x, y = self.batches[i]
        if i == self.index:
            x = dict(x, image=np.full_like(x["image"], np.nan))
        return x, y


def test_batch_must_split_evenly_over_replicas():
    import tensorflow as tf

    from posekit.train import Trainer

    class FakeStrategy:
        num_replicas_in_sync = 3

        def scope(self):  # pragma: no cover - not reached
            return tf.distribute.get_strategy().scope()

    with pytest.raises(ConfigError, match="not divisible by the 3 replicas"):
        Trainer(_tiny(), FakeStrategy())


def test_unknown_strategy_and_multiworker_without_tf_config(monkeypatch):
    from posekit.train import make_strategy

    with pytest.raises(ConfigError, match="unknown strategy"):
        make_strategy("ring")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="TF_CONFIG"):
        make_strategy("multiworker")


@pytest.mark.skipif(not (FIXTURES / "posetrack18").is_dir(),
                    reason="shared fixtures (../shared/fixtures) absent")
@pytest.mark.skipif(importlib.util.find_spec("posekit.dataset") is None,
                    reason="posekit.dataset not built yet")
def test_posekit_train_command_on_real_posetrack_frames(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "--profile", "tiny", "--data", str(FIXTURES / "posetrack18"), "--split", "val",
            "--out", str(run), "--set", "train.iterations=2", "--set", "train.log_every=1", "--quiet"]
    assert cli_main(args) == 0
    assert (run / "model.keras").exists() and (run / "config.json").exists()
    assert [r["iteration"] for r in _rows(run)] == ["1", "2"]
    assert all(np.isfinite(float(r["loss"])) for r in _rows(run))
    # A different method in the same folder is refused with a one-line error (exit status 2).
    assert cli_main(args + ["--set", "train.learning_rate=0.1"]) == 2
    assert "different config" in capsys.readouterr().err
