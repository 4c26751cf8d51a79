"""Which part of the method limits a trained model: its tables with ground-truth heads and identities in place
of the detected ones.

    .venv/bin/python -m scripts.oracle_heads --model results/cpu-reference [--data data/synthetic-default]
        [--split val] [--out DIR]

Three prediction sets of the same model on the same frames, each scored by `posekit.evaluation.evaluate`:
- `method`: the method as `posekit predict` runs it (§2 heads from the head heatmap, §3 geometric tracker);
- `gt-heads + tracker`: in labelled frames, component 2 runs once per ground-truth head (its head-box centre,
  the point the §4 head target is drawn at) instead of per detected head; the same tracker assigns the
  identities (unlabelled frames keep the detected heads, so the tracker sees every frame as in `method`);
- `gt-heads + gt-ids`: the same poses, each carrying its ground-truth track id (no tracker);
- `gt-heads + gt-multi + gt-ids`: as the row above, with component 1's multi-person heatmaps replaced by their
  ground truth (`targets.multi_person_joint_heatmaps`, σ of §4: Gaussians at every annotated joint of every
  person), both as component 2's input and as the factor of the final heatmaps (final = filtered × multi).
The decode after the heads (head mask, component 2, t_joint, t_person) and the thresholds (the run's
thresholds.json) are the same in all three. Where `gt-heads` gains over `method`, head detection (component
1's head heatmap and t_head / t_head_dist) costs that much; what `gt-heads + gt-ids` still lacks of 100 is the
single-person pose (the multi-person heatmaps and component 2); the step between the first two `gt-heads`
rows is the tracker; the last row splits the pose between component 1's multi-person heatmaps and component
2's filtering. Not in the paper: a diagnostic only; nothing here feeds training or the tables of a run.

Writes OUT/oracle_heads.csv and .md (default OUT: <model>/tables).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

import numpy as np

VARIANTS = ("method", "gt-heads + tracker", "gt-heads + gt-ids", "gt-heads + gt-multi + gt-ids")
COLUMNS = ("Head", "Sho", "Elb", "Wri", "Hip", "Knee", "Ank", "Total")


def gt_head_peaks(persons: list, letterbox: np.ndarray, stride: int) -> tuple[np.ndarray, list[int | None]]:
    """Heatmap x, y (N, 2) of the head-box centres of the GT persons that have a head box, and their track
    ids.
    Image px -> network input px (letterbox affine) -> heatmap px (`targets.input_to_heatmap`), as the §4
    head targets are placed."""
    from posekit.geometry import transform_points
    from posekit.targets import input_to_heatmap

    with_head = [p for p in persons if p.head_box is not None]
    if not with_head:
        return np.zeros((0, 2)), []
    centres = np.array([p.head_center for p in with_head], dtype=np.float64)
    return input_to_heatmap(transform_points(centres, letterbox), stride), [p.track_id for p in with_head]


def gt_multi_person_heatmaps(persons: list, net: dict, predictor) -> np.ndarray:
    """(h, w, 15) ground-truth multi-person heatmaps of one frame: its annotated joints, image px -> heatmap
    px."""
    from posekit.geometry import transform_points
    from posekit.targets import input_to_heatmap, multi_person_joint_heatmaps

    w, h = predictor.heatmap_size
    if not persons:
        return np.zeros((h, w, predictor.config.network.num_joints), np.float32)
    joints = np.stack([p.joints for p in persons]).astype(np.float64)  # (P, 15, 3), NaN: not annotated
    xy = input_to_heatmap(transform_points(joints[..., :2].reshape(-1, 2), net["letterbox"][0]),
                          predictor.stride).reshape(joints.shape[0], -1, 2)
    return multi_person_joint_heatmaps(np.concatenate([xy, joints[..., 2:]], axis=-1), h, w,
                                       predictor.config.targets.sigma)


def predict_variants(predictor, seq) -> dict[str, object]:
    """The three prediction sequences of `seq` (see the module docstring)."""
    from posekit.data.schema import Frame, Sequence
    from posekit.decoding import to_person
    from posekit.imageio import read_image

    frames = {v: [] for v in VARIANTS}
    trackers = {"method": predictor.tracker(), "gt-heads + tracker": predictor.tracker()}
    for i, src in enumerate(seq.frames):
        image = read_image(seq.image_path(i), frame=i)
        size = [(image.shape[1], image.shape[0])]
        net = predictor.run_network([image])
        detected = predictor.decode(net, size).persons[0]
        if src.is_labeled:
            peaks, ids = gt_head_peaks(src.persons, net["letterbox"][0], predictor.stride)
            d = predictor.decode(net, size, peaks=[peaks])
            oracle = [to_person(d.joints[k]) for k in np.flatnonzero(d.keep)]
            with_ids = [to_person(d.joints[k], ids[k]) for k in np.flatnonzero(d.keep)]
            gt_multi = gt_multi_person_heatmaps(src.persons, net, predictor)[None]
            net_gt = dict(net, multi_person_heatmaps=gt_multi)
            d = predictor.decode(net_gt, size, peaks=[peaks])
            gt_multi = [to_person(d.joints[k], ids[k]) for k in np.flatnonzero(d.keep)]
        else:
            oracle = [to_person(np.concatenate([p.joints[:, :2], p.scores[:, None]], axis=1))
                      for p in detected]
            with_ids, gt_multi = [], []
        predictor.track(detected, trackers["method"])
        predictor.track(oracle, trackers["gt-heads + tracker"])
        for name, persons in zip(VARIANTS, (detected, oracle, with_ids, gt_multi)):
            frames[name].append(Frame(image=src.image, persons=persons, is_labeled=src.is_labeled,
                                      frame_id=src.frame_id))
    return {v: Sequence(name=seq.name, frames=frames[v], root=seq.root, format=seq.format, vid_id=seq.vid_id)
            for v in VARIANTS}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, required=True, help="a run folder (model + thresholds.json)")
    p.add_argument("--data", default="data/synthetic-default")
    p.add_argument("--split", default="val")
    p.add_argument("--out", type=Path, help="output folder (default: <model>/tables)")
    args = p.parse_args(argv)
    from posekit.quiet import import_tensorflow

    import_tensorflow()
    from tqdm import tqdm

    from posekit.commands.predict import resolve_thresholds
    from posekit.data.posetrack import read_split
    from posekit.evaluation import evaluate
    from posekit.inference import Predictor
    from posekit.model import load_model

    model = load_model(args.model)
    thresholds = args.model / "thresholds.json"
    config = resolve_thresholds(model.config, str(thresholds) if thresholds.exists() else None, [])
    predictor = Predictor(model, config.thresholds, config)
    gt = read_split(args.data, args.split)
    preds = {v: [] for v in VARIANTS}
    for seq in tqdm(gt, desc="oracle heads", unit="seq", file=sys.stderr):
        for v, s in predict_variants(predictor, seq).items():
            preds[v].append(s)
    rows = []
    for v in VARIANTS:
        r = evaluate(gt, preds[v])
        rows.append({"variant": v, **{f"AP {c}": r.table1_row[c] for c in COLUMNS},
                     "MOTA Total": r.table2_row["MOTA Total"], "MOTP Total": r.table2_row["MOTP Total"],
                     "Prec Total": r.table2_row["Prec Total"], "Rec Total": r.table2_row["Rec Total"],
                     "IDF1 Total": r.table2b_rows["IDF1"]["Total"]})
    out = args.out or args.model / "tables"
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "oracle_heads.csv.tmp"
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in r.items()} for r in rows)
    os.replace(tmp, out / "oracle_heads.csv")
    header = list(rows[0])
    md = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    md += ["| " + " | ".join([r["variant"], *(f"{r[k]:.1f}" for k in header[1:])]) + " |" for r in rows]
    tmp = out / "oracle_heads.md.tmp"
    tmp.write_text("\n".join(md) + "\n")
    os.replace(tmp, out / "oracle_heads.md")
    print(f"{args.model} on {args.data} {args.split} (scripts/oracle_heads.py):")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
