"""Speed of `posekit.evaluation.evaluate` (issue #5 goal: well under 1 s per sequence on 2 cores).

A synthetic val split is generated in code: 50 sequences x 30 labelled frames x 6 walking people, with
noisy predictions (pixel noise, dropped joints, a spurious person now and then, occasional identity
changes). It prints the total time, the time per sequence, and the per-frame cost at 2, 10 and 50 people.

Usage: python -m benchmarks.bench_evaluation   or   python benchmarks/bench_evaluation.py
`run()` returns the figures ({name, value, unit, reference, ratio, goal}) for the benchmark suite.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from benchmarks.timing import best_of
from posekit.data.schema import Frame, Person, Sequence
from posekit.evaluation import evaluate
from posekit.joints import NUM_JOINTS

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
    n_sequences: int = 50, n_frames: int = 30, n_people: int = 6, seed: int = 0
) -> tuple[list[Sequence], list[Sequence]]:
    """GT and noisy predictions: people walking on a 1920x1080 frame, predictions with track ids."""
    rng = np.random.default_rng(seed)
    gts, preds = [], []
    for s in range(n_sequences):
        start = rng.uniform([50, 50], [1800, 800], size=(n_people, 2))
        velocity = rng.normal(0, 4, size=(n_people, 2))
        scale = rng.uniform(0.7, 1.3, size=n_people)
        next_id = 100
        pred_ids = list(range(n_people))
        gt_frames, pred_frames = [], []
        for f in range(n_frames):
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
            name = f"{s:06d}_mpii_test/{f:06d}.jpg"
            gt_frames.append(Frame(image=name, persons=gt_persons))
            pred_frames.append(Frame(image=name, persons=pred_persons))
        seq_name = f"{s:06d}_mpii_test"
        gts.append(Sequence(seq_name, gt_frames))
        preds.append(Sequence(seq_name, pred_frames))
    return gts, preds



def run(repeats: int = 3) -> list[dict]:
    """The figures of this benchmark (best of `repeats` runs each)."""
    n_seq = 50
    gts, preds = synthetic_split(n_sequences=n_seq)
    total = best_of(lambda: evaluate(gts, preds), repeats, warmup=0)
    per_seq = total / n_seq
    figures = [
        {"name": "evaluate synthetic val split (50 seq x 30 frames x 6 people)", "value": total, "unit": "s"},
        {
            "name": "evaluate: time per sequence (30 frames x 6 people)",
            "value": per_seq,
            "unit": "s",
            "reference": "issue #5 goal: 1 s per sequence",
            "ratio": per_seq / 1.0,
            "goal": "well under 1",
        },
    ]
    base = None
    for people in (2, 10, 50):
        g, p = synthetic_split(n_sequences=1, n_frames=20, n_people=people, seed=people)
        t = best_of(lambda g=g, p=p: evaluate(g, p), repeats, warmup=0) / 20
        base = t if base is None else base
        figures.append(
            {
                "name": f"evaluate: time per frame at {people} people",
                "value": 1000 * t,
                "unit": "ms",
                "reference": "2 people per frame",
                "ratio": t / base,
            }
        )
    return figures


def main() -> None:
    for f in run():
        ratio = f" (x{f['ratio']:.2f} of {f['reference']})" if f.get("ratio") is not None else ""
        print(f"{f['name']}: {f['value']:.4g} {f['unit']}{ratio}")


if __name__ == "__main__":
    main()
