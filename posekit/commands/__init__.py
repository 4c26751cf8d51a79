"""One module per `posekit` subcommand, each with `register(subparsers)` and `run(args) -> int`."""
