"""Training the two-component network (paper §4), resumable, on one device or under `tf.distribute`.

Paper §4: "We optimized the networks using Adam and its proposed default parameters [4] with a learning rate
of 0.00005. We use a mini-batch size of 4 and optimize the networks for 1,000,000 iterations." The loss is
`posekit.model.pose_loss` (head + single-person L2) plus the L2 weight decay of the convolution kernels.

One custom training loop serves every strategy (`none`, `mirrored`, `multiworker`): a `tf.function` step
runs `strategy.run(replica_step)` and sums the per-replica losses with `strategy.reduce`. Not in the paper,
and chosen because of two traps measured with Keras 3.15 / TF 2.21:
- `Model.fit()` fails under `MultiWorkerMirroredStrategy` (keras-team/keras#20585); a custom loop works.
- A `compute_loss` override is not divided by the number of replicas (2 replicas -> doubled gradients).
  Here every replica computes the mean loss of its share of the batch and divides it by
  `num_replicas_in_sync` itself; the optimizer all-reduces (sums) the gradients, so the update equals the
  one-device update on the whole batch. `config.train.batch_size` is the *global* batch (the paper's 4).
The optimizer is built inside `strategy.scope()`. Every worker computes the same global batch (batches are
a function of the iteration number) and takes the slice of its replicas, so a distributed run sees exactly
the batches of a one-device run.

Resuming: our own equivalent of Keras' `BackupAndRestore`, built on Keras weight saving and an atomic
rename. Every `checkpoint_every` iterations (and at the end) the model weights *and* the Adam state go into
one file, `RUN_DIR/checkpoint.weights.h5`, written to a temp file and renamed into place; the iteration is
the optimizer's own step counter inside it. Rerunning the same command loads it and goes on; batch `i`
depends only on the seed and `i`, so a resumed run retraces the uninterrupted one. A finished run
(`model.keras` present, counter at `iterations`) is not trained again. Under `multiworker` only the chief
writes files; every worker reads the chief's checkpoint, so RUN_DIR must be on storage all workers see.

Under `KERAS_BACKEND=jax` the step is `posekit.train_jax.JaxTrainer`'s (a jitted stateless step; `mirrored` is
`keras.distribution.DataParallel` over the local devices) and everything else here is the same, except that
no `tensorboard/` folder is written (TensorFlow's summary writer; the CSV has the same scalars).

Run folder: `config.json`, `checkpoint.weights.h5`, `losses.csv` (iteration, loss, head_loss, pose_loss,
decay_loss: means over the last `log_every` iterations), `tensorboard/` (the same scalars), `model.keras`.
A NaN or inf loss raises `TrainingError` naming the iteration; the checkpoint on disk is left as it was,
and no checkpoint is written from weights that are not all finite. Temp files of writes cut short by a
kill are removed when the run starts again.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

if keras.backend.backend() == "tensorflow":
    import tensorflow as tf
else:  # KERAS_BACKEND=jax: posekit.train_jax trains, and this module needs no TensorFlow
    tf = None

from posekit.config import Config, TrainConfig, load_config, save_config
from posekit.errors import ConfigError, TrainingError
from posekit.fileio import atomic_write_text
from posekit.model import (
    PoseNet,
    build_model,
    loss_terms,
    make_optimizer,
    precision_policy,
    save_model,
    training_diagnostics,
)

STRATEGIES = ("none", "mirrored", "multiworker")
CHECKPOINT_NAME = "checkpoint.weights.h5"
CSV_COLUMNS = (
    "iteration", "loss", "head_loss", "pose_loss", "multi_loss", "decay_loss", "learning_rate",
    "multi_l2", "joints_found", "grad_norm_c1", "grad_norm_c2", "seconds",
)
#: Train settings that may change between a run and its resumption (bookkeeping, not the method).
RESUMABLE_CHANGES = ("iterations", "checkpoint_every", "log_every", "workers")

Batch = tuple[dict[str, np.ndarray], dict[str, np.ndarray]]
Hook = Callable[[int, dict[str, float]], None]


def make_strategy(name: str) -> tf.distribute.Strategy:
    """`none` -> the default (one-device) strategy; `mirrored` -> all local GPUs (or the CPU);
    `multiworker` -> `MultiWorkerMirroredStrategy`, cluster from the `TF_CONFIG` environment variable.
    Under KERAS_BACKEND=jax: `posekit.train_jax.make_distribution` (None, or `DataParallel` for
    `mirrored`)."""
    if tf is None:
        from posekit.train_jax import make_distribution

        return make_distribution(name)
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise ConfigError("--strategy multiworker needs the TF_CONFIG environment variable (see README)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ConfigError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes files (always, except on non-chief workers of a multi-worker run)."""
    return bool(getattr(getattr(strategy, "extended", None), "should_checkpoint", True))


class Trainer:
    """The model, Adam and the distributed train step, all created inside `strategy.scope()`.

    `step(batch)` runs one iteration on a global batch (x, y) in the `posekit.dataset` format and returns
    the global losses {"loss", "head_loss", "pose_loss", "multi_loss", "decay_loss"} and the diagnostics of
    `posekit.model.training_diagnostics` as floats.
    """

    def __init__(self, config: Config, strategy: tf.distribute.Strategy | None = None):
        self.config = config
        self.strategy = strategy or tf.distribute.get_strategy()
        self.replicas = self.strategy.num_replicas_in_sync
        if config.train.batch_size % self.replicas:
            raise ConfigError(
                f"train.batch_size={config.train.batch_size} (the global batch) is not divisible by the "
                f"{self.replicas} replicas of the strategy"
            )
        t = config.train
        with self.strategy.scope():
            with precision_policy(t.precision):  # "bf16": bfloat16 compute, float32 weights and Adam state
                self.model: PoseNet = build_model(config)
            self.optimizer = make_optimizer(t)
            self.optimizer.build(self.model.trainable_variables)
            self.model.compile(optimizer=self.optimizer)  # so save_weights/load_weights carry the Adam state
        self._n1 = len(self.model.component1.trainable_variables)  # the first n1 gradients are component 1's
        self._step = tf.function(self._distributed_step)

    @property
    def iteration(self) -> int:
        """Iterations done (the optimizer's step counter, saved with the checkpoint)."""
        return int(self.optimizer.iterations.numpy())

    def _replica_step(self, x: dict[str, tf.Tensor], y: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            outputs = self.model(x, training=True)
            # the loss in float32 (bf16 runs)
            outputs = {k: tf.cast(v, tf.float32) for k, v in outputs.items()}
            terms = loss_terms(y, outputs, self.config.train.multi_person_loss_weight)  # this replica's share
            decay = tf.add_n(self.model.losses)
            loss = terms["head_loss"] + terms["pose_loss"] + terms["multi_loss"] + decay
            scaled = loss / self.replicas  # the optimizer sums gradients over replicas
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        out = {
            "loss": scaled,
            "head_loss": terms["head_loss"] / self.replicas,
            "pose_loss": terms["pose_loss"] / self.replicas,
            "multi_loss": terms["multi_loss"] / self.replicas,
            "decay_loss": decay / self.replicas,
        }
        out.update({k: v / self.replicas
                    for k, v in training_diagnostics(y, outputs, grads, self._n1,
                                                     self.config.thresholds.t_joint).items()})
        return out

    def _distributed_step(self, x: Any, y: Any) -> dict[str, tf.Tensor]:
        per_replica = self.strategy.run(self._replica_step, args=(x, y))
        return {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)
                for k, v in per_replica.items()}

    def distribute(self, batch: Batch) -> tuple[Any, Any]:
        """Split a global batch so replica r (global id over all workers) gets rows r·b .. (r+1)·b - 1
        (b = rows ÷ replicas: images for the per-image entries, persons for the per-person ones)."""
        replicas = self.replicas

        def value_fn(ctx: tf.distribute.experimental.ValueContext) -> Batch:
            r = ctx.replica_id_in_sync_group

            def part(a: np.ndarray) -> tf.Tensor:
                per = len(a) // replicas
                return tf.convert_to_tensor(a[r * per : (r + 1) * per])

            return tf.nest.map_structure(part, batch)

        dist = self.strategy.experimental_distribute_values_from_function(value_fn)
        return dist[0], dist[1]

    def step(self, batch: Batch) -> dict[str, float]:
        x, y = self.distribute(batch)
        return {k: float(v.numpy()) for k, v in self._step(x, y).items()}

    def weights_finite(self) -> bool:
        return all(bool(np.all(np.isfinite(v.numpy()))) for v in self.model.weights)

    def save_checkpoint(self, path: Path) -> None:
        """Model weights + Adam state to `path`, atomically (temp file beside it, then rename)."""
        from posekit.model import save_checkpoint_file

        save_checkpoint_file(self.model, path)

    def load_checkpoint(self, path: Path) -> None:
        self.model.load_weights(path)


def make_trainer(config: Config, strategy: Any = None) -> Any:
    """`Trainer` on the TensorFlow backend, `posekit.train_jax.JaxTrainer` under KERAS_BACKEND=jax."""
    if tf is None:
        from posekit.train_jax import JaxTrainer

        return JaxTrainer(config, strategy)
    return Trainer(config, strategy)


@dataclass
class TrainResult:
    run_dir: Path
    iterations: int  # iterations done when training stopped (== config.train.iterations when finished)
    resumed_from: int  # iteration of the checkpoint it resumed from (0 for a fresh run)
    last_losses: dict[str, float]  # the losses of the last iteration run (empty if none ran)
    seconds: float  # wall time of this invocation's training loop
    model: PoseNet


class _Prefetcher:
    """Builds batch i+1.. on `workers` threads while step i runs; batch i = batches[i % len(batches)]."""

    def __init__(self, batches: Any, start: int, stop: int, workers: int):
        self.batches, self.stop = batches, stop
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers))
        self.depth = max(2, workers + 1)
        self.futures = {i: self.pool.submit(self._get, i)
                        for i in range(start, min(stop, start + self.depth))}

    def _get(self, i: int) -> Batch:
        x, y = self.batches[i % len(self.batches)]
        return x, y

    def get(self, i: int) -> Batch:
        batch = self.futures.pop(i).result()
        ahead = i + self.depth
        if ahead < self.stop and ahead not in self.futures:
            self.futures[ahead] = self.pool.submit(self._get, ahead)
        return batch

    def close(self) -> None:
        for f in self.futures.values():
            f.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)


def _summary_scalar(name: str, value: float) -> None:
    """A TensorBoard scalar written with TensorFlow's core `tf.summary.write` and the scalar plugin's
    metadata, so logging works without the `tensorboard` package (needed only to view the logs)."""
    meta = tf.compat.v1.SummaryMetadata()
    meta.plugin_data.plugin_name = "scalars"
    meta.data_class = (
        tf.compat.v1.SummaryMetadata.DESCRIPTOR.fields_by_name["data_class"]
        .enum_type.values_by_name["DATA_CLASS_SCALAR"].number
    )
    tf.summary.write(name, tf.constant(value, tf.float32), metadata=meta)


def _check_resumable(saved: Config, config: Config, run_dir: Path) -> None:
    """A run may resume only with the same method; bookkeeping (`RESUMABLE_CHANGES`) and the decoding (an
    inference setting that training never reads, e.g. `decoding.subpixel` added after a run was trained) may
    differ. The config.json written on resumption carries the new values."""
    a, b = saved.to_dict(), config.to_dict()
    for key in RESUMABLE_CHANGES:
        a["train"].pop(key), b["train"].pop(key)
    a.pop("decoding", None), b.pop("decoding", None)
    if a != b:
        diff = [
            f"{s}.{k}"
            for s in a
            if isinstance(a[s], dict)
            for k in a[s]
            if a[s][k] != b.get(s, {}).get(k)
        ] or ["profile"]
        raise ConfigError(
            f"{run_dir / 'config.json'}: the run in this folder has a different config ({', '.join(diff)}); "
            f"use another --out or the same settings"
        )


def _rewrite_csv(path: Path, upto: int) -> None:
    """Keep the complete rows with iteration <= upto (a killed run may have logged past its checkpoint)."""
    rows = []
    if path.exists():
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh):
                try:
                    if (int(row["iteration"]) <= upto
                            and all(row.get(c) not in (None, "") for c in CSV_COLUMNS)):
                        rows.append(row)
                except (TypeError, ValueError):
                    continue
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: r[c] for c in CSV_COLUMNS} for r in rows)
    atomic_write_text(path, out.getvalue())


def check_recipe(t: TrainConfig) -> None:
    """ConfigError for recipe fields (the `Not in the paper` ones of `TrainConfig`) out of range."""
    if t.persons_per_image < 1 or t.batch_size % t.persons_per_image:
        raise ConfigError(
            f"train.persons_per_image must be >= 1 and divide train.batch_size={t.batch_size}, "
            f"got {t.persons_per_image}"
        )
    if t.multi_person_loss_weight < 0 or not math.isfinite(t.multi_person_loss_weight):
        raise ConfigError("train.multi_person_loss_weight must be a finite number >= 0, "
                          f"got {t.multi_person_loss_weight}")
    if t.lr_schedule not in ("constant", "cosine"):
        raise ConfigError(f"unknown train.lr_schedule {t.lr_schedule!r}; choose constant or cosine")
    if not 0 < t.heatmap_init_scale <= 1 or not 0 <= t.filtered_init < 1:
        raise ConfigError(
            f"train.heatmap_init_scale must be in (0, 1] and train.filtered_init in [0, 1), got "
            f"{t.heatmap_init_scale} and {t.filtered_init}"
        )
    if t.warmup_iterations < 0:
        raise ConfigError(f"train.warmup_iterations must be >= 0, got {t.warmup_iterations}")


def train(
    config: Config,
    batches: Any,
    run_dir: str | os.PathLike[str],
    strategy: str | tf.distribute.Strategy = "none",
    hooks: Sequence[Hook] = (),
    progress: bool = True,
) -> TrainResult:
    """Train `config.train.iterations` iterations into `run_dir`, resuming from its checkpoint if any.

    batches: anything with `len()` and `batches[i] -> (x, y)` (a `posekit.dataset.TrainingBatches`), global
      batch of `config.train.batch_size`: x = {"image": (B, H, W, 3), "head_mask": (B, h, w, 1)},
      y = {"head_heatmap", "loss_mask": (B, h, w, 1), "joint_heatmaps": (B, h, w, 15),
           "joint_weights": (B, 15)}.
      Iteration i (0-based) uses batches[i % len(batches)].
    hooks: called as hook(iteration, losses) after every iteration (after its checkpoint, if any).
    """
    run_dir = Path(run_dir)
    strategy = make_strategy(strategy) if isinstance(strategy, str) else strategy
    chief = is_chief(strategy)
    t = config.train
    if t.iterations < 0 or t.checkpoint_every < 1 or t.log_every < 1:
        raise ConfigError("train.iterations must be >= 0, train.checkpoint_every and train.log_every >= 1")
    check_recipe(t)
    checkpoint = run_dir / CHECKPOINT_NAME
    config_path = run_dir / "config.json"
    final_path = run_dir / "model.keras"
    csv_path = run_dir / "losses.csv"
    if checkpoint.exists() and config_path.exists():
        _check_resumable(load_config(config_path, saved=True), config, run_dir)

    keras.utils.set_random_seed(t.seed)
    trainer = make_trainer(config, strategy)
    resumed_from = 0
    if checkpoint.exists():
        trainer.load_checkpoint(checkpoint)
        resumed_from = trainer.iteration
    start = resumed_from
    if start > t.iterations:
        raise ConfigError(
            f"{checkpoint}: the run is at iteration {start}, beyond train.iterations={t.iterations}"
        )
    if chief:
        run_dir.mkdir(parents=True, exist_ok=True)
        for stale in run_dir.glob(".*.tmp*"):  # temp files of writes cut short by a kill
            if stale.is_file():
                stale.unlink()
        save_config(config, config_path)
        _rewrite_csv(csv_path, start)
    if start == t.iterations and final_path.exists():  # finished earlier: nothing to do
        return TrainResult(run_dir, start, resumed_from, {}, 0.0, trainer.model)

    writer = tf.summary.create_file_writer(str(run_dir / "tensorboard")) if chief and tf is not None else None
    bar = None
    if progress and chief:
        from tqdm.auto import tqdm

        bar = tqdm(total=t.iterations, initial=start, desc="train", unit="it", dynamic_ncols=True)
    prefetch = _Prefetcher(batches, start, t.iterations, t.workers)
    window: list[dict[str, float]] = []
    losses: dict[str, float] = {}
    last_good = start
    tic = time.perf_counter()
    try:
        for i in range(start, t.iterations):
            iteration = i + 1
            losses = trainer.step(prefetch.get(i))
            if not math.isfinite(losses["loss"]):
                raise TrainingError(
                    f"{run_dir}: loss is {losses['loss']} at iteration {iteration}; training stopped, "
                    f"the last good checkpoint (iteration {last_good}) is kept in {checkpoint}"
                )
            window.append(losses)
            if iteration % t.log_every == 0 or iteration == t.iterations:
                means = {k: float(np.mean([w[k] for w in window])) for k in losses}
                means["learning_rate"] = float(keras.ops.convert_to_numpy(trainer.optimizer.learning_rate))
                # of this invocation's loop (a resume restarts it)
                means["seconds"] = time.perf_counter() - tic
                window = []
                if chief:
                    with open(csv_path, "a", newline="") as fh:
                        row = {"iteration": iteration,
                               **{k: f"{means.get(k, math.nan):.6g}" for k in CSV_COLUMNS[1:]}}
                        csv.DictWriter(fh, fieldnames=CSV_COLUMNS, lineterminator="\n").writerow(row)
                    if writer is not None:
                        with writer.as_default(step=iteration):
                            for k, v in means.items():
                                _summary_scalar(k, v)
                        writer.flush()
                if bar is not None:
                    bar.set_postfix(loss=f"{means['loss']:.4g}")
            if iteration % t.checkpoint_every == 0 or iteration == t.iterations:
                if not trainer.weights_finite():
                    raise TrainingError(
                        f"{run_dir}: weights became NaN or inf at iteration {iteration}; training stopped, "
                        f"the last good checkpoint (iteration {last_good}) is kept in {checkpoint}"
                    )
                if chief:
                    trainer.save_checkpoint(checkpoint)
                last_good = iteration
            if bar is not None:
                bar.update(1)
            for hook in hooks:
                hook(iteration, losses)
    finally:
        prefetch.close()
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    seconds = time.perf_counter() - tic
    if chief:
        save_model(trainer.model, final_path)
        save_config(config, config_path)
    return TrainResult(run_dir, trainer.iteration, resumed_from, losses, seconds, trainer.model)


def train_on_posetrack(
    config: Config,
    data_dir: str | os.PathLike[str],
    run_dir: str | os.PathLike[str],
    split: str = "train",
    strategy: str = "none",
    hooks: Sequence[Hook] = (),
    progress: bool = True,
) -> TrainResult:
    """`train` on a PoseTrack folder's split (`posekit.data.posetrack.read_split`), batches from
    `posekit.dataset.TrainingBatches` with the paper's augmentation (§4)."""
    from posekit.data.posetrack import read_split
    from posekit.dataset import TrainingBatches

    dist = make_strategy(strategy)  # before any other TensorFlow work (multi-worker needs it first)
    sequences = read_split(data_dir, split)
    # One epoch of `iterations` batches: batch i depends only on (seed, i), whatever the prefetch order,
    # and stays the same when a resumed run changes `train.iterations`.
    batches = TrainingBatches(
        sequences, config, seed=config.train.seed, augment=True,
        steps_per_epoch=max(1, config.train.iterations)
    )
    return train(config, batches, run_dir, strategy=dist, hooks=hooks, progress=progress)


def replace_train(config: Config, **changes: Any) -> Config:
    """`config` with some `train` fields changed (a convenience for tests and notebooks)."""
    return config.replace(train=dataclasses.replace(config.train, **changes))
