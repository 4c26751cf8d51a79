"""`posekit model --profile paper`: the network's layer table, parameter count and GFLOPs per component
(paper §2.1, Fig. 1; FLOP convention in `posekit.model.model_summary`)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "model",
        help="print the network's layer table, parameter count and GFLOPs per component",
        description=(
            "Print every layer of component 1 (feature extraction + multi-person U-Net) and component 2 "
            "(single-person U-Net) with its output shape, parameters and GFLOP (2 × multiply-accumulates), "
            "then the totals. Component 1 runs once per frame, component 2 once per detected head."
        ),
    )
    p.add_argument("--profile", default="paper", choices=["paper", "cpu", "tiny"],
                   help="network profile (default: paper, 896×512 input)")
    p.add_argument("--config", metavar="FILE", help="a config JSON/YAML (e.g. RUN_DIR/config.json) instead of a profile")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="config override, e.g. --set network.num_filters=64 (repeatable)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posekit.config import apply_overrides, get_profile, load_config
    from posekit.model import model_summary

    config = load_config(args.config) if args.config else get_profile(args.profile)
    config = apply_overrides(config, args.overrides)
    table, _, _, _ = model_summary(config)  # sizes that do not fit the U-Net raise ConfigError
    print(f"profile {config.profile}: input {config.network.input_width}×{config.network.input_height}")
    print(table)
    return 0
