"""bf16 vs fp32 (issue 9): speed of component 1 at the `paper` size as GFLOP/s ÷ the fp32 matmul's, a training
step at the `paper` size in both precisions (`train.precision`), and the effect of bf16 inference on Table 1 /
Table 2 with the committed `cpu` model on the synthetic val split.

bf16 runs through Keras' `mixed_bfloat16` policy (`posekit.model.with_precision`,
`Predictor(precision="bf16")`); it pays off only on hardware with bfloat16 units (this CPU reports
AVX512_BF16 / AMX_BF16).

    python -m benchmarks.bench_precision
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from benchmarks.bench_model import matmul_gflops
from benchmarks.timing import best_of

ROOT = Path(__file__).resolve().parents[1]


def run(run_dir: str | Path = ROOT / "results" / "cpu-synthetic",
        data_dir: str | Path = ROOT / "data" / "synthetic-default") -> list[dict]:
    from posekit.config import get_profile
    from posekit.inference import Predictor
    from posekit.model import build_model, model_summary

    figures = []
    limit = matmul_gflops()
    paper = get_profile("paper")
    _, _, gflops1, gflops2 = model_summary(paper)
    model = build_model(paper)
    frame = np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    times = {}
    for precision in ("fp32", "bf16"):
        p = Predictor(model, config=paper, batch_size=1, precision=precision)
        x, _ = p.prepare([frame])
        times[precision] = best_of(lambda p=p, x=x: [t.numpy() for t in p._component1(x)])
        figures.append({"name": f"component 1, paper size, batch 1, {precision}",
                        "value": gflops1 / times[precision],
                        "unit": "GFLOP/s", "reference": f"fp32 matmul {limit:.0f} GFLOP/s",
                        "ratio": gflops1 / times[precision] / limit, "goal": ">= 0.9"})
    figures.append({"name": "component 1, paper size: bf16 speed-up", "value": times["fp32"] / times["bf16"],
                    "unit": "x", "reference": "fp32"})

    # Training (`train.precision`): one step of the paper size (batch 4), fp32 vs bf16.
    from benchmarks.bench_model import train_step_seconds

    flops = 3 * paper.train.batch_size * (gflops1 + gflops2)  # forward + two backward passes ≈ 3 forwards
    steps = {}
    for precision in ("fp32", "bf16"):
        steps[precision] = train_step_seconds("paper", precision, steps=2)
        figures.append({"name": f"training step, paper size (batch {paper.train.batch_size}), {precision}",
                        "value": steps[precision], "unit": "s",
                        "reference": f"fp32 matmul {limit:.0f} GFLOP/s",
                        "ratio": flops / steps[precision] / limit})
    figures.append({"name": "training step, paper size: bf16 speed-up",
                    "value": steps["fp32"] / steps["bf16"], "unit": "x", "reference": "fp32"})

    model_dir = Path(run_dir) / "model"
    if (model_dir / "model.keras").exists() and Path(data_dir).exists():
        from posekit.config import load_thresholds
        from posekit.data.posetrack import read_split
        from posekit.evaluation import evaluate
        from posekit.model import load_model

        trained = load_model(model_dir)
        th = load_thresholds(Path(run_dir) / "thresholds.json")
        gt = read_split(data_dir, "val")
        for precision in ("fp32", "bf16"):
            p = Predictor(trained, thresholds=th, config=trained.config, precision=precision)
            t0 = time.perf_counter()
            preds = [p.predict_sequence(s) for s in gt]
            seconds = time.perf_counter() - t0
            res = evaluate(gt, preds)
            frames = sum(len(s.frames) for s in gt)
            figures += [
                {"name": f"cpu model on synthetic val, {precision}: Table 1 Total", "value": res.ap_total,
                 "unit": "%"},
                {"name": f"cpu model on synthetic val, {precision}: MOTA Total", "value": res.mota_total,
                 "unit": "%"},
                {"name": f"cpu model on synthetic val, {precision}: Predictor", "value": frames / seconds,
                 "unit": "frames/s"},
            ]
    return figures


if __name__ == "__main__":
    for f in run():
        print(f)
