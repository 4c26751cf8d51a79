"""Read and write PoseTrack 2017 (`annolist`) and 2018 (COCO-like) annotation files.

Paper §4 trains and evaluates on PoseTrack; this module turns its JSON files (ground truth and
predictions, one file per video) into the schema of `posekit.data.schema` and back. The rules follow
the official evaluation's reader and converter (EVALUATION.md §3):

- 2017: every scalar is a 1-element list (`"x": [12.5]`); bare scalars are accepted too. The head box is
  `x1, y1, x2, y2` of the `annorect`; joints are `annopoints[0].point[*]` with `id` 0..14, `x`, `y`,
  `is_visible` (default 1) and, in predictions, `score`.
- 2018: frames are `images` in file order; `annotations` are grouped by `image_id`. Keypoint names come
  from `categories[*].keypoints` (15 or 17 names) and are mapped to the 2017 joints BY NAME; the ears
  are dropped. A keypoint is absent only when x == 0 and y == 0 and v == 0; otherwise it is present with
  visible = float(v > 0). `bbox_head` is [x, y, w, h] -> head box (x, y, x + w, y + h).

Every malformed input raises `posekit.errors.DataError` naming the file, the frame and the problem; the
small `_Where` helper below carries that context so that checks are not scattered.

Not in the paper (choices made here, with reasons):
- Duplicate 2017 point ids within one person: the first one wins, as in the official `getPointGTbyID`.
- Empty ignore-region polygons are dropped (they cover nothing).
- A 2018 GT `"scores": []` (real files carry it) means "no scores".
- Writing 2018 image ids: a Frame's own `frame_id` when every frame has a distinct one; otherwise, for a
  sequence named `NNNNNN_{mpii|bonn|mpiinew}_...`, the PoseTrack convention of `posetrack18_fname2id`
  (type * 10**10 + NNNNNN * 10**4 + frame number, type 1 mpii / 2 bonn / 3 mpiinew, frame number = the
  image's numeric file stem when < 10000, else its index); otherwise simply the frame index 0..n-1.
  Annotation ids are image_id * 100 + person index (PoseTrack's convention) while a frame has < 100
  persons, else a running counter 1, 2, ... over the file.
- Writing predictions: a present joint whose score is NaN is written without `score` in 2017 and with
  score 0 in 2018 (2018 requires 17 numbers); a present joint with NaN visibility is written visible.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import orjson

from posekit.data.schema import Frame, Person, Sequence, empty_joints
from posekit.errors import DataError
from posekit.fileio import atomic_write_json
from posekit.joints import (
    J17_TO_KP18,
    JOINT_NAMES,
    NAME_18_TO_17,
    NUM_JOINTS,
    POSETRACK18_KEYPOINTS,
    SKELETON,
    joint_id_from_name,
)

FORMATS: tuple[str, ...] = ("2017", "2018")
#: PoseTrack 2018 sequence types and their digit in image ids (`seqtype2idx` of the official tool).
SEQ_TYPE_DIGIT: dict[str, int] = {"mpii": 1, "bonn": 2, "mpiinew": 3}
_POSETRACK_NAME = re.compile(r"^(\d+)_(mpii|bonn|mpiinew)_")


# --------------------------------------------------------------------------------------------------
# Error context: every check goes through these helpers, which raise DataError(path, problem, frame).
# --------------------------------------------------------------------------------------------------


class _Where:
    """The file, frame and item being read; turns a failed check into one DataError."""

    def __init__(self, path: object, frame: object | None = None, item: str = ""):
        self.path = path
        self.frame = frame
        self.item = item

    def at_frame(self, index: int, image: str | None = None) -> _Where:
        return _Where(self.path, index if image is None else f"{index} {image!r}")

    def inside(self, item: str) -> _Where:
        return _Where(self.path, self.frame, f"{self.item}{item}: ")

    def fail(self, problem: str) -> NoReturn:
        raise DataError(self.path, f"{self.item}{problem}", frame=self.frame)

    def key(self, obj: Any, key: str) -> Any:
        if not isinstance(obj, dict):
            self.fail(f"expected a JSON object with key {key!r}, got {type(obj).__name__}")
        if key not in obj:
            self.fail(f"missing key {key!r}")
        return obj[key]

    def as_list(self, value: Any, what: str) -> list:
        if not isinstance(value, list):
            self.fail(f"{what} must be a list, got {type(value).__name__}")
        return value

    def scalar(self, value: Any, what: str) -> Any:
        """Unwrap the 2017 1-element list; a bare scalar passes through."""
        if isinstance(value, list):
            if len(value) != 1:
                self.fail(f"{what} must be a 1-element list, got {len(value)} elements")
            return value[0]
        return value

    def number(self, value: Any, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(f"{what} is not a finite number: {value!r}")
        return float(value)

    def integer(self, value: Any, what: str) -> int:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
            self.fail(f"{what} is not an integer: {value!r}")
        return int(value)

    def flag(self, value: Any, what: str) -> bool:
        if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
            return value.strip().lower() in ("1", "true")
        if isinstance(value, bool) or (isinstance(value, (int, float)) and math.isfinite(value)):
            return bool(value > 0)
        self.fail(f"{what} is not a flag (0/1/true/false): {value!r}")


def _load_json(path: Path) -> Any:
    """The parsed file. orjson (4x faster than `json` on PoseTrack files: benchmarks/bench_evaluation.py)
    parses well-formed files; anything it refuses (NaN literals, integers beyond 64 bits, bad UTF-8, bad
    JSON) goes through `json`, which accepts what it always accepted and names the line and column of the
    rest."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, "no such file") from None
    except OSError as err:
        raise DataError(path, f"cannot read: {err}") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(path, f"cannot read: {err}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(path, f"bad JSON: {err.msg} (line {err.lineno}, column {err.colno})") from None


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


def detect_format(data: dict, path: object = "<in memory>") -> str:
    """'2017' for an `annolist` file, '2018' for a COCO-like `images`/`annotations` file; else DataError."""
    if not isinstance(data, dict):
        raise DataError(path, f"expected a JSON object at the top level, got {type(data).__name__}")
    if "annolist" in data:
        return "2017"
    if "images" in data or "annotations" in data:
        return "2018"
    raise DataError(
        path, "missing key 'annolist' (PoseTrack 2017) or 'images'/'annotations' (PoseTrack 2018)"
    )


def sequence_from_json(
    data: Any, path: object = "<in memory>", name: str | None = None, root: Path | None = None
) -> Sequence:
    """Parse an already-loaded annotation file (either format) into a `Sequence`."""
    fmt = detect_format(data, path)
    where = _Where(path)
    if fmt == "2017":
        frames, vid_id = _frames_2017(data, where), None
    else:
        frames, vid_id = _frames_2018(data, where)
    for index, frame in enumerate(frames):
        _check_unique_track_ids(frame, where.at_frame(index, frame.image))
    source = Path(path) if isinstance(path, (str, Path)) and path != "<in memory>" else None
    seq_name = name if name is not None else (source.stem if source is not None else "sequence")
    return Sequence(name=seq_name, frames=frames, root=root, source=source, format=fmt, vid_id=vid_id)


def read_sequence(path: str | Path, root: str | Path | None = None) -> Sequence:
    """Read one PoseTrack 2017 or 2018 annotation file (format detected from its keys).

    root: the dataset root that image names are relative to; by default `<root>` when the file is
    `<root>/annotations/<split>/<name>.json` (the PoseTrack layout), else the file's folder.
    """
    path = Path(path)
    if root is None:
        root = path.parent.parent.parent if path.parent.parent.name == "annotations" else path.parent
    return sequence_from_json(_load_json(path), path, name=path.stem, root=Path(root))


def read_folder(folder: str | Path, root: str | Path | None = None) -> list[Sequence]:
    """Every `*.json` in `folder` (one sequence per file), sorted by file name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "no such folder")
    files = sorted(p for p in folder.glob("*.json") if p.is_file())
    if not files:
        raise DataError(folder, "no *.json annotation files in this folder")
    return [read_sequence(p, root=root) for p in files]


def available_splits(data_root: str | Path) -> list[str]:
    """The split names under `<data_root>/annotations/` (sub-folders), sorted."""
    ann = Path(data_root) / "annotations"
    return sorted(p.name for p in ann.iterdir() if p.is_dir()) if ann.is_dir() else []


def read_split(data_root: str | Path, split: str) -> list[Sequence]:
    """The sequences of `<data_root>/annotations/<split>/*.json` (image names relative to data_root).

    split "all" reads every sub-folder of `annotations/` in name order (JSON files lying directly in
    `annotations/` are not read: they are usually merged copies). A `data_root` without `annotations/`
    that holds JSON files itself is read as one folder, whatever `split` says.
    """
    data_root = Path(data_root)
    if not data_root.is_dir():
        raise DataError(data_root, "no such folder")
    ann = data_root / "annotations"
    if not ann.is_dir():
        if any(data_root.glob("*.json")):
            return read_folder(data_root)
        raise DataError(data_root, "neither an annotations/<split>/ folder nor *.json files here")
    splits = available_splits(data_root)
    if split == "all":
        if not splits:
            raise DataError(ann, "no split folders (e.g. annotations/val/) here")
        return [seq for s in splits for seq in read_folder(ann / s, root=data_root)]
    if split not in splits:
        found = ", ".join(splits) if splits else "none"
        raise DataError(data_root, f"no annotations/{split}/ folder (splits found: {found})")
    return read_folder(ann / split, root=data_root)


def _check_unique_track_ids(frame: Frame, where: _Where) -> None:
    seen: set[int] = set()
    for person in frame.persons:
        if person.track_id is None:
            continue
        if person.track_id in seen:
            where.fail(f"duplicate track_id {person.track_id} in one frame")
        seen.add(person.track_id)


def _polygon(xs: list, ys: list, where: _Where) -> np.ndarray:
    """(N, 2) float64 x, y of one ignore region."""
    pts = [
        (where.number(x, f"point {k} x"), where.number(y, f"point {k} y"))
        for k, (x, y) in enumerate(zip(xs, ys, strict=True))
    ]
    return np.asarray(pts, dtype=np.float64).reshape(-1, 2)


# ---- PoseTrack 2017 -------------------------------------------------------------------------------


def _frames_2017(data: dict, where: _Where) -> list[Frame]:
    annolist = where.as_list(where.key(data, "annolist"), "'annolist'")
    return [_frame_2017(entry, index, where) for index, entry in enumerate(annolist)]


def _image_name_2017(entry: Any, where: _Where) -> str:
    image = entry.get("image") if isinstance(entry, dict) else None
    if isinstance(image, list):
        image = image[0] if len(image) == 1 else None
    name = image.get("name") if isinstance(image, dict) else None
    if isinstance(name, list) and len(name) == 1:
        name = name[0]
    if not isinstance(name, str) or not name:
        where.fail("frame has no image name (expected 'image': [{'name': ...}])")
    return name


def _frame_2017(entry: Any, index: int, where: _Where) -> Frame:
    fw = where.at_frame(index)
    if not isinstance(entry, dict):
        fw.fail(f"annolist entry must be a JSON object, got {type(entry).__name__}")
    name = _image_name_2017(entry, fw)
    fw = where.at_frame(index, name)
    is_labeled = fw.flag(fw.scalar(entry.get("is_labeled", [1]), "is_labeled"), "is_labeled")
    rects = fw.as_list(fw.key(entry, "annorect"), "'annorect'")
    persons = [_person_2017(rect, fw.inside(f"annorect {k}")) for k, rect in enumerate(rects)]
    regions = []
    for r, region in enumerate(fw.as_list(entry.get("ignore_regions", []), "'ignore_regions'")):
        rw = fw.inside(f"ignore region {r}")
        points = rw.as_list(rw.key(region, "point"), "'point'")
        xs = [rw.scalar(rw.key(p, "x"), "x") for p in points]
        ys = [rw.scalar(rw.key(p, "y"), "y") for p in points]
        if points:
            regions.append(_polygon(xs, ys, rw))
    return Frame(image=name, persons=persons, ignore_regions=regions, is_labeled=is_labeled)


def _head_box_2017(rect: dict, where: _Where) -> np.ndarray | None:
    keys = ("x1", "y1", "x2", "y2")
    present = [k for k in keys if k in rect]
    if not present:
        return None
    if len(present) < 4:
        missing = ", ".join(k for k in keys if k not in rect)
        where.fail(f"head box is incomplete (missing {missing})")
    x1, y1, x2, y2 = (where.number(where.scalar(rect[k], k), k) for k in keys)
    _check_box_size(x2 - x1, y2 - y1, where)
    return np.array([x1, y1, x2, y2])


def _check_box_size(width: float, height: float, where: _Where) -> None:
    if width < 0 or height < 0:
        where.fail(f"head box has a negative size (width {width:g}, height {height:g})")


def _person_2017(rect: Any, where: _Where) -> Person:
    if not isinstance(rect, dict):
        where.fail(f"must be a JSON object, got {type(rect).__name__}")
    head_box = _head_box_2017(rect, where)
    track_id = None
    if "track_id" in rect:
        track_id = where.integer(where.scalar(rect["track_id"], "track_id"), "track_id")
    score = where.number(where.scalar(rect["score"], "score"), "score") if "score" in rect else None
    joints, scores = empty_joints(), np.full(NUM_JOINTS, np.nan)
    annopoints = rect.get("annopoints") or []
    if isinstance(annopoints, dict):
        annopoints = [annopoints]
    annopoints = where.as_list(annopoints, "'annopoints'")
    points = annopoints[0].get("point", []) if annopoints and isinstance(annopoints[0], dict) else []
    has_scores = False
    for m, point in enumerate(where.as_list(points, "'point'")):
        pw = where.inside(f"point {m}")
        joint = pw.integer(pw.scalar(pw.key(point, "id"), "id"), "id")
        if not 0 <= joint < NUM_JOINTS:
            pw.fail(f"joint id {joint} is outside 0..{NUM_JOINTS - 1}")
        pw = where.inside(f"point {m} ({JOINT_NAMES[joint]})")
        x = pw.number(pw.scalar(pw.key(point, "x"), "x"), "x")
        y = pw.number(pw.scalar(pw.key(point, "y"), "y"), "y")
        visible = pw.flag(pw.scalar(point.get("is_visible", 1), "is_visible"), "is_visible")
        if not np.isnan(joints[joint, 0]):
            continue  # first point with this id wins (official getPointGTbyID)
        joints[joint] = (x, y, float(visible))
        if "score" in point:
            scores[joint] = pw.number(pw.scalar(point["score"], "score"), "score")
            has_scores = True
    return Person(
        joints=joints,
        head_box=head_box,
        track_id=track_id,
        scores=scores if has_scores else None,
        score=score,
    )


# ---- PoseTrack 2018 -------------------------------------------------------------------------------


def _keypoint_map_2018(categories: Any, where: _Where) -> list[int]:
    """For each keypoint of the file's person category, its 2017 joint id, or -1 for the ears."""
    cats = where.as_list(categories, "'categories'")
    persons = [c for c in cats if isinstance(c, dict) and c.get("name") == "person"]
    if not persons and len(cats) == 1 and isinstance(cats[0], dict):
        persons = cats
    if len(persons) != 1:
        where.fail(f"'categories' must hold one 'person' category, found {len(persons)}")
    cw = where.inside("categories 'person'")
    names = cw.as_list(cw.key(persons[0], "keypoints"), "'keypoints'")
    if len(names) not in (NUM_JOINTS, len(POSETRACK18_KEYPOINTS)):
        cw.fail(f"has {len(names)} keypoint names, expected {len(POSETRACK18_KEYPOINTS)} (or {NUM_JOINTS})")
    mapping: list[int] = []
    for name in names:
        if isinstance(name, str) and name in NAME_18_TO_17 and NAME_18_TO_17[name] is None:
            mapping.append(-1)  # an ear: never annotated in PoseTrack
            continue
        try:
            mapping.append(joint_id_from_name(name))
        except (ValueError, TypeError):
            cw.fail(f"unknown joint name {name!r}")
    if len(set(j for j in mapping if j >= 0)) != sum(j >= 0 for j in mapping):
        cw.fail("a joint name occurs twice")
    missing = [JOINT_NAMES[j] for j in range(NUM_JOINTS) if j not in mapping]
    if missing:
        cw.fail(f"keypoint names lack {', '.join(missing)}")
    return mapping


def _frames_2018(data: dict, where: _Where) -> tuple[list[Frame], str | None]:
    images = where.as_list(where.key(data, "images"), "'images'")
    annotations = where.as_list(where.key(data, "annotations"), "'annotations'")
    kp_map = _keypoint_map_2018(where.key(data, "categories"), where)
    frames: list[Frame] = []
    index_of: dict[int, int] = {}
    for index, image in enumerate(images):
        fw = where.at_frame(index)
        if not isinstance(image, dict):
            fw.fail(f"images entry must be a JSON object, got {type(image).__name__}")
        name = image.get("file_name")
        if not isinstance(name, str) or not name:
            fw.fail("frame has no image name ('file_name')")
        fw = where.at_frame(index, name)
        id_key = "id" if "id" in image else "frame_id"
        image_id = fw.integer(fw.key(image, id_key), id_key)
        if image_id in index_of:
            fw.fail(f"image id {image_id} occurs twice in 'images'")
        index_of[image_id] = index
        frames.append(
            Frame(
                image=name,
                ignore_regions=_regions_2018(image, fw),
                is_labeled=fw.flag(image.get("is_labeled", True), "is_labeled"),
                frame_id=image_id,
            )
        )
    batch = _batch_keypoints_2018(annotations, kp_map)
    for k, ann in enumerate(annotations):
        # Fast path (the reader's hot loop): a plain int image id that is known; else the checked path.
        image_id = ann.get("image_id") if type(ann) is dict else None
        if type(image_id) is not int or image_id not in index_of:
            aw = where.inside(f"annotation {k}")
            image_id = aw.integer(aw.key(ann, "image_id"), "image_id")
            if image_id not in index_of:
                aw.fail(f"image_id {image_id} is not an id in 'images'")
        index = index_of[image_id]
        at = _LazyWhere(where, index, frames[index].image, f"annotation {k}")
        if batch is None:
            person = _person_2018(ann, kp_map, at.get())
        else:
            person = _person_2018_rest(ann, batch[0][k], batch[1][k] if batch[2][k] else None, at)
        frames[index].persons.append(person)
    vid_id = images[0].get("vid_id") if images else None
    return frames, (str(vid_id) if vid_id is not None else None)


def _regions_2018(image: dict, where: _Where) -> list[np.ndarray]:
    xs = where.as_list(image.get("ignore_regions_x", []), "'ignore_regions_x'")
    ys = where.as_list(image.get("ignore_regions_y", []), "'ignore_regions_y'")
    if len(xs) != len(ys):
        where.fail(f"ignore_regions_x has {len(xs)} regions but ignore_regions_y has {len(ys)}")
    regions = []
    for r, (rx, ry) in enumerate(zip(xs, ys, strict=True)):
        rw = where.inside(f"ignore region {r}")
        rx, ry = rw.as_list(rx, "x list"), rw.as_list(ry, "y list")
        if len(rx) != len(ry):
            rw.fail(f"has {len(rx)} x but {len(ry)} y coordinates")
        if rx:
            regions.append(_polygon(rx, ry, rw))
    return regions


_NUMBER_TYPES = (int, float)


def _fast_keypoints_2018(kps: list, raw_scores: list, kp_map: list[int], joints: np.ndarray,
                         scores: np.ndarray) -> bool:
    """`_checked_keypoints_2018` for the common case of plain finite JSON numbers (the reader's hot loop,
    one numpy call per person). Returns False, having written nothing, when any value needs the checked
    path (which then names the bad value)."""
    nan = math.nan
    rows = [(nan, nan, nan)] * NUM_JOINTS
    row_scores = [nan] * NUM_JOINTS
    isfinite = math.isfinite
    for k, joint in enumerate(kp_map):
        x, y, v = kps[3 * k], kps[3 * k + 1], kps[3 * k + 2]
        if type(x) not in _NUMBER_TYPES or type(y) not in _NUMBER_TYPES or type(v) not in _NUMBER_TYPES:
            return False
        if not (isfinite(x) and isfinite(y) and isfinite(v)):
            return False
        if raw_scores:
            sc = raw_scores[k]
            if type(sc) not in _NUMBER_TYPES or not isfinite(sc):
                return False
        if (x == 0 and y == 0 and v == 0) or joint < 0:
            continue  # absent (official converter), or an ear
        rows[joint] = (x, y, 1.0 if v > 0 else 0.0)
        if raw_scores:
            row_scores[joint] = sc
    joints[:] = rows
    if raw_scores:
        scores[:] = row_scores
    return True


def _checked_keypoints_2018(kps: list, raw_scores: list, kp_map: list[int], joints: np.ndarray,
                            scores: np.ndarray, where: _Where) -> None:
    """Fill `joints` / `scores` from a 2018 annotation's keypoints, checking every value."""
    n = len(kp_map)
    for k, joint in enumerate(kp_map):
        what = POSETRACK18_KEYPOINTS[k] if n == len(POSETRACK18_KEYPOINTS) else JOINT_NAMES[joint]
        x, y, v = (
            where.number(kps[3 * k + c], f"keypoint {k} ({what}) {axis}") for c, axis in enumerate("xyv")
        )
        if (x == 0 and y == 0 and v == 0) or joint < 0:
            continue  # absent (official converter), or an ear
        joints[joint] = (x, y, float(v > 0))
        if raw_scores:
            scores[joint] = where.number(raw_scores[k], f"scores[{k}]")


def _batch_keypoints_2018(annotations: list, kp_map: list[int]
                          ) -> tuple[np.ndarray, np.ndarray, list[bool]] | None:
    """Every annotation's joints (N, 15, 3) and scores (N, 15) at once, for the common case of well-formed
    annotations with plain finite numbers (one numpy conversion per file: the reader's hot path). None
    when anything needs the per-annotation checks (which then name the bad value)."""
    n = len(kp_map)
    kps, scores, has_scores = [], [], []
    for ann in annotations:
        if type(ann) is not dict:
            return None
        k = ann.get("keypoints")
        sc = ann.get("scores", [])
        if type(k) is not list or len(k) != 3 * n or type(sc) is not list or (sc and len(sc) != n):
            return None
        kps.append(k)
        scores.append(sc if sc else [0.0] * n)
        has_scores.append(bool(sc))
    flat_k = [v for k in kps for v in k]
    flat_s = [v for sc in scores for v in sc]
    if not set(map(type, flat_k)) <= {int, float} or not set(map(type, flat_s)) <= {int, float}:
        return None
    xyv = np.array(flat_k, dtype=np.float64).reshape(-1, n, 3)
    sc = np.array(flat_s, dtype=np.float64).reshape(-1, n)
    if not (np.isfinite(xyv).all() and np.isfinite(sc).all()):
        return None
    target = np.asarray(kp_map)
    keep = ~((xyv[..., 0] == 0) & (xyv[..., 1] == 0) & (xyv[..., 2] == 0)) & (target >= 0)[None, :]
    joints = np.full((len(kps), NUM_JOINTS, 3), np.nan)
    out_scores = np.full((len(kps), NUM_JOINTS), np.nan)
    rows, cols = np.nonzero(keep)
    joints[rows, target[cols], 0] = xyv[rows, cols, 0]
    joints[rows, target[cols], 1] = xyv[rows, cols, 1]
    joints[rows, target[cols], 2] = (xyv[rows, cols, 2] > 0).astype(np.float64)
    out_scores[rows, target[cols]] = sc[rows, cols]
    return joints, out_scores, has_scores


def _person_2018(ann: Any, kp_map: list[int], where: _Where) -> Person:
    """One 2018 annotation, checked (when `_batch_keypoints_2018` cannot parse the file at once)."""
    if not isinstance(ann, dict):
        where.fail(f"must be a JSON object, got {type(ann).__name__}")
    n = len(kp_map)
    kps = where.as_list(where.key(ann, "keypoints"), "'keypoints'")
    if len(kps) != 3 * n:
        where.fail(f"'keypoints' has {len(kps)} values, expected {3 * n} (3 x {n} keypoints)")
    raw_scores = where.as_list(ann.get("scores", []), "'scores'")
    if raw_scores and len(raw_scores) != n:
        where.fail(f"'scores' has {len(raw_scores)} values, expected {n}")
    joints, scores = empty_joints(), np.full(NUM_JOINTS, np.nan)
    if not _fast_keypoints_2018(kps, raw_scores, kp_map, joints, scores):
        _checked_keypoints_2018(kps, raw_scores, kp_map, joints, scores, where)
    return _person_2018_rest(ann, joints, scores if raw_scores else None, where)


class _LazyWhere:
    """The `_Where` of one annotation, built only when a check needs it (the fast paths never do)."""

    __slots__ = ("_where", "_index", "_image", "_item")

    def __init__(self, where: _Where, index: int, image: str, item: str):
        self._where, self._index, self._image, self._item = where, index, image, item

    def get(self) -> _Where:
        return self._where.at_frame(self._index, self._image).inside(self._item)


def _plain_box(box: Any) -> tuple[float, float, float, float] | None:
    """(x, y, w, h) of a well-formed `bbox_head` (4 finite plain numbers, w, h >= 0), else None."""
    if type(box) is not list or len(box) != 4:
        return None
    x, y, w, h = box
    for b in box:
        if type(b) not in _NUMBER_TYPES or not math.isfinite(b):
            return None
    return (x, y, w, h) if w >= 0 and h >= 0 else None


def _person_2018_rest(ann: dict, joints: np.ndarray, scores: np.ndarray | None,
                      where: _Where | _LazyWhere) -> Person:
    """The head box, track id and person score of a 2018 annotation, with its parsed joints and scores.
    Plain well-formed values take a fast path; anything else goes through the checks of `where`."""
    lazy = where.get if isinstance(where, _LazyWhere) else lambda: where
    head_box = None
    if "bbox_head" in ann:
        plain = _plain_box(ann["bbox_head"])
        if plain is None:
            w_ = lazy()
            box = w_.as_list(ann["bbox_head"], "'bbox_head'")
            if len(box) != 4:
                w_.fail(f"'bbox_head' has {len(box)} values, expected 4 (x, y, w, h)")
            plain = tuple(w_.number(b, f"bbox_head[{i}]") for i, b in enumerate(box))
            _check_box_size(plain[2], plain[3], w_)
        x, y, w, h = plain
        head_box = np.array([x, y, x + w, y + h], dtype=np.float64)
    track_id = ann.get("track_id")
    if track_id is not None and type(track_id) is not int:
        track_id = lazy().integer(track_id, "track_id")
    score = ann.get("score")
    if score is not None:
        score = float(score) if type(score) in _NUMBER_TYPES and math.isfinite(score) else \
            lazy().number(score, "score")
    return Person(
        joints=joints,
        head_box=head_box,
        track_id=track_id,
        scores=scores,
        score=score,
    )


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def _num(value: float) -> int | float:
    """A plain JSON number: int when integral, else float."""
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _present(person: Person) -> np.ndarray:
    """(15,) bool: joints with finite x and y (written); the rest is absent."""
    return np.isfinite(person.joints[:, 0]) & np.isfinite(person.joints[:, 1])


def _visible(person: Person, joint: int) -> int:
    v = person.joints[joint, 2]
    return 0 if v == 0 else 1  # NaN visibility counts as visible


def _head_box(person: Person) -> np.ndarray | None:
    box = person.head_box
    return box if box is not None and bool(np.all(np.isfinite(box))) else None


def _finite_score(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _regions_out(frame: Frame, seq: Sequence, index: int) -> list[np.ndarray]:
    regions = [r for r in frame.ignore_regions if len(r)]
    for region in regions:
        if not np.all(np.isfinite(region)):
            raise DataError(seq.source or seq.name, "ignore region has a non-finite coordinate", frame=index)
    return regions


def sequence_to_json(seq: Sequence, format: str | None = None) -> dict:
    """The JSON document (plain dicts/lists, no NaN) of `seq` in PoseTrack `format` (default seq.format)."""
    fmt = format or seq.format
    if fmt not in FORMATS:
        raise ValueError(f"unknown PoseTrack format {fmt!r}; expected one of {FORMATS}")
    return _to_2017(seq) if fmt == "2017" else _to_2018(seq)


def write_sequence(seq: Sequence, path: str | Path, format: str | None = None) -> None:
    """Write `seq` (GT or predictions) atomically as one PoseTrack file in `format` (default seq.format).

    Every frame is written in order, empty frames included, as the official evaluation aligns GT and
    prediction frames by index (EVALUATION.md §1.1).
    """
    atomic_write_json(path, sequence_to_json(seq, format), indent=None)


def write_folder(sequences: Iterable[Sequence], out_dir: str | Path, format: str | None = None) -> list[Path]:
    """Write each sequence to `<out_dir>/<seq.name>.json` (the GT file names); returns the paths."""
    out_dir = Path(out_dir)
    paths: list[Path] = []
    for seq in sequences:
        path = out_dir / f"{seq.name}.json"
        if path in paths:
            raise ValueError(f"two sequences are named {seq.name!r}")
        write_sequence(seq, path, format)
        paths.append(path)
    return paths


def _to_2017(seq: Sequence) -> dict:
    annolist = []
    for index, frame in enumerate(seq.frames):
        entry: dict[str, Any] = {
            "image": [{"name": frame.image}],
            "imgnum": [index + 1],
            "is_labeled": [1 if frame.is_labeled else 0],
        }
        regions = _regions_out(frame, seq, index)
        if regions:
            entry["ignore_regions"] = [
                {"point": [{"x": [_num(x)], "y": [_num(y)]} for x, y in region]} for region in regions
            ]
        entry["annorect"] = [_rect_2017(p) for p in frame.persons]
        annolist.append(entry)
    return {"annolist": annolist}


def _rect_2017(person: Person) -> dict:
    rect: dict[str, Any] = {}
    box = _head_box(person)
    if box is not None:
        rect.update({k: [_num(v)] for k, v in zip(("x1", "y1", "x2", "y2"), box, strict=True)})
    score = _finite_score(person.score)
    if score is not None:
        rect["score"] = [score]
    if person.track_id is not None:
        rect["track_id"] = [int(person.track_id)]
    points = []
    for joint in np.flatnonzero(_present(person)):
        x, y = person.joints[joint, :2]
        point: dict[str, Any] = {"id": [int(joint)], "x": [_num(x)], "y": [_num(y)]}
        point["is_visible"] = [_visible(person, joint)]
        if person.scores is not None and math.isfinite(person.scores[joint]):
            point["score"] = [float(person.scores[joint])]
        points.append(point)
    rect["annopoints"] = [{"point": points}]
    return rect


def _image_ids(seq: Sequence) -> list[int]:
    """2018 image ids (see the module docstring for the rule)."""
    own = [f.frame_id for f in seq.frames]
    if all(i is not None for i in own) and len(set(own)) == len(own):
        return [int(i) for i in own]
    match = _POSETRACK_NAME.match(seq.name)
    if match is None or len(seq.frames) > 10**4:
        return list(range(len(seq.frames)))
    base = SEQ_TYPE_DIGIT[match.group(2)] * 10**10 + int(match.group(1)) * 10**4
    stems = [Path(f.image).stem for f in seq.frames]
    numbers = [int(s) if s.isdigit() and int(s) < 10**4 else i for i, s in enumerate(stems)]
    if len(set(numbers)) != len(numbers):
        numbers = list(range(len(seq.frames)))
    return [base + n for n in numbers]


def _vid_id(seq: Sequence) -> str:
    if seq.vid_id is not None:
        return str(seq.vid_id)
    match = re.match(r"^(\d+)_", seq.name)
    return match.group(1) if match else seq.name


def _to_2018(seq: Sequence) -> dict:
    ids = _image_ids(seq)
    per_frame_ann_ids = max((len(f.persons) for f in seq.frames), default=0) < 100
    vid_id, counter = _vid_id(seq), 0
    images, annotations = [], []
    for index, (frame, image_id) in enumerate(zip(seq.frames, ids, strict=True)):
        regions = _regions_out(frame, seq, index)
        images.append(
            {
                "file_name": frame.image,
                "id": image_id,
                "frame_id": image_id,
                "vid_id": vid_id,
                "nframes": len(seq.frames),
                "is_labeled": bool(frame.is_labeled),
                "ignore_regions_x": [[_num(x) for x in r[:, 0]] for r in regions],
                "ignore_regions_y": [[_num(y) for y in r[:, 1]] for r in regions],
            }
        )
        for k, person in enumerate(frame.persons):
            counter += 1
            ann_id = image_id * 100 + k if per_frame_ann_ids else counter
            annotations.append(_annotation_2018(person, ann_id, image_id))
    skeleton = [[J17_TO_KP18[a] + 1, J17_TO_KP18[b] + 1] for a, b in SKELETON]
    category = {
        "supercategory": "person",
        "id": 1,
        "name": "person",
        "keypoints": list(POSETRACK18_KEYPOINTS),
        "skeleton": skeleton,
    }
    return {"images": images, "annotations": annotations, "categories": [category]}


def _annotation_2018(person: Person, ann_id: int, image_id: int) -> dict:
    present = _present(person)
    keypoints: list[int | float] = [0] * (3 * len(POSETRACK18_KEYPOINTS))
    scores: list[float] = [0.0] * len(POSETRACK18_KEYPOINTS)
    for joint in np.flatnonzero(present):
        k = J17_TO_KP18[joint]
        x, y = person.joints[joint, :2]
        keypoints[3 * k : 3 * k + 3] = [_num(x), _num(y), _visible(person, joint)]
        if person.scores is not None and math.isfinite(person.scores[joint]):
            scores[k] = float(person.scores[joint])
    ann: dict[str, Any] = {"id": ann_id, "image_id": image_id, "category_id": 1}
    if person.track_id is not None:
        ann["track_id"] = int(person.track_id)
    ann["keypoints"] = keypoints
    ann["num_keypoints"] = int(present.sum())
    box = _head_box(person)
    if box is not None:
        ann["bbox_head"] = [_num(box[0]), _num(box[1]), _num(box[2] - box[0]), _num(box[3] - box[1])]
    if present.any():
        xy = person.joints[present, :2]
        x0, y0 = xy.min(axis=0)
        x1, y1 = xy.max(axis=0)
        ann["bbox"] = [_num(x0), _num(y0), _num(x1 - x0), _num(y1 - y0)]
    if person.scores is not None:
        ann["scores"] = scores
    score = _finite_score(person.score)
    if score is not None:
        ann["score"] = score
    return ann


# --------------------------------------------------------------------------------------------------
# Summary (`posekit info`)
# --------------------------------------------------------------------------------------------------


def _stats(values: list[int]) -> dict[str, float | int | None]:
    if not values:
        return {"mean": None, "min": None, "max": None}
    return {"mean": float(np.mean(values)), "min": int(min(values)), "max": int(max(values))}


def _image_size(sequences: list[Sequence]) -> list[int] | None:
    """[width, height] of the first frame's image, or None when it (or OpenCV) is not available."""
    if not sequences or not sequences[0].frames:
        return None
    path = sequences[0].image_path(0)
    if not path.is_file():
        return None
    try:
        import cv2
    except ImportError:  # pragma: no cover - opencv is a dependency, but the summary does not need it
        return None
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return None if image is None else [int(image.shape[1]), int(image.shape[0])]


def dataset_summary(sequences: list[Sequence]) -> dict:
    """Counts that describe a dataset (the output of `posekit info`), as plain JSON-able values.

    persons: every person instance in every frame; tracks: distinct track ids per sequence;
    occlusion_rate: annotated joints with visible == 0 / annotated joints.
    """
    frames = [f for s in sequences for f in s.frames]
    labeled = [f for f in frames if f.is_labeled]
    persons = [p for f in frames for p in f.persons]
    per_joint = np.zeros(NUM_JOINTS, dtype=int)
    occluded = 0
    for p in persons:
        annotated = p.annotated
        per_joint += annotated
        occluded += int(np.sum(p.joints[annotated, 2] == 0))
    tracks = [
        len({p.track_id for f in s.frames for p in f.persons if p.track_id is not None}) for s in sequences
    ]
    total_joints = int(per_joint.sum())
    return {
        "sequences": len(sequences),
        "formats": sorted({s.format for s in sequences}),
        "frames": len(frames),
        "labeled_frames": len(labeled),
        "persons": len(persons),
        "persons_with_head_box": sum(p.head_box is not None for p in persons),
        "persons_per_labeled_frame": _stats([len(f.persons) for f in labeled]),
        "tracks": {"total": int(sum(tracks)), "per_sequence": _stats(tracks)},
        "joints_annotated": total_joints,
        "joints_per_type": {name: int(c) for name, c in zip(JOINT_NAMES, per_joint, strict=True)},
        "occluded_joints": occluded,
        "occlusion_rate": occluded / total_joints if total_joints else None,
        "frames_with_ignore_regions": sum(bool(f.ignore_regions) for f in frames),
        "image_size": _image_size(sequences),
    }


def _fmt_stats(stats: dict) -> str:
    if stats["mean"] is None:
        return "-"
    return f"mean {stats['mean']:.2f}, min {stats['min']}, max {stats['max']}"


def format_summary(summary: dict) -> str:
    """A readable two-part table of `dataset_summary`'s counts."""
    rate = summary["occlusion_rate"]
    size = summary["image_size"]
    rows = [
        ("sequences", f"{summary['sequences']}  (PoseTrack {', '.join(summary['formats']) or '-'})"),
        ("frames", str(summary["frames"])),
        ("labelled frames", str(summary["labeled_frames"])),
        ("persons", f"{summary['persons']}  ({summary['persons_with_head_box']} with a head box)"),
        ("persons per labelled frame", _fmt_stats(summary["persons_per_labeled_frame"])),
        ("tracks", str(summary["tracks"]["total"])),
        ("tracks per sequence", _fmt_stats(summary["tracks"]["per_sequence"])),
        ("joints annotated", str(summary["joints_annotated"])),
        (
            "occluded joints",
            f"{summary['occluded_joints']}" + (f"  ({100 * rate:.1f}%)" if rate is not None else ""),
        ),
        ("frames with ignore regions", str(summary["frames_with_ignore_regions"])),
        ("image size", f"{size[0]} x {size[1]}" if size else "unknown (first image not found)"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    counts = summary["joints_per_type"]
    name_width = max(len(n) for n in counts)
    lines += ["", "joints annotated per type", f"{'joint':<{name_width}}  {'count':>7}"]
    lines += [f"{name:<{name_width}}  {count:>7}" for name, count in counts.items()]
    return "\n".join(lines)
