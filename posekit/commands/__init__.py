"""One module per `posekit` subcommand, each with `register(subparsers)` and `run(args) -> int`."""

from __future__ import annotations

import argparse
from typing import Any


def add_config_arguments(p: argparse.ArgumentParser, default_profile: str, profile_help: str,
                         override_example: str) -> None:
    """The three ways a command gets its config: `--profile`, `--config FILE`, and `--set KEY=VALUE` on
    top."""
    p.add_argument("--profile", default=default_profile, choices=["paper", "cpu", "tiny"], help=profile_help)
    p.add_argument("--config", metavar="FILE",
                   help="a config JSON/YAML (e.g. RUN_DIR/config.json) instead of a profile")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help=f"config override, e.g. --set {override_example} (repeatable)")


def config_from_args(args: argparse.Namespace) -> Any:
    """The Config named by `--config` (or `--profile`) with the `--set` overrides applied."""
    from posekit.config import apply_overrides, get_profile, load_config

    config = load_config(args.config) if args.config else get_profile(args.profile)
    return apply_overrides(config, args.overrides)
