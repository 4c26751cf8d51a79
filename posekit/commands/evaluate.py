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
import contextlib
import os
import signal
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
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes that read and score the sequences (default: the CPUs; 1: one process); "
                        "the numbers do not depend on it")
    p.set_defaults(func=run)


#: Fewer GT files than this are read and scored in one process (forking costs more than it saves).
MIN_FILES_PER_WORKER = 4


def default_workers() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def evaluate_folders(gt_dir: str | Path, pred_dir: str | Path, *, format: str = "auto",
                     sequence_order: str = "sorted", workers: int = 1, sequence_rows: bool = False,
                     **switches):
    """`posekit.evaluation.evaluate` on folders of PoseTrack JSON files (one per sequence), matched by
    file name (`posekit.data.evaluation_inputs.read_gt_and_predictions`); switches: `evaluate`'s.

    workers: processes that read and score the sequences (Not in the official code: it runs in one). With
    more than one (and at least `MIN_FILES_PER_WORKER` GT files each, on a system that can fork), the GT
    files are split into contiguous parts of about equal bytes; each forked worker reads its part's GT and
    prediction files and scores them (`score_sequences`), and the parent pools all scores in the split's
    order (`EvaluationResult.from_scores`): the same numbers as one process, bit for bit. Any problem in a
    part (a malformed file, a missing prediction) re-runs the whole evaluation in one process, so the
    error raised is the one a single process raises first. sequence_rows: the per-sequence rows are
    needed (computed while scoring, in the workers; otherwise on first use of the result's).
    """
    import gc

    from posekit.data.evaluation_inputs import read_gt_and_predictions
    from posekit.evaluation import evaluate

    # The files become millions of short-lived objects without reference cycles: the cyclic garbage
    # collector would traverse them again and again while they are read, for nothing (re-enabled after).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        if workers > 1:
            result = _evaluate_in_parts(gt_dir, pred_dir, format, sequence_order, workers, sequence_rows,
                                        switches)
            if result is not None:
                return result
        gt, preds = read_gt_and_predictions(gt_dir, pred_dir, format=format, sequence_order=sequence_order)
        return evaluate(gt, preds, sequence_order=sequence_order, **switches)
    finally:
        if was_enabled:
            gc.enable()


def _evaluate_in_parts(gt_dir, pred_dir, format: str, sequence_order: str, workers: int, sequence_rows: bool,
                       switches: dict):
    """`evaluate_folders` in `workers` forked processes; None where it falls back to one process."""
    from posekit.data.evaluation_inputs import gt_folder, json_files
    from posekit.errors import PosekitError
    from posekit.evaluation import EvaluationResult, EvaluationSettings

    if not hasattr(os, "fork") or not Path(pred_dir).is_dir():
        return None
    try:
        files = json_files(gt_folder(gt_dir), sequence_order)
        settings = EvaluationSettings(**{k: v for k, v in switches.items() if k != "hota_matching"})
    except (PosekitError, OSError, ValueError, TypeError):
        return None  # the one-process path raises it
    workers = min(workers, len(files) // MIN_FILES_PER_WORKER)
    if workers < 2:
        return None
    sizes = [f.stat().st_size for f in files]
    bounds = [0]
    total, acc = sum(sizes), 0
    for i, size in enumerate(sizes):  # cut after the file where the running size passes k/workers
        acc += size
        if len(bounds) < workers and acc >= total * len(bounds) / workers:
            bounds.append(i + 1)
    bounds.append(len(files))
    parts = [files[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]
    job = (Path(pred_dir), format, settings, switches.get("hota_matching", "posetrack21"), sequence_rows)
    children: list[tuple[int, int]] = []
    try:
        for part in parts[1:]:
            children.append(_fork(_score_part, (part, *job)))
        scored = [_score_part(parts[0], *job)]  # the parent scores the first part meanwhile
        while children:
            scored.append(_collect(children[0]))
            children.pop(0)
    finally:
        for pid, fd in children:  # interrupted: stop and reap the workers
            with contextlib.suppress(OSError):
                os.close(fd)
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
    if any(s is None for s in scored):
        return None
    return EvaluationResult.from_scores([s for part in scored for s in part], settings, sequence_order)


def _fork(func, args: tuple) -> tuple[int, int]:
    """Run func(*args) in a forked process that sends back the pickled result (None if it raised);
    returns (pid, read end of its pipe) for `_collect`."""
    import pickle

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            os.close(read_fd)
            try:
                result = func(*args)
            except BaseException:  # noqa: BLE001 - reported as None, the parent re-runs in one process
                result = None
            with os.fdopen(write_fd, "wb") as out:
                out.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os._exit(0)  # no exit handlers, no flushing of the parent's buffers
    os.close(write_fd)
    return pid, read_fd


def _collect(child: tuple[int, int]):
    """The result of a `_fork`ed worker; None if it sent nothing readable (it crashed or was killed)."""
    import pickle

    pid, fd = child
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    try:
        return pickle.loads(data)
    except Exception:  # noqa: BLE001 - an incomplete message
        return None


def _score_part(gt_files: list[Path], pred_dir: Path, format: str, settings, hota_matching: str,
                sequence_rows: bool):
    """Read and score some GT files and their predictions (a worker of `_evaluate_in_parts`); None on any
    problem (the parent then re-runs everything in one process, which names it). The scores keep only what
    pooling reads (`SequenceScore.for_pooling`)."""
    from posekit.data.posetrack import read_sequence
    from posekit.evaluation import score_sequences

    try:
        gt = [read_sequence(p) for p in gt_files]
        preds = [read_sequence(pred_dir / p.name) for p in gt_files]
        if format != "auto" and any(s.format != format for s in (*gt, *preds)):
            return None
        scores = score_sequences(gt, preds, settings, hota_matching=hota_matching,
                                 sequence_rows=sequence_rows)
        return [s.for_pooling() for s in scores]
    except Exception:  # noqa: BLE001 - any problem is reported by the one-process re-run
        return None


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
        workers=args.workers if args.workers is not None else default_workers(),
        sequence_rows=bool(args.out or args.per_sequence),
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
