"""Configuration: every number of the paper, once, named as in the paper.

Frozen dataclasses, one per concern, grouped in `Config`. Named profiles change sizes and
iteration counts only (DESIGN.md "Profiles"); the method is the same code for all:

- `paper`: the paper's setting (§2.1, §4) — 896×512 input, 128 channels, 6 levels, 1,000,000 iterations.
- `cpu`:   the default `posekit reproduce` run on a 2-core CPU — 448×256 input, 32 channels, 5 levels, and
           the training recipe changes marked `Not in the paper` (README ablation), and joints decoded
           between heatmap pixels (`DecodingConfig.subpixel`).
- `tiny`:  the smallest network that still learns something, for tests — 224×128, 16 channels, 4 levels.

Every profile keeps the lowest U-Net level at 7×4 (input / 4 / 2**(levels-1)), as the paper's.

Overrides are dotted `section.field=value` strings (`train.iterations=100`); an unknown key or a
value of the wrong type raises `ConfigError`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posekit.errors import ConfigError
from posekit.fileio import atomic_write_text


@dataclass(frozen=True)
class NetworkConfig:
    """Paper §2.1 and Fig. 1."""

    input_width: int = 896  # §2.1: "RGB images with a size of 896 × 512 px as input"
    input_height: int = 512  # §2.1
    num_filters: int = 128  # §2.1: every 3×3 convolution "creates 128 outputs"
    num_levels: int = 6  # §2.1: "The U-Net has 6 levels with a lowest ... resolution of 4 × 7 px"
    feature_blocks: int = 2  # §2.1: "Two blocks ... followed by 2 × 2 max pooling"
    convs_per_feature_block: int = 2  # §2.1: "two consecutive 3 × 3 convolutions"
    # Not in the paper: convolutions per U-Net level on each path. The authors' public framework uses
    # two per level on the contracting and on the expanding path; we follow it.
    convs_per_level: int = 2
    # Not in the paper: kernel size of the layers that generate heatmaps (§2.1 gives 3×3 for every
    # *intermediate* convolution only). 1×1 reproduces the authors' framework's FLOP count (posekit.model).
    heatmap_kernel_size: int = 1
    # Not in the paper: outputs of the convolutions of the first feature block (at the full input resolution);
    # 0 means num_filters, as in the paper ("two consecutive 3 × 3 convolutions with 128 outputs" in both
    # blocks). At the `cpu` size the 32→32 convolution at 448×256 alone is half of component 1's FLOPs.
    first_block_filters: int = 0
    # Not in the paper: outputs of every intermediate convolution of the second component's U-Net (the
    # single-person FCN); 0 means num_filters, as in the paper ("with the same structure as the U-Net of the
    # first component"). Component 2 runs once per person of interest, component 1 once per image; at the
    # `cpu` size with 2 persons per image it is half of the training FLOPs, while the multi-person heatmaps of
    # component 1 are what limits the tables (README oracle). Fewer outputs here move training compute to
    # component 1 (more iterations in the same TFLOP).
    component2_filters: int = 0
    num_joints: int = 15  # PoseTrack 2017 joints (posekit.joints)
    l2_decay: float = 0.0005  # §4: "weights ... have an L2 decay of 0.0005"

    @property
    def single_person_filters(self) -> int:
        """Outputs of component 2's intermediate convolutions (`component2_filters`, 0: num_filters)."""
        return self.component2_filters if self.component2_filters > 0 else self.num_filters

    @property
    def heatmap_stride(self) -> int:
        """Input pixels per heatmap pixel: each feature block halves the resolution (896 → 224)."""
        return 2**self.feature_blocks

    @property
    def heatmap_width(self) -> int:
        return self.input_width // self.heatmap_stride

    @property
    def heatmap_height(self) -> int:
        return self.input_height // self.heatmap_stride


@dataclass(frozen=True)
class TargetConfig:
    """Paper §4, target heatmaps. σ in heatmap pixels (the network's output resolution)."""

    sigma: float = 2.0  # §4: "The Gaussian is set to have σ = 2 px and scaled to a maximum value of 1"
    head_mask_sigma: float = 4.0  # §4: head mask of the person of interest, "σ = 4 px"


@dataclass(frozen=True)
class AugmentConfig:
    """Paper §4, data augmentation; all sampled uniformly within the intervals."""

    intensity_offset: float = -128.0  # §4: "shift each intensity component by -128"
    intensity_factor: float = 1.0 / 128.0  # §4: "and scale it by 1/128"
    # §4: "shift the input intensity values by [-0.25, 0.25]"
    intensity_shift: tuple[float, float] = (-0.25, 0.25)
    intensity_scale: tuple[float, float] = (0.75, 1.25)  # §4: "and scale them by [0.75, 1.25]"
    mirror: bool = True  # §4: "randomly mirrored in x-axis" (not in the paper: probability 0.5)
    rotation_deg: tuple[float, float] = (-45.0, 45.0)  # §4: "rotated by [-45°, 45°]"
    scale: tuple[float, float] = (0.5, 1.5)  # §4: "scaled by [0.5, 1.5]"
    # §4: "translated by [-100, 100]" (px of the 896×512 input). Smaller profiles scale this with
    # the input width so a shift moves the same fraction of the image.
    translation_px: tuple[float, float] = (-100.0, 100.0)
    # Not in the paper: a factor f on the geometric ranges above. The rotation is f × a draw from
    # `rotation_deg` and the scale 1 + f × (a draw from `scale` - 1); 1 is the paper's augmentation, 0 turns
    # rotation and scaling off (mirror, translation and intensity stay). The `cpu` profile sets 0: within its
    # 70 TFLOP the paper's ranges make component 1 learn the rotated and rescaled scenes at the expense of
    # the upright ones of the data (README ablation rows `ff8-aug-half` and `ff8-no-rot-scale`).
    geometric_range: float = 1.0


@dataclass(frozen=True)
class TrainConfig:
    """Paper §4, optimisation."""

    learning_rate: float = 0.00005  # §4: "Adam ... with a learning rate of 0.00005"
    batch_size: int = 4  # §4: "mini-batch size of 4" (persons of interest; see persons_per_image)
    iterations: int = 1_000_000  # §4: "optimize the networks for 1,000,000 iterations"
    adam_beta_1: float = 0.9  # §4: Adam's "proposed default parameters" [Kingma & Ba]
    adam_beta_2: float = 0.999  # §4: idem
    adam_epsilon: float = 1e-8  # §4: idem (Kingma & Ba's default, not Keras' 1e-7)
    # Not in the paper: bookkeeping.
    checkpoint_every: int = 1000  # iterations between atomic checkpoints
    log_every: int = 100  # iterations between CSV / TensorBoard log rows
    seed: int = 0  # seeds the augmentation, the person-of-interest choice and the weight init
    workers: int = 2  # input-pipeline worker threads (PyDataset)
    # Not in the paper: a speed option. "fp32", or "bf16" (Keras' mixed_bfloat16: bfloat16 compute, float32
    # weights, Adam state and loss) for hardware with bfloat16 units; its effect is measured in
    # benchmarks/bench_precision.py. The paper's framework trained in fp32.
    precision: str = "fp32"
    # Not in the paper: the recipe fields below. Their paper values (the defaults) reproduce §4 exactly;
    # the `cpu` profile changes them to learn within a CPU budget (README "DESIGN notes", ablation table).
    # persons_per_image: persons of interest posed per image of the mini-batch. The paper's "mini-batch
    # size of 4" does not say whether it counts images or persons; `batch_size` counts persons of interest
    # (single-person losses), on batch_size / persons_per_image images. 1 (4 persons on 4 images) is the
    # plain reading. K > 1 runs component 1 once per image and component 2 for K persons of that image,
    # sharing component 1's cost over K single-person losses. batch_size must be a multiple of K.
    persons_per_image: int = 1
    # multi_person_loss_weight: weight of an extra L2 loss on the multi-person heatmaps against the
    # multi-person joint targets (max over the Gaussians of every annotated person's joints, masked by
    # the ignore regions like the head loss). The paper's loss has only the head and single-person terms
    # (§4), so its multi-person heatmaps learn only through the product filtered × multi_person; 0 is
    # the paper.
    multi_person_loss_weight: float = 0.0
    # lr_schedule: "constant" (the paper: Adam at `learning_rate` throughout) or "cosine" (linear warm-up
    # over `warmup_iterations`, then a cosine decay from `learning_rate` to 0 at `iterations`).
    lr_schedule: str = "constant"
    warmup_iterations: int = 0
    # heatmap_init_scale: factor on the He standard deviation (§4: "initialized as described in [2]") of the
    # kernels of the layers that generate heatmaps. Measured at the `cpu` size: with He init the summed skips
    # of the U-Net give pre-tanh values of std 1.8, so 20-30 % of every heatmap starts saturated at ±1 against
    # targets that are zero almost everywhere; the first updates then collapse the outputs (loss 14,000 -> 300
    # in 50 iterations) and kill ReLUs on the way. 1.0 is the paper.
    heatmap_init_scale: float = 1.0
    # filtered_init: the value the filtered heatmaps start at (their bias is initialised to atanh of it; §4
    # initialises biases with 0). With small heatmap kernels, 0 starts single = filtered × multi_person at
    # the saddle where each factor's gradient is scaled by the other (≈ 0); a constant in (0, 1) passes the
    # pose loss to the multi-person heatmaps from the first step. 0.0 is the paper.
    filtered_init: float = 0.0


@dataclass(frozen=True)
class Thresholds:
    """Paper §2 and §3 thresholds, with the values of §4 ("obtained ... with grid search")."""

    t_head: float = 0.2  # §2: minimal value of a head-heatmap local maximum
    t_head_dist: float = 4.0  # §2: minimal distance between head maxima (heatmap px)
    t_joint: float = 0.3  # §2: joints whose heatmap value is below are removed
    t_person: float = 3.0  # §2: persons whose summed joint heatmap values are below are removed
    t_pose_dist: float = 200.0  # §3: maximal median joint distance for a track match (image px)
    t_max_age: int = 10  # §3: frames an unmatched ID is kept before it is discarded


@dataclass(frozen=True)
class DecodingConfig:
    """How a joint's position is read off its final single-person heatmap (paper §2: "the maximum
    response")."""

    # Not in the paper: sub-pixel refinement of each joint's maximum. False (the paper) keeps the integer
    # heatmap pixel of the maximum. True moves it, per axis, to the vertex of the parabola through the
    # maximum and its two neighbours (at most half a pixel; `posekit.decoding.subpixel_offsets`). At the
    # `cpu` size a heatmap pixel is 5.7 px of a 640x360 frame (stride 4 at scale 0.7) against a PCKh@0.5
    # tolerance of 11.7 px for the median synthetic head, so the integer grid alone costs accuracy; the
    # paper's 896x512 input halves that pixel. Measured on the same models, each with its own grid search
    # (README ablation): +1.5 Table 1 Total / +1.9 MOTA at the cpu size (two seeds), +1.0 / +1.5 on the
    # reference, +2.6 to +4.1 / +4.2 to +5.6 at a 320x192 input.
    subpixel: bool = False
    # Not in the paper: flip test. False (the paper) runs the network once per frame. True also runs it on
    # the frame mirrored in x and averages (`posekit.inference.Predictor`): component 1's multi-person and
    # head heatmaps with those of the mirrored frame mirrored back (left/right joints swapped,
    # `posekit.decoding.mirror_heatmaps`), and component 2's filtered heatmaps of each head with those
    # computed on the mirrored frame from its mirrored features, multi-person heatmaps and head mask; the
    # final heatmaps are the averaged filtered × the averaged multi-person heatmaps. Training mirrors the
    # frames (§4), so both passes are estimates of the same heatmaps and their mean has less noise. Costs a
    # second pass of both components. Measured on the same models, each with its own grid search (README
    # ablation).
    flip_test: bool = False


@dataclass(frozen=True)
class Config:
    """All settings of one run."""

    profile: str = "paper"
    network: NetworkConfig = field(default_factory=NetworkConfig)
    targets: TargetConfig = field(default_factory=TargetConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    thresholds: Thresholds = field(default_factory=Thresholds)
    decoding: DecodingConfig = field(default_factory=DecodingConfig)

    def to_dict(self) -> dict[str, Any]:
        return _to_jsonable(dataclasses.asdict(self))

    def replace(self, **sections: Any) -> Config:
        return dataclasses.replace(self, **sections)


def _scaled_translation(width: int) -> tuple[float, float]:
    t = AugmentConfig().translation_px[1] * width / NetworkConfig().input_width
    return (-t, t)


def _make_profiles() -> dict[str, Config]:
    paper = Config(profile="paper")
    # The `cpu` recipe: the paper's method within 70 TFLOP of training compute
    # (`posekit model --profile cpu`), about 12 minutes at 0.7 of the matmul rate of a 2-core AVX2 CPU
    # (139 GFLOP/s). Each change below is a field marked `Not in the paper` with its measured ablation row
    # (scripts/ablation.py, README).
    cpu_net = NetworkConfig(
        input_width=448, input_height=256, num_filters=32, num_levels=5,
        first_block_filters=8,  # component 1: 4.1 -> 1.55 GFLOP; the full-resolution block only sees edges
        # component 2: 0.8 -> 0.2 GFLOP per person, so 5,690 instead of 3,750 iterations fit the 70 TFLOP:
        # component 1, whose multi-person heatmaps limit the tables, sees 1.5x the images (README row c2f16)
        component2_filters=16,
    )
    cpu = Config(
        profile="cpu",
        network=cpu_net,
        # no rotation or scaling (mirror, translation and intensity kept): +15.6 Table 1 Total, +16 MOTA
        # (mean of 2 seeds) within the 70 TFLOP
        augment=AugmentConfig(translation_px=_scaled_translation(cpu_net.input_width), geometric_range=0.0),
        train=TrainConfig(
            # 5,690 iterations instead of 1,000,000 (0.6 %) at 20× the paper's rate, decayed to 0 (cosine);
            # the paper's constant 0.00005 barely leaves the starting plateau in that time.
            iterations=5690, learning_rate=0.001, lr_schedule="cosine", warmup_iterations=100,
            persons_per_image=2,  # the paper's mini-batch of 4 persons of interest, on 2 images
            multi_person_loss_weight=1.0,  # the multi-person heatmaps get their own target
            heatmap_init_scale=0.01, filtered_init=0.5,  # no saturated tanh at the start, no product saddle
            checkpoint_every=250, log_every=25,
        ),
        decoding=DecodingConfig(subpixel=True, flip_test=True),  # README ablation
    )
    tiny_net = NetworkConfig(input_width=224, input_height=128, num_filters=16, num_levels=4)
    tiny = Config(
        profile="tiny",
        network=tiny_net,
        augment=AugmentConfig(translation_px=_scaled_translation(tiny_net.input_width)),
        train=TrainConfig(iterations=40, checkpoint_every=20, log_every=5),
    )
    return {"paper": paper, "cpu": cpu, "tiny": tiny}


PROFILES: dict[str, Config] = _make_profiles()


def get_profile(name: str) -> Config:
    """The named profile (`paper`, `cpu`, `tiny`)."""
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[name]


# ---------------------------------------------------------------------------------------------
# Overrides, load and save


def _to_jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_jsonable(v) for v in obj]
    return obj


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check/convert `value` to the annotated type `tp`; ConfigError when it does not fit."""
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise ConfigError(f"config key {key!r} expects {len(args)} numbers, got {value!r}")
        return tuple(_coerce(v, a, key) for v, a in zip(value, args))
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config key {key!r} expects true/false, got {value!r}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"config key {key!r} expects an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config key {key!r} expects a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"config key {key!r} expects a string, got {value!r}")
        return value
    raise ConfigError(f"config key {key!r} has an unsupported type {tp!r}")  # pragma: no cover


def _section_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_dict(data: dict[str, Any], base: Config | None = None) -> Config:
    """A Config from a nested dict (as written by `to_dict`); missing keys keep `base`'s values.

    When `data` names a `profile` and no `base` is given, that profile is the base.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"a config must be a mapping, got {type(data).__name__}")
    if base is None:
        base = get_profile(data.get("profile", "paper"))
    sections: dict[str, Any] = {}
    hints = _section_types(Config)
    for key, value in data.items():
        if key == "profile":
            sections["profile"] = _coerce(value, str, "profile")
            continue
        if key not in hints or key == "profile":
            raise ConfigError(f"unknown config section {key!r}; known: "
                              f"{', '.join(f.name for f in dataclasses.fields(Config))}")
        if not isinstance(value, dict):
            raise ConfigError(f"config section {key!r} must be a mapping, got {value!r}")
        section = getattr(base, key)
        types = _section_types(type(section))
        changes = {}
        for k, v in value.items():
            if k not in types:
                raise ConfigError(f"unknown config key {key}.{k}")
            changes[k] = _coerce(v, types[k], f"{key}.{k}")
        sections[key] = dataclasses.replace(section, **changes)
    return dataclasses.replace(base, **sections)


def from_saved_dict(data: dict[str, Any]) -> Config:
    """A Config from a dict that `to_dict` wrote (a model's or a run's saved config). Keys it lacks are fields
    added after it was written; they take the dataclass defaults, which are the paper's values and the
    behaviour of the code that wrote it — not the named profile's current values, which may have changed."""
    if not isinstance(data, dict):
        raise ConfigError(f"a config must be a mapping, got {type(data).__name__}")
    return from_dict(data, base=Config(profile=str(data.get("profile", "paper"))))


def _parse_literal(text: str) -> Any:
    """Parse an override value: JSON first (numbers, true/false, [a, b]), else a plain string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        low = text.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        return text


def apply_overrides(config: Config, overrides: list[str] | tuple[str, ...]) -> Config:
    """Apply dotted `section.field=value` overrides, e.g. `train.iterations=100`."""
    nested: dict[str, dict[str, Any]] = {}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like section.field=value")
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        if len(parts) != 2:
            raise ConfigError(f"override key {key!r} must look like section.field (e.g. train.iterations)")
        nested.setdefault(parts[0], {})[parts[1]] = _parse_literal(text.strip())
    return from_dict(nested, base=config)


def load_config(path: str | os.PathLike[str], saved: bool = False) -> Config:
    """Read a config from JSON or YAML (by extension). Missing keys take the named profile's values, or with
    `saved` (a file `save_config` wrote, e.g. a run's config.json) the dataclass defaults
    (`from_saved_dict`)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read config ({err.strerror})") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as err:  # noqa: BLE001 - any parser error becomes one line
        raise ConfigError(f"{path}: not valid {'YAML' if path.suffix in ('.yaml', '.yml') else 'JSON'} "
                          f"({err})") from None
    try:
        return from_saved_dict(data) if saved else from_dict(data)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def save_config(config: Config, path: str | os.PathLike[str]) -> None:
    """Write a config as JSON or YAML (by extension), atomically."""
    path = Path(path)
    data = config.to_dict()
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(data, sort_keys=False)
    else:
        text = json.dumps(data, indent=2) + "\n"
    atomic_write_text(path, text)


def load_thresholds(path: str | os.PathLike[str]) -> Thresholds:
    """The six thresholds of §2/§3 from a `thresholds.json` (`save_thresholds`) or a flat JSON mapping.

    The one reader of thresholds files (the grid search, `posekit predict` and the notebooks use it): all
    six names must be present, no other; a malformed file is a ConfigError naming it.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as err:
        raise ConfigError(f"{path}: cannot read thresholds ({err.strerror})") from None
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON ({err.msg}, line {err.lineno})") from None
    section = data.get("thresholds", data) if isinstance(data, dict) else data
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: thresholds must be a JSON object")
    names = [f.name for f in dataclasses.fields(Thresholds)]
    unknown, missing = sorted(set(section) - set(names)), sorted(set(names) - set(section))
    if unknown or missing:
        raise ConfigError(f"{path}: thresholds file: unknown {unknown}, missing {missing}")
    try:
        return from_dict({"thresholds": section}, base=Config()).thresholds
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def save_thresholds(thresholds: Thresholds, path: str | os.PathLike[str],
                    extra: dict[str, Any] | None = None) -> None:
    """`thresholds.json`: the thresholds (under "thresholds", for `load_thresholds`) and `extra`,
    atomically."""
    text = json.dumps({"thresholds": dataclasses.asdict(thresholds), **(extra or {})}, indent=2) + "\n"
    atomic_write_text(path, text)
