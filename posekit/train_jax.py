"""Training the two-component network (paper §4) on Keras 3's JAX backend (`KERAS_BACKEND=jax`).

The same method as `posekit.train.Trainer` (TensorFlow): the loss is `posekit.model.loss_terms` (head +
single-person L2 of §4, and the optional multi-person term) plus the L2 decay the convolutions' regularizers
add (`PoseNet.losses`), Adam from `posekit.model.make_optimizer`; `step(batch)` returns the same losses and
diagnostics. `posekit.train.train` runs either trainer (it dispatches on `keras.backend.backend()`), so
checkpoints, resuming, the CSV and the NaN stop are shared. This module imports no TensorFlow: it runs on a
machine with JAX and Keras only.

Not in the paper (how, not what):
- One jitted, stateless step: `model.stateless_call` (its `losses` are the regularizers' L2 decay of the
  values passed in), `jax.value_and_grad`, `optimizer.stateless_apply`. The state (weights, Adam moments,
  the step counter) is read from the Keras variables before each step and assigned back after it (JAX
  arrays: no copies), so `model`, `optimizer.iterations`, `model.set_weights` and the checkpoint behave
  as with the TensorFlow `Trainer`.
- `strategy="mirrored"` is data parallelism over the local devices with `keras.distribution.DataParallel`:
  weights replicated, each batch entry sharded along its first axis (images for the per-image entries,
  persons for the per-person ones: image b's persons are rows b·K .. b·K + K - 1, so the shards line up).
  The step is jitted over the global batch, XLA inserts the gradient all-reduce, and the loss is the mean
  over the global batch — the one-device update. `multiworker` (TF_CONFIG) stays TensorFlow's.
- The compiled step is cached per (network, recipe, distribution), so a resumed run in the same process
  (and every `train()` call of a test) compiles once.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np
from keras import ops

from posekit.config import Config
from posekit.errors import ConfigError
from posekit.model import (
    PoseNet,
    build_model,
    loss_terms,
    make_optimizer,
    precision_policy,
    training_diagnostics,
)

Batch = tuple[dict[str, np.ndarray], dict[str, np.ndarray]]

#: Train settings that do not change the compiled step (bookkeeping).
_NOT_COMPILED = ("checkpoint_every", "log_every", "workers")
_STEPS: dict[str, Any] = {}


def make_distribution(name: str) -> keras.distribution.DataParallel | None:
    """`none` -> one device (None); `mirrored` -> `DataParallel` over all local devices. Under JAX there is
    no `multiworker` (TensorFlow's TF_CONFIG cluster)."""
    if name == "none":
        return None
    if name == "mirrored":
        return keras.distribution.DataParallel(devices=jax.local_devices())
    if name == "multiworker":
        raise ConfigError("--strategy multiworker is TensorFlow's (TF_CONFIG); under KERAS_BACKEND=jax use "
                          "none or mirrored (keras.distribution.DataParallel over the local devices)")
    raise ConfigError(f"unknown strategy {name!r}; choose one of none, mirrored (KERAS_BACKEND=jax)")


def _step_function(model: PoseNet, optimizer: keras.optimizers.Optimizer, config: Config) -> Any:
    """The pure train step (state, x, y) -> (state, losses); state = (trainable, non-trainable, optimizer)."""
    weight = config.train.multi_person_loss_weight
    t_joint = config.thresholds.t_joint
    n1 = len(model.component1.trainable_variables)

    def step(state: tuple[list, list, list], x: dict[str, Any],
             y: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        trainable, non_trainable, opt_vars = state

        def loss_fn(trainable: list) -> tuple[Any, tuple]:
            outputs, new_non_trainable, losses = model.stateless_call(
                trainable, non_trainable, x, training=True, return_losses=True
            )
            # the loss in float32 (bf16 runs)
            outputs = {k: ops.cast(v, "float32") for k, v in outputs.items()}
            terms = loss_terms(y, outputs, weight)
            decay = sum(ops.cast(v, "float32") for v in losses)
            loss = terms["head_loss"] + terms["pose_loss"] + terms["multi_loss"] + decay
            return loss, (terms, decay, outputs, new_non_trainable)

        (loss, (terms, decay, outputs, new_non_trainable)), grads = jax.value_and_grad(
            loss_fn, has_aux=True
        )(trainable)
        new_trainable, new_opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable)
        out = {"loss": loss, **terms, "decay_loss": decay,
               **training_diagnostics(y, outputs, grads, n1, t_joint)}
        return (new_trainable, new_non_trainable, new_opt_vars), out

    return step


class JaxTrainer:
    """The model, Adam and the jitted train step on the JAX backend; the API of `posekit.train.Trainer`.

    `step(batch)` runs one iteration on a global batch (x, y) in the `posekit.dataset` format and returns
    the global losses and diagnostics as floats (the keys of `posekit.train.Trainer.step`).
    distribution: None (one device) or a `keras.distribution.DataParallel` (see `make_distribution`).
    """

    def __init__(self, config: Config, distribution: keras.distribution.Distribution | None = None):
        if keras.backend.backend() != "jax":
            raise ConfigError(f"JaxTrainer needs KERAS_BACKEND=jax, not {keras.backend.backend()}")
        self.config = config
        self.distribution = distribution
        self.replicas = int(distribution.device_mesh.devices.size) if distribution is not None else 1
        t = config.train
        if t.batch_size % self.replicas:
            raise ConfigError(
                f"train.batch_size={t.batch_size} (the global batch) is not divisible by the "
                f"{self.replicas} devices of the distribution"
            )
        with distribution.scope() if distribution is not None else contextlib.nullcontext():
            with precision_policy(t.precision):  # "bf16": bfloat16 compute, float32 weights and Adam state
                self.model: PoseNet = build_model(config)
            self.optimizer = make_optimizer(t)
            self.optimizer.build(self.model.trainable_variables)
            self.model.compile(optimizer=self.optimizer)  # so save_weights/load_weights carry the Adam state
        d = config.to_dict()
        skip = _NOT_COMPILED + (("iterations",) if t.lr_schedule == "constant" else ())  # cosine: in the step
        key = json.dumps([d["network"], {k: v for k, v in d["train"].items() if k not in skip},
                          config.thresholds.t_joint, self.replicas], sort_keys=True, default=str)
        if key not in _STEPS:  # stateless: the first trainer's model and optimizer serve every later one
            _STEPS[key] = jax.jit(_step_function(self.model, self.optimizer, config))
        self._step = _STEPS[key]

    def _state(self) -> tuple[list, list, list]:
        return (
            [v.value for v in self.model.trainable_variables],
            [v.value for v in self.model.non_trainable_variables],
            [v.value for v in self.optimizer.variables],
        )

    def _write_state(self, state: tuple[list, list, list]) -> None:
        trainable, non_trainable, opt_vars = state
        for variables, values in ((self.model.trainable_variables, trainable),
                                  (self.model.non_trainable_variables, non_trainable),
                                  (self.optimizer.variables, opt_vars)):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)

    @property
    def iteration(self) -> int:
        """Iterations done (the optimizer's step counter, saved with the checkpoint)."""
        return int(np.asarray(self.optimizer.iterations.value))

    def _put(self, array: np.ndarray) -> Any:
        array = np.asarray(array)
        if self.distribution is None:
            return jnp.asarray(array)
        return jax.device_put(array, self.distribution.get_data_layout(array.shape).backend_layout)

    def step(self, batch: Batch) -> dict[str, float]:
        x, y = batch
        x = {k: self._put(v) for k, v in x.items()}
        y = {k: self._put(v) for k, v in y.items()}
        state, out = self._step(self._state(), x, y)
        self._write_state(state)
        return {k: float(v) for k, v in out.items()}

    def weights_finite(self) -> bool:
        return all(bool(jnp.all(jnp.isfinite(v.value))) for v in self.model.weights)

    def save_checkpoint(self, path: Path) -> None:
        """Model weights + Adam state to `path`, atomically (temp file beside it, then rename); the file
        format of `posekit.train.Trainer`'s checkpoints."""
        from posekit.model import save_checkpoint_file

        save_checkpoint_file(self.model, path)

    def load_checkpoint(self, path: Path) -> None:
        self.model.load_weights(path)
