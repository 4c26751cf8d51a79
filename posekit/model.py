"""The two-component heatmap regression network of Payer et al. (paper §2, §2.1, §4, Fig. 1) and its loss.

Keras 3 with `keras.ops` only (no TensorFlow import), so the same code runs on the TensorFlow backend
(the default) and under `KERAS_BACKEND=jax`.

    image (B, H, W, 3) ──> feature extraction ──> features (B, h, w, C)          h, w = H/4, W/4
      component 1:  features ──> multi-person U-Net ──> multi_person_heatmaps (B, h, w, 15),
                                                        head_heatmap (B, h, w, 1)
      component 2:  concat(features, multi_person_heatmaps, head_heatmap × head_mask) ──> single-person U-Net
                    ──> filtered_heatmaps (B, h, w, 15)
      single_person_heatmaps = filtered_heatmaps × multi_person_heatmaps

Paper §2.1 sentences this module implements:
- "Two blocks consisting of two consecutive 3 × 3 convolutions with 128 outputs followed by 2 × 2 max pooling
  extract low-level features and reduce the resolution to 224 × 128 px."
- "our network uses padded convolutions to keep input and output image size the same. Furthermore, we use
  fixed nearest-neighbor upsampling for creating the next higher level and addition instead of concatenation
  to combine the outputs of two levels"; "Each intermediate convolution layer uses 3 × 3 kernels and creates
  128 outputs. The U-Net has 6 levels with a lowest intermediate image resolution of 4 × 7 px".
- Single-person FCN: "same structure as the U-Net of the first component"; its inputs "are the extracted
  low-level features, the predicted multi-person heatmaps of each body joint, as well as the masked heatmap
  of head bounding box center"; "Multiplying these filtered heatmaps with the multi-person heatmaps from the
  first component results in the final single-person heatmaps."
Paper §4: "Each intermediate convolution has a ReLU activation function, while the layers generating heatmaps
have a TanH activation function. The convolution biases are initialized with 0; the weights are initialized
as described in [2] (He) and have an L2 decay of 0.0005. The network loss is the sum of two L2 losses".

Not in the paper (choices, each a config field or stated here):
- Convolutions per U-Net level (`NetworkConfig.convs_per_level`, 2): the authors' public framework uses two
  per level on the contracting and on the expanding path. The lowest level has only the contracting convs.
- The skip is the output of a level's contracting convs; it is added to the upsampled output of the level
  below, then the expanding convs of that level follow.
- The heatmap-generating layers (`NetworkConfig.heatmap_kernel_size`, 1): §2.1 fixes 3×3 for *intermediate*
  layers only. 1×1 gives 251.3 / 46.2 GFLOP, matching the authors' framework's 252 / 46 (see `model_summary`);
  3×3 heads would give 252.2 / 47.1.
- He initialisation is Keras' `HeNormal` (truncated normal, std √(2/fan_in)), seeded per layer from
  `TrainConfig.seed` so every process (and every worker of a multi-worker run) builds identical weights.
- L2 decay: the loss gets `l2_decay · Σw² / 2` per convolution kernel (biases are not decayed), the
  convention of TensorFlow's `tf.nn.l2_loss` (½Σx²), whose gradient `l2_decay · w` is a weight decay of
  exactly 0.0005. Keras' `L2(l)` adds `l · Σw²`, so we pass `l2_decay / 2`.
- Gradients flow from component 2 into component 1 through the multi-person heatmaps (the paper trains
  "in an end-to-end manner", §6).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
from keras import ops

from posekit.config import Config, NetworkConfig, TrainConfig, from_saved_dict, load_config
from posekit.errors import ConfigError, DataError
from posekit.fileio import atomic_path

OUTPUT_KEYS = ("multi_person_heatmaps", "head_heatmap", "filtered_heatmaps", "single_person_heatmaps")


# ---------------------------------------------------------------------------------------------
# Building blocks


class _Seeds:
    """Distinct, deterministic initialiser seeds for consecutive layers (one per conv)."""

    def __init__(self, seed: int, offset: int):
        self.next = seed * 10_000 + offset

    def __call__(self) -> int:
        self.next += 1
        return self.next


def _conv(
    net: NetworkConfig, filters: int, name: str, seeds: _Seeds, kernel_size: int = 3,
    activation: str = "relu", init_scale: float = 1.0, bias: float = 0.0,
) -> keras.layers.Conv2D:
    """A padded convolution: He init, zero bias, L2 decay on the kernel (paper §2.1, §4).

    Not in the paper (`TrainConfig.heatmap_init_scale`, `filtered_init`, used for the heatmap layers only):
    `init_scale` multiplies the He standard deviation; `bias` is the bias's initial value.
    """
    if init_scale == 1.0:
        kernel_init = keras.initializers.HeNormal(seed=seeds())
    else:  # He is VarianceScaling(2, fan_in, truncated normal); a factor s on the std is 2·s² on the variance
        kernel_init = keras.initializers.VarianceScaling(
            scale=2.0 * init_scale**2, mode="fan_in", distribution="truncated_normal", seed=seeds()
        )
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        padding="same",
        activation=activation,
        kernel_initializer=kernel_init,
        bias_initializer=keras.initializers.Constant(bias) if bias else "zeros",
        kernel_regularizer=keras.regularizers.L2(net.l2_decay / 2.0),
        name=name,
    )


def _unet(x: Any, net: NetworkConfig, prefix: str, seeds: _Seeds, filters: int | None = None) -> Any:
    """The U-Net of §2.1 on `x` (B, h, w, ·) -> (B, h, w, filters) (`filters`: num_filters unless given).

    Level 0 works at h × w; each lower level halves both by 2×2 max pooling; the lowest level
    (num_levels - 1) is h / 2**(num_levels-1) × w / 2**(num_levels-1) (7×4 at every profile).
    Going up: fixed nearest-neighbour upsampling, *addition* of the skip, then convolutions.
    """
    filters = net.num_filters if filters is None else filters
    skips = []
    for level in range(net.num_levels):
        if level > 0:
            x = keras.layers.MaxPooling2D(2, name=f"{prefix}_down{level}_pool")(x)
        for c in range(net.convs_per_level):
            x = _conv(net, filters, f"{prefix}_down{level}_conv{c}", seeds)(x)
        skips.append(x)
    for level in reversed(range(net.num_levels - 1)):
        x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{prefix}_up{level}_upsample")(x)
        x = keras.layers.Add(name=f"{prefix}_up{level}_add")([skips[level], x])
        for c in range(net.convs_per_level):
            x = _conv(net, filters, f"{prefix}_up{level}_conv{c}", seeds)(x)
    return x


def _check_sizes(net: NetworkConfig) -> None:
    if net.component2_filters < 0:
        raise ConfigError(
            f"network.component2_filters must be >= 0 (0: num_filters), got {net.component2_filters}"
        )
    divisor = net.heatmap_stride * 2 ** (net.num_levels - 1)
    if net.input_width % divisor or net.input_height % divisor:
        raise ConfigError(
            f"network input {net.input_width}x{net.input_height} must be divisible by {divisor} "
            f"(2**feature_blocks * 2**(num_levels-1)) so every U-Net level is whole"
        )


def build_component1(net: NetworkConfig, seed: int = 0, heatmap_init_scale: float = 1.0) -> keras.Model:
    """Feature extraction + multi-person U-Net (paper §2.1, Fig. 1 first component).

    image (B, H, W, 3) -> {"features": (B, h, w, C), "multi_person_heatmaps": (B, h, w, 15),
    "head_heatmap": (B, h, w, 1)}, heatmaps in (-1, 1) (tanh).
    """
    _check_sizes(net)
    seeds = _Seeds(seed, 0)
    image = keras.Input((net.input_height, net.input_width, 3), name="image")
    x = image
    for block in range(net.feature_blocks):
        filters = net.first_block_filters if block == 0 and net.first_block_filters > 0 else net.num_filters
        for c in range(net.convs_per_feature_block):
            x = _conv(net, filters, f"features{block}_conv{c}", seeds)(x)
        x = keras.layers.MaxPooling2D(2, name=f"features{block}_pool")(x)
    features = x  # (B, h, w, C)
    x = _unet(features, net, "c1", seeds)
    k = net.heatmap_kernel_size
    multi = _conv(net, net.num_joints, "multi_person_heatmaps", seeds, k, "tanh", heatmap_init_scale)(x)
    head = _conv(net, 1, "head_heatmap", seeds, k, "tanh", heatmap_init_scale)(x)
    outputs = {"features": features, "multi_person_heatmaps": multi, "head_heatmap": head}
    return keras.Model(image, outputs, name="component1")


def build_component2(
    net: NetworkConfig, seed: int = 0, heatmap_init_scale: float = 1.0, filtered_init: float = 0.0
) -> keras.Model:
    """Single-person U-Net (paper §2.1, Fig. 1 second component), run once per person of interest.

    [features (B, h, w, C), multi_person_heatmaps (B, h, w, 15), masked_head_heatmap (B, h, w, 1)]
    -> filtered_heatmaps (B, h, w, 15) in (-1, 1) (tanh).
    """
    _check_sizes(net)
    seeds = _Seeds(seed, 5_000)
    h, w = net.heatmap_height, net.heatmap_width
    features = keras.Input((h, w, net.num_filters), name="features")
    multi = keras.Input((h, w, net.num_joints), name="multi_person_heatmaps")
    masked_head = keras.Input((h, w, 1), name="masked_head_heatmap")
    x = keras.layers.Concatenate(name="c2_input")([features, multi, masked_head])  # (B, h, w, C + 16)
    x = _unet(x, net, "c2", seeds, net.single_person_filters)
    filtered = _conv(
        net, net.num_joints, "filtered_heatmaps", seeds, net.heatmap_kernel_size, "tanh",
        heatmap_init_scale, float(math.atanh(filtered_init)),
    )(x)
    return keras.Model([features, multi, masked_head], filtered, name="component2")


def single_person_heatmaps(filtered_heatmaps: Any, multi_person_heatmaps: Any) -> Any:
    """Paper §2: "An elementwise multiplication of the multi-person heatmaps from the first component with
    the filtered heatmaps from the second component results in the final single-person heatmaps."

    filtered_heatmaps, multi_person_heatmaps: (B, h, w, 15) -> (B, h, w, 15).
    """
    return ops.multiply(filtered_heatmaps, multi_person_heatmaps)


def split_component2(component2: keras.Model) -> tuple[Any, Any]:
    """Component 2 as a per-frame part and a per-head part: the same function, less work per head.

    Not in the paper: an exact rewriting for inference. Component 2's first convolution sees
    concat(features, multi_person_heatmaps, masked_head_heatmap) (C + 15 + 1 channels), and a convolution is
    linear in its input channels: conv(concat(a, b)) = conv_a(a) + conv_b(b) with the kernel split along its
    input channels. The features and multi-person heatmaps are the same for every head of a frame, so their
    part (C + 15 of the C + 16 input channels: at the paper size 9.4 of component 2's 46.2 GFLOP per head) is
    computed once per frame; per head only the 1-channel part, the bias, the ReLU and the rest of the U-Net
    remain. Outputs equal `component2`'s up to floating-point rounding (the sum is ordered differently).

    returns (per_frame, per_head):
      per_frame(features (F, h, w, C), multi (F, h, w, 15)) -> first-convolution pre-activation
          (F, h, w, filters) without the bias, in the layer's compute dtype;
      per_head(pre_activation (K, h, w, filters), masked_head (K, h, w, 1)) -> filtered heatmaps
          (K, h, w, 15), with each head's row of `pre_activation` gathered from its frame.
    """
    first = component2.get_layer("c2_down0_conv0")
    if first.kernel_size != (3, 3) or first.strides != (1, 1) or first.padding != "same":
        raise ConfigError("split_component2 expects the 3×3 'same' first convolution of build_component2")
    tail = keras.Model(first.output, component2.output, name="component2_tail")
    # the features and multi-person channels; the last is the head's
    n_shared = int(first.kernel.shape[2]) - 1
    dtype = first.compute_dtype

    def per_frame(features: Any, multi: Any) -> Any:
        x = ops.cast(ops.concatenate([features, multi], axis=-1), dtype)
        return ops.conv(x, ops.cast(first.kernel[:, :, :n_shared, :], dtype), strides=1, padding="same")

    def per_head(pre_activation: Any, masked_head: Any) -> Any:
        head_part = ops.conv(ops.cast(masked_head, dtype), ops.cast(first.kernel[:, :, n_shared:, :], dtype),
                             strides=1, padding="same")
        x = first.activation(ops.cast(pre_activation, dtype) + head_part + ops.cast(first.bias, dtype))
        return tail(x, training=False)

    return per_frame, per_head


@keras.saving.register_keras_serializable(package="posekit")
class PoseNet(keras.Model):
    """Both components trained end to end (paper §2, Fig. 1).

    call({"image": (B, H, W, 3), "head_mask": (B, h, w, 1)}) -> {"multi_person_heatmaps": (B, h, w, 15),
    "head_heatmap": (B, h, w, 1), "filtered_heatmaps": (B, h, w, 15),
    "single_person_heatmaps": (B, h, w, 15)}.
    `head_mask` is the σ=4 Gaussian around the head of the person of interest (§2, §4); in training it sits on
    the ground-truth head centre. Inference calls `component1` once per frame and `component2` once per head
    (in batches; `split_component2` computes the part of its first convolution that all heads of a frame
    share once per frame).
    """

    def __init__(self, config: Config | dict | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if config is None:
            config = Config()
        elif isinstance(config, dict):
            config = from_saved_dict(config)
        self.config = config
        t = config.train
        self.component1 = build_component1(config.network, t.seed, t.heatmap_init_scale)
        self.component2 = build_component2(config.network, t.seed, t.heatmap_init_scale, t.filtered_init)
        self.built = True  # both components are functional models, built with all their weights

    def call(self, inputs: dict[str, Any], training: bool = False) -> dict[str, Any]:
        c1 = self.component1(inputs["image"], training=training)
        features, multi, head = c1["features"], c1["multi_person_heatmaps"], c1["head_heatmap"]
        # K persons of interest per image (TrainConfig.persons_per_image, not in the paper): head_mask has
        # B·K rows, image b's at b·K .. b·K + K - 1; component 1's outputs are repeated to match.
        k = ops.shape(inputs["head_mask"])[0] // ops.shape(inputs["image"])[0]
        if not isinstance(k, int) or k != 1:
            features, multi, head = (ops.repeat(t, k, axis=0) for t in (features, multi, head))
        masked_head = ops.multiply(head, inputs["head_mask"])  # (B·K, h, w, 1)
        filtered = self.component2([features, multi, masked_head], training=training)  # (B·K, h, w, 15)
        return {
            "multi_person_heatmaps": c1["multi_person_heatmaps"],  # (B, h, w, 15): one row per image
            "head_heatmap": c1["head_heatmap"],  # (B, h, w, 1)
            "filtered_heatmaps": filtered,
            "single_person_heatmaps": single_person_heatmaps(filtered, multi),  # (B·K, h, w, 15)
        }

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, "config": self.config.to_dict()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PoseNet:
        return cls(config=config["config"], name=config.get("name"), trainable=config.get("trainable", True))


def build_model(config: Config) -> PoseNet:
    """The whole network for `config` (its `network` section; weights seeded by `train.seed`)."""
    return PoseNet(config, name="posenet")


PRECISIONS = ("fp32", "bf16")


@contextlib.contextmanager
def precision_policy(precision: str) -> Iterator[None]:
    """Build layers inside this block in `precision`: "fp32" (Keras' float32) or "bf16" (Keras'
    `mixed_bfloat16`: bfloat16 compute, float32 weights). Not in the paper: a speed option."""
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}; choose fp32 or bf16")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bf16" else "float32")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def with_precision(posenet: PoseNet, precision: str) -> PoseNet:
    """The same network (same weights) computing in `precision`: "fp32" returns `posenet` itself; "bf16"
    returns a copy built under Keras' `mixed_bfloat16` policy (bfloat16 compute, float32 weights), for CPUs
    and GPUs with bfloat16 units. Not in the paper: a speed option, measured in
    benchmarks/bench_precision.py."""
    if precision == "fp32" and posenet.component1.compute_dtype == "float32":
        return posenet
    with precision_policy(precision):
        copy = build_model(posenet.config)
    copy.set_weights(posenet.get_weights())
    return copy


# ---------------------------------------------------------------------------------------------
# Loss


def loss_terms(y_true: dict[str, Any], outputs: dict[str, Any],
               multi_person_loss_weight: float = 0.0) -> dict[str, Any]:
    """The two L2 losses of paper §4, each a scalar (and the optional multi-person term, not in the paper).

    y_true: "head_heatmap" (B, h, w, 1), "loss_mask" (B, h, w, 1) (1 inside annotated regions, 0 in ignore
    regions), "joint_heatmaps" (B·K, h, w, 15) single-person targets, "joint_weights" (B·K, 15) (0 for joints
    without annotation), and with `multi_person_loss_weight` > 0 "multi_person_heatmaps" (B, h, w, 15).
    outputs: as returned by `PoseNet.call` (K persons of interest per image; K = 1 in the paper).

    head_loss = ½ Σ ((head_heatmap - target) · loss_mask)² / B — §4: "we multiply the differences of
        prediction and target with this mask before calculating the loss of the head bounding box centers".
    pose_loss = ½ Σ joint_weight · (single_person_heatmaps - joint_heatmaps)² / (B·K) — §4: "do not calculate
        the loss for body joint heatmaps with a missing annotation".
    multi_loss = multi_person_loss_weight · ½ Σ ((multi_person_heatmaps - target) · loss_mask)² / B — not in
        the paper (`TrainConfig.multi_person_loss_weight`; 0, the paper, leaves it out and returns 0).

    Not in the paper: the normalisation. We sum over pixels and heatmaps and average over the batch, with
    the ½ of `tf.nn.l2_loss`: a sum keeps a joint's few peak pixels from being drowned by the mean over
    h·w·15 mostly-zero pixels, and keeps the data term well above the L2 decay (same ½ convention), whose
    ratio to the data term is what matters under Adam (Adam is invariant to a constant factor on the loss).
    Averaging over the batch (images for the image terms, persons for the pose term) makes the loss
    independent of the batch size, of K and of the number of replicas.
    """
    batch = ops.cast(ops.shape(y_true["head_heatmap"])[0], "float32")
    persons = ops.cast(ops.shape(y_true["joint_heatmaps"])[0], "float32")
    head_diff = (outputs["head_heatmap"] - y_true["head_heatmap"]) * y_true["loss_mask"]
    head_loss = 0.5 * ops.sum(ops.square(head_diff)) / batch
    weights = ops.reshape(y_true["joint_weights"], (-1, 1, 1, ops.shape(y_true["joint_weights"])[-1]))
    pose_sq = ops.square(outputs["single_person_heatmaps"] - y_true["joint_heatmaps"]) * weights
    pose = 0.5 * ops.sum(pose_sq) / persons
    terms = {"head_loss": head_loss, "pose_loss": pose, "multi_loss": ops.zeros((), "float32")}
    if multi_person_loss_weight:
        multi_diff = ((outputs["multi_person_heatmaps"] - y_true["multi_person_heatmaps"])
                      * y_true["loss_mask"])
        terms["multi_loss"] = multi_person_loss_weight * 0.5 * ops.sum(ops.square(multi_diff)) / batch
    return terms


def pose_loss(y_true: dict[str, Any], outputs: dict[str, Any], multi_person_loss_weight: float = 0.0) -> Any:
    """Paper §4: "The network loss is the sum of two L2 losses" (head + single-person; see `loss_terms`),
    plus the optional multi-person term (not in the paper; 0 by default).

    The L2 weight decay is added separately from the model's `losses`.
    """
    terms = loss_terms(y_true, outputs, multi_person_loss_weight)
    return terms["head_loss"] + terms["pose_loss"] + terms["multi_loss"]


def training_diagnostics(
    y_true: dict[str, Any], outputs: dict[str, Any], grads: list[Any], n1: int, t_joint: float
) -> dict[str, Any]:
    """Why learning is slow or fast, logged beside the losses (not part of the loss; both trainers, in
    `keras.ops`): the L2 of the multi-person heatmaps against their targets (whenever the batch has them,
    even when that term is not trained), the fraction of annotated joints of the persons of interest whose
    single-person heatmap peaks at or above `t_joint` (what decoding would keep), and the gradient norm of
    each component's kernels and biases (the first `n1` gradients are component 1's; `None` gradients, as
    TensorFlow gives for unused variables, are skipped)."""
    diag = {}
    if "multi_person_heatmaps" in y_true:
        diff = (outputs["multi_person_heatmaps"] - y_true["multi_person_heatmaps"]) * y_true["loss_mask"]
        diag["multi_l2"] = 0.5 * ops.sum(ops.square(diff)) / ops.cast(ops.shape(diff)[0], "float32")
    peaks = ops.max(outputs["single_person_heatmaps"], axis=(1, 2))  # (B·K, 15)
    found = ops.cast(peaks >= t_joint, "float32") * y_true["joint_weights"]
    diag["joints_found"] = ops.sum(found) / ops.maximum(ops.sum(y_true["joint_weights"]), 1.0)
    for name, part in (("grad_norm_c1", grads[:n1]), ("grad_norm_c2", grads[n1:])):
        squares = [ops.sum(ops.square(ops.cast(g, "float32"))) for g in part if g is not None]
        diag[name] = ops.sqrt(sum(squares)) if squares else ops.zeros((), "float32")
    return diag


def learning_rate(train: TrainConfig) -> Any:
    """The learning rate of `train` for Keras' Adam: a float (the paper's constant 0.00005, §4) or, with
    `lr_schedule="cosine"` (not in the paper), a schedule: linear warm-up from 0 over `warmup_iterations`,
    then cosine decay to 0 at `iterations`."""
    if train.lr_schedule == "constant":
        return train.learning_rate
    if train.lr_schedule != "cosine":
        raise ConfigError(f"unknown train.lr_schedule {train.lr_schedule!r}; choose constant or cosine")
    warmup = max(0, min(train.warmup_iterations, train.iterations))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup else train.learning_rate,
        decay_steps=max(1, train.iterations - warmup),
        alpha=0.0,
        warmup_target=train.learning_rate if warmup else None,
        warmup_steps=warmup,
    )


def make_optimizer(train: TrainConfig) -> keras.optimizers.Optimizer:
    """Adam with the paper's "proposed default parameters" (§4) and `learning_rate(train)`."""
    return keras.optimizers.Adam(
        learning_rate=learning_rate(train), beta_1=train.adam_beta_1, beta_2=train.adam_beta_2,
        epsilon=train.adam_epsilon,
    )


def training_flops(config: Config, c1_gflop: float | None = None, c2_gflop: float | None = None) -> float:
    """Training compute of `config` in FLOP, counted analytically (not measured): per iteration, component 1
    for `batch_size / persons_per_image` images and component 2 for `batch_size` persons of interest,
    forward + backward ≈ 3 × forward (the usual 1 + 2 count), times `iterations`. Layer FLOPs as in
    `model_summary` (2 × multiply-accumulates of the convolutions); pass them when already computed."""
    if c1_gflop is None or c2_gflop is None:
        _, _, c1_gflop, c2_gflop = model_summary(config)
    t = config.train
    images = t.batch_size / t.persons_per_image
    return 3.0 * (images * c1_gflop + t.batch_size * c2_gflop) * 1e9 * t.iterations


def training_compute_line(config: Config, c1_gflop: float | None = None,
                          c2_gflop: float | None = None) -> str:
    """`training compute: N TFLOP` with how it is counted (the last line of `posekit model`)."""
    t = config.train
    tflop = training_flops(config, c1_gflop, c2_gflop) / 1e12
    images = t.batch_size // max(1, t.persons_per_image)
    return (f"training compute: {tflop:,.1f} TFLOP ({t.iterations:,} iterations × 3 × ({images} images × "
            f"component 1 + {t.batch_size} persons × component 2))")


# ---------------------------------------------------------------------------------------------
# Saving and loading


def save_model(posenet: PoseNet, path: str | os.PathLike[str]) -> None:
    """Write `posenet` as a `.keras` file atomically (a temp `.keras` beside it, then a rename)."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: a model file must end in .keras")
    with atomic_path(path, ".keras") as tmp:
        posenet.save(tmp)


def save_checkpoint_file(posenet: keras.Model, path: Path) -> None:
    """Model weights (+ the compiled optimizer's state) to `path` (`.weights.h5`), atomically: a temp file
    beside it, then a rename. The checkpoint format of both training backends."""
    with atomic_path(path, ".weights.h5") as tmp:
        posenet.save_weights(tmp)


def load_model(path_or_run_dir: str | os.PathLike[str]) -> PoseNet:
    """A PoseNet from a `.keras` file, or from a run folder (`RUN_DIR/model.keras` + `RUN_DIR/config.json`),
    or from a `posekit reproduce` folder (its `model/` subfolder, e.g. `results/cpu-reference`).

    From a run folder the returned model's `.config` is the run's `config.json` (its network section must
    match the one stored in the `.keras` file).
    """
    path = Path(path_or_run_dir)
    run_config = None
    if path.is_dir() and not (path / "model.keras").exists() and (path / "model" / "model.keras").exists():
        path = path / "model"  # a `posekit reproduce` folder (RUN/model/ holds what posekit train wrote)
    if path.is_dir():
        config_path = path / "config.json"
        path = path / "model.keras"
        if config_path.exists():
            run_config = load_config(config_path, saved=True)
    if not path.exists():
        raise DataError(path, "no such model file (train first: posekit train ... --out RUN_DIR)")
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as err:  # noqa: BLE001 - any reader error becomes one line
        raise DataError(path, f"cannot load the model ({type(err).__name__}: "
                              f"{str(err).splitlines()[0]})") from None
    if not isinstance(model, PoseNet):
        raise DataError(path, f"not a posekit PoseNet (found {type(model).__name__})")
    if run_config is not None:
        if run_config.network != model.config.network:
            raise DataError(path, "its network differs from the network section of config.json beside it")
        model.config = run_config
    return model


# ---------------------------------------------------------------------------------------------
# Layer table, parameters and FLOPs


def _conv_flops(layer: keras.layers.Layer) -> int:
    """2 × multiply-accumulates of a Conv2D (bias adds, activations not counted)."""
    _, h, w, c_out = layer.output.shape
    kh, kw, c_in, _ = layer.kernel.shape
    return 2 * h * w * kh * kw * c_in * c_out


def model_summary(config: Config) -> tuple[str, int, float, float]:
    """(table, parameters, GFLOP of component 1 at batch 1, GFLOP of component 2 per head).

    FLOP convention: 2 FLOP per multiply-accumulate of every convolution (the convention of TensorFlow's
    profiler and of most papers); bias additions, ReLU/tanh, pooling, upsampling, skip additions and the
    final product are not counted — together they add about 0.2 GFLOP to component 1 and 0.05 GFLOP to
    component 2 at the paper size (< 0.2 %).

    Paper size, against the authors' framework's 252 GFLOP (component 1) and 46 GFLOP (component 2):
    feature extraction 206.1 + multi-person U-Net 45.1 + 1×1 heatmap layers 0.1 = 251.3 GFLOP, and
    single-person U-Net 45.1 + the 16 extra input channels of its first convolution 1.1 + 1×1 output 0.1 =
    46.2 GFLOP. The feature extraction dominates component 1 because its first two convolutions run at the
    full 896×512 input. The 0.7 GFLOP left on component 1 is about what the uncounted element-wise ops add
    (or a rounding up); 3×3 heatmap layers would give 252.2 and 47.1.
    """
    posenet = build_model(config)
    rows = []
    gflops = {}
    for comp in (posenet.component1, posenet.component2):
        total = 0
        for layer in comp.layers:
            flops = _conv_flops(layer) if isinstance(layer, keras.layers.Conv2D) else 0
            total += flops
            shape = tuple(layer.output.shape[1:]) if not isinstance(layer.output, list) else ()
            rows.append((comp.name, layer.name, type(layer).__name__, shape, layer.count_params(),
                         flops / 1e9))
        gflops[comp.name] = total / 1e9
    params = posenet.count_params()
    header = (f"{'component':<11} {'layer':<26} {'type':<13} {'output (h, w, c)':<18} {'params':>9} "
              f"{'GFLOP':>8}")
    lines = [header, "-" * len(header)]
    for comp, name, kind, shape, n, gf in rows:
        shape_text = "×".join(str(s) for s in shape)
        lines.append(f"{comp:<11} {name:<26} {kind:<13} {shape_text:<18} {n:>9,} {gf:>8.3f}")
    lines.append("-" * len(header))
    lines.append(f"parameters: {params:,}")
    lines.append(f"component 1 (features + multi-person U-Net), batch 1: {gflops['component1']:.1f} GFLOP")
    lines.append(f"component 2 (single-person U-Net), per head:         {gflops['component2']:.1f} GFLOP")
    lines.append("FLOP = 2 × multiply-accumulates of the convolutions (element-wise ops not counted)")
    return "\n".join(lines), params, gflops["component1"], gflops["component2"]
