"""`posekit train --profile cpu --data DIR --out RUN_DIR`: train the two-component network (paper §4).

Killing it at any moment and rerunning the same command resumes from the last checkpoint and ends at the
same iteration count (`posekit.train`). `--strategy mirrored` uses every local GPU
(`tf.distribute.MirroredStrategy`); `--strategy multiworker` runs one process per host, cluster from
`TF_CONFIG` (`tf.distribute.MultiWorkerMirroredStrategy`).
"""

from __future__ import annotations

import argparse

from posekit.commands import add_config_arguments, config_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train the two-component network (resumable)",
        description=(
            "Train on a PoseTrack folder's split with the paper's augmentation, Adam and L2 losses (§4). "
            "Writes RUN_DIR/config.json, checkpoint.weights.h5 (every train.checkpoint_every iterations, "
            "atomically), losses.csv, tensorboard/ and finally model.keras. Rerun the same command to resume."
        ),
    )
    add_config_arguments(p, "cpu", "network/training profile (default: cpu)", "train.iterations=500")
    p.add_argument("--data", required=True, metavar="DIR",
                   help="a PoseTrack folder (annotations/<split>/ + images)")
    p.add_argument("--split", default="train", help="annotation split to train on (default: train)")
    p.add_argument("--out", required=True, metavar="RUN_DIR",
                   help="run folder (created; resumed if it holds a checkpoint)")
    p.add_argument("--strategy", default="none", choices=["none", "mirrored", "multiworker"],
                   help="tf.distribute strategy: none (one device), mirrored (all local GPUs), "
                        "multiworker (one process per host, TF_CONFIG)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posekit.backend import describe
    from posekit.train import train_on_posetrack

    config = config_from_args(args)
    result = train_on_posetrack(
        config, args.data, args.out, split=args.split, strategy=args.strategy, progress=not args.quiet
    )
    if not args.quiet and not result.last_losses:
        print(f"posekit train: {result.run_dir} is already trained ({result.iterations} iterations); "
              f"backend {describe()}")
    elif not args.quiet:
        last = ", ".join(f"{k} {v:.4g}" for k, v in result.last_losses.items())
        resumed = f", resumed from {result.resumed_from}" if result.resumed_from else ""
        print(f"posekit train: {result.iterations} iterations{resumed} in {result.seconds:.0f} s"
              + (f"; last {last}" if last else "")
              + f"; model in {result.run_dir / 'model.keras'}; backend {describe()}")
    return 0
