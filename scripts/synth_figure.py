"""Write a grid of synthetic frames with their ground-truth skeletons drawn (posekit.viz).

    python scripts/synth_figure.py --out /tmp/synth_grid.png [--data DIR] [--preset default] [--seed 0]

With --data, frames are read from a generated folder (images + annotations, through the PoseTrack
reader); otherwise a few sequences of the preset are rendered in memory.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from posekit.imageio import read_image
from posekit.viz import draw_frame, frame_grid


def from_folder(data: Path, split: str, sequences: int, frames: int) -> list[np.ndarray]:
    from posekit.data.posetrack import read_split

    tiles = []
    for seq in read_split(data, split)[:sequences]:
        labelled = seq.labeled_frames
        picks = np.linspace(0, len(labelled) - 1, frames).round().astype(int)
        for k in picks:
            t = labelled[k]
            tiles.append(draw_frame(read_image(seq.image_path(t)), seq.frames[t]))
    return tiles


def in_memory(
    preset: str, seed: int, split: str, sequences: int, frames: int, first: int
) -> list[np.ndarray]:
    from posekit.data.synthetic import preset_params, preview_frames

    params = preset_params(preset)
    T = params.frames(split)
    picks = [int(t) for t in np.linspace(0, T - 1, frames).round()]
    tiles = []
    for i in range(first, first + sequences):
        for image, truth in preview_frames(params, seed, split, i, picks):
            tiles.append(draw_frame(image, truth.frame))
    return tiles


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="PNG to write")
    ap.add_argument("--data", type=Path, help="a generated folder to read (default: render in memory)")
    ap.add_argument("--preset", default="default")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", default="train")
    ap.add_argument("--sequences", type=int, default=4, help="rows: one sequence each")
    ap.add_argument("--frames", type=int, default=4, help="columns: frames spread over the sequence")
    ap.add_argument("--first", type=int, default=0, help="first sequence index (in-memory mode)")
    ap.add_argument("--scale", type=float, default=0.5, help="resize factor of each tile")
    args = ap.parse_args()
    if args.data:
        tiles = from_folder(args.data, args.split, args.sequences, args.frames)
    else:
        tiles = in_memory(args.preset, args.seed, args.split, args.sequences, args.frames, args.first)
    if args.scale != 1.0:
        tiles = [
            cv2.resize(t, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_AREA) for t in tiles
        ]
    grid = frame_grid(tiles, ncols=args.frames)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), grid[..., ::-1])
    print(f"wrote {args.out} ({grid.shape[1]}x{grid.shape[0]}, {len(tiles)} frames)")


if __name__ == "__main__":
    main()
