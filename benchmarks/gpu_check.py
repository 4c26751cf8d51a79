"""The prepared GPU check: the `paper` network (paper §2.1, §4) on an accelerator through Keras 3's JAX
backend.

Runs where JAX and Keras are installed and TensorFlow and OpenCV are not (a GPU machine): it imports only
posekit.config, posekit.model, posekit.targets and posekit.train_jax. Figures, each measured in this run:
- the device's fp32 and bf16 matrix-product rate (the reference of every ratio);
- component 1 forward at batch 1 and 8, component 2 for 8 heads (GFLOP/s and the fraction of the fp32 rate;
  FLOPs counted analytically by `posekit.model.model_summary`);
- one training step (`posekit.train_jax.JaxTrainer`, batch 4) in fp32 and bf16: seconds per iteration and
  the hours 1,000,000 iterations (the paper's §4 schedule) would take at that speed;
- about 4 minutes of `paper`-profile training (fp32, the paper's recipe) showing the loss falling, on
  pre-generated batches of the embedded synthetic data (`--batches`, made on a machine with OpenCV by
  `--make-batches`) or, without them, on stick figures drawn here in numpy with posekit.targets' Gaussians.
Writes results/benchmarks/<device>-jax.json/.md in the format of `make bench` (`python -m benchmarks`).

    KERAS_BACKEND=jax python -m benchmarks.gpu_check                        # on the GPU machine, <= 8 min
    python -m benchmarks.gpu_check --quick                                  # a CPU smoke test, `tiny` sizes
    python -m benchmarks.gpu_check --make-batches .cache/gpu_check/paper.npz   # here (OpenCV, synthetic data)
    KERAS_BACKEND=jax python -m benchmarks.gpu_check --batches .cache/gpu_check/paper.npz   # there, carrying
                                                                    # .cache/gpu_check (16 batches, ~35 MiB)
The fp32 training run reuses the fp32 step compiled for the step timing (posekit.train_jax caches it), so the
run is three compilations, the step timings and 240 s of training.

A machine without Keras gets it carried: `pip download keras --no-deps -d .cache/wheels` (and any of
absl-py, rich, namex, h5py, optree, ml-dtypes it lacks), then
`pip install --no-index --find-links .cache/wheels keras`.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ITERATIONS_PAPER = 1_000_000  # §4: "optimize the networks for 1,000,000 iterations" (config.TrainConfig)


def _best(fn, repeats: int) -> float:
    from benchmarks.timing import best_of

    return best_of(fn, repeats=repeats, warmup=1)


def matmul_rate(n: int, dtype: str, repeats: int = 5) -> float:
    """GFLOP/s of an n×n product (2n³ FLOP) in `dtype` on the default JAX device (jitted, blocked on)."""
    import jax

    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    a = jax.random.normal(k1, (n, n), dtype)
    b = jax.random.normal(k2, (n, n), dtype)
    f = jax.jit(lambda a, b: a @ b)
    return 2 * n**3 / _best(lambda: f(a, b).block_until_ready(), repeats) / 1e9


def forward_figures(config, peak: float, repeats: int) -> list[dict]:
    """Component 1 at batch 1 and 8, component 2 for 8 heads (one batched call), fp32."""
    import jax

    from posekit.model import build_model, model_summary

    _, _, g1, g2 = model_summary(config)
    net, posenet = config.network, build_model(config)
    c1 = jax.jit(lambda x: posenet.component1(x, training=False))
    c2 = jax.jit(lambda f, m, h: posenet.component2([f, m, h], training=False))
    rng = np.random.default_rng(0)
    ref = f"fp32 matmul {peak:,.0f} GFLOP/s"
    rows, out = [], None
    for batch in (1, 8):
        image = rng.uniform(-1, 1, (batch, net.input_height, net.input_width, 3)).astype(np.float32)
        out = c1(image)
        t = _best(lambda image=image: jax.block_until_ready(c1(image)), repeats)
        rows += [{"name": f"component 1 forward, {config.profile}, batch {batch}", "value": t, "unit": "s",
                  "reference": f"{g1 * batch:.1f} GFLOP", "ratio": None},
                 {"name": f"component 1 throughput, {config.profile}, batch {batch}", "value": g1 * batch / t,
                  "unit": "GFLOP/s", "reference": ref, "ratio": g1 * batch / t / peak}]
    heads = 8
    f, m, h = (out[k][:1].repeat(heads, axis=0)
               for k in ("features", "multi_person_heatmaps", "head_heatmap"))
    t = _best(lambda: jax.block_until_ready(c2(f, m, h)), repeats)
    rows += [{"name": f"component 2 forward, {config.profile}, {heads} heads", "value": t, "unit": "s",
              "reference": f"{g2 * heads:.1f} GFLOP", "ratio": None},
             {"name": f"component 2 throughput, {config.profile}, {heads} heads", "value": g2 * heads / t,
              "unit": "GFLOP/s", "reference": ref, "ratio": g2 * heads / t / peak}]
    return rows


# ---------------------------------------------------------------------------------------------
# Training data without OpenCV


def figure_batch(config, rng: np.random.Generator) -> tuple[dict, dict]:
    """A batch of `config.train.batch_size` persons of interest on images with 1-2 stick figures drawn as
    discs (numpy), targets from posekit.targets (σ = 2 px joint Gaussians, σ = 4 px head mask, §4)."""
    from posekit.targets import gaussian_heatmap, head_mask, multi_person_head_heatmap

    net, tg, B = config.network, config.targets, config.train.batch_size
    H, W, s = net.input_height, net.input_width, net.heatmap_stride
    h, w = net.heatmap_height, net.heatmap_width
    template = np.array([(-.1, 1), (-.1, .75), (-.08, .5), (.08, .5), (.1, .75), (.1, 1),
                         (-.32, .5), (-.26, .34), (-.15, .2), (.15, .2), (.26, .34), (.32, .5),
                         (0, .18), (0, .09), (0, 0)])
    colours = rng.uniform(0.2, 1.0, (15, 3)).astype(np.float32)
    yy, xx = np.mgrid[0:H, 0:W]
    xs = {k: [] for k in ("image", "head_mask")}
    ys = {k: [] for k in ("head_heatmap", "loss_mask", "joint_heatmaps", "joint_weights")}
    while len(xs["image"]) < B:
        persons = int(rng.integers(1, 3))
        image = rng.uniform(-1.0, -0.6, (H, W, 3)).astype(np.float32)
        people = []
        for k in range(persons):
            height = H * rng.uniform(0.5, 0.75)
            cx = W * (k + 0.5) / persons
            joints = template * height + np.array([cx, rng.uniform(0.05, 0.95) * (H - height)])
            r2 = (0.03 * height) ** 2
            for j, (jx, jy) in enumerate(joints):
                image[(xx - jx) ** 2 + (yy - jy) ** 2 <= r2] = colours[j]
            people.append((joints + 0.5) / s - 0.5)  # input px -> heatmap px
        heads = np.array([(p[14] + p[12]) / 2 for p in people])
        head_hm = multi_person_head_heatmap(heads, h, w, tg.sigma)
        for p, head in zip(people, heads, strict=True):
            if len(xs["image"]) == B:
                break
            xs["image"].append(image)
            xs["head_mask"].append(head_mask(head, h, w, tg.head_mask_sigma))
            ys["head_heatmap"].append(head_hm)
            ys["loss_mask"].append(np.ones((h, w, 1), np.float32))
            ys["joint_heatmaps"].append(np.stack([gaussian_heatmap(c, h, w, tg.sigma) for c in p], -1))
            ys["joint_weights"].append(np.ones(15, np.float32))
    return {k: np.stack(v) for k, v in xs.items()}, {k: np.stack(v) for k, v in ys.items()}


def load_batches(path: Path) -> list[tuple[dict, dict]]:
    """Batches written by `--make-batches` (float16 on disk, float32 here)."""
    with np.load(path) as z:
        n = 1 + max(int(k.split("_")[0]) for k in z.files)
        return [({k.split("_", 2)[2]: z[k].astype(np.float32) for k in z.files if k.startswith(f"{i}_x_")},
                 {k.split("_", 2)[2]: z[k].astype(np.float32) for k in z.files if k.startswith(f"{i}_y_")})
                for i in range(n)]


def make_batches(path: Path, count: int, profile: str) -> None:
    """`count` training batches of `profile` from the embedded synthetic data (posekit.dataset, the paper's
    augmentation; needs OpenCV), written float16 and compressed, for a machine without OpenCV."""
    from posekit.config import get_profile
    from posekit.data.posetrack import read_split
    from posekit.dataset import TrainingBatches
    from posekit.fileio import atomic_write_bytes
    from posekit.pipeline import RunSpec, ensure_data

    config = get_profile(profile)
    data_dir, _ = ensure_data(RunSpec(profile=profile))
    batches = TrainingBatches(read_split(data_dir, "train"), config, seed=0, augment=True,
                              steps_per_epoch=count)
    arrays = {f"{i}_{part}_{k}": v.astype(np.float16) for i in range(count)
              for part, d in zip("xy", batches[i]) for k, v in d.items() if k != "multi_person_heatmaps"}
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())
    print(f"wrote {count} {profile} batches to {path} ({len(buf.getvalue()) / 2**20:.1f} MiB)")


# ---------------------------------------------------------------------------------------------
# Training


def _trainer(config, precision: str):
    import dataclasses

    from posekit.train_jax import JaxTrainer

    return JaxTrainer(
        dataclasses.replace(config, train=dataclasses.replace(config.train, precision=precision))
    )


def step_figures(config, peak: float, batch: tuple[dict, dict], steps: int) -> list[dict]:
    """Seconds per training step in fp32 and bf16 and the projected hours of the paper's schedule."""
    from posekit.model import training_flops

    flops = training_flops(config) / config.train.iterations  # per iteration: 3 × forward
    rows, seconds = [], {}
    for precision in ("fp32", "bf16"):
        trainer = _trainer(config, precision)
        trainer.step(batch)  # compile
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            trainer.step(batch)  # returns floats: the step has finished on the device
            times.append(time.perf_counter() - t)
        seconds[precision] = s = float(np.median(times))
        rows += [{"name": f"training step, {config.profile} (batch {config.train.batch_size}), {precision}",
                  "value": s, "unit": "s", "reference": f"{ITERATIONS_PAPER:,} iterations ≈ "
                  f"{ITERATIONS_PAPER * s / 3600:,.1f} h", "ratio": None},
                 {"name": f"training throughput, {config.profile}, {precision}", "value": flops / s / 1e9,
                  "unit": "GFLOP/s", "reference": f"fp32 matmul {peak:,.0f} GFLOP/s",
                  "ratio": flops / s / 1e9 / peak}]
    rows.append({"name": f"training step, {config.profile}: bf16 speed-up",
                 "value": seconds["fp32"] / seconds["bf16"],
                 "unit": "x", "reference": "fp32 step", "ratio": None})
    return rows


def training_run(config, batches: list, seconds: float,
                 source: str) -> tuple[list[dict], list[tuple[int, float]]]:
    """Train for about `seconds` (fp32, the paper's recipe), the loss logged every 10 iterations; rows for the
    first and last logged window and the curve."""
    trainer = _trainer(config, "fp32")
    trainer.step(batches[0])  # compile (counted as iteration 1)
    curve, window = [], []
    t0 = time.perf_counter()
    i = 1
    while time.perf_counter() - t0 < seconds:
        window.append(trainer.step(batches[i % len(batches)])["loss"])
        i += 1
        if len(window) == 10:
            curve.append((i, float(np.mean(window))))
            print(f"  iteration {i}: loss {curve[-1][1]:.4g}", flush=True)
            window = []
    elapsed = time.perf_counter() - t0
    if not curve:
        raise RuntimeError(f"no 10 iterations in {seconds} s")
    first, last = curve[0][1], curve[-1][1]
    rows = [{"name": f"training, {config.profile}, fp32: loss over iterations 2-11", "value": first,
             "unit": "", "reference": source, "ratio": None},
            {"name": f"training, {config.profile}, fp32: loss over the last 10 of {i} iterations "
                     f"({elapsed:.0f} s)",
             "value": last, "unit": "", "reference": "the first window", "ratio": last / first}]
    return rows, curve


def device_name() -> str:
    import jax

    d = jax.devices()[0]
    kind = getattr(d, "device_kind", d.platform)
    slug = "".join(ch if ch.isalnum() else "-" for ch in kind.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"{slug}-{len(jax.devices())}x-jax"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gpu_check", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="CPU smoke test: `tiny` profile, small matmul, 20 s of training")
    ap.add_argument("--batches", type=Path, help="pre-generated batches (.npz from --make-batches)")
    ap.add_argument("--make-batches", type=Path, metavar="NPZ",
                    help="write batches from the synthetic data and exit")
    ap.add_argument("--count", type=int, default=16,
                    help="batches for --make-batches (16 paper batches: about 30 MiB)")
    ap.add_argument("--train-seconds", type=float, default=None, help="default 240 (quick: 20)")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks")
    ap.add_argument("--machine", default=None, help="output file name (default: the JAX device kind)")
    args = ap.parse_args(argv)
    profile = "tiny" if args.quick else "paper"
    if args.make_batches:
        make_batches(args.make_batches, args.count, profile)
        return 0

    import jax
    import keras

    from benchmarks.__main__ import to_markdown
    from posekit.config import get_profile
    from posekit.fileio import atomic_write_json, atomic_write_text

    if keras.backend.backend() != "jax":
        raise SystemExit("benchmarks.gpu_check runs on Keras' JAX backend: set KERAS_BACKEND=jax")
    t_start = time.perf_counter()
    config = get_profile(profile)
    n = 1024 if args.quick else 8192
    repeats = 2 if args.quick else 5
    print(f"devices: {jax.devices()}", flush=True)
    peak = matmul_rate(n, "float32", repeats)
    bf16 = matmul_rate(n, "bfloat16", repeats)
    figures = [{"name": f"fp32 matmul {n}×{n}", "value": peak, "unit": "GFLOP/s", "reference": None,
                "ratio": None},
               {"name": f"bf16 matmul {n}×{n}", "value": bf16, "unit": "GFLOP/s",
                "reference": f"fp32 matmul {peak:,.0f} GFLOP/s", "ratio": bf16 / peak}]
    print(f"matmul fp32 {peak:,.0f} GFLOP/s, bf16 {bf16:,.0f} GFLOP/s", flush=True)
    figures += forward_figures(config, peak, repeats)
    print(f"forward done ({time.perf_counter() - t_start:.0f} s)", flush=True)
    if args.batches:
        batches, source = (load_batches(args.batches),
                           f"{args.batches.name}: synthetic data, paper augmentation")
        if batches[0][0]["image"].shape[1:3] != (config.network.input_height, config.network.input_width):
            raise SystemExit(f"{args.batches}: batches are not of the {profile} input size")
    else:
        rng = np.random.default_rng(0)
        batches, source = [figure_batch(config, rng) for _ in range(8)], "8 numpy stick-figure batches"
    figures += step_figures(config, peak, batches[0], steps=3 if args.quick else 10)
    print(f"steps done ({time.perf_counter() - t_start:.0f} s)", flush=True)
    seconds = args.train_seconds if args.train_seconds is not None else (20.0 if args.quick else 240.0)
    rows, curve = training_run(config, batches, seconds, source)
    figures += rows
    machine = args.machine or device_name() + ("-quick" if args.quick else "")
    date = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for f in figures:
        f.update(module="gpu_check", date=date)
    payload = {"machine": machine, "date": date, "python": platform.python_version(), "cpus": os.cpu_count(),
               "backend": "jax", "jax": jax.__version__, "keras": keras.__version__,
               "devices": [str(d) for d in jax.devices()], "profile": profile, "loss_curve": curve,
               "seconds": round(time.perf_counter() - t_start, 1), "figures": figures}
    atomic_write_json(args.out / f"{machine}.json", payload)
    atomic_write_text(args.out / f"{machine}.md", to_markdown(figures, machine))
    for f in figures:
        ratio = f"  ({f['ratio']:.3g} × reference)" if f["ratio"] is not None else ""
        print(f"{f['name']:<70} {f['value']:>12.4g} {f['unit']}{ratio}")
    print(f"wrote {args.out / (machine + '.json')} and .md in {payload['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
