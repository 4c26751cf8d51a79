"""`posekit predict`: tracked poses for a dataset split, a video or a folder of images (paper §2, §3).

    posekit predict --model RUN_DIR --data DIR --split val --out PRED_DIR
        one prediction file per sequence, in the PoseTrack format of the input (2017 or 2018), with
        track IDs, every frame predicted (labelled or not); frames/s printed at the end.
    posekit predict --model RUN_DIR --video IN.mp4|FRAME_DIR --out OUT_DIR
        OUT_DIR/<name>_tracked.mp4 (skeletons coloured by track ID, ID labels) and one JSON per frame in
        OUT_DIR/<name>_poses/. Unreadable or empty videos and folders raise DataError naming the file.

Thresholds come from the run's config.json, then `--thresholds FILE` (a thresholds.json as written by
the grid search: the fields of `Thresholds`, flat or under "thresholds"), then `--set thresholds.X=V`.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "predict",
        help="predict tracked poses for a dataset split, a video or a folder of images",
        description=(
            "Run the network on every frame (component 1 once per frame, component 2 batched over the "
            "detected heads), decode poses with t_head, t_head_dist, t_joint, t_person (§2) and track them "
            "with the geometric tracker (t_pose_dist, t_max_age, §3)."
        ),
    )
    p.add_argument("--model", required=True, metavar="RUN_DIR", help="a run folder (model.keras + config.json) or a .keras file")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="DIR", help="a PoseTrack folder (annotations/<split>/ + images)")
    src.add_argument("--video", metavar="IN", help="a video file (e.g. .mp4, .avi) or a folder of frames")
    p.add_argument("--split", default="val", help="annotation split with --data (default: val)")
    p.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder (created)")
    p.add_argument("--thresholds", metavar="FILE", help="thresholds JSON (e.g. from posekit gridsearch)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="thresholds.KEY=VALUE",
                   help="threshold override, e.g. --set thresholds.t_head=0.3 (repeatable)")
    p.add_argument("--batch-size", type=int, default=4, help="frames per component-1 call (default: 4)")
    p.add_argument("--head-chunk", type=int, default=16, help="heads per component-2 call (default: 16)")
    p.add_argument("--max-heads", type=int, default=None,
                   help="at most this many heads per frame, the strongest (default: 100; 0: no bound)")
    p.add_argument("--max-frames", type=_positive_int, default=None, help="with --video: stop after this many frames")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="compute precision: bf16 uses bfloat16 units where the CPU/GPU has them (default: fp32)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


# ---------------------------------------------------------------------------------------------
# Config


def resolve_thresholds(config: Any, thresholds_file: str | None, overrides: list[str]) -> Any:
    """The run's config with thresholds from `thresholds_file` and `thresholds.*` overrides applied."""
    from posekit.config import apply_overrides, from_dict
    from posekit.errors import ConfigError

    if thresholds_file:
        path = Path(thresholds_file)
        try:
            data = json.loads(path.read_text())
        except OSError as err:
            raise ConfigError(f"{path}: cannot read thresholds ({err.strerror})") from None
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}: not valid JSON ({err.msg}, line {err.lineno})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: thresholds must be a JSON object")
        section = data.get("thresholds", data)
        try:
            config = from_dict({"thresholds": section}, base=config)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from None
    for item in overrides:
        if not item.strip().startswith("thresholds."):
            raise ConfigError(f"predict only takes thresholds.* overrides, got {item!r}")
    return apply_overrides(config, overrides)


# ---------------------------------------------------------------------------------------------
# Video and frame-folder input


def open_frames(path: str | os.PathLike[str]) -> tuple[Iterator[np.ndarray], int | None, float, list[str]]:
    """Frames of a video file or an image folder: (iterator of (H, W, 3) uint8 RGB, count or None, fps, names).

    names: per-frame names for the JSON (image file names, or frame numbers of a video). Raises DataError
    naming the file when it is missing, unreadable, or holds no frame.
    """
    import cv2

    from posekit.errors import DataError
    from posekit.imageio import read_image

    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not files:
            raise DataError(path, f"no image files ({', '.join(IMAGE_SUFFIXES)}) in this folder")
        return (read_image(f, frame=i) for i, f in enumerate(files)), len(files), 10.0, [f.name for f in files]
    if not path.exists():
        raise DataError(path, "no such video file or frame folder")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise DataError(path, "cannot open as a video (unreadable or unsupported format)")
    ok, first = cap.read()
    if not ok or first is None:
        cap.release()
        raise DataError(path, "the video holds no readable frame")
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    fps = float(cap.get(cv2.CAP_PROP_FPS)) or 10.0
    if not np.isfinite(fps) or fps <= 0 or fps > 1000:
        fps = 10.0

    def frames() -> Iterator[np.ndarray]:
        try:
            frame = first
            while frame is not None:
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                ok, frame = cap.read()
                if not ok:
                    break
        finally:
            cap.release()

    names = [f"{i:06d}" for i in range(count)] if count else []
    return frames(), count, fps, names


def draw_tracked(image: np.ndarray, persons: list[Any]) -> np.ndarray:
    """A copy of `image` (H, W, 3) uint8 RGB with each skeleton in its track colour and its ID (posekit.viz)."""
    from posekit.data.schema import Frame
    from posekit.viz import draw_frame

    return draw_frame(image, Frame(image="", persons=persons), head_boxes=False, ignore_regions=False)


def frame_json(index: int, name: str, persons: list[Any]) -> dict[str, Any]:
    """One frame's predictions as JSON: per person track_id, score, 15 keypoints [x, y, score] or null."""
    from posekit.joints import JOINT_NAMES

    def num(v: float) -> float | None:
        return None if not np.isfinite(v) else round(float(v), 3)

    people = []
    for p in persons:
        kps = []
        for j in range(len(JOINT_NAMES)):
            if np.isnan(p.joints[j, 0]):
                kps.append(None)
            else:
                s = p.scores[j] if p.scores is not None else np.nan
                kps.append([num(p.joints[j, 0]), num(p.joints[j, 1]), num(s)])
        people.append({"track_id": p.track_id, "score": num(p.score if p.score is not None else np.nan),
                       "keypoints": kps})
    return {"frame": index, "image": name, "joint_names": list(JOINT_NAMES), "persons": people}


# ---------------------------------------------------------------------------------------------
# The two modes


def _progress(total: int | None, quiet: bool, unit: str = "frame") -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, disable=quiet, dynamic_ncols=True)


def predict_dataset(predictor: Any, data: str, split: str, out: Path, quiet: bool = False) -> tuple[int, float]:
    """Predict and write every sequence of a split; returns (frames, seconds)."""
    import time

    from posekit.data.posetrack import read_split, write_sequence

    sequences = read_split(data, split)
    total = sum(len(s.frames) for s in sequences)
    t0 = time.perf_counter()
    with _progress(total, quiet) as bar:
        for seq in sequences:
            bar.set_description(seq.name)
            pred = predictor.predict_sequence(seq, progress=bar.update)
            write_sequence(pred, out / f"{seq.name}.json", format=seq.format)
    return total, time.perf_counter() - t0


def predict_video(
    predictor: Any, source: str, out: Path, max_frames: int | None = None, quiet: bool = False
) -> tuple[int, float, Path]:
    """Annotated video + per-frame JSON for a video file or frame folder; returns (frames, seconds, video)."""
    import itertools
    import time

    import cv2

    from posekit.errors import DataError
    from posekit.fileio import atomic_write_json

    frames, count, fps, names = open_frames(source)
    if max_frames is not None:
        frames = itertools.islice(frames, max_frames)
        count = min(count, max_frames) if count else max_frames
    stem = Path(source).stem if Path(source).is_file() else Path(source).name
    video_path = out / f"{stem}_tracked.mp4"
    json_dir = out / f"{stem}_poses"
    json_dir.mkdir(parents=True, exist_ok=True)
    tmp_video = video_path.with_name(f".{video_path.stem}.{os.getpid()}.tmp.mp4")

    # Keep each frame until its poses come back (the predictor batches frames).
    held: list[np.ndarray] = []

    def feed() -> Iterator[np.ndarray]:
        for frame in frames:
            held.append(frame)
            yield frame

    tracker = predictor.tracker()
    writer = None
    n = 0
    t0 = time.perf_counter()
    try:
        with _progress(count, quiet) as bar:
            for persons in predictor.iter_predict(feed()):
                image = held.pop(0)
                predictor.track(persons, tracker)
                if writer is None:
                    h, w = image.shape[:2]
                    writer = cv2.VideoWriter(str(tmp_video), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
                    if not writer.isOpened():
                        raise DataError(video_path, "cannot write the annotated video (no mp4v encoder)")
                drawn = draw_tracked(image, persons)
                writer.write(cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
                name = names[n] if n < len(names) else f"{n:06d}"
                atomic_write_json(json_dir / f"{n:06d}.json", frame_json(n, name, persons), indent=None)
                n += 1
                bar.update(1)
        seconds = time.perf_counter() - t0
        if writer is not None:
            writer.release()
            writer = None
            os.replace(tmp_video, video_path)
    finally:
        if writer is not None:
            writer.release()
        if tmp_video.exists():
            tmp_video.unlink()
    if n == 0:
        raise DataError(source, "the video holds no readable frame")
    return n, seconds, video_path


def run(args: argparse.Namespace) -> int:
    from posekit.inference import DEFAULT_MAX_HEADS, Predictor
    from posekit.model import load_model

    model = load_model(args.model)
    config = resolve_thresholds(model.config, args.thresholds, args.overrides)
    predictor = Predictor(
        model, config.thresholds, config, batch_size=args.batch_size, head_chunk=args.head_chunk,
        max_heads=DEFAULT_MAX_HEADS if args.max_heads is None else (args.max_heads if args.max_heads > 0 else None),
        precision=args.precision,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.data:
        frames, seconds = predict_dataset(predictor, args.data, args.split, out, args.quiet)
        where = f"{out}/ (PoseTrack prediction files)"
    else:
        frames, seconds, video = predict_video(predictor, args.video, out, args.max_frames, args.quiet)
        where = f"{video} and {video.with_name(video.stem.removesuffix('_tracked') + '_poses')}/"
    fps = frames / seconds if seconds > 0 else float("inf")
    shares = ", ".join(f"{k} {v:.1f} s" for k, v in predictor.timings.items())
    print(f"posekit predict: {frames} frames in {seconds:.1f} s = {fps:.2f} frames/s ({shares}); wrote {where}")
    return 0
