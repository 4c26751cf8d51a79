"""The embedded default dataset: procedural multi-person videos in the PoseTrack 2018 layout.

Not in the paper: the paper trains and evaluates on PoseTrack (§4), which cannot be downloaded here.
`generate_dataset` writes a stand-in that the same reader loads (`posekit.data.posetrack`):

    <out>/images/<split>/<sequence>/<frame:06d>.jpg
    <out>/annotations/<split>/<sequence>.json      (PoseTrack 2018 JSON, one file per sequence)
    <out>/dataset.json                             (generator version, seed, preset, parameters,
                                                    per-sequence events and counts, fingerprint)

Splits and labelling follow PoseTrack: `train` sequences are labelled in every frame; `val` sequences
have a dense labelled run of consecutive frames (the tracking evaluation needs it) with
`val_margin` unlabelled frames before and after it. Sequence names follow PoseTrack's id scheme
`NNNNNN_mpii_train` / `NNNNNN_mpii_test` (the `mpii` type digit and the 6-digit video id make the
official 2018 image ids `1NNNNNNFFFF`); train videos are numbered from 000001, val videos from 500001.

Determinism: every sequence draws from its own numpy Generator seeded by (seed, split, index), so the
same seed, preset and parameters give byte-identical annotation files whatever the number of workers.
The fingerprint is the sha256 over the annotation files (relative path + sha256 of the bytes, sorted);
JPEG bytes may differ between OpenCV versions and are not part of it.

Writing is atomic: the dataset is built in a hidden sibling folder and renamed into place. An
existing output folder is refused (DataError) unless `overwrite=True` (`--force`); even then only an
empty folder or an earlier `posekit synth` output (its `dataset.json` says so) is replaced, never
anything else.

The generator's rules for people, occlusion, truncation and ignore regions are in
`posekit.data.synthetic_scene`; the figures in `posekit.data.synthetic_body`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from posekit.data.schema import Sequence
from posekit.data.synthetic_scene import FrameTruth, Scene, annotate, plan_scene, render, scene_events
from posekit.errors import ConfigError, DataError
from posekit.fileio import atomic_write_json
from posekit.joints import JOINT_NAMES, NUM_JOINTS

GENERATOR = "posekit.synth"
#: Bump when the same parameters would give different annotations.
GENERATOR_VERSION = "1.0"
SPLITS: tuple[str, ...] = ("train", "val")
_SPLIT_CODE = {"train": 0, "val": 1}
_VID_BASE = {"train": 1, "val": 500001}
_SUFFIX = {"train": "mpii_train", "val": "mpii_test"}


@dataclass(frozen=True)
class SynthParams:
    """What to generate (sizes in pixels, counts per split)."""

    width: int = 640  # 16:9, letterboxed to the 448×256 (cpu) / 896×512 (paper) network input
    height: int = 360
    train_sequences: int = 60
    train_frames: int = 24
    val_sequences: int = 20  # 20 videos of 30 frames: enough tracks that MOTA is not one crossing's noise
    val_frames: int = 30
    val_margin: int = 3  # unlabelled frames before and after the dense labelled run of a val video
    min_people: int = 1
    max_people: int = 8
    unannotated_prob: float = 0.07  # people left unannotated (ignore regions); small people: 0.4
    occluded: str = "unannotated"  # occluded joints: "unannotated" (PoseTrack) or "invisible" (visible 0)
    jpeg_quality: int = 90

    def __post_init__(self) -> None:
        if self.width < 64 or self.height < 64:
            raise ConfigError(f"synthetic image size {self.width}x{self.height} is too small (min 64x64)")
        if min(self.train_sequences, self.val_sequences) < 0:
            raise ConfigError("synthetic sequence counts must not be negative "
                              f"(train {self.train_sequences}, val {self.val_sequences})")
        if self.train_sequences + self.val_sequences < 1:
            raise ConfigError("synthetic dataset needs at least one sequence")
        if min(self.train_frames, self.val_frames) < 1:
            raise ConfigError("synthetic sequences need at least one frame")
        if not 1 <= self.min_people <= self.max_people <= 8:
            raise ConfigError(
                f"people per sequence must satisfy 1 <= {self.min_people} <= {self.max_people} <= 8"
            )
        if self.occluded not in ("unannotated", "invisible"):
            raise ConfigError(f"occluded must be 'unannotated' or 'invisible', got {self.occluded!r}")

    def sequences(self, split: str) -> int:
        return self.train_sequences if split == "train" else self.val_sequences

    def frames(self, split: str) -> int:
        return self.train_frames if split == "train" else self.val_frames


#: Named presets: `default` is the cpu profile's data; `small` is for tests (seconds).
PRESETS: dict[str, SynthParams] = {
    "default": SynthParams(),
    "small": SynthParams(train_sequences=3, train_frames=6, val_sequences=2, val_frames=8, val_margin=1),
}


def preset_params(preset: str = "default", **overrides: Any) -> SynthParams:
    """The preset's parameters with `overrides` (SynthParams field names); ConfigError for unknown names."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown synthetic preset {preset!r}; expected one of {', '.join(PRESETS)}")
    fields = {f.name for f in dataclasses.fields(SynthParams)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ConfigError(f"unknown synthetic parameter(s): {', '.join(unknown)}")
    return dataclasses.replace(PRESETS[preset], **overrides)


def sequence_name(split: str, index: int) -> str:
    """PoseTrack-style name of sequence `index` (0-based) of `split`: `000001_mpii_train`, `500001_mpii_test`.

    The suffix follows PoseTrack's naming (`mpii` type, `_test` for its val videos) so that the official
    2018 id scheme accepts the names."""
    if split not in _SPLIT_CODE:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return f"{_VID_BASE[split] + index:06d}_{_SUFFIX[split]}"


def sequence_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The Generator of one sequence, independent of every other sequence and of the worker count."""
    return np.random.default_rng([int(seed), _SPLIT_CODE[split], int(index)])


def plan_sequence(params: SynthParams, seed: int, split: str, index: int) -> Scene:
    """Plan sequence `index` of `split` (people, motion, camera) without rendering it."""
    return plan_scene(
        sequence_rng(seed, split, index),
        params.width,
        params.height,
        params.frames(split),
        params.min_people,
        params.max_people,
        params.unannotated_prob,
    )


def labeled_frames(params: SynthParams, split: str) -> np.ndarray:
    """(T,) bool: which frames of a `split` sequence are labelled (all for train; a dense run for val)."""
    T = params.frames(split)
    lab = np.ones(T, bool)
    if split == "val":
        m = min(params.val_margin, max(0, (T - 2) // 2))
        lab[:m] = False
        lab[T - m :] = False
    return lab


def track_ids(scene: Scene) -> dict[int, int]:
    """pid -> track id: annotated people numbered 0, 1, ... in pid order (re-entering people keep theirs)."""
    ids, k = {}, 0
    for a in scene.actors:
        if a.annotated:
            ids[a.pid] = k
            k += 1
    return ids


@dataclass
class SyntheticSequence:
    """One generated sequence: the PoseTrack Sequence, the scene it came from, and per-frame truths."""

    sequence: Sequence
    scene: Scene
    truths: list[FrameTruth]
    events: dict[str, int]


def generate_sequence(
    params: SynthParams, seed: int, split: str, index: int, root: str | Path | None = None
) -> SyntheticSequence:
    """Render and annotate one sequence; with `root`, write its JPEGs to `root/images/<split>/<name>/`."""
    import cv2

    name = sequence_name(split, index)
    vid_id = name[:6]
    scene = plan_sequence(params, seed, split, index)
    ids = track_ids(scene)
    lab = labeled_frames(params, split)
    folder = None
    if root is not None:
        folder = Path(root) / "images" / split / name
        folder.mkdir(parents=True, exist_ok=True)
    truths, all_figures = [], []
    for t in range(scene.n_frames):
        image, mask, figures = render(scene, t)
        all_figures.append(figures)
        rel = f"images/{split}/{name}/{t:06d}.jpg"
        truths.append(
            annotate(
                scene, t, mask, figures, ids, bool(lab[t]), rel, int(f"1{vid_id}{t:04d}"), params.occluded
            )
        )
        if folder is not None:
            ok, buf = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, params.jpeg_quality])
            if not ok:  # pragma: no cover
                raise DataError(folder / f"{t:06d}.jpg", "JPEG encoding failed")
            (folder / f"{t:06d}.jpg").write_bytes(buf.tobytes())
    seq = Sequence(
        name=name, frames=[tr.frame for tr in truths], root=Path(root) if root else None, vid_id=vid_id
    )
    return SyntheticSequence(
        sequence=seq, scene=scene, truths=truths, events=scene_events(scene, all_figures)
    )


def sequence_stats(syn: SyntheticSequence) -> dict[str, Any]:
    """Counts of one generated sequence (labelled frames only), for dataset.json and the CLI summary."""
    H = syn.scene.height
    status_counts = {"annotated": 0, "ignored": 0, "hidden": 0}
    inside = occluded = 0
    heights: list[float] = []
    joints = np.zeros(NUM_JOINTS, int)
    for t, tr in enumerate(syn.truths):
        if not tr.frame.is_labeled:
            continue
        for pid, st in tr.status.items():
            if st in status_counts:
                status_counts[st] += 1
            if st == "annotated":
                inside += int(tr.inside[pid].sum())
                occluded += int(tr.occluded[pid].sum())
                heights.append(syn.scene.height_px(syn.scene.actors[pid], t) / H)
        for p in tr.frame.persons:
            joints += p.annotated
    return {
        "name": syn.sequence.name,
        "frames": len(syn.truths),
        "labeled_frames": sum(tr.frame.is_labeled for tr in syn.truths),
        "people": len(syn.scene.actors),
        "tracks": len({p.track_id for f in syn.sequence.frames for p in f.persons}),
        "persons": status_counts["annotated"],
        "ignored_persons": status_counts["ignored"],
        "hidden_persons": status_counts["hidden"],
        "joints_inside_image": inside,
        "joints_occluded": occluded,
        "joints_per_type": joints.tolist(),
        "heights": heights,
        "behaviours": [a.behaviour for a in syn.scene.actors],
        "events": syn.events,
    }


def _write_one(params: SynthParams, seed: int, split: str, index: int, root: str) -> dict[str, Any]:
    """Worker: generate one sequence, write its images and annotation file; return its stats."""
    import cv2

    from posekit.data.posetrack import write_sequence

    cv2.setNumThreads(1)
    syn = generate_sequence(params, seed, split, index, root)
    write_sequence(
        syn.sequence, Path(root) / "annotations" / split / f"{syn.sequence.name}.json", format="2018"
    )
    stats = sequence_stats(syn)
    stats["split"] = split
    return stats


def dataset_fingerprint(root: str | Path) -> str:
    """sha256 over `annotations/**/*.json`: each file's relative path and the sha256 of its bytes, sorted."""
    root = Path(root)
    h = hashlib.sha256()
    for path in sorted((root / "annotations").rglob("*.json")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return h.hexdigest()


def _is_replaceable(out: Path) -> bool:
    if not any(out.iterdir()):
        return True
    meta = out / "dataset.json"
    try:
        return json.loads(meta.read_text()).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        return False


def _summary(stats: list[dict[str, Any]]) -> dict[str, Any]:
    heights = np.array([h for s in stats for h in s["heights"]], float)
    inside = sum(s["joints_inside_image"] for s in stats)
    occl = sum(s["joints_occluded"] for s in stats)
    joints = np.sum([s["joints_per_type"] for s in stats], axis=0) if stats else np.zeros(NUM_JOINTS, int)
    ev = {k: sum(s["events"][k] for s in stats) for k in ("crossings", "exits", "entries", "reentries")}
    return {
        "sequences": len(stats),
        "frames": sum(s["frames"] for s in stats),
        "labeled_frames": sum(s["labeled_frames"] for s in stats),
        "persons": sum(s["persons"] for s in stats),
        "ignored_persons": sum(s["ignored_persons"] for s in stats),
        "hidden_persons": sum(s["hidden_persons"] for s in stats),
        "tracks": sum(s["tracks"] for s in stats),
        "occlusion_rate": occl / inside if inside else 0.0,
        "joints_per_type": {n: int(c) for n, c in zip(JOINT_NAMES, joints, strict=True)},
        "height_fraction": {
            "p05": float(np.percentile(heights, 5)) if heights.size else None,
            "median": float(np.median(heights)) if heights.size else None,
            "p95": float(np.percentile(heights, 95)) if heights.size else None,
            "in_35_90": float(np.mean((heights >= 0.35) & (heights <= 0.9))) if heights.size else None,
        },
        "events": ev,
    }


def generate_dataset(
    out: str | Path,
    preset: str = "default",
    seed: int = 0,
    params: SynthParams | None = None,
    workers: int = 2,
    overwrite: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Generate the dataset into `out` (see the module docstring); returns the dataset.json content.

    params: overrides the preset's parameters (the preset name is still recorded). workers: processes
    (1 = in this process). The return value adds "seconds" (wall time; not stored in dataset.json).
    """
    out = Path(out)
    params = params if params is not None else preset_params(preset)
    if preset not in PRESETS:
        raise ConfigError(f"unknown synthetic preset {preset!r}; expected one of {', '.join(PRESETS)}")
    if out.exists():
        if not out.is_dir():
            raise DataError(out, "exists and is not a folder; choose another --out")
        if any(out.iterdir()) and not overwrite:
            raise DataError(out, "already exists; pass --force (overwrite=True) to replace it")
        if not _is_replaceable(out):
            raise DataError(
                out, "is not a posekit synth folder (no dataset.json from it); refusing to replace it"
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    start = time.perf_counter()
    tasks = [(split, i) for split in SPLITS for i in range(params.sequences(split))]
    try:
        stats = _run_tasks(params, seed, tasks, str(tmp), workers, progress)
        stats.sort(key=lambda s: (_SPLIT_CODE[s["split"]], s["name"]))
        meta: dict[str, Any] = {
            "generator": GENERATOR,
            "generator_version": GENERATOR_VERSION,
            "format": "PoseTrack 2018",
            "preset": preset,
            "seed": int(seed),
            "parameters": dataclasses.asdict(params),
            "splits": {
                split: {
                    "names": [s["name"] for s in stats if s["split"] == split],
                    **_summary([s for s in stats if s["split"] == split]),
                }
                for split in SPLITS
            },
            "sequence_stats": {
                s["name"]: {k: v for k, v in s.items() if k not in ("heights", "joints_per_type")}
                for s in stats
            },
            "fingerprint": dataset_fingerprint(tmp),
        }
        atomic_write_json(tmp / "dataset.json", meta)
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        if old.exists():
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {**meta, "seconds": time.perf_counter() - start}


def _run_tasks(
    params: SynthParams, seed: int, tasks: list[tuple[str, int]], root: str, workers: int, progress: bool
) -> list[dict[str, Any]]:
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc="posekit synth", unit="seq", disable=not progress)
    results: list[dict[str, Any]] = []
    try:
        if workers <= 1 or len(tasks) <= 1:
            for split, i in tasks:
                results.append(_write_one(params, seed, split, i, root))
                bar.update()
        else:
            # fork is fast and needs no `if __name__ == "__main__"` guard in the caller's script, but a
            # forked TensorFlow process can hang: spawn when TensorFlow is already imported.
            method = "spawn" if "tensorflow" in sys.modules else "fork"
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method)) as pool:
                futures = [pool.submit(_write_one, params, seed, split, i, root) for split, i in tasks]
                for fut in as_completed(futures):
                    results.append(fut.result())
                    bar.update()
    finally:
        bar.close()
    return results


def read_dataset_meta(root: str | Path) -> dict[str, Any]:
    """The `dataset.json` of a generated folder; DataError when missing or not from `posekit synth`."""
    path = Path(root) / "dataset.json"
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(path, "no such file (not a posekit synth folder)") from None
    except ValueError as err:
        raise DataError(path, f"bad JSON: {err}") from None
    if not isinstance(meta, dict) or meta.get("generator") != GENERATOR:
        raise DataError(path, f"not written by {GENERATOR}")
    return meta


def ensure_dataset(
    out: str | Path,
    preset: str = "default",
    seed: int = 0,
    params: SynthParams | None = None,
    workers: int = 2,
    progress: bool = True,
    log: Callable[[str], None] | None = print,
) -> dict[str, Any]:
    """Reuse `out` when it holds this very dataset (same version, preset, seed, parameters, intact
    fingerprint); otherwise (re)generate it. Returns the dataset.json content."""
    params = params if params is not None else preset_params(preset)
    out = Path(out)
    if (out / "dataset.json").is_file():
        try:
            meta = read_dataset_meta(out)
        except DataError:
            meta = None
        if (
            meta is not None
            and meta.get("generator_version") == GENERATOR_VERSION
            and meta.get("preset") == preset
            and meta.get("seed") == int(seed)
            and meta.get("parameters") == json.loads(json.dumps(dataclasses.asdict(params)))
            and meta.get("fingerprint") == dataset_fingerprint(out)
        ):
            if log:
                log(f"posekit synth: reusing {out} (fingerprint {meta['fingerprint'][:12]})")
            return meta
    return generate_dataset(out, preset, seed, params, workers, overwrite=True, progress=progress)


def preview_frames(
    params: SynthParams, seed: int, split: str, index: int, frames: list[int] | None = None
) -> list[tuple[np.ndarray, FrameTruth]]:
    """Render frames of one sequence in memory: [(image (H, W, 3) uint8 RGB, FrameTruth)], all labelled."""
    name = sequence_name(split, index)
    scene = plan_sequence(params, seed, split, index)
    ids = track_ids(scene)
    out = []
    for t in frames if frames is not None else range(scene.n_frames):
        image, mask, figures = render(scene, t)
        rel = f"images/{split}/{name}/{t:06d}.jpg"
        out.append((image, annotate(scene, t, mask, figures, ids, True, rel, None, params.occluded)))
    return out
