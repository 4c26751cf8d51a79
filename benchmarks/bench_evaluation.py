"""Speed of `posekit evaluate` on a full split, against reading the files (issue 13 goals).

A split the size of the synthetic dataset's (70 sequences: 60 x 24 + 10 x 30 frames = 1,740 labelled
frames, 3 walking people per frame, ~5,200 GT persons) is generated in code with noisy tracked predictions
(pixel noise, dropped joints, spurious persons, identity changes) and written as PoseTrack 2018 files.

Figures (each the best of `repeats` runs, measured in this one run):
- `posekit evaluate` on the files, start-up included (a fresh `python -m posekit evaluate` process), in one
  process (`--workers 1`) and with its default workers (the CPUs), ÷ the seconds to parse the same JSON files
  with `json.load` in a fresh interpreter (goal <= 2: evaluating costs no more than reading);
- with `--poseval DIR` (a checkout of the official code, github.com/leonid-pishchulin/poseval, and a Python
  that can run it given by `--poseval-python`): the official evaluation on the same files ÷ `posekit
  evaluate` (goal >= 20);
- the MOT accumulation of the split, vectorised (`mot_counts`) ÷ frame by frame (`JointAccumulator`);
- `evaluate` per frame at 2, 10 and 50 people (in memory, from the schema).

Usage: python -m benchmarks.bench_evaluation [--poseval DIR --poseval-python PYTHON]
`run()` returns the figures ({name, value, unit, reference, ratio, goal}) for the benchmark suite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.timing import best_of
from posekit.commands.evaluate import default_workers
from posekit.data.schema import Frame, Person, Sequence
from posekit.evaluation import evaluate
from posekit.joints import NUM_JOINTS

ROOT = Path(__file__).resolve().parents[1]

#: Joint offsets (dx, dy) from the head-top position of a standing person, PoseTrack 2017 joint order.
_OFFSETS = np.array(
    [
        (-10, 200),
        (-10, 150),
        (-10, 100),
        (10, 100),
        (10, 150),
        (10, 200),
        (-30, 100),
        (-25, 70),
        (-15, 45),
        (15, 45),
        (25, 70),
        (30, 100),
        (0, 40),
        (0, 20),
        (0, 0),
    ],
    dtype=np.float64,
)


def synthetic_split(
    n_sequences: int = 50, n_frames: int | list[int] = 30, n_people: int = 6, seed: int = 0
) -> tuple[list[Sequence], list[Sequence]]:
    """GT and noisy predictions: people walking on a 1920x1080 frame, predictions with track ids.
    n_frames: frames per sequence, or one count per sequence."""
    rng = np.random.default_rng(seed)
    frames_per = [n_frames] * n_sequences if isinstance(n_frames, int) else list(n_frames)
    gts, preds = [], []
    for s in range(n_sequences):
        start = rng.uniform([50, 50], [1800, 800], size=(n_people, 2))
        velocity = rng.normal(0, 4, size=(n_people, 2))
        scale = rng.uniform(0.7, 1.3, size=n_people)
        next_id = 100
        pred_ids = list(range(n_people))
        seq_name = f"{s:06d}_mpii_test"
        gt_frames, pred_frames = [], []
        for f in range(frames_per[s]):
            gt_persons, pred_persons = [], []
            for k in range(n_people):
                origin = start[k] + velocity[k] * f
                joints = np.ones((NUM_JOINTS, 3))
                joints[:, :2] = origin + scale[k] * _OFFSETS
                joints[rng.random(NUM_JOINTS) < 0.1] = np.nan  # unannotated joints
                box = np.array([origin[0] - 15, origin[1] - 5, origin[0] + 15, origin[1] + 35]) * 1.0
                gt_persons.append(Person(joints=joints, head_box=box, track_id=k))
                if rng.random() < 0.02:  # an identity change of the prediction
                    pred_ids[k] = next_id
                    next_id += 1
                noisy = joints.copy()
                noisy[:, :2] += rng.normal(0, 6 * scale[k], size=(NUM_JOINTS, 2))
                noisy[rng.random(NUM_JOINTS) < 0.1] = np.nan
                scores = np.where(np.isnan(noisy[:, 0]), np.nan, rng.uniform(0.2, 1.0, NUM_JOINTS))
                pred_persons.append(Person(joints=noisy, track_id=pred_ids[k], scores=scores))
            if rng.random() < 0.3:  # a spurious person
                origin = rng.uniform([50, 50], [1800, 800])
                joints = np.ones((NUM_JOINTS, 3))
                joints[:, :2] = origin + _OFFSETS
                pred_persons.append(Person(joints=joints, track_id=900 + f, scores=rng.uniform(0, 0.5, 15)))
            name = f"images/val/{seq_name}/{f:06d}.jpg"
            gt_frames.append(Frame(image=name, persons=gt_persons))
            pred_frames.append(Frame(image=name, persons=pred_persons))
        gts.append(Sequence(seq_name, gt_frames))
        preds.append(Sequence(seq_name, pred_frames))
    return gts, preds


def full_split() -> tuple[list[Sequence], list[Sequence]]:
    """The issue's "full split" size: 70 sequences (60 x 24 + 10 x 30 frames), 3 people per frame."""
    return synthetic_split(n_sequences=70, n_frames=[24] * 60 + [30] * 10, n_people=3, seed=13)


def write_split(folder: Path) -> tuple[Path, Path]:
    from posekit.data.posetrack import write_folder

    gts, preds = full_split()
    write_folder(gts, folder / "gt", format="2018")
    write_folder(preds, folder / "pred", format="2018")
    return folder / "gt", folder / "pred"


_PARSE = """
import glob, json, sys, time
files = sorted(glob.glob(sys.argv[1] + "/*.json")) + sorted(glob.glob(sys.argv[2] + "/*.json"))
best = float("inf")
for run in range(4):  # a warm-up, then the best of 3
    t = time.perf_counter()
    for path in files:
        with open(path) as fh:
            json.load(fh)
    best = min(best, time.perf_counter() - t) if run else best
print(best)
"""


def parse_seconds(gt_dir: Path, pred_dir: Path) -> float:
    """Seconds to `json.load` every GT and prediction file (the floor of any evaluation of these files), in a
    fresh interpreter (start-up not counted): in this process the objects of the generated split would make
    the garbage collector traverse them during the parse (measured: 0.31 s here vs 0.18 s fresh)."""
    out = subprocess.run([sys.executable, "-c", _PARSE, str(gt_dir), str(pred_dir)], check=True,
                         capture_output=True, text=True).stdout
    return float(out.split()[-1])


def _timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def installed_env() -> dict[str, str]:
    """This environment without PYTHONDONTWRITEBYTECODE: posekit's modules are then imported from their cached
    bytecode, as an installed package's are (pip compiles a wheel's modules at install). Where that variable
    is set (these sessions' machines set it), every fresh process would otherwise compile posekit's ~33
    imported modules again: ~0.05 s of CPU that no user's start-up pays."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cli_seconds(gt_dir: Path, pred_dir: Path, repeats: int = 3, workers: int | None = None) -> float:
    """Seconds of a fresh `python -m posekit evaluate` process (interpreter start-up and imports included, the
    modules' bytecode cached as in an installed package: one untimed run first writes it); workers: its
    `--workers` (default: the CPUs)."""
    cmd = [sys.executable, "-m", "posekit", "evaluate", "--gt", str(gt_dir), "--pred", str(pred_dir)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    env = installed_env()
    _timed(cmd, ROOT, env)  # writes the bytecode caches
    return min(_timed(cmd, ROOT, env) for _ in range(repeats))


def poseval_seconds(poseval_dir: Path, python: str, gt_dir: Path, pred_dir: Path, out_dir: Path) -> float:
    """Seconds of the official evaluation (AP and MOT, `-e -t`) on the same files (one run)."""
    cmd = [python, "-m", "poseval.evaluate", "--groundTruth", f"{gt_dir}/", "--predictions", f"{pred_dir}/",
           "--evalPoseEstimation", "--evalPoseTracking", "--outputDir", str(out_dir)]
    return _timed(cmd, poseval_dir)


def run(repeats: int = 3, poseval: Path | None = None, poseval_python: str | None = None) -> list[dict]:
    """The figures of this benchmark (best of `repeats` runs each)."""
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        gt_dir, pred_dir = write_split(Path(tmp))
        parse = parse_seconds(gt_dir, pred_dir)
        one = cli_seconds(gt_dir, pred_dir, repeats, workers=1)
        cli = cli_seconds(gt_dir, pred_dir, repeats)
        figures.append({"name": "json.load of the full split's GT + prediction files (70 seq, 1,740 frames; "
                                "fresh interpreter, start-up not counted)", "value": parse, "unit": "s"})
        reference = "json.load of the same files"
        figures.append({"name": "posekit evaluate --workers 1 on the full split (fresh process, start-up "
                                "included)", "value": one, "unit": "s", "reference": reference,
                        "ratio": one / parse, "goal": "<= 2"})
        figures.append({"name": f"posekit evaluate on the full split (--workers {default_workers()}: the "
                                "CPUs)",
                        "value": cli, "unit": "s", "reference": reference, "ratio": cli / parse,
                        "goal": "<= 2"})
        if poseval is not None:
            official = poseval_seconds(poseval, poseval_python or sys.executable, gt_dir, pred_dir,
                                       Path(tmp) / "out")
            figures.append({"name": "official poseval (motmetrics 1.4.0) on the same files",
                            "value": official, "unit": "s", "reference": "posekit evaluate",
                            "ratio": official / cli, "goal": ">= 20"})
    figures.append(mot_accumulation_figure(repeats))
    base = None
    for people in (2, 10, 50):
        g, p = synthetic_split(n_sequences=1, n_frames=20, n_people=people, seed=people)
        t = best_of(lambda g=g, p=p: evaluate(g, p), repeats, warmup=1) / 20
        base = t if base is None else base
        figures.append({"name": f"evaluate: time per frame at {people} people", "value": 1000 * t,
                        "unit": "ms", "reference": "2 people per frame", "ratio": t / base})
    return figures


def mot_accumulation_figure(repeats: int = 3) -> dict:
    """The MOT accumulation of the full split (in memory, matching done): `mot_counts` with the official
    defaults (vectorised runs of uncontested frames) ÷ `JointAccumulator` frame by frame (the same counts)."""
    from posekit.evaluation.frames import gt_frames, match_frames, sequence_poses, stacked_prediction_frames
    from posekit.evaluation.mot import mot_accumulators, mot_counts, mot_inputs
    from posekit.evaluation.official import evaluated_frames

    gts, preds = full_split()
    prepared = []
    for g, p in zip(gts, preds):
        idx = evaluated_frames(g)
        gt = gt_frames(g, idx, g.name, tracking=True)
        pr = stacked_prediction_frames(gt, *sequence_poses([p.frames[f] for f in idx]), g.name)
        prepared.append((mot_inputs(gt, pr, match_frames(gt, pr), len(idx) - 1, "poseval"), gt.ids, pr.ids))
    vectorised = best_of(lambda: [mot_counts(*x) for x in prepared], repeats, warmup=1)
    by_frame = best_of(lambda: [[a.result() for a in mot_accumulators(*x)] for x in prepared], repeats,
                       warmup=1)
    return {"name": "MOT accumulation of the full split: vectorised (mot_counts) vs frame by frame "
                    "(JointAccumulator)", "value": vectorised, "unit": "s",
            "reference": f"frame by frame ({by_frame:.3g} s)", "ratio": vectorised / by_frame}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poseval", type=Path, help="a checkout of the official poseval (to time it too)")
    parser.add_argument("--poseval-python", help="the Python that runs poseval (shapely, click, motmetrics)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    for f in run(args.repeats, args.poseval, args.poseval_python):
        ratio = (f" (x{f['ratio']:.2f} of {f['reference']}; goal {f.get('goal', '-')})"
                 if f.get("ratio") is not None else "")
        print(f"{f['name']}: {f['value']:.4g} {f['unit']}{ratio}")


if __name__ == "__main__":
    main()
