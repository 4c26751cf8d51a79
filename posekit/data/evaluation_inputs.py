"""Reading the inputs of `posekit evaluate`: a GT folder and a prediction folder, matched by file name.

The evaluation itself (`posekit.evaluation`) reads no files; this module turns the two folders into
schema sequences in a chosen order (EVALUATION.md §1.1):

- "sorted" (default): by file name, deterministic on every machine;
- "listdir": the order the file system lists the folder in — what the official code's unsorted
  `glob.glob(gt_dir + "/*.json")` sees (glob lists a folder with `os.scandir`). The official AP depends on
  this order whenever scores tie across sequences, so this reproduces the official number on the same
  file system, and only there.
"""

from __future__ import annotations

import os
from pathlib import Path

from posekit.data.posetrack import read_sequence
from posekit.data.schema import Sequence
from posekit.errors import DataError

SEQUENCE_ORDERS: tuple[str, ...] = ("sorted", "listdir")


def gt_folder(gt_dir: str | Path, split: str = "val") -> Path:
    """The folder of GT files: `gt_dir` itself, or `<gt_dir>/annotations/<split>` for a PoseTrack root."""
    gt_dir = Path(gt_dir)
    nested = gt_dir / "annotations" / split
    if nested.is_dir() and not any(gt_dir.glob("*.json")):
        return nested
    return gt_dir


def json_files(folder: str | Path, order: str = "sorted") -> list[Path]:
    """The `*.json` files of `folder` in `order` ("sorted" or "listdir")."""
    if order not in SEQUENCE_ORDERS:
        raise ValueError(f"sequence order must be one of {SEQUENCE_ORDERS}, got {order!r}")
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "no such folder")
    with os.scandir(folder) as entries:
        files = [Path(e.path) for e in entries if e.name.endswith(".json") and e.is_file()]
    if not files:
        raise DataError(folder, "no *.json annotation files in this folder")
    return sorted(files) if order == "sorted" else files


def read_gt_and_predictions(gt_dir: str | Path, pred_dir: str | Path, *, format: str = "auto",
                            sequence_order: str = "sorted") -> tuple[list[Sequence], list[Sequence]]:
    """The GT sequences of `gt_dir` (a folder, or a PoseTrack root holding `annotations/val/`) in
    `sequence_order`, and for each the prediction file of the same name in `pred_dir`.

    format: "auto" (each file's own layout), "2017" or "2018" (a file in the other layout: DataError).
    DataError for a missing folder or prediction file.
    """
    if format not in ("auto", "2017", "2018"):
        raise ValueError(f"format must be 'auto', '2017' or '2018', got {format!r}")
    gt = [read_sequence(p) for p in json_files(gt_folder(gt_dir), sequence_order)]
    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise DataError(pred_dir, "no such prediction folder")
    preds = []
    for seq in gt:
        name = seq.source.name if seq.source is not None else f"{seq.name}.json"
        path = pred_dir / name
        if not path.is_file():
            raise DataError(path, f"missing prediction file for GT sequence {seq.name!r}")
        preds.append(read_sequence(path))
    if format != "auto":
        for seq in [*gt, *preds]:
            if seq.format != format:
                where = seq.source if seq.source is not None else seq.name
                raise DataError(where, f"is PoseTrack {seq.format}, but --format {format} was asked")
    return gt, preds
