"""`posekit synth --out DIR`: generate the embedded synthetic dataset (PoseTrack 2018 layout).

Not in the paper: the stand-in for PoseTrack (§4) that every stage of the kit runs on by default.
See `posekit.data.synthetic` for the layout, determinism and the overwrite rule.
"""

from __future__ import annotations

import argparse
import re


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)[xX](\d+)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x360, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "synth",
        help="generate the embedded synthetic multi-person video dataset (PoseTrack 2018 layout)",
        description=(
            "Generate procedural multi-person videos with ground-truth poses, head boxes, track ids and "
            "ignore regions, written as a PoseTrack 2018 folder: images/<split>/<seq>/<frame>.jpg, "
            "annotations/<split>/<seq>.json (splits train and val) and dataset.json (generator version, "
            "seed, preset, parameters, fingerprint). The same seed and preset give byte-identical "
            "annotation files. Presets: default (60 train x 24 frames, 20 val x 30 frames, 640x360; the "
            "cpu profile's data) and small (3 x 6 and 2 x 8 frames; for tests)."
        ),
    )
    p.add_argument("--out", required=True, help="output folder (refused if it exists, unless --force)")
    p.add_argument(
        "--preset", default="default", choices=("default", "small"), help="dataset size (default: default)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--sequences",
        type=int,
        help="number of train sequences (val sequences scale with it: ceil(N/6), at least 1, unless "
        "--val-sequences is given)",
    )
    p.add_argument(
        "--val-sequences",
        type=int,
        help="number of val sequences (default: the preset's, or ceil(--sequences/6)); e.g. --sequences 240 "
        "--val-sequences 20 draws 4x the default's train sequences and a val split byte-identical to the "
        "default's (each sequence is drawn from (seed, split, index) alone)",
    )
    p.add_argument("--frames", type=int, help="frames per train sequence (val sequences get N + N/4)")
    p.add_argument("--size", type=_size, help="image size WIDTHxHEIGHT (default 640x360)")
    p.add_argument(
        "--workers", type=int, default=2, help="parallel processes (default 2; 1 = no subprocesses)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output folder (only an empty one or an earlier posekit synth output)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posekit.data.synthetic import generate_dataset, preset_params

    overrides: dict[str, int] = {}
    if args.sequences is not None:
        overrides["train_sequences"] = args.sequences
        overrides["val_sequences"] = max(1, -(-args.sequences // 6))
    if args.val_sequences is not None:
        overrides["val_sequences"] = args.val_sequences
    if args.frames is not None:
        overrides["train_frames"] = args.frames
        overrides["val_frames"] = args.frames + args.frames // 4
    if args.size is not None:
        overrides["width"], overrides["height"] = args.size
    params = preset_params(args.preset, **overrides)
    meta = generate_dataset(
        args.out,
        preset=args.preset,
        seed=args.seed,
        params=params,
        workers=args.workers,
        overwrite=args.force,
        progress=not args.no_progress,
    )
    print(
        f"posekit synth: wrote {args.out}  (preset {args.preset}, seed {args.seed}, "
        f"{params.width}x{params.height}, {meta['seconds']:.1f} s)"
    )
    for split, s in meta["splits"].items():
        frames_per = params.frames(split)
        h = s["height_fraction"]
        ev = s["events"]
        print(
            f"  {split:<5} {s['sequences']} sequences x {frames_per} frames = {s['frames']} frames "
            f"({s['labeled_frames']} labelled); {s['persons']} persons, {s['tracks']} tracks, "
            f"{s['ignored_persons']} ignored, occluded joints {100 * s['occlusion_rate']:.1f}%"
        )
        if h["median"] is not None:
            print(
                f"        person height / image height: median {h['median']:.2f}, "
                f"{100 * h['in_35_90']:.0f}% in 0.35-0.90; events: {ev['crossings']} crossings, "
                f"{ev['exits']} exits, {ev['entries']} entries, {ev['reentries']} re-entries"
            )
    print(f"  fingerprint {meta['fingerprint']}")
    return 0
