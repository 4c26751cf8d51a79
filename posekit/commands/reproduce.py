"""`posekit reproduce`: the paper pipeline end to end through the notebooks (posekit.pipeline)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from posekit.stages import STAGES

    p = sub.add_parser(
        "reproduce",
        help="run the paper pipeline end to end through the notebooks into results/<run>/",
        description=(
            "Run the notebooks in order with papermill: "
            + ", ".join(s for s, _ in STAGES)
            + ". Executed notebooks, tables, figures and manifest.json go to the run folder. Running the "
            "same command again resumes: finished stages whose inputs did not change are skipped."
        ),
    )
    p.add_argument("--profile", default="cpu", choices=["paper", "cpu", "tiny"],
                   help="network/training profile (default: cpu — the whole pipeline in minutes on 2 cores)")
    p.add_argument("--data", default="synthetic",
                   help="'synthetic' (the embedded dataset, generated on first use) or a PoseTrack folder")
    p.add_argument("--out", help="run folder (default: results/<profile>-<data>)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the data, the initialisation and the sampling")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="config override, e.g. --set train.iterations=500 (repeatable)")
    p.add_argument("--stage", dest="stages", action="append", metavar="NAME",
                   help="run only this stage (repeatable), e.g. --stage 04_reproduce_tables")
    p.add_argument("--force", action="store_true", help="re-run stages even when they are up to date")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posekit.pipeline import RunSpec, reproduce

    spec = RunSpec(profile=args.profile, data=args.data, out=args.out, seed=args.seed,
                   overrides=tuple(args.overrides))
    manifest = reproduce(spec, stages=args.stages, force=args.force)
    print(f"results in {spec.run_dir} ({manifest['total_seconds_this_invocation']:.0f} s, "
          f"backend {manifest['backend']})")
    return 0
