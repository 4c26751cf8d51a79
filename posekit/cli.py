"""The `posekit` command line: one subcommand per pipeline stage.

Each subcommand lives in `posekit/commands/<name>.py` with `register(subparsers)` and a `run(args)`
that returns the exit status. Heavy imports (TensorFlow, papermill) happen inside `run`, so
`posekit --help` is instant. Errors from `posekit.errors` print as one line, without a traceback,
and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from posekit.errors import PosekitError

#: Subcommands in pipeline order, with a one-line summary used when a module is not built yet.
SUBCOMMANDS: dict[str, str] = {
    "info": "summarise a PoseTrack folder (sequences, frames, persons, tracks, joints)",
    "synth": "generate the embedded synthetic multi-person video dataset (PoseTrack 2018 layout)",
    "model": "print the network's layer table, parameter count and GFLOPs per component",
    "train": "train the two-component network (resumable)",
    "predict": "predict tracked poses for a dataset split, a video or a folder of images",
    "evaluate": "score predictions with the PoseTrack evaluation (Table 1 AP, Table 2 MOTA/MOTP)",
    "gridsearch": "search the thresholds of §2/§3 on the validation split from cached network outputs",
    "reproduce": "run the paper pipeline end to end through the notebooks into results/<run>/",
    "compare": "compare result tables of runs with each other and with the paper",
}


def _not_built(name: str):
    def run(args: argparse.Namespace) -> int:
        print(f"posekit {name}: not built yet in this version of posekit", file=sys.stderr)
        return 2

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posekit",
        description=(
            "posekit reproduces Payer et al. (PoseTrack 2017): simultaneous multi-person detection and "
            "single-person pose estimation with a single heatmap regression network, a geometric tracker, "
            "and the official PoseTrack evaluation. Run `posekit COMMAND --help` for each stage."
        ),
    )
    from posekit import __version__

    parser.add_argument("--version", action="version", version=f"posekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(f"posekit.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"posekit.commands.{name}":
                raise
            p = sub.add_parser(name, help=f"{summary} [not built yet]", description=summary)
            p.set_defaults(func=_not_built(name))
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except PosekitError as err:
        print(f"posekit {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `posekit info DIR | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"posekit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
