"""`posekit predict`: tracked poses for a dataset split, a video or a folder of images (paper §2, §3).

    posekit predict --model RUN_DIR --data DIR --split val --out PRED_DIR
        one prediction file per sequence, in the PoseTrack format of the input (2017 or 2018), with
        track IDs, every frame predicted (labelled or not); frames/s printed at the end.
    posekit predict --model RUN_DIR --video IN.mp4|FRAME_DIR --out OUT_DIR
        OUT_DIR/<name>_tracked.mp4 (skeletons coloured by track ID, ID labels) and one JSON per frame in
        OUT_DIR/<name>_poses/. Unreadable or empty videos and folders raise DataError naming the file.

Thresholds come from the run's config.json, replaced by the thresholds.json beside the model when --model
names a `posekit reproduce` folder (the grid search's result), or by `--thresholds FILE` (a thresholds.json
as written by the grid search: the six fields of `Thresholds`, flat or under "thresholds"), then
`--set thresholds.X=V`. The decoding (`decoding.subpixel`, not in the paper) is the model's config's, or
`--set decoding.subpixel=false|true`. The video mode is `posekit.video.predict_video`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "predict",
        help="predict tracked poses for a dataset split, a video or a folder of images",
        description=(
            "Run the network on every frame (component 1 once per frame, component 2 batched over the "
            "detected heads), decode poses with t_head, t_head_dist, t_joint, t_person (§2) and track them "
            "with the geometric tracker (t_pose_dist, t_max_age, §3)."
        ),
    )
    p.add_argument("--model", required=True, metavar="RUN_DIR",
                   help="a run folder (model.keras + config.json) or a .keras file")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="DIR", help="a PoseTrack folder (annotations/<split>/ + images)")
    src.add_argument("--video", metavar="IN", help="a video file (e.g. .mp4, .avi) or a folder of frames")
    p.add_argument("--split", default="val", help="annotation split with --data (default: val)")
    p.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder (created)")
    p.add_argument("--thresholds", metavar="FILE", help="thresholds JSON (e.g. from posekit gridsearch)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="thresholds.KEY=VALUE",
                   help="threshold or decoding override, e.g. --set thresholds.t_head=0.3 or --set "
                        "decoding.subpixel=false (the integer argmax of the paper) (repeatable)")
    p.add_argument("--batch-size", type=int, default=4, help="frames per component-1 call (default: 4)")
    p.add_argument("--head-chunk", type=int, default=16, help="heads per component-2 call (default: 16)")
    p.add_argument("--max-heads", type=int, default=None,
                   help="at most this many heads per frame, the strongest (default: 100; 0: no bound)")
    p.add_argument("--max-frames", type=_positive_int, default=None,
                   help="with --video: stop after this many frames")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="compute precision: bf16 uses bfloat16 units where the CPU/GPU has them "
                        "(default: fp32)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


# ---------------------------------------------------------------------------------------------
# Config


def resolve_thresholds(config: Any, thresholds_file: str | None, overrides: list[str]) -> Any:
    """The run's config with thresholds from `thresholds_file` (`config.load_thresholds`: all six) and
    `thresholds.*` / `decoding.*` overrides applied."""
    from posekit.config import apply_overrides, load_thresholds
    from posekit.errors import ConfigError

    if thresholds_file:
        config = config.replace(thresholds=load_thresholds(thresholds_file))
    for item in overrides:
        if not item.strip().startswith(("thresholds.", "decoding.")):
            raise ConfigError(f"predict only takes thresholds.* and decoding.* overrides, got {item!r}")
    return apply_overrides(config, overrides)


# ---------------------------------------------------------------------------------------------
# The two modes


def _progress(total: int | None, quiet: bool, unit: str = "frame") -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, disable=quiet, dynamic_ncols=True)


def predict_dataset(predictor: Any, data: str, split: str, out: Path,
                    quiet: bool = False) -> tuple[int, float]:
    """Predict and write every sequence of a split; returns (frames, seconds)."""
    import time

    from posekit.data.posetrack import read_split, write_sequence

    sequences = read_split(data, split)
    total = sum(len(s.frames) for s in sequences)
    t0 = time.perf_counter()
    with _progress(total, quiet) as bar:
        for seq in sequences:
            bar.set_description(seq.name)
            pred = predictor.predict_sequence(seq, progress=bar.update)
            write_sequence(pred, out / f"{seq.name}.json", format=seq.format)
    return total, time.perf_counter() - t0


def run(args: argparse.Namespace) -> int:
    from posekit.inference import DEFAULT_MAX_HEADS, Predictor
    from posekit.model import load_model

    model = load_model(args.model)
    thresholds_file = args.thresholds
    found = Path(args.model) / "thresholds.json"
    if thresholds_file is None and Path(args.model).is_dir() and found.exists():
        thresholds_file = found  # a `posekit reproduce` folder: the thresholds its grid search found
        print(f"posekit predict: thresholds from {found}", file=sys.stderr)
    config = resolve_thresholds(model.config, thresholds_file, args.overrides)
    predictor = Predictor(
        model, config.thresholds, config, batch_size=args.batch_size, head_chunk=args.head_chunk,
        max_heads=(DEFAULT_MAX_HEADS if args.max_heads is None
                   else (args.max_heads if args.max_heads > 0 else None)),
        precision=args.precision,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.data:
        frames, seconds = predict_dataset(predictor, args.data, args.split, out, args.quiet)
        where = f"{out}/ (PoseTrack prediction files)"
    else:
        from posekit.video import predict_video

        frames, seconds, video = predict_video(predictor, args.video, out, args.max_frames, args.quiet)
        where = f"{video} and {video.with_name(video.stem.removesuffix('_tracked') + '_poses')}/"
    fps = frames / seconds if seconds > 0 else float("inf")
    shares = ", ".join(f"{k} {v:.1f} s" for k, v in predictor.timings.items())
    from posekit.backend import describe

    print(f"posekit predict: {frames} frames in {seconds:.1f} s = {fps:.2f} frames/s ({shares}); "
          f"wrote {where}; backend {describe()}")
    return 0
