"""The `cpu` recipe's ablation: one row per change of the training recipe, each trained from scratch on the
embedded synthetic data and scored by the §4 threshold grid search on its val split.

    .venv/bin/python -m scripts.ablation [--rows NAME ...] [--data data/synthetic-default]
        [--out results/ablation]

Each row is `posekit train --profile cpu --set ...` followed by `posekit gridsearch` (the same commands
`posekit reproduce` runs through its notebooks), so a row's Table 1 Total and MOTA are what `make reproduce`
would report with that recipe. Per row, `OUT/<row>/` keeps config.json, losses.csv (per-output losses,
gradient norms per component, the share of joints above t_joint: `posekit.train`) and thresholds.json;
`OUT/ablation.csv` and `OUT/ablation.md` collect the rows with the analytic training compute
(`posekit.model.training_flops`), the measured seconds per iteration and this machine's fp32 matmul GFLOP/s
(`benchmarks.bench_model.matmul_gflops`), so the times can be scaled to another CPU. A finished row is not
trained again (delete its folder to redo it). A row that differs from another only in its decoding
(`decoding.*`, an inference setting) can reuse that row's training: copy `OUT/runs/<row>/` without its `grid/`
to `OUT/runs/<new row>/`; `posekit train` finds the run finished and only the grid search runs.

A row may also change the training data: an override `synth.<field>=<int>` (a `SynthParams` field, e.g.
`synth.train_sequences=240`) trains on `<data>-<field><value>/`, generated on first use with that field
changed (seed 0, as the default `--data`). Every sequence's generator depends only on (seed, split, index), so
such a folder holds the default folder's val split byte for byte (and its first train sequences): the grid
search scores the same val split.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

#: The rows build on each other in this order; `final` is the `cpu` profile's recipe, the `no-*` rows leave
#: one of its changes out. Every row but `default-2x` and `c2f16-2x` (twice the budget, to show what it buys)
#: stays within the 70 TFLOP budget (iterations chosen so).
#: The previous `cpu` recipe, spelled out so every row is explicit whatever the profile's current values.
_OLD = ["network.first_block_filters=0", "train.lr_schedule=constant", "train.warmup_iterations=0",
        "train.multi_person_loss_weight=0.0", "train.heatmap_init_scale=1.0", "train.filtered_init=0.0",
        "network.num_filters=32", "augment.geometric_range=1.0", "decoding.subpixel=false",
        "decoding.flip_test=false", "network.component2_filters=0"]
_LR = [*_OLD, "train.learning_rate=0.001"]
_INIT = ["train.heatmap_init_scale=0.01", "train.filtered_init=0.5"]
_MULTI = ["train.multi_person_loss_weight=1.0"]
_COSINE = ["train.lr_schedule=cosine", "train.warmup_iterations=100"]
_K2 = ["train.batch_size=4", "train.persons_per_image=2", "train.iterations=2070"]
_B4 = ["train.batch_size=4", "train.persons_per_image=1", "train.iterations=1200"]
#: The ff8 row's recipe after the learning rate (the `cpu` profile's default except for the learning rate).
_FF8 = [*_INIT, *_MULTI, *_COSINE, "train.batch_size=4", "train.persons_per_image=2",
        "network.first_block_filters=8", "train.iterations=3750"]
#: A 320 x 192 input: the 640 x 360 synthetic frames at scale 0.5 (448 x 256: 0.7), 0.536x the pixels of every
#: layer, so 7,000 instead of 3,750 iterations fit the same 70 TFLOP.
_R320 = ["network.input_width=320", "network.input_height=192", "augment.translation_px=[-35.71,35.71]",
         "train.iterations=7000"]
#: The cpu default's decoding and augmentation (rows from `flip` on).
_FINAL_DECODING = ["augment.geometric_range=0.0", "decoding.subpixel=true", "decoding.flip_test=true"]
#: The start of every `c2f16` row's overrides: the `flip` recipe with component 2 at 16 channels.
_C2F16 = [*_LR, *_FF8[:-1], "network.component2_filters=16"]
ROWS: list[tuple[str, str, list[str]]] = [
    ("paper-recipe", "the paper's recipe at the cpu size: Adam at 0.00005, 4 images x 1 person, He init",
     [*_OLD, "train.learning_rate=0.00005", *_B4]),
    ("lr-0.001", "20x the paper's learning rate (the previous cpu recipe)", [*_LR, *_B4]),
    ("init", "+ small heatmap-layer init (0.01 x He) and filtered heatmaps starting at 0.5",
     [*_LR, *_B4, *_INIT]),
    ("multi-loss", "+ L2 loss on the multi-person heatmaps (weight 1)", [*_LR, *_B4, *_INIT, *_MULTI]),
    ("cosine", "+ cosine decay after 100 warm-up iterations", [*_LR, *_B4, *_INIT, *_MULTI, *_COSINE]),
    ("final", "+ 2 images x 2 persons per mini-batch (component 1 shared by 2 persons)",
     [*_LR, *_INIT, *_MULTI, *_COSINE, *_K2]),
    ("no-init", "final without the init change (He init, filtered heatmaps starting at 0)",
     [*_LR, *_MULTI, *_COSINE, *_K2]),
    ("ff8", "final with 8 filters in the first feature block (component 1: 4.1 -> 1.55 GFLOP), "
            "more iterations",
     [*_LR, *_INIT, *_MULTI, *_COSINE, "train.batch_size=4", "train.persons_per_image=2",
      "train.iterations=3750", "network.first_block_filters=8"]),
    ("ff8-lr2", "ff8 at twice the learning rate (0.002)",
     [*_OLD, "train.learning_rate=0.002", *_INIT, *_MULTI, *_COSINE, "train.batch_size=4",
      "train.persons_per_image=2", "train.iterations=3750", "network.first_block_filters=8"]),
    ("ff8-k4", "ff8 with 1 image x 4 persons per mini-batch",
     [*_LR, *_INIT, *_MULTI, *_COSINE, "train.batch_size=4", "train.persons_per_image=4",
      "train.iterations=5000", "network.first_block_filters=8"]),
    ("ff8-lr4", "ff8 at four times the learning rate (0.004)",
     [*_OLD, "train.learning_rate=0.004", *_FF8]),
    ("ff8-seed1", "ff8 with another seed (init, augmentation, persons of interest): the spread of a row",
     [*_LR, *_FF8, "train.seed=1"]),
    ("ff8-lr2-seed1", "ff8-lr2 with another seed",
     [*_OLD, "train.learning_rate=0.002", *_FF8, "train.seed=1"]),
    ("f24", "ff8 with 24 instead of 32 channels (11.3 instead of 18.6 GFLOP / iteration), more iterations",
     [*_LR, *_FF8[:-2], "network.num_filters=24", "train.iterations=6200", "network.first_block_filters=8"]),
    ("ff8-aug-half", "ff8 with half the paper's rotation and scale ranges (+-22.5 deg, 0.75-1.25)",
     [*_LR, *_FF8, "augment.rotation_deg=[-22.5,22.5]", "augment.scale=[0.75,1.25]"]),
    ("ff8-no-rot-scale", "ff8 without rotation and scaling (mirror, translation, intensity kept)",
     [*_LR, *_FF8, "augment.rotation_deg=[0,0]", "augment.scale=[1,1]"]),
    ("ff8-multi3", "ff8 with the multi-person loss weighted 3 (component 1 is the slow learner)",
     [*_LR, *_FF8, "train.multi_person_loss_weight=3.0"]),
    ("ff8-no-rot-scale-seed1", "ff8-no-rot-scale with another seed",
     [*_LR, *_FF8, "augment.rotation_deg=[0,0]", "augment.scale=[1,1]", "train.seed=1"]),
    ("f24-no-rot-scale", "f24 without rotation and scaling",
     [*_LR, *_FF8[:-2], "network.num_filters=24", "train.iterations=6200", "network.first_block_filters=8",
      "augment.rotation_deg=[0,0]", "augment.scale=[1,1]"]),
    ("f24-no-rot-scale-seed1", "f24-no-rot-scale with another seed",
     [*_LR, *_FF8[:-2], "network.num_filters=24", "train.iterations=6200", "network.first_block_filters=8",
      "augment.rotation_deg=[0,0]", "augment.scale=[1,1]", "train.seed=1"]),
    ("r320", "the cpu default (ff8-no-rot-scale) at a 320 x 192 input (0.54x the pixels, 7,000 iterations "
             "in the same 70 TFLOP; translation scaled with the width)",
     [*_LR, *_FF8[:-1], "augment.geometric_range=0.0", *_R320]),
    ("r320-seed1", "r320 with another seed",
     [*_LR, *_FF8[:-1], "augment.geometric_range=0.0", *_R320, "train.seed=1"]),
    ("r320-subpixel", "r320 decoded between heatmap pixels (decoding.subpixel; the same training as r320)",
     [*_LR, *_FF8[:-1], "augment.geometric_range=0.0", *_R320, "decoding.subpixel=true"]),
    ("r320-subpixel-seed1", "r320-seed1 decoded between heatmap pixels (the same training as r320-seed1)",
     [*_LR, *_FF8[:-1], "augment.geometric_range=0.0", *_R320, "train.seed=1", "decoding.subpixel=true"]),
    ("subpixel", "the cpu default (ff8-no-rot-scale) decoded between heatmap pixels (decoding.subpixel, "
                 "an inference change: the same training as ff8-no-rot-scale)",
     [*_LR, *_FF8, "augment.geometric_range=0.0", "decoding.subpixel=true"]),
    ("subpixel-seed1", "subpixel with another seed",
     [*_LR, *_FF8, "augment.geometric_range=0.0", "decoding.subpixel=true", "train.seed=1"]),
    ("subpixel-argmax", "the subpixel row's model decoded at the integer argmax (the same training): the "
                        "pair isolates the decoding",
     [*_LR, *_FF8, "augment.geometric_range=0.0", "decoding.subpixel=false"]),
    ("subpixel-argmax-seed1",
     "the subpixel-seed1 row's model decoded at the integer argmax (the same training)",
     [*_LR, *_FF8, "augment.geometric_range=0.0", "decoding.subpixel=false", "train.seed=1"]),
    ("flip", "subpixel with the flip test (decoding.flip_test, an inference change: both components also "
             "run on the mirrored frame, heatmaps averaged; the cpu default)",
     [*_LR, *_FF8, "augment.geometric_range=0.0", "decoding.subpixel=true", "decoding.flip_test=true"]),
    ("flip-seed1", "flip with another seed",
     [*_LR, *_FF8, "augment.geometric_range=0.0", "decoding.subpixel=true", "decoding.flip_test=true",
      "train.seed=1"]),
    ("flip-off", "the flip row's model without the flip test (the same training): the pair isolates it",
     [*_LR, *_FF8, "augment.geometric_range=0.0", "decoding.subpixel=true", "decoding.flip_test=false"]),
    ("flip-off-seed1", "the flip-seed1 row's model without the flip test (the same training)",
     [*_LR, *_FF8, "augment.geometric_range=0.0", "decoding.subpixel=true", "decoding.flip_test=false",
      "train.seed=1"]),
    ("f24-flip", "the cpu default (flip) with 24 instead of 32 channels, 6,200 iterations in the same 70 "
                 "TFLOP: the largest measured gain within the budget, with the final decoding",
     [*_LR, *_FF8[:-2], "network.num_filters=24", "train.iterations=6200", "network.first_block_filters=8",
      "augment.geometric_range=0.0", "decoding.subpixel=true", "decoding.flip_test=true"]),
    ("f24-flip-seed1", "f24-flip with another seed",
     [*_LR, *_FF8[:-2], "network.num_filters=24", "train.iterations=6200", "network.first_block_filters=8",
      "augment.geometric_range=0.0", "decoding.subpixel=true", "decoding.flip_test=true", "train.seed=1"]),
    ("c2f16", "the cpu default (flip) with 16 instead of 32 channels in component 2 (0.8 -> 0.2 GFLOP per "
              "person), 5,690 iterations in the same 70 TFLOP: compute moved to component 1",
     [*_C2F16, "train.iterations=5690",
      *_FINAL_DECODING]),
    ("c2f16-b4", "c2f16 with 4 images x 1 person per mini-batch (the plain reading of the paper's "
                 "mini-batch), 3,240 iterations",
     [*_C2F16, "train.batch_size=4", "train.persons_per_image=1",
      "train.iterations=3240", *_FINAL_DECODING]),
    ("c2f16-k1", "c2f16 with 2 images x 1 person per mini-batch, 6,480 iterations",
     [*_C2F16, "train.batch_size=2", "train.persons_per_image=1",
      "train.iterations=6480", *_FINAL_DECODING]),
    ("c2f16-seed1", "c2f16 with another seed",
     [*_C2F16, "train.iterations=5690",
      *_FINAL_DECODING, "train.seed=1"]),
    ("c2f16-k1-seed1", "c2f16-k1 with another seed",
     [*_C2F16, "train.batch_size=2", "train.persons_per_image=1",
      "train.iterations=6480", *_FINAL_DECODING, "train.seed=1"]),
    ("c2f16-lr2", "c2f16 at twice the peak learning rate (0.002, the same warm-up and cosine decay)",
     [*_C2F16, "train.iterations=5690", *_FINAL_DECODING,
      "train.learning_rate=0.002"]),
    ("c2f16-lr2-seed1", "c2f16-lr2 with another seed",
     [*_C2F16, "train.iterations=5690", *_FINAL_DECODING,
      "train.learning_rate=0.002", "train.seed=1"]),
    ("f24-c2f16", "c2f16 with 24 instead of 32 channels in component 1, 8,100 iterations in the same 70 "
                  "TFLOP",
     [*_LR, *_FF8[:-1], "network.num_filters=24", "network.component2_filters=16", "train.iterations=8100",
      *_FINAL_DECODING]),
    ("c2f8", "c2f16 with 8 channels in component 2 (0.05 GFLOP per person), 6,700 iterations in the same 70 "
             "TFLOP",
     [*_LR, *_FF8[:-1], "network.component2_filters=8", "train.iterations=6700", *_FINAL_DECODING]),
    ("c2f16-i1k2", "c2f16 with 1 image x 2 persons per mini-batch, 11,400 iterations in the same 70 TFLOP "
                   "(twice the optimiser steps, half the images per step)",
     [*_C2F16, "train.batch_size=2", "train.persons_per_image=2",
      "train.iterations=11400", *_FINAL_DECODING]),
    ("c2f16-i1k2-seed1", "c2f16-i1k2 with another seed",
     [*_C2F16, "train.batch_size=2", "train.persons_per_image=2",
      "train.iterations=11400", *_FINAL_DECODING, "train.seed=1"]),
    ("c2f16-r320", "c2f16 at a 320 x 192 input (0.54x the pixels), 10,650 iterations in the same 70 TFLOP "
                   "(translation scaled with the width)",
     [*_C2F16, *_R320[:-1], "train.iterations=10650",
      *_FINAL_DECODING]),
    ("c2f16-r320-seed1", "c2f16-r320 with another seed",
     [*_C2F16, *_R320[:-1], "train.iterations=10650",
      *_FINAL_DECODING, "train.seed=1"]),
    ("c2f16-r320-i1k2", "c2f16-r320 with 1 image x 2 persons per mini-batch (the two rows' changes "
                        "together), 21,200 iterations in the same 70 TFLOP",
     [*_C2F16, *_R320[:-1], "train.batch_size=2",
      "train.persons_per_image=2", "train.iterations=21200", *_FINAL_DECODING]),
    ("c2f16-r320-i1k2-seed1", "c2f16-r320-i1k2 with another seed",
     [*_C2F16, *_R320[:-1], "train.batch_size=2",
      "train.persons_per_image=2", "train.iterations=21200", *_FINAL_DECODING, "train.seed=1"]),
    ("c2f16-r320-i1k2-14k", "c2f16-r320-i1k2 at the default's training wall time: 14,000 iterations "
                            "(46 TFLOP; fp32 0.0454 vs 0.1115 s per iteration, 14,000 x 0.0454 = 5,690 x "
                            "0.1115 s)",
     [*_C2F16, *_R320[:-1], "train.batch_size=2",
      "train.persons_per_image=2", "train.iterations=14000", *_FINAL_DECODING]),
    ("c2f16-train240", "c2f16 trained on 240 instead of 60 train sequences (a larger draw of the same "
                       "generator; the val split unchanged): does more data help within 70 TFLOP?",
     [*_C2F16, "train.iterations=5690", *_FINAL_DECODING,
      "synth.train_sequences=240"]),
    ("c2f16-train240-seed1", "c2f16-train240 with another seed",
     [*_C2F16, "train.iterations=5690", *_FINAL_DECODING,
      "synth.train_sequences=240", "train.seed=1"]),
    ("default-2x", "the cpu default (ff8-no-rot-scale) at twice the iterations (7,500; 140 TFLOP, over "
                   "budget): how the tables grow with compute",
     [*_LR, *_FF8, "augment.geometric_range=0.0", "train.iterations=7500"]),
    ("c2f16-2x", "the cpu default (c2f16) at twice the iterations (11,380; 139 TFLOP, over budget): what "
                 "twice the default's training time buys",
     [*_C2F16, "train.iterations=11380", *_FINAL_DECODING]),
    ("c2f16-2x-seed1", "c2f16-2x with another seed",
     [*_C2F16, "train.iterations=11380", *_FINAL_DECODING,
      "train.seed=1"]),
]

def _run(cmd: list[str], log: Path) -> float:
    tic = time.perf_counter()
    with open(log, "a") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed (exit {proc.returncode}); see {log}")
    return time.perf_counter() - tic


def split_synth(overrides: list[str]) -> tuple[list[str], dict[str, int]]:
    """A row's overrides split into config overrides and its `synth.<field>=<int>` data parameters."""
    synth = {}
    for o in overrides:
        if o.startswith("synth."):
            key, _, value = o[len("synth."):].partition("=")
            try:
                synth[key] = int(value)
            except ValueError:
                sys.exit(f"ablation row override {o!r}: synth.<field> takes an integer")
    return [o for o in overrides if not o.startswith("synth.")], synth


def run_row(name: str, overrides: list[str], data: Path, out: Path, extra: list[str]) -> dict:
    from posekit.config import apply_overrides, get_profile
    from posekit.model import training_flops

    overrides, synth = split_synth(overrides)
    if synth:
        from posekit.data.synthetic import ensure_dataset, preset_params

        data = data.parent / (data.name + "".join(f"-{k}{v}" for k, v in sorted(synth.items())))
        ensure_dataset(data, params=preset_params("default", **synth), progress=False)
    row_dir = out / name
    run_dir = out / "runs" / name  # model and checkpoints (ignored by git)
    row_dir.mkdir(parents=True, exist_ok=True)
    sets = [a for o in overrides + extra for a in ("--set", o)]
    bin_dir = Path(sys.executable).parent
    log = row_dir / "log.txt"
    if not (row_dir / "thresholds.json").exists():
        _run([str(bin_dir / "posekit"), "train", "--profile", "cpu", "--data", str(data),
              "--out", str(run_dir), *sets], log)
        _run([str(bin_dir / "posekit"), "gridsearch", "--model", str(run_dir), "--data", str(data),
              "--out", str(run_dir / "grid"), "--quiet"], log)
        for f in ("config.json", "losses.csv"):
            shutil.copy(run_dir / f, row_dir / f)
        shutil.copy(run_dir / "grid" / "thresholds.json", row_dir / "thresholds.json")
    config = apply_overrides(get_profile("cpu"), overrides + extra)
    th = json.loads((row_dir / "thresholds.json").read_text())
    with open(row_dir / "losses.csv") as fh:
        rows = list(csv.DictReader(fh))
    last = rows[-1]
    seconds = float(last["seconds"])
    return {
        "row": name, "precision": config.train.precision, "iterations": config.train.iterations,
        "training_TFLOP": round(training_flops(config) / 1e12, 1),
        "s_per_iteration": round(seconds / config.train.iterations, 4),
        "pose_loss_end": round(sum(float(r["pose_loss"]) for r in rows[-4:]) / len(rows[-4:]), 2),
        "joints_found_end": round(float(last["joints_found"]), 3),
        "Total_mAP": round(th["mAP"], 1), "MOTA": round(th["MOTA"], 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", nargs="*", help="rows to run (default: all): " + ", ".join(r[0] for r in ROWS))
    p.add_argument("--data", type=Path, default=Path("data/synthetic-default"))
    p.add_argument("--out", type=Path, default=Path("results/ablation"))
    p.add_argument("--set", dest="extra", action="append", default=[],
                   help="an override added to every row, e.g. train.precision=bf16")
    args = p.parse_args(argv)
    from posekit.quiet import import_tensorflow

    import_tensorflow()  # without its start-up log lines (benchmarks.bench_model imports it)
    from benchmarks.bench_model import matmul_gflops
    from posekit.data.synthetic import ensure_dataset

    ensure_dataset(args.data, progress=False)
    wanted = args.rows or [r[0] for r in ROWS]
    unknown = set(wanted) - {r[0] for r in ROWS}
    if unknown:
        p.error(f"unknown rows: {', '.join(sorted(unknown))}")
    gflops = matmul_gflops()
    table_path = args.out / "ablation.csv"
    done = {}
    if table_path.exists():
        with open(table_path) as fh:
            done = {r["row"]: r for r in csv.DictReader(fh)}
    for name, what, overrides in ROWS:
        if name not in wanted:
            continue
        print(f"[ablation] {name}: {what}", flush=True)
        result = run_row(name, overrides, args.data, args.out, args.extra)
        result.update(what=what, overrides=" ".join(overrides + args.extra),
                      matmul_GFLOPs=round(gflops), cpu=os.uname().machine)
        done[name] = result
        print(f"[ablation] {result}", flush=True)
        fields = list(result)
        tmp = table_path.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            w.writerows(done[r[0]] for r in ROWS if r[0] in done)
        os.replace(tmp, table_path)
        write_markdown([done[r[0]] for r in ROWS if r[0] in done], args.out / "ablation.md")
    plot_curves(args.out, [r[0] for r in ROWS if r[0] in done], args.extra)
    return 0


def plot_curves(out: Path, names: list[str], extra: list[str]) -> None:
    """OUT/ablation_curves.png: per row, the pose loss, the multi-person L2 and the share of joints above
    t_joint against the training compute spent so far (TFLOP), so rows of different cost compare fairly."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from posekit.config import apply_overrides, get_profile
    from posekit.model import training_flops

    overrides = {r[0]: r[2] for r in ROWS}
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2))
    colours = plt.get_cmap("tab20").colors
    for k, name in enumerate(names):
        path = out / name / "losses.csv"
        if not path.exists():
            continue
        df = pd.read_csv(path)
        cfg = apply_overrides(get_profile("cpu"), split_synth(overrides[name])[0] + extra)
        per_it = training_flops(cfg) / 1e12 / cfg.train.iterations
        x = df["iteration"] * per_it
        style = {"color": colours[k % 20], "linestyle": ("-", "--", ":")[k // 20 % 3], "linewidth": 1.2}
        for ax, column in zip(axes, ("pose_loss", "multi_l2", "joints_found")):
            ax.plot(x, df[column].rolling(8, min_periods=1).median(), label=name, **style)
    for ax, title in zip(axes, ("pose loss (single-person L2; 94 = all-zero; log)",
                                "multi-person heatmap L2 vs its target (log)",
                                "share of annotated joints with single-person peak ≥ t_joint")):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("training compute so far (TFLOP)")
        ax.grid(alpha=0.3)
    for ax in axes[:2]:
        ax.set_yscale("log")  # the first iterations' spikes (He init) would flatten everything else
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=min(len(names), 7), fontsize=8)
    fig.suptitle("cpu recipe ablation on the synthetic data (scripts/ablation.py; "
                 "rolling median of 8 log rows)")
    fig.tight_layout(rect=(0, 0.04 + 0.035 * ((len(names) + 6) // 7), 1, 1))
    fig.savefig(out / "ablation_curves.png", dpi=90)
    plt.close(fig)


def write_markdown(rows: list[dict], path: Path) -> None:
    """The ablation table as Markdown (the copy in docs/ablation.md comes from here)."""
    lines = [
        "| row | change | precision | training TFLOP | s / iteration | fp32 matmul GFLOP/s | pose loss (end) "
        "| joints ≥ t_joint (end) | Table 1 Total | MOTA |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['row']} | {r['what']} | {r['precision']} | {float(r['training_TFLOP']):.1f} | "
            f"{float(r['s_per_iteration']):.3f} | {r['matmul_GFLOPs']} | {float(r['pose_loss_end']):.1f} | "
            f"{float(r['joints_found_end']):.2f} | {float(r['Total_mAP']):.1f} | {float(r['MOTA']):.1f} |"
        )
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
