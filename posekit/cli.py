"""The `posekit` command line: one subcommand per pipeline stage.

Each subcommand lives in `posekit/commands/<name>.py` with `register(subparsers)` and a `run(args)`
that returns the exit status. Heavy imports (TensorFlow, papermill) happen inside `run`, so
`posekit --help` is instant; TensorFlow's start-up log lines are filtered (`posekit.quiet`).
Errors from `posekit.errors` print as one line, without a traceback,
and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from posekit.backend import keras_backend
from posekit.errors import PosekitError
from posekit.quiet import import_tensorflow, quiet_environment

#: Subcommands in pipeline order.
SUBCOMMANDS: tuple[str, ...] = (
    "info", "synth", "model", "train", "predict", "evaluate", "gridsearch", "reproduce", "compare",
)
#: The subcommands that run TensorFlow: it is imported for them through `posekit.quiet` (without its
#: start-up log lines) before the command runs. `reproduce`'s notebook kernels inherit the environment.
TENSORFLOW_COMMANDS = ("model", "train", "predict", "gridsearch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posekit",
        description=(
            "posekit reproduces Payer et al. (PoseTrack 2017): simultaneous multi-person detection and "
            "single-person pose estimation with a single heatmap regression network, a geometric tracker, "
            "and the official PoseTrack evaluation. Run `posekit COMMAND --help` for each stage."
        ),
    )
    import posekit

    parser.add_argument("--version", action="version", version=f"posekit {posekit.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"posekit.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    quiet_environment()
    try:
        # not under KERAS_BACKEND=jax
        if args.command in TENSORFLOW_COMMANDS and keras_backend() == "tensorflow":
            import_tensorflow()
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
