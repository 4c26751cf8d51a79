"""Input-pipeline throughput (issue #4, Paper §4): samples/s of `posekit.dataset` vs the training step.

Run: `python -m benchmarks.bench_input_pipeline [--profiles paper,cpu] [--no-train-step]`
(or as part of `python -m benchmarks`). Expose `run() -> list[dict]` of figures
{name, value, unit, reference, ratio, goal}.

What it measures, per profile (`paper`: 896×512 input; `cpu`: 448×256):
- samples/s of `TrainingBatches[i]` in one thread (image decode + one warpAffine + targets + stacking),
  and through Keras' own PyDataset enqueuer with `config.train.workers` threads, as `fit` reads it;
- the cost of one JPEG decode (to judge whether caching decoded images would pay);
- samples/s of one training step (`posekit.train.Trainer.step`, batch `config.train.batch_size`) when
  `posekit.train` is importable (hook: `measure_train_step`), and the ratio input / training; the goal is a
  ratio > 1 (the input pipeline is not the bottleneck).
The data are written here: `N_FRAMES` PoseTrack-sized (1280×720) JPEGs of smooth noise, `N_PERSONS` fully
annotated persons each, one ignore polygon. Figures are noisy on a shared CPU; the ratios within one run
are the meaningful numbers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from posekit.config import Config, get_profile
from posekit.data.schema import Frame, Person, Sequence
from posekit.dataset import TrainingBatches
from posekit.imageio import read_image

ROOT = Path(__file__).resolve().parents[1]

SOURCE_W, SOURCE_H = 1280, 720  # the most common PoseTrack 2017 frame size
N_FRAMES = 12
N_PERSONS = 5
MIN_SECONDS = 3.0  # time each input measurement at least this long


def write_dataset(folder: Path, seed: int = 0) -> Sequence:
    """A Sequence of N_FRAMES JPEGs with N_PERSONS annotated persons each and one ignore polygon."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(N_FRAMES):
        small = rng.integers(0, 256, (SOURCE_H // 8, SOURCE_W // 8, 3), dtype=np.uint8)
        image = cv2.resize(small, (SOURCE_W, SOURCE_H), interpolation=cv2.INTER_CUBIC)
        image = cv2.add(image, rng.integers(0, 24, image.shape, dtype=np.uint8))  # JPEG-unfriendly detail
        name = f"{i:06d}.jpg"
        cv2.imwrite(str(folder / name), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        persons = []
        for p in range(N_PERSONS):
            cx, cy = rng.uniform(100, SOURCE_W - 100), rng.uniform(100, SOURCE_H - 250)
            joints = np.column_stack([cx + rng.normal(0, 40, 15), cy + rng.uniform(20, 240, 15), np.ones(15)])
            persons.append(Person(joints=joints, head_box=np.array([cx - 20, cy - 25, cx + 20, cy + 25]),
                                  track_id=p))
        angles = np.linspace(0, 2 * np.pi, 9)[:-1]
        polygon = np.column_stack([1100 + 80 * np.cos(angles), 150 + 80 * np.sin(angles)])
        frames.append(Frame(name, persons, ignore_regions=[polygon]))
    return Sequence(name="bench", frames=frames, root=folder)


def _samples_per_s(fetch, batch_size: int) -> float:
    """Call fetch(i) for i = 0, 1, ... for at least MIN_SECONDS (after one warm-up call)."""
    fetch(0)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < MIN_SECONDS:
        fetch(n % 64)
        n += 1
    return n * batch_size / (time.perf_counter() - t0)


def measure_single(sequence: Sequence, config: Config) -> float:
    """samples/s of TrainingBatches[i], one thread."""
    ds = TrainingBatches([sequence], config, seed=0, steps_per_epoch=64, workers=1)
    return _samples_per_s(ds.__getitem__, config.train.batch_size)


def measure_workers(sequence: Sequence, config: Config, workers: int) -> float:
    """samples/s through Keras' PyDataset enqueuer with `workers` threads (what `fit` uses)."""
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    steps = 16
    ds = TrainingBatches([sequence], config, seed=0, steps_per_epoch=steps, workers=workers)
    adapter = PyDatasetAdapter(ds)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < MIN_SECONDS or n == 0:
        adapter.on_epoch_begin()
        n += sum(1 for _ in adapter.get_numpy_iterator())
        adapter.on_epoch_end()
    return n * config.train.batch_size / (time.perf_counter() - t0)


def measure_decode_ms(sequence: Sequence) -> float:
    t0 = time.perf_counter()
    for i in range(len(sequence.frames)):
        read_image(sequence.image_path(i))
    return 1000 * (time.perf_counter() - t0) / len(sequence.frames)


def measure_train_step(config: Config, batch, steps: int = 3) -> float | None:
    """Hook: samples/s of one training step of `posekit.train.Trainer`; None when it is not available."""
    try:
        from posekit.train import Trainer
    except ImportError as err:
        print(f"  (no training-step figure: posekit.train is not importable: {err})", flush=True)
        return None
    trainer = Trainer(config)
    trainer.step(batch)  # traces and compiles the tf.function
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.step(batch)
    return steps * config.train.batch_size / (time.perf_counter() - t0)


def run(profiles: tuple[str, ...] = ("paper", "cpu"), train_step: bool = True) -> list[dict]:
    figures: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="posekit-bench-") as tmp:
        sequence = write_dataset(Path(tmp))
        decode_ms = measure_decode_ms(sequence)
        figures.append({"name": f"JPEG decode {SOURCE_W}x{SOURCE_H}", "value": decode_ms, "unit": "ms/image",
                        "reference": None, "ratio": None})
        for name in profiles:
            config = get_profile(name)
            b, w = config.train.batch_size, config.train.workers
            size = f"{config.network.input_width}x{config.network.input_height}"
            single = measure_single(sequence, config)
            threaded = measure_workers(sequence, config, w)
            figures.append({"name": f"{name} ({size}) input samples/s, 1 thread", "value": single,
                            "unit": "samples/s", "reference": None, "ratio": None})
            figures.append({"name": f"{name} ({size}) input samples/s, {w} PyDataset workers",
                            "value": threaded, "unit": "samples/s",
                            "reference": f"1 thread ({single:.3g} samples/s)", "ratio": threaded / single})
            figures.append({"name": f"{name} share of JPEG decode in one sample",
                            "value": decode_ms * single / 1000,
                            "unit": "fraction", "reference": None, "ratio": None})
            if train_step:
                batch = TrainingBatches([sequence], config, seed=0, workers=1)[0]
                steps = 2 if name == "paper" else 5
                train = measure_train_step(config, batch, steps=steps)
                if train is not None:
                    figures.append({"name": f"{name} training step samples/s (batch {b})", "value": train,
                                    "unit": "samples/s", "reference": None, "ratio": None})
                    figures.append({"name": f"{name} input ({w} workers) / training step",
                                    "value": threaded / train,
                                    "unit": "x", "reference": f"training step ({train:.3g} samples/s)",
                                    "ratio": threaded / train, "goal": "> 1: input is not the bottleneck"})
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", default="paper,cpu", help="comma-separated profiles (default: paper,cpu)")
    ap.add_argument("--no-train-step", action="store_true", help="skip the training-step measurement")
    args = ap.parse_args(argv)
    for f in run(tuple(args.profiles.split(",")), train_step=not args.no_train_step):
        ratio = f"  (ratio {f['ratio']:.3g} vs {f['reference']})" if f.get("ratio") is not None else ""
        print(f"{f['name']}: {f['value']:.4g} {f['unit']}{ratio}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
