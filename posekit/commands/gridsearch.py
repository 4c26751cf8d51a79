"""`posekit gridsearch`: the threshold grid search of paper §4 from one cached network pass."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gridsearch",
        help="search the thresholds of §2/§3 on the validation split from cached network outputs",
        description=(
            "Run the network once over the validation frames, cache its outputs (component 2 for every head "
            "candidate at the loosest t_head), then score every combination of t_head, t_head_dist, t_joint, "
            "t_person, t_pose_dist and t_max_age with the PoseTrack evaluation. Writes thresholds.json (the "
            "best combination), grid.csv (every combination) and cache.npz into --out."
        ),
    )
    p.add_argument("--model", required=True, metavar="RUN_DIR",
                   help="a run folder (model.keras + config.json)")
    p.add_argument("--data", required=True, metavar="DIR",
                   help="a PoseTrack folder (annotations/<split>/ + images)")
    p.add_argument("--split", default="val", help="annotation split to search on (default: val)")
    p.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder")
    p.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                   help="values for one threshold, e.g. --grid t_head=0.1,0.2 (repeatable; others keep the "
                        "default grid, whose t_pose_dist is scaled to the frame width)")
    p.add_argument("--objective", default="sum", choices=["sum", "map", "mota"],
                   help="rank by mAP + MOTA (default), by mAP (Table 1 Total) or by MOTA (Table 2 Total)")
    p.add_argument("--cache", metavar="FILE", help="reuse this cache.npz instead of running the network")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses
    from pathlib import Path

    from tqdm import tqdm

    from posekit import gridsearch as gs
    from posekit.data.posetrack import read_split

    out = Path(args.out)
    gt = read_split(args.data, args.split)
    chosen = {item.split("=", 1)[0].strip() for item in args.grid}
    parsed = dataclasses.asdict(gs.GridSpec.parse(args.grid))
    grid = dataclasses.replace(gs.default_grid_for_sequences(gt), **{k: parsed[k] for k in chosen})
    if args.cache:
        cache = gs.GridCache.load(args.cache)
        cache.check_matches(gt, args.cache)
    else:
        from posekit.inference import Predictor
        from posekit.model import load_model

        model = load_model(args.model)
        predictor = Predictor(model, config=model.config)
        n = sum(len(s.frames) for s in gt)
        with tqdm(total=n, desc="network pass", unit="frame", disable=args.quiet) as bar:
            cache = gs.build_cache(predictor, gt, min(grid.t_head), progress=bar.update)
        cache.save(out / "cache.npz")
    with tqdm(total=grid.size, desc="grid", unit="combination", disable=args.quiet) as bar:
        result = gs.search(cache, gt, grid, args.objective, progress=bar.update)
    result.save(out)
    row = result.best_row
    print(f"{grid.size} combinations in {result.sweep_seconds:.1f} s "
          f"(network pass {cache.network_seconds:.1f} s)")
    print("best by " + args.objective + ": "
          + ", ".join(f"{k}={v:g}" for k, v in dataclasses.asdict(result.best).items())
          + f"  →  mAP {row['mAP']:.1f}, MOTA {row['MOTA']:.1f}")
    print(f"wrote {out / 'thresholds.json'} and {out / 'grid.csv'}")
    return 0
