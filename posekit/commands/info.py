"""`posekit info DATA_DIR`: summarise a PoseTrack dataset (paper §4: the data the network is trained on).

DATA_DIR may be a PoseTrack folder (`annotations/<split>/*.json`, images relative to it), a folder of
PoseTrack 2017/2018 JSON files (one per sequence), or one JSON file. Malformed data raises DataError,
which the CLI prints as one line (exit status 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "info",
        help="summarise a PoseTrack folder (sequences, frames, persons, tracks, joints)",
        description=(
            "Print a summary of PoseTrack 2017/2018 annotations: sequences, frames, labelled frames, "
            "persons, people per labelled frame, tracks, joints annotated per type, occlusion rate, "
            "ignore regions."
        ),
    )
    p.add_argument(
        "data_dir",
        metavar="DATA_DIR",
        help="a PoseTrack folder (with annotations/<split>/), a folder of JSON files, or one JSON file",
    )
    p.add_argument(
        "--split",
        default="all",
        help="which annotations/<split>/ folder to read: val, train, ... or all (default: all)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posekit.data.posetrack import (
        available_splits,
        dataset_summary,
        format_summary,
        read_sequence,
        read_split,
    )
    from posekit.errors import DataError

    path = Path(args.data_dir)
    if path.is_file():
        sequences, what = [read_sequence(path)], "file"
    elif path.is_dir():
        sequences = read_split(path, args.split)
        splits = available_splits(path)
        what = f"split {args.split}" + (f" of {', '.join(splits)}" if splits and args.split == "all" else "")
        if not splits:
            what = "folder of JSON files"
    else:
        raise DataError(path, "no such file or folder")
    print(f"{path}  ({what})")
    print(format_summary(dataset_summary(sequences)))
    return 0
