"""How the `cpu` recipe's tables grow with training compute: Table 1 Total and MOTA against the analytic
training TFLOP of every committed run of the `cpu` default recipe (the same recipe, only the iterations
differ).

    .venv/bin/python -m scripts.compute_scaling [--runs results/cpu-synthetic ...]
        [--out results/ablation-bf16]

Points come from two kinds of committed folders, nothing is typed in by hand:
- run folders written by `posekit reproduce` (config.json, tables/table1.csv, tables/table2.csv);
- rows of `scripts/ablation.py` (its ablation.csv: Total_mAP, MOTA, training_TFLOP), the default recipe's
  rows.
The compute is `posekit.model.training_flops` of the run's config (forward + backward ≈ 3 × forward).
Each point carries its decoding: `argmax` (the paper's integer maximum), `subpixel` (`decoding.subpixel`) or
`subpixel+flip` (with `decoding.flip_test` too: the `cpu` profile's since it was added); they are fitted and
drawn apart (filled / hollow / half-filled markers), so a change of the decoding does not pass for a change of
the compute.

Writes OUT/compute_scaling.csv (one row per point) and OUT/compute_scaling.png (both tables against TFLOP on a
log axis, the issue-16 goals as dashed lines, the 70 TFLOP budget as a vertical line, and a least-squares line
of each metric against log2(TFLOP) with the compute at which that line would reach each goal). The line is a
description of these points, not a law: it is printed with its fit so a reader can judge it.
"""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

import numpy as np

#: The rows of scripts/ablation.py trained with a `cpu` default recipe (only seed / iterations differ): the
#: recipe until component 2 got its own width (`c2f32`) and the one since (`c2f16`).
DEFAULT_RECIPE_ROWS = ("ff8-no-rot-scale", "ff8-no-rot-scale-seed1", "default-2x", "subpixel",
                       "subpixel-seed1", "flip", "flip-seed1", "flip-off", "flip-off-seed1",
                       "c2f16", "c2f16-seed1", "c2f16-2x", "c2f16-2x-seed1")
#: The two default recipes, told apart by component 2's width (`network.component2_filters`): `c2f32`
#: (component 2 as wide as component 1, 32 channels; the `cpu` profile until it set 16) and `c2f16`.
RECIPES = ("c2f32", "c2f16")
DECODINGS = ("argmax", "subpixel", "flip", "subpixel+flip")
#: Issue 16's goals: the default at <= 70 TFLOP, and the reference.
BUDGET_TFLOP = 70.0
GOALS = {"Total": (70.0, 85.0), "MOTA": (50.0, 65.0)}


def run_point(run: Path) -> dict:
    """One committed `posekit reproduce` folder as a point (label, precision, decoding, iterations, TFLOP,
    Total, MOTA)."""
    from posekit.config import load_config
    from posekit.model import training_flops

    for f in ("tables/table1.csv", "tables/table2.csv"):
        if not (run / f).is_file():
            raise SystemExit(f"compute_scaling: {run / f}: missing (not a finished posekit reproduce folder)")
    config = load_config(run / "config.json", saved=True)
    with open(run / "tables" / "table1.csv") as fh:
        t1 = next(csv.DictReader(fh))
    with open(run / "tables" / "table2.csv") as fh:
        t2 = next(csv.DictReader(fh))
    return {"point": run.name, "source": str(run), "precision": config.train.precision,
            "recipe": f"c2f{config.network.single_person_filters}",
            "decoding": decoding_of(config.decoding.subpixel, config.decoding.flip_test),
            "iterations": config.train.iterations, "training_TFLOP": round(training_flops(config) / 1e12, 1),
            "Total": round(float(t1["Total"]), 1), "MOTA": round(float(t2["MOTA Total"]), 1)}


def decoding_of(subpixel: bool, flip_test: bool) -> str:
    """The point's decoding label (`DECODINGS`)."""
    if flip_test:
        return "subpixel+flip" if subpixel else "flip"
    return "subpixel" if subpixel else "argmax"


def _decoding(overrides: str) -> str:
    """The decoding of an ablation row from the last `decoding.subpixel=` / `decoding.flip_test=` of its
    overrides (rows written before a field existed decoded without it)."""
    def last(key: str) -> bool:
        values = [o.split("=", 1)[1].lower() for o in overrides.split() if o.startswith(f"decoding.{key}=")]
        return bool(values) and values[-1] in ("true", "1")

    return decoding_of(last("subpixel"), last("flip_test"))


def _recipe(overrides: str) -> str:
    """The recipe of an ablation row from its last `network.component2_filters=` (rows without it: c2f32)."""
    values = [o.split("=", 1)[1] for o in overrides.split() if o.startswith("network.component2_filters=")]
    width = int(values[-1]) if values else 0
    return f"c2f{width}" if width > 0 else "c2f32"


def ablation_points(table: Path, rows: tuple[str, ...] = DEFAULT_RECIPE_ROWS) -> list[dict]:
    """The default recipe's rows of an ablation.csv as points (decoding from the row's overrides: rows written
    before `decoding.subpixel` existed decoded at the integer argmax)."""
    if not table.exists():
        return []
    with open(table) as fh:
        found = {r["row"]: r for r in csv.DictReader(fh)}
    return [{"point": name, "source": f"{table}:{name}", "precision": found[name]["precision"],
             "recipe": _recipe(found[name].get("overrides", "")),
             "decoding": _decoding(found[name].get("overrides", "")),
             "iterations": int(found[name]["iterations"]),
             "training_TFLOP": float(found[name]["training_TFLOP"]),
             "Total": float(found[name]["Total_mAP"]), "MOTA": float(found[name]["MOTA"])}
            for name in rows if name in found]


def log_fit(tflop: np.ndarray, value: np.ndarray) -> tuple[float, float]:
    """Least squares value ≈ a + b · log2(TFLOP): (a, b); b is the gain per doubling of the compute."""
    b, a = np.polyfit(np.log2(tflop), value, 1)
    return float(a), float(b)


def tflop_for(goal: float, a: float, b: float) -> float:
    """The compute at which the fitted line reaches `goal` (inf when the line does not rise)."""
    return float(2.0 ** ((goal - a) / b)) if b > 0 else float("inf")


def _labelled(point: dict) -> bool:
    """Points named in the figure: the reproduce runs and the current recipe's ablation rows (the other rows
    are named in compute_scaling.csv; at 70 TFLOP their labels would not fit)."""
    return ":" not in point["source"] or point["recipe"] == RECIPES[-1]


def plot(points: list[dict], path: Path) -> list[str]:
    """The figure; returns the fit lines it prints in its legend (also printed by main)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.array([p["training_TFLOP"] for p in points])
    fig, axes = plt.subplots(1, 2, figsize=(11, 6.2))
    lines = []
    grid = np.geomspace(min(x.min(), 50) * 0.8, max(x.max(), 2000) * 1.2, 100)
    colours = {("Total", "c2f32"): "tab:blue", ("MOTA", "c2f32"): "tab:red",
               ("Total", "c2f16"): "tab:green", ("MOTA", "c2f16"): "tab:purple"}
    for ax, metric in zip(axes, ("Total", "MOTA")):
        for recipe, decoding in [(r, d) for r in RECIPES for d in DECODINGS]:
            group = [p for p in points if p["decoding"] == decoding and p["recipe"] == recipe]
            if not group:
                continue
            colour = colours[(metric, recipe)]
            series = f"{recipe} {decoding}"
            gx = np.array([p["training_TFLOP"] for p in group])
            gy = np.array([p[metric] for p in group])
            if len(set(gx)) >= 2:  # a line needs two computes
                a, b = log_fit(gx, gy)
                ax.plot(grid, a + b * np.log2(grid), color=colour, alpha=0.6,
                        lw=1.6 if recipe == RECIPES[-1] else 1,
                        ls={"argmax": "-", "subpixel": "--"}.get(decoding, ":"),
                        label=f"{series}: {a:.1f} + {b:.1f} · log2(TFLOP)")
                lines.append(f"{metric} ({series}) ≈ {a:.1f} + {b:.1f} · log2(TFLOP) "
                             f"over {len(group)} points")
                for goal in GOALS[metric]:
                    need = tflop_for(goal, a, b)
                    lines.append(f"{metric} {goal:g} ({series}): the fit reaches it at ~{need:,.0f} TFLOP")
            for p in group:
                marker = "o" if ":" in p["source"] else "s"  # ablation rows are "<csv>:<row>"
                ax.plot(p["training_TFLOP"], p[metric], marker, color=colour, ms=6,
                        mfc=colour if decoding == "argmax" else "white",
                        fillstyle="left" if decoding == "subpixel+flip" else "full")
                if not _labelled(p):
                    continue
                # labels of points at the same compute: a column beside them, in the order of their values,
                # centred on the group's mean, each joined to its point by a thin line
                same = sorted((q[metric], q["point"]) for q in points
                              if q["training_TFLOP"] == p["training_TFLOP"] and _labelled(q))
                rank = same.index((p[metric], p["point"])) - (len(same) - 1) / 2
                centre = float(np.mean([v for v, _ in same]))
                # the current recipe's longer runs: labelled above-left, stacked, clear of the old labels
                longer = sorted((q["training_TFLOP"], q[metric]) for q in group
                                if q["training_TFLOP"] > 1.5 * BUDGET_TFLOP) if recipe == RECIPES[-1] else []
                above = (p["training_TFLOP"], p[metric]) in longer
                xytext = ((p["training_TFLOP"] * 0.8, max(v for _, v in longer) + 4
                           + 3.5 * longer.index((p["training_TFLOP"], p[metric]))) if above
                          else (p["training_TFLOP"] * 1.35, centre + 3.2 * rank))
                ax.annotate(f"{p['point']} ({p['iterations']:,} it)", (p["training_TFLOP"], p[metric]),
                            xytext=xytext, fontsize=6.5, va="center", ha="right" if above else "left",
                            arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "gray"})
        for goal, name in zip(GOALS[metric], ("default goal", "reference goal")):
            ax.axhline(goal, color="gray", ls="--", lw=0.8)
            ax.annotate(f"{name} {goal:g}", (grid[0], goal), textcoords="offset points", xytext=(2, 3),
                        fontsize=7, color="gray")
        ax.axvline(BUDGET_TFLOP, color="black", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("training compute (TFLOP, analytic; dotted: the 70 TFLOP budget)")
        ax.set_ylabel(f"{'Table 1 Total (AP)' if metric == 'Total' else 'Table 2 MOTA Total'}")
        ax.grid(alpha=0.3, which="both")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7)
    fig.suptitle("the cpu default recipes at more iterations, synthetic val split (blue/red: component 2 "
                 "at 32 channels, green/purple: at 16;\nsquares: reproduce runs, circles: ablation rows "
                 "(those of the old recipe named in compute_scaling.csv); filled: integer-argmax decoding,\n"
                 "hollow: decoding.subpixel, half: + decoding.flip_test; scripts/compute_scaling.py)",
                 fontsize=9)
    fig.tight_layout()
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, path)
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", nargs="*", type=Path,
                   default=[Path("results/cpu-synthetic"), Path("results/ablation-bf16/default-c2f32"),
                            Path("results/ablation-bf16/default-argmax"),
                            Path("results/ablation-bf16/reference-25k"),
                            Path("results/ablation-bf16/reference-50k-argmax"),
                            Path("results/ablation-bf16/default-noflip"),
                            Path("results/ablation-bf16/reference-50k-noflip"),
                            Path("results/ablation-bf16/reference-c2f32-50k"),
                            Path("results/ablation-bf16/reference-c2f16-40k"),
                            Path("results/ablation-bf16/reference-60seq-60k")],
                   help="posekit reproduce folders of the cpu default recipe on the default's 60 train "
                        "sequences (not results/cpu-reference: it trained on 240)")
    p.add_argument("--out", type=Path, default=Path("results/ablation-bf16"),
                   help="folder with ablation.csv; compute_scaling.csv/.png are written here")
    args = p.parse_args(argv)
    from posekit.quiet import import_tensorflow

    import_tensorflow()  # model_summary builds the Keras model; without TensorFlow's start-up log lines
    points = []
    for q in [run_point(r) for r in args.runs if (r / "config.json").exists()] + ablation_points(
            args.out / "ablation.csv"):
        # a run committed twice (a copy) counts once
        key = (q["iterations"], q["recipe"], q["decoding"], q["Total"], q["MOTA"])
        if key not in {(o["iterations"], o["recipe"], o["decoding"], o["Total"], o["MOTA"]) for o in points}:
            points.append(q)
    points.sort(key=lambda q: q["training_TFLOP"])
    if not any(len({q["training_TFLOP"] for q in points if q["decoding"] == d and q["recipe"] == r}) >= 2
               for r in RECIPES for d in DECODINGS):
        p.error("no recipe and decoding with points at two computes: nothing to fit")
    tmp = args.out / "compute_scaling.csv.tmp"
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(points[0]))
        w.writeheader()
        w.writerows(points)
    os.replace(tmp, args.out / "compute_scaling.csv")
    for q in points:
        print(f"{q['point']:<26} {q['precision']:<5} {q['recipe']:<5} {q['decoding']:<13} "
              f"{q['iterations']:>7,} it "
              f"{q['training_TFLOP']:>7.1f} TFLOP  "
              f"Total {q['Total']:5.1f}  MOTA {q['MOTA']:5.1f}")
    for line in plot(points, args.out / "compute_scaling.png"):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
