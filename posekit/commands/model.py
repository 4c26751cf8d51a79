"""`posekit model --profile paper`: the network's layer table, parameter count and GFLOPs per component
(paper §2.1, Fig. 1; FLOP convention in `posekit.model.model_summary`)."""

from __future__ import annotations

import argparse

from posekit.commands import add_config_arguments, config_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "model",
        help="print the network's layer table, parameter count and GFLOPs per component",
        description=(
            "Print every layer of component 1 (feature extraction + multi-person U-Net) and component 2 "
            "(single-person U-Net) with its output shape, parameters and GFLOP (2 × multiply-accumulates), "
            "then the totals. Component 1 runs once per frame, component 2 once per detected head. The last "
            "line is the training compute of the profile's recipe (forward + backward ≈ 3 × forward, per "
            "iteration batch_size / persons_per_image images and batch_size persons, times iterations)."
        ),
    )
    add_config_arguments(p, "paper", "network profile (default: paper, the paper's sizes)",
                         "network.num_filters=64")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posekit.model import model_summary, training_compute_line

    config = config_from_args(args)
    table, _, c1, c2 = model_summary(config)  # sizes that do not fit the U-Net raise ConfigError
    print(f"profile {config.profile}: input {config.network.input_width}×{config.network.input_height}")
    print(table)
    print(training_compute_line(config, c1, c2))
    return 0
