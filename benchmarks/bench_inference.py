"""Inference and tracking speed (issue #6; paper §2, §3).

Run: `python -m benchmarks.bench_inference [--profiles paper,cpu] [--c2-profile cpu]`
(or as part of `python -m benchmarks`). Exposes `run() -> list[dict]` of figures
{name, value, unit, reference, ratio}.

What it measures (random weights: speed does not depend on them):
- frames/s of the whole `Predictor` (letterbox, component 1, head peaks, component 2 batched, decoding)
  on 1280×720 frames at the `paper` and `cpu` profiles, with exactly `HEADS_PER_FRAME` heads per frame
  (t_head = -1 and max_heads fix the number of heads, whatever the untrained head heatmap says), and the
  share of each stage; reference: component 1 alone on the same frames (ratio = pipeline / component 1
  frames/s, i.e. the fraction of the time left to component 1);
- component 2 for N = 1, 4, 8, 16 heads of one frame: the Predictor's path (`run_component2`: the part of
  the first convolution the heads share once, then one batched call) vs a loop of N single-head calls of the
  whole compiled component 2, measured interleaved in this run, fastest of >= 3 rounds each (ratio = loop
  time / batched time, > 1 means the Predictor's path wins);
- the tracker's time per frame with 2, 10 and 50 people (ratio to the 2-people time).
Timings on a CPU shared with other processes are noisy; the ratios within one run are the figures to read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from posekit.config import Thresholds, get_profile
from posekit.tracking import GeometricTracker

ROOT = Path(__file__).resolve().parents[1]

SOURCE_W, SOURCE_H = 1280, 720  # the most common PoseTrack 2017 frame size
HEADS_PER_FRAME = 4
MIN_SECONDS = 2.0  # repeat each measurement at least this long (after one warm-up call)


def _time(fn, min_seconds: float = MIN_SECONDS, min_repeats: int = 2) -> float:
    """Seconds per call of `fn` (one warm-up call, then repeated for at least `min_seconds`)."""
    fn()
    n, t0 = 0, time.perf_counter()
    while n < min_repeats or time.perf_counter() - t0 < min_seconds:
        fn()
        n += 1
    return (time.perf_counter() - t0) / n


def _time_pair(a, b, min_seconds: float = 1.0, min_rounds: int = 3) -> tuple[float, float]:
    """Fastest seconds per call of `a` and of `b`, measured interleaved (a, b, a, b, ...) after a warm-up of
    each, for at least `min_rounds` rounds and `min_seconds`: on a shared CPU, interleaving exposes both to
    the same load and the minimum is the least disturbed call."""
    a()
    b()
    ta, tb = [], []
    t_start = time.perf_counter()
    while len(ta) < min_rounds or time.perf_counter() - t_start < min_seconds:
        t0 = time.perf_counter()
        a()
        t1 = time.perf_counter()
        b()
        t2 = time.perf_counter()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
    return min(ta), min(tb)


def _frames(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (SOURCE_H, SOURCE_W, 3), dtype=np.uint8) for _ in range(n)]


def _predictor(profile: str, **kwargs):
    from posekit.inference import Predictor
    from posekit.model import build_model

    config = get_profile(profile)
    # Every frame gets exactly HEADS_PER_FRAME heads, every head a person (speed of the full path).
    thresholds = Thresholds(t_head=-1.0, t_head_dist=4.0, t_joint=-1.0, t_person=-1.0)
    return Predictor(build_model(config), thresholds, config, max_heads=HEADS_PER_FRAME, **kwargs), config


def bench_frames_per_second(profile: str, n_frames: int = 4, batch_size: int = 2) -> list[dict]:
    from posekit.inference import TIMING_KEYS

    predictor, _ = _predictor(profile, batch_size=batch_size, head_chunk=16)
    frames = _frames(n_frames)
    predictor.predict_frames(frames[:batch_size])  # warm-up (tracing, oneDNN primitives)
    predictor.timings = dict.fromkeys(TIMING_KEYS, 0.0)
    t0 = time.perf_counter()
    persons = predictor.predict_frames(frames)
    seconds = time.perf_counter() - t0
    assert all(len(p) == HEADS_PER_FRAME for p in persons)
    fps = n_frames / seconds
    # Component 1 alone on the same (prepared) frames.
    x, _ = predictor.prepare(frames[:batch_size])
    c1 = _time(lambda: [t.numpy() for t in predictor._component1(x)], min_seconds=0.0) / batch_size
    figures = [
        {"name": f"predictor frames/s ({profile}, {HEADS_PER_FRAME} heads/frame, batch {batch_size})",
         "value": fps, "unit": "frames/s", "reference": f"component 1 alone: {1 / c1:.3g} frames/s",
         "ratio": fps * c1},
    ]
    for key, value in predictor.timings.items():
        if key == "tracking":
            continue
        figures.append({"name": f"predictor share: {key} ({profile})", "value": 100 * value / seconds,
                        "unit": "%", "reference": f"{seconds:.2f} s for {n_frames} frames",
                        "ratio": value / seconds})
    return figures


def bench_component2(profile: str, heads: tuple[int, ...] = (1, 4, 8, 16)) -> list[dict]:
    """N heads of one frame: the Predictor's path (the shared part of the first convolution once per frame,
    then all heads in one batched call) vs N single calls of the whole component 2 (the paper's "once per
    person of interest", one call each). Both are compiled once; outputs are fetched to the host."""
    import tensorflow as tf
    predictor, config = _predictor(profile, head_chunk=max(heads))
    comp2 = predictor.model.component2
    net = predictor.run_network(_frames(1))
    h, w = config.network.heatmap_height, config.network.heatmap_width
    features, multi = tf.constant(net["features"]), tf.constant(net["multi_person_heatmaps"])

    @tf.function(reduce_retracing=True)
    def whole_component2(features, multi, masked_head):  # one head per call, no sharing
        return comp2([features, multi, masked_head], training=False) * multi

    figures = []
    for n in heads:
        masked = np.random.default_rng(n).uniform(0, 1, (n, h, w, 1)).astype(np.float32)
        index = np.zeros(n, np.int32)

        def batched(masked=masked, index=index):
            predictor.run_component2(features, multi, masked, index, final=True)

        def loop(n=n, masked=masked):
            for k in range(n):
                whole_component2(features, multi, masked[k : k + 1]).numpy()

        t_batched, t_loop = _time_pair(batched, loop)
        figures.append({"name": f"component 2, {n} heads batched, shared first-conv part ({profile})",
                        "value": 1000 * t_batched, "unit": "ms",
                        "reference": f"loop of {n} single-head calls: {1000 * t_loop:.1f} ms",
                        "ratio": t_loop / t_batched, "goal": ">= 3 at 8 heads" if n == 8 else ""})
    return figures


def _tracking_frames(n_people: int, n_frames: int, seed: int = 0) -> list[np.ndarray]:
    """People walking with noise, 10 % of joints missing: (n_people, 15, 3) per frame."""
    rng = np.random.default_rng(seed)
    start = rng.uniform([0, 0], [SOURCE_W, SOURCE_H], (n_people, 1, 2)) + rng.normal(0, 30, (n_people, 15, 2))
    velocity = rng.normal(0, 5, (n_people, 1, 2))
    frames = []
    for t in range(n_frames):
        xy = start + velocity * t + rng.normal(0, 2, (n_people, 15, 2))
        poses = np.concatenate([xy, np.ones((n_people, 15, 1))], axis=-1)
        poses[rng.random((n_people, 15)) < 0.1] = np.nan
        frames.append(poses[rng.permutation(n_people)])
    return frames


def bench_tracker(people: tuple[int, ...] = (2, 10, 50), n_frames: int = 200) -> list[dict]:
    th = Thresholds()
    per_frame = {}
    for n in people:
        frames = _tracking_frames(n, n_frames)

        def track(frames=frames):
            tracker = GeometricTracker(th.t_pose_dist, th.t_max_age)
            for poses in frames:
                tracker.update(poses)

        per_frame[n] = _time(track, min_seconds=1.0) / n_frames
    base = per_frame[people[0]]
    return [{"name": f"tracker per frame, {n} people", "value": 1000 * per_frame[n], "unit": "ms",
             "reference": f"{people[0]} people: {1000 * base:.3f} ms", "ratio": per_frame[n] / base}
            for n in people]


def run(profiles: tuple[str, ...] = ("paper", "cpu"),
        c2_profiles: tuple[str, ...] = ("cpu", "paper")) -> list[dict]:
    figures: list[dict] = []
    for profile in profiles:
        figures += bench_frames_per_second(profile)
    for profile in c2_profiles:
        figures += bench_component2(profile)
    figures += bench_tracker()
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", default="paper,cpu", help="profiles for frames/s (default: paper,cpu)")
    ap.add_argument("--c2-profiles", default="cpu,paper",
                    help="profiles for batched vs loop (default: cpu,paper)")
    args = ap.parse_args(argv)
    split = lambda s: tuple(p for p in s.split(",") if p)  # noqa: E731
    for f in run(split(args.profiles), split(args.c2_profiles)):
        ratio = f" (ratio {f['ratio']:.3g}; reference {f['reference']})" if f.get("ratio") is not None else ""
        print(f"{f['name']}: {f['value']:.4g} {f['unit']}{ratio}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
