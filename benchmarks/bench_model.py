"""Network speed (paper §2, §2.1): forward time of component 1 (once per frame, batch 1) and component 2
(once per detected head) at the `paper` and `cpu` profiles, and one training step at `cpu` in fp32 and bf16.

Each speed is given as GFLOP/s (FLOPs counted analytically by `posekit.model.model_summary`: 2 × conv MACs)
and as a fraction of a large fp32 matrix product's GFLOP/s measured in the same run, the best a dense
kernel reaches on this machine; absolute times depend on the machine and on what else runs on it.

    python -m benchmarks.bench_model            # prints the figures
    python -m benchmarks --only model           # writes them into results/benchmarks/
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.timing import best_of

MATMUL_N = 3072  # 2·3072³ = 58 GFLOP per product
HEADS = 4  # component 2 runs on all heads of a frame as one batch; per-head time = batch time / HEADS


def matmul_gflops(n: int = MATMUL_N, repeats: int = 3) -> float:
    """GFLOP/s of an n×n fp32 matrix product (2n³ FLOP) through keras.ops on the active backend."""
    import keras

    rng = np.random.default_rng(0)
    a = keras.ops.convert_to_tensor(rng.standard_normal((n, n), dtype=np.float32))
    b = keras.ops.convert_to_tensor(rng.standard_normal((n, n), dtype=np.float32))
    seconds = best_of(lambda: keras.ops.convert_to_numpy(keras.ops.matmul(a, b)[:1, :1]), repeats)
    return 2 * n**3 / seconds / 1e9


def _forward_figures(profile: str, peak: float, repeats: int) -> list[dict]:
    from posekit.config import get_profile
    from posekit.model import build_model, model_summary

    config = get_profile(profile)
    n = config.network
    _, _, g1, g2 = model_summary(config)
    posenet = build_model(config)
    rng = np.random.default_rng(0)
    image = rng.uniform(-1, 1, (1, n.input_height, n.input_width, 3)).astype(np.float32)
    c1 = posenet.component1.predict_on_batch(image)
    t1 = best_of(lambda: posenet.component1.predict_on_batch(image), repeats)
    heads = [np.repeat(c1[k], HEADS, axis=0) for k in ("features", "multi_person_heatmaps", "head_heatmap")]
    t2 = best_of(lambda: posenet.component2.predict_on_batch(heads), repeats) / HEADS
    ref = f"fp32 matmul {peak:.0f} GFLOP/s"
    return [
        {"name": f"component 1 forward, {profile}, batch 1", "value": t1, "unit": "s",
         "reference": f"{g1:.1f} GFLOP", "ratio": None},
        {"name": f"component 1 throughput, {profile}", "value": g1 / t1, "unit": "GFLOP/s",
         "reference": ref, "ratio": g1 / t1 / peak},
        {"name": f"component 2 forward per head, {profile} (batch of {HEADS} heads)", "value": t2,
         "unit": "s", "reference": f"{g2:.1f} GFLOP per head", "ratio": None},
        {"name": f"component 2 throughput, {profile}", "value": g2 / t2, "unit": "GFLOP/s",
         "reference": ref, "ratio": g2 / t2 / peak},
    ]


def train_step_seconds(profile: str = "cpu", precision: str = "fp32", steps: int = 8) -> float:
    """Median seconds of one training step (batch of the profile, random data) in `precision`."""
    import dataclasses

    from posekit.config import get_profile
    from posekit.train import Trainer

    config = get_profile(profile)
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, precision=precision))
    n, B = config.network, config.train.batch_size  # B persons of interest on B / K images
    images = B // config.train.persons_per_image
    h, w = n.heatmap_height, n.heatmap_width
    rng = np.random.default_rng(0)
    x = {"image": rng.uniform(-1, 1, (images, n.input_height, n.input_width, 3)).astype(np.float32),
         "head_mask": rng.uniform(0, 1, (B, h, w, 1)).astype(np.float32)}
    y = {"head_heatmap": rng.uniform(0, 1, (images, h, w, 1)).astype(np.float32),
         "loss_mask": np.ones((images, h, w, 1), np.float32),
         "joint_heatmaps": rng.uniform(0, 1, (B, h, w, 15)).astype(np.float32),
         "joint_weights": np.ones((B, 15), np.float32),
         "multi_person_heatmaps": rng.uniform(0, 1, (images, h, w, 15)).astype(np.float32)}
    trainer = Trainer(config)
    trainer.step((x, y))  # trace
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        trainer.step((x, y))
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def _train_figures(peak: float, steps: int = 8) -> list[dict]:
    import keras

    if keras.backend.backend() != "tensorflow":
        return []
    from posekit.config import get_profile
    from posekit.model import model_summary, training_flops

    config = get_profile("cpu")
    B = config.train.batch_size
    _, _, g1, g2 = model_summary(config)
    # A training step ≈ 3 forward passes (forward, gradients w.r.t. activations and w.r.t. weights).
    flops = training_flops(config, g1, g2) / config.train.iterations / 1e9
    figures = []
    steps_by_precision = {}
    for precision in ("fp32", "bf16"):
        step = train_step_seconds("cpu", precision, steps)
        steps_by_precision[precision] = step
        minutes = config.train.iterations * step / 60
        figures += [
            {"name": f"training step, cpu (batch {B}), {precision}", "value": step, "unit": "s",
             "reference": f"{config.train.iterations} iterations ≈ {minutes:.1f} min", "ratio": None},
            {"name": f"training throughput, cpu, {precision}", "value": flops / step, "unit": "GFLOP/s",
             "reference": f"fp32 matmul {peak:.0f} GFLOP/s", "ratio": flops / step / peak},
        ]
    figures.append({"name": "training step, cpu: bf16 speed-up", "value": steps_by_precision["fp32"]
                    / steps_by_precision["bf16"], "unit": "x", "reference": "fp32 step", "ratio": None})
    return figures


def run() -> list[dict]:
    """The figures: {name, value, unit, reference, ratio}."""
    peak = matmul_gflops()
    figures = [{"name": f"fp32 matmul {MATMUL_N}×{MATMUL_N}", "value": peak, "unit": "GFLOP/s",
                "reference": None, "ratio": None}]
    figures += _forward_figures("cpu", peak, repeats=5)
    figures += _forward_figures("paper", peak, repeats=2)
    figures += _train_figures(peak)
    return figures


if __name__ == "__main__":
    for f in run():
        ratio = f"  ({f['ratio']:.1%} of matmul)" if f["ratio"] is not None else ""
        ref = f"  [{f['reference']}]" if f["reference"] else ""
        print(f"{f['name']:<55} {f['value']:>10.3f} {f['unit']:<8}{ref}{ratio}")
