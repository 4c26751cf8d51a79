"""Threshold grid search speed (paper §4; posekit.gridsearch): the sweep over the default grid from the
cache ÷ the single network pass that fills the cache, on the synthetic val split (goal: < 1).

Needs a trained `cpu` model (an untrained head heatmap has hundreds of local maxima, so its cache is not
representative): by default `results/cpu-synthetic/model` from `make reproduce`, else the committed
`results/cpu-reference/model` (so a fresh clone measures it too), and the synthetic `default` data in
`data/synthetic-default`.

    python -m benchmarks.bench_gridsearch [--run results/cpu-synthetic] [--data data/synthetic-default]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


#: Runs whose trained `cpu` model the benchmark uses, the first that has one.
DEFAULT_RUNS = (ROOT / "results" / "cpu-synthetic", ROOT / "results" / "cpu-reference")


def run(run_dir: str | Path | None = None,
        data_dir: str | Path = ROOT / "data" / "synthetic-default") -> list[dict]:
    from posekit import gridsearch as gs
    from posekit.data.posetrack import read_split
    from posekit.inference import Predictor
    from posekit.model import load_model

    if run_dir is None:
        run_dir = next((r for r in DEFAULT_RUNS if (r / "model" / "model.keras").exists()), DEFAULT_RUNS[0])
    model_dir = Path(run_dir) / "model"
    if not (model_dir / "model.keras").exists() or not Path(data_dir).exists():
        return [{"name": "grid search: not measured (run `make reproduce` first for a trained cpu model)",
                 "value": None, "unit": ""}]
    gt = read_split(data_dir, "val")
    grid = gs.default_grid_for_sequences(gt)
    model = load_model(model_dir)
    predictor = Predictor(model, config=model.config)
    cache = gs.build_cache(predictor, gt, min(grid.t_head))
    t0 = time.perf_counter()
    gs.score_grid(cache, gt, grid)
    sweep = time.perf_counter() - t0
    frames = sum(len(s.frames) for s in gt)
    return [
        {"name": f"network pass over the val split ({frames} frames, {Path(run_dir).name}'s cpu model)",
         "value": cache.network_seconds, "unit": "s"},
        {"name": f"grid sweep from the cache ({grid.size} combinations)", "value": sweep, "unit": "s",
         "reference": "network pass", "ratio": sweep / cache.network_seconds, "goal": "< 1"},
        {"name": "grid sweep per combination", "value": sweep / grid.size, "unit": "s"},
    ]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="run folder with model/ (default: cpu-synthetic, else cpu-reference)")
    ap.add_argument("--data", default=str(ROOT / "data" / "synthetic-default"))
    a = ap.parse_args()
    for f in run(a.run, a.data):
        print(f)
