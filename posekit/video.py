"""Videos: frames in from a video file or a folder of images, tracked poses out as an annotated video.

`open_frames` decodes the input (beside `posekit.imageio.read_image`, which reads one image);
`predict_video` runs a `posekit.inference.Predictor` and the tracker of §3 over it (`posekit predict
--video` and notebook 05 call it). The annotated video is written to a temp file, then renamed.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from posekit.data.schema import Frame
from posekit.errors import DataError
from posekit.fileio import atomic_write_json
from posekit.imageio import read_image
from posekit.joints import JOINT_NAMES
from posekit.viz import draw_frame

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def open_frames(path: str | os.PathLike[str]) -> tuple[Iterator[np.ndarray], int | None, float, list[str]]:
    """Frames of a video file or an image folder: (iterator of (H, W, 3) uint8 RGB, count or None, fps,
    names).

    names: per-frame names for the JSON (image file names, or frame numbers of a video). Raises DataError
    naming the file when it is missing, unreadable, or holds no frame.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not files:
            raise DataError(path, f"no image files ({', '.join(IMAGE_SUFFIXES)}) in this folder")
        frames = (read_image(f, frame=i) for i, f in enumerate(files))
        return frames, len(files), 10.0, [f.name for f in files]
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
    """A copy of `image` (H, W, 3) uint8 RGB, each skeleton in its track colour with its ID (posekit.viz)."""
    return draw_frame(image, Frame(image="", persons=persons), head_boxes=False, ignore_regions=False)


def frame_json(index: int, name: str, persons: list[Any]) -> dict[str, Any]:
    """One frame's predictions as JSON: per person track_id, score, 15 keypoints [x, y, score] or null."""
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



def predict_video(
    predictor: Any, source: str | os.PathLike[str], out: str | os.PathLike[str],
    max_frames: int | None = None, quiet: bool = False,
) -> tuple[int, float, Path]:
    """Tracked poses on a video file or frame folder: OUT/<name>_tracked.mp4 (skeletons in track colours, IDs)
    and one JSON per frame in OUT/<name>_poses/; returns (frames, seconds, video path).

    predictor: a `posekit.inference.Predictor` (a fresh tracker of its t_pose_dist, t_max_age, §3).
    """
    out = Path(out)
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
        with tqdm(total=count, unit="frame", disable=quiet, dynamic_ncols=True) as bar:
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
