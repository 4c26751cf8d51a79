"""`posekit evaluate --gt GT_DIR --pred PRED_DIR`: the PoseTrack evaluation (paper §5, Tables 1, 2 and 2b).

Prints Table 1 (AP per joint group and mAP) and Table 2 (MOTA, MOTP, Prec, Rec) the way the paper shows
them, and Table 2b (IDF1/IDP/IDR and keypoint HOTA/DetA/AssA/LocA, ...); with `--out DIR` writes
table1.csv, table2.csv, table2b.csv, per_joint.csv, per_sequence.csv and metrics.json. The defaults
are the official poseval behaviour; each `--no-…`/rule switch gives a "clean" variant, which the printed
tables announce. `--sequence-order listdir` concatenates the sequences as the official code does on this
file system (the official AP depends on that order when scores tie). Input problems (missing prediction
files, frame-count mismatches, missing or duplicate track ids, unknown joint names, single-labelled-frame
sequences) are DataErrors: one line naming the file, exit status 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="score predictions with the PoseTrack evaluation (Table 1 AP, Table 2 MOTA/MOTP, "
        "Table 2b IDF1/HOTA)",
        description=(
            "Score PoseTrack 2017/2018 prediction files (one per GT sequence, same file name) with the "
            "official PoseTrack evaluation: AP per joint (Table 1) and MOTA/MOTP/precision/recall "
            "(Table 2), and IDF1 and keypoint HOTA (Table 2b). Defaults reproduce poseval exactly; the "
            "switches give a documented clean variant."
        ),
    )
    p.add_argument(
        "--gt",
        required=True,
        metavar="GT_DIR",
        help="folder of GT JSON files, or a PoseTrack root holding annotations/val/",
    )
    p.add_argument(
        "--pred",
        required=True,
        metavar="PRED_DIR",
        help="folder of prediction JSON files named like the GT files",
    )
    p.add_argument(
        "--format",
        choices=("auto", "2017", "2018"),
        default="auto",
        help="layout of the files (default: detected per file)",
    )
    p.add_argument(
        "--out", metavar="DIR", help="write table1/table2/table2b/per_joint/per_sequence CSV + metrics.json"
    )
    p.add_argument(
        "--no-drop-last-frame",
        dest="drop_last_frame",
        action="store_false",
        help="score each sequence's last labelled frame in the MOT metrics (poseval drops it)",
    )
    p.add_argument(
        "--empty-frame-rule",
        choices=("poseval", "count"),
        default="poseval",
        help="empty GT/prediction frames: poseval's 1 miss + 1 FP per joint, or the real counts",
    )
    p.add_argument(
        "--motp",
        choices=("matched", "all_events"),
        default="matched",
        help="MOTP over matched pairs (default) or poseval+PyPI motmetrics' inflated event sum",
    )
    p.add_argument(
        "--carry-over",
        choices=("latest_match", "previous_update"),
        default="latest_match",
        help="MOT matching keeps every GT joint's latest pairing (motmetrics 1.4.0, official; default) "
        "or only the previous frame's pairings",
    )
    p.add_argument(
        "--sequence-order",
        choices=("sorted", "listdir"),
        default="sorted",
        help="order of the GT files in the global AP ranking: by name (default, deterministic) or as the "
        "file system lists them, like the official code's glob (tied scores make the official AP depend "
        "on it)",
    )
    p.add_argument(
        "--ap-only",
        dest="tracking",
        action="store_false",
        help="Table 1 only (no track ids needed, single-frame sequences allowed)",
    )
    p.add_argument("--per-sequence", action="store_true", help="also print one row per sequence")
    p.set_defaults(func=run)


def evaluate_folders(gt_dir: str | Path, pred_dir: str | Path, *, format: str = "auto",
                     sequence_order: str = "sorted", **switches):
    """`posekit.evaluation.evaluate` on folders of PoseTrack JSON files (one per sequence), matched by
    file name (`posekit.data.evaluation_inputs.read_gt_and_predictions`); switches: `evaluate`'s."""
    from posekit.data.evaluation_inputs import read_gt_and_predictions
    from posekit.evaluation import evaluate

    gt, preds = read_gt_and_predictions(gt_dir, pred_dir, format=format, sequence_order=sequence_order)
    return evaluate(gt, preds, sequence_order=sequence_order, **switches)


def run(args: argparse.Namespace) -> int:
    result = evaluate_folders(
        args.gt,
        args.pred,
        format=args.format,
        sequence_order=args.sequence_order,
        drop_last_frame=args.drop_last_frame,
        empty_frame_rule=args.empty_frame_rule,
        motp=args.motp,
        carry_over=args.carry_over,
        tracking=args.tracking,
    )
    print(f"{len(result.sequences)} sequences: {args.gt} vs {args.pred}")
    print(result.format_tables())
    if args.per_sequence:
        print()
        print(result.format_per_sequence())
    if args.out:
        paths = result.save(args.out)
        print(f"wrote {', '.join(p.name for p in paths)} to {args.out}")
    return 0
