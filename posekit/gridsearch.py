"""The threshold grid search of paper §4 over cached network outputs.

Paper §4: "We obtained values of the parameters defined in Sec. 2 and 3 with grid search and set them
as follows: t_head = 0.2; t_head_dist = 4; t_joint = 0.3; t_person = 3; t_pose_dist = 200;
t_max_age = 10." The paper gives neither the grid nor the objective; posekit's choices are below.

The network runs **once** over the validation frames (`build_cache`). For every frame the cache keeps
the head heatmap and, for every head *candidate* — every local maximum with value ≥ the loosest
`t_head` of the grid, with no distance suppression — the result of component 2 decoded without
thresholds: each joint's argmax position (image px) and value. Every threshold combination is then
scored from the cache (`score_grid`) with the very functions inference uses:

- heads: `decoding.find_head_peaks(head_heatmap, t_head, t_head_dist)` on the cached heatmap; its peaks
  are a subset of the candidates (a peak is a local maximum ≥ t_head ≥ the loosest t_head), so their
  component-2 outputs are looked up, not recomputed;
- joints and persons: `decoding.apply_joint_thresholds` (t_joint, t_person);
- tracking: `tracking.track_sequence` (t_pose_dist, t_max_age);
- scores: `evaluation.evaluate` (Table 1 mAP and Table 2 MOTA).

Not in the paper: the objective. The default ranks combinations by mAP + MOTA (both in %), since the
paper reports both tables with one set of thresholds; `objective="map"` or `"mota"` ranks by one alone.
Not in the paper: the default grid (`GridSpec`): values around the paper's, with `t_pose_dist` in image
pixels scaled to the frame size (the paper's 200 px are for PoseTrack's ~1280-px-wide frames).
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from posekit.config import Thresholds, save_thresholds
from posekit.data.schema import Frame, Sequence
from posekit.decoding import apply_joint_thresholds, find_head_peaks, to_person
from posekit.errors import ConfigError, DataError
from posekit.evaluation.sweep import SweepEvaluator
from posekit.fileio import atomic_write_bytes, atomic_write_text
from posekit.imageio import read_image
from posekit.tracking import track_sequence

THRESHOLD_NAMES = ("t_head", "t_head_dist", "t_joint", "t_person", "t_pose_dist", "t_max_age")
OBJECTIVES = ("sum", "map", "mota")


def _around(name: str, factors: tuple[float, ...]) -> tuple[float, ...]:
    """The paper's value of threshold `name` (posekit.config.Thresholds) times each factor."""
    return tuple(round(getattr(Thresholds(), name) * f, 6) for f in factors)


#: Not in the paper: the frame width the paper's t_pose_dist = 200 px refers to (PoseTrack videos are mostly
#: 1280 px wide); `default_grid_for` scales the t_pose_dist values to other frame widths.
PAPER_FRAME_WIDTH: float = 1280.0


@dataclass(frozen=True)
class GridSpec:
    """The values tried for each threshold (paper §2, §3). Defaults include the paper's values.

    Not in the paper: the grid. 324 combinations by default (3·2·3·3·3·2) — each value of the paper's
    §4 setting and one or two neighbours. At the `cpu` profile the sweep over them costs less than the
    single network pass over the validation frames (benchmarks/bench_gridsearch.py).
    """

    t_head: tuple[float, ...] = _around("t_head", (0.5, 1.0, 1.5))  # 0.1, 0.2, 0.3
    t_head_dist: tuple[float, ...] = _around("t_head_dist", (0.5, 1.0))  # 2, 4 heatmap px
    t_joint: tuple[float, ...] = _around("t_joint", (1 / 3, 2 / 3, 1.0))  # 0.1, 0.2, 0.3
    t_person: tuple[float, ...] = _around("t_person", (1 / 3, 2 / 3, 1.0))  # 1, 2, 3
    t_pose_dist: tuple[float, ...] = _around("t_pose_dist", (0.5, 1.0, 2.0))  # 100, 200, 400 px at ~1280 px
    t_max_age: tuple[int, ...] = tuple(int(v) for v in _around("t_max_age", (0.5, 1.0)))  # 5, 10 frames

    @property
    def size(self) -> int:
        return int(np.prod([len(getattr(self, n)) for n in THRESHOLD_NAMES]))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GridSpec:
        unknown = set(data) - set(THRESHOLD_NAMES)
        if unknown:
            raise ConfigError(f"unknown grid thresholds {sorted(unknown)}; "
                              f"known: {', '.join(THRESHOLD_NAMES)}")
        values = {}
        for k, v in data.items():
            seq = v if isinstance(v, (list, tuple)) else [v]
            if not seq:
                raise ConfigError(f"grid for {k} is empty")
            values[k] = tuple(int(x) if k == "t_max_age" else float(x) for x in seq)
        return dataclasses.replace(cls(), **values)

    @classmethod
    def parse(cls, items: list[str]) -> GridSpec:
        """From CLI strings `t_head=0.1,0.2`."""
        data = {}
        for item in items:
            if "=" not in item:
                raise ConfigError(f"grid item {item!r} must look like t_head=0.1,0.2")
            k, v = item.split("=", 1)
            try:
                data[k.strip()] = [float(x) for x in v.split(",") if x.strip()]
            except ValueError:
                raise ConfigError(f"grid item {item!r}: values must be numbers") from None
        return cls.from_dict(data)


# ---------------------------------------------------------------------------------------------
# The cache


@dataclass
class FrameCache:
    """One frame's network outputs, as far as the thresholds need them.

    head_heatmap: (h, w) float32 multi-person head heatmap.
    cand_xy:      (K, 2) int heatmap x, y of the head candidates.
    joints:       (K, 15, 3) float64 image x, y and heatmap value of each joint's maximum (no thresholds).
    """

    head_heatmap: np.ndarray
    cand_xy: np.ndarray
    joints: np.ndarray


@dataclass
class SequenceCache:
    name: str
    frames: list[FrameCache]  # every frame of the sequence, in order


@dataclass
class GridCache:
    """The network outputs for a list of sequences, plus how long the single network pass took."""

    sequences: list[SequenceCache]
    t_head_min: float
    max_heads: int | None
    network_seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def save(self, path: str | Path) -> None:
        """One compressed .npz (written atomically)."""

        arrays: dict[str, np.ndarray] = {}
        for s, seq in enumerate(self.sequences):
            for f, fc in enumerate(seq.frames):
                arrays[f"{s}/{f}/head"] = fc.head_heatmap
                arrays[f"{s}/{f}/cand"] = fc.cand_xy
                arrays[f"{s}/{f}/joints"] = fc.joints
        arrays["meta"] = np.frombuffer(json.dumps({
            "names": [s.name for s in self.sequences], "n_frames": [len(s.frames) for s in self.sequences],
            "t_head_min": self.t_head_min, "max_heads": self.max_heads,
            "network_seconds": self.network_seconds, "meta": self.meta}).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> GridCache:
        try:
            data = np.load(path)
            meta = json.loads(bytes(data["meta"]).decode())
            seqs = []
            for s, (name, n) in enumerate(zip(meta["names"], meta["n_frames"])):
                frames = [FrameCache(data[f"{s}/{f}/head"], data[f"{s}/{f}/cand"], data[f"{s}/{f}/joints"])
                          for f in range(n)]
                seqs.append(SequenceCache(name, frames))
            return cls(seqs, meta["t_head_min"], meta["max_heads"], meta["network_seconds"],
                       meta.get("meta", {}))
        except (OSError, KeyError, ValueError, EOFError, TypeError, zipfile.BadZipFile) as err:
            raise DataError(path, f"not a readable grid-search cache ({type(err).__name__}: {err})") from None

    def check_matches(self, gt: list[Sequence], where: str | Path = "grid-search cache") -> None:
        """DataError unless the cache holds exactly these sequences with these frame counts."""
        have = {s.name: len(s.frames) for s in self.sequences}
        want = {s.name: len(s.frames) for s in gt}
        if have != want:
            missing = sorted(set(want) - set(have))
            raise DataError(where, f"cache was built on other data (missing sequences {missing[:3]}, "
                                   f"or other frame counts); rebuild it without --cache")


def build_cache(predictor: Any, sequences: list[Sequence], t_head_min: float,
                progress: Callable[[int], Any] | None = None) -> GridCache:
    """Run the network once over every frame of `sequences` and keep what the thresholds need.

    predictor: a `posekit.inference.Predictor` (its component calls, letterbox and head-mask σ are used;
               its `max_heads` bound applies when peaks are selected from the cache, as in inference).
    t_head_min: the loosest t_head of the grid. Component 2 runs for every local maximum of the head
               heatmap at or above it, so keep it above the noise floor of a trained network (≥ 0.05).
    """
    # No t_joint / t_person: the cache keeps every candidate's joints; `_detections` applies them per
    # combination.
    unthresholded = dataclasses.replace(predictor.thresholds, t_joint=-np.inf, t_person=-np.inf)
    t0 = time.perf_counter()
    out = []
    for seq in sequences:
        frames: list[FrameCache] = []
        indices = list(range(len(seq.frames)))
        for start in range(0, len(indices), predictor.batch_size):
            batch = indices[start:start + predictor.batch_size]
            images = [read_image(seq.image_path(i), frame=i) for i in batch]
            net = predictor.run_network(images)
            heads = net["head_heatmap"][..., 0]  # (B, h, w)
            # t_head_dist = 0 and no max_heads bound: every local maximum >= t_head_min is a candidate, so
            # whatever a stricter (t_head, t_head_dist) keeps is among them.
            cands = [find_head_peaks(heads[b], t_head_min, 0.0, None)[0] for b in range(len(batch))]
            decoded = predictor.decode(net, [(im.shape[1], im.shape[0]) for im in images], unthresholded,
                                       cands)
            for b in range(len(batch)):
                joints = decoded.joints[decoded.frame_index == b]  # (K, 15, 3) image x, y, value
                frames.append(FrameCache(heads[b].astype(np.float32), cands[b].astype(np.int32), joints))
                if progress is not None:
                    progress(1)
        out.append(SequenceCache(seq.name, frames))
    return GridCache(out, float(t_head_min), predictor.max_heads, time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# Scoring


def _head_rows(cache: GridCache, t_head: float, t_head_dist: float) -> list[list[list[int]]]:
    """Per sequence, per frame: the cached candidates `find_head_peaks` keeps at (t_head, t_head_dist)."""
    if t_head < cache.t_head_min:
        raise ConfigError(f"t_head {t_head} is below the cache's loosest t_head {cache.t_head_min}")
    result = []
    for seq in cache.sequences:
        per_frame = []
        for fc in seq.frames:
            peaks, _ = find_head_peaks(fc.head_heatmap, t_head, t_head_dist, cache.max_heads)
            if len(peaks) == 0:
                per_frame.append([])
                continue
            index = {(int(x), int(y)): k for k, (x, y) in enumerate(fc.cand_xy)}
            per_frame.append([index[(int(x), int(y))] for x, y in peaks])  # always present: see build_cache
        result.append(per_frame)
    return result


def _detections(cache: GridCache, t_head: float, t_head_dist: float, t_joint: float, t_person: float,
                rows: list[list[list[int]]] | None = None) -> list[list[list[np.ndarray]]]:
    """Per sequence, per frame: the kept poses (15, 3) image x, y, value — exactly as inference decodes.

    rows: `_head_rows(cache, t_head, t_head_dist)` when already computed.
    """
    if rows is None:
        rows = _head_rows(cache, t_head, t_head_dist)
    result = []
    for seq, seq_rows in zip(cache.sequences, rows):
        per_frame = []
        for fc, frame_rows in zip(seq.frames, seq_rows):
            if not frame_rows:
                per_frame.append([])
                continue
            joints, keep = apply_joint_thresholds(fc.joints[frame_rows], t_joint, t_person)
            per_frame.append([joints[i] for i in np.flatnonzero(keep)])
        result.append(per_frame)
    return result


def _track_ids(dets: list[list[list[np.ndarray]]], th: Thresholds) -> list[list[list[int]]]:
    """Per sequence, per frame: the tracker's ids for the detections (paper §3)."""
    return [track_sequence([[p[:, :2] for p in frame] for frame in seq], th.t_pose_dist, th.t_max_age)
            for seq in dets]


def predictions_at(cache: GridCache, gt: list[Sequence], th: Thresholds,
                   detections: list[list[list[np.ndarray]]] | None = None,
                   track_ids: list[list[list[int]]] | None = None) -> list[Sequence]:
    """The tracked prediction sequences the pipeline would write with thresholds `th`."""
    if detections is None:
        detections = _detections(cache, th.t_head, th.t_head_dist, th.t_joint, th.t_person)
    if track_ids is None:
        track_ids = _track_ids(detections, th)
    preds = []
    by_name = {s.name: s for s in gt}
    cache.check_matches(gt)
    for seq, dets, ids in zip(cache.sequences, detections, track_ids):
        src = by_name[seq.name]
        frames = []
        for f, (poses, tids) in enumerate(zip(dets, ids)):
            persons = [to_person(pose, tid) for pose, tid in zip(poses, tids)]
            frames.append(Frame(image=src.frames[f].image, persons=persons,
                                is_labeled=src.frames[f].is_labeled, frame_id=src.frames[f].frame_id))
        preds.append(Sequence(name=seq.name, frames=frames, root=src.root, format=src.format,
                              vid_id=src.vid_id))
    return preds


def objective_value(map_total: float, mota_total: float, objective: str) -> float:
    if objective == "sum":
        return map_total + mota_total
    if objective == "map":
        return map_total
    if objective == "mota":
        return mota_total
    raise ConfigError(f"unknown grid-search objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")


def score_grid(cache: GridCache, gt: list[Sequence], grid: GridSpec, objective: str = "sum",
               progress: Callable[[int], Any] | None = None) -> pd.DataFrame:
    """Score every threshold combination from the cache: one row per combination.

    Columns: the six thresholds, mAP (Table 1 Total), MOTA (Table 2 Total), MOTP, Prec, Rec, objective —
    the numbers `evaluation.evaluate(gt, predictions_at(cache, gt, th))` gives (a test checks it).
    Work is shared between combinations wherever it does not depend on a threshold:
    head peaks are found once per (t_head, t_head_dist); detections are decoded once per
    (t_head, t_head_dist, t_joint, t_person) and tracked for every (t_pose_dist, t_max_age); a sequence is
    tracked once per distinct set of poses and tracker thresholds, matched against its GT once per
    distinct set of poses, and its MOT counts accumulated once per distinct poses and track ids
    (`evaluation.sweep.SweepEvaluator`); the AP ranking is computed once per set of detections.
    """
    objective_value(0.0, 0.0, objective)  # validate early
    cache.check_matches(gt)
    evaluator = SweepEvaluator(gt)
    order = {s.name: k for k, s in enumerate(cache.sequences)}
    in_gt_order = [order[s.name] for s in gt]  # cache index of each GT sequence
    rows = []
    head_rows: dict[tuple[float, float], list] = {}
    tracks: dict[tuple[int, bytes, float, int], list[list[int]]] = {}
    for t_head, t_head_dist, t_joint, t_person in itertools.product(grid.t_head, grid.t_head_dist,
                                                                     grid.t_joint, grid.t_person):
        if (t_head, t_head_dist) not in head_rows:
            head_rows[(t_head, t_head_dist)] = _head_rows(cache, t_head, t_head_dist)
        dets = _detections(cache, t_head, t_head_dist, t_joint, t_person, head_rows[(t_head, t_head_dist)])
        parts = [evaluator.detection_part(s, dets[c]) for s, c in enumerate(in_gt_order)]
        ap_rows = evaluator.ap_rows(parts)
        for t_pose_dist, t_max_age in itertools.product(grid.t_pose_dist, grid.t_max_age):
            th = Thresholds(t_head, t_head_dist, t_joint, t_person, t_pose_dist, int(t_max_age))
            counts = []
            for s, (c, part) in enumerate(zip(in_gt_order, parts)):
                key = (s, part.key, th.t_pose_dist, th.t_max_age)
                if key not in tracks:
                    tracks[key] = track_sequence([[p[:, :2] for p in frame] for frame in dets[c]],
                                                 th.t_pose_dist, th.t_max_age)
                counts.append(evaluator.mot_counts(s, part, tracks[key]))
            row = dataclasses.asdict(th) | evaluator.totals(ap_rows, counts)
            row["objective"] = objective_value(_nz(row["mAP"]), _nz(row["MOTA"]), objective)
            rows.append(row)
            if progress is not None:
                progress(1)
    return pd.DataFrame(rows)


def _nz(v: float) -> float:
    return -1e9 if v != v else float(v)


def best_thresholds(scores: pd.DataFrame) -> Thresholds:
    """The combination with the highest objective (first in grid order on ties)."""
    best = scores.loc[scores["objective"].idxmax()]
    return Thresholds(**{k: (int(best[k]) if k == "t_max_age" else float(best[k])) for k in THRESHOLD_NAMES})


@dataclass
class SearchResult:
    """What `search` found: the best thresholds, every scored combination, and the two costs."""

    best: Thresholds
    scores: pd.DataFrame
    grid: GridSpec
    objective: str
    network_seconds: float
    sweep_seconds: float

    @property
    def best_row(self) -> pd.Series:
        return self.scores.loc[self.scores["objective"].idxmax()]

    def summary(self) -> dict[str, Any]:
        """The extras written into thresholds.json beside the thresholds."""
        row = self.best_row
        return {"objective": self.objective, "mAP": float(row["mAP"]), "MOTA": float(row["MOTA"]),
                "combinations": int(len(self.scores)), "network_seconds": round(self.network_seconds, 2),
                "sweep_seconds": round(self.sweep_seconds, 2), "grid": dataclasses.asdict(self.grid)}

    def save(self, out_dir: str | Path) -> None:
        """`thresholds.json` (best + summary) and `grid.csv` (every combination), atomically."""
        out_dir = Path(out_dir)
        atomic_write_text(out_dir / "grid.csv", self.scores.to_csv(index=False))
        save_thresholds(self.best, out_dir / "thresholds.json", self.summary())


def default_grid_for_sequences(sequences: list[Sequence]) -> GridSpec:
    """`default_grid_for` the width of the first frame of `sequences`."""
    return default_grid_for(read_image(sequences[0].image_path(0)).shape[1])


def search(cache: GridCache, gt: list[Sequence], grid: GridSpec, objective: str = "sum",
           progress: Callable[[int], Any] | None = None) -> SearchResult:
    """Score the grid from `cache` (see `score_grid`) and pick the best combination."""
    t0 = time.perf_counter()
    scores = score_grid(cache, gt, grid, objective, progress)
    return SearchResult(best_thresholds(scores), scores, grid, objective, cache.network_seconds,
                        time.perf_counter() - t0)


def default_grid_for(frame_width: float) -> GridSpec:
    """The default grid with t_pose_dist scaled to the frame width (paper: 200 px at PAPER_FRAME_WIDTH)."""
    base = GridSpec()
    scale = frame_width / PAPER_FRAME_WIDTH
    return dataclasses.replace(base, t_pose_dist=tuple(round(v * scale, 2) for v in base.t_pose_dist))
