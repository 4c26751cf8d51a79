"""Diagnostics of predictions against ground truth, per frame and per track (pure numpy / pandas).

These feed the visual diagnostics notebook (track timeline with ID switches, gallery of the worst
frames). They are *not* the official metrics — `posekit.evaluation` is — but use the same PCKh rule
(a joint is correct when its distance is ≤ 0.5 × 0.6 × the GT head-box diagonal) so a frame that
looks bad here is one that costs AP and MOTA there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from posekit.data.schema import Person, Sequence
from posekit.evaluation import DIST_THRESH, HEAD_SIZE_FACTOR


def pckh_matrix(gt: list[Person], pred: list[Person]) -> np.ndarray:
    """(G, P) float: the fraction of GT g's annotated joints that prediction p places within PCKh@0.5.

    GT persons without a head box or without joints get a row of zeros.
    """
    out = np.zeros((len(gt), len(pred)))
    if not gt or not pred:
        return out
    pj = np.stack([p.joints[:, :2] for p in pred])  # (P, 15, 2)
    for g, person in enumerate(gt):
        present = person.annotated
        if person.head_box is None or not present.any():
            continue
        x1, y1, x2, y2 = person.head_box
        head = HEAD_SIZE_FACTOR * float(np.hypot(x2 - x1, y2 - y1))
        # (P, 15), NaN if absent
        d = np.linalg.norm(pj - person.joints[None, :, :2], axis=-1) / max(head, 1e-9)
        correct = (d <= DIST_THRESH) & present[None, :]
        out[g] = correct.sum(axis=1) / present.sum()
    return out


def match_persons(gt: list[Person], pred: list[Person]) -> list[tuple[int, int, float]]:
    """One-to-one GT ↔ prediction pairs maximising the summed PCKh (Hungarian); pairs with PCKh 0 dropped."""
    score = pckh_matrix(gt, pred)
    if score.size == 0:
        return []
    rows, cols = linear_sum_assignment(-score)
    return [(int(g), int(p), float(score[g, p])) for g, p in zip(rows, cols) if score[g, p] > 0]


def track_assignments(gt: Sequence, pred: Sequence) -> pd.DataFrame:
    """Per labelled frame and GT track: the predicted track matched to it (or -1) and its PCKh.

    Columns: frame, gt_track, pred_track, pckh. Frames are aligned by index, as in the evaluation.
    """
    rows = []
    for f, (gf, pf) in enumerate(zip(gt.frames, pred.frames)):
        if not gf.is_labeled or not gf.persons:
            continue
        pairs = {g: (p, s) for g, p, s in match_persons(gf.persons, pf.persons)}
        for g, person in enumerate(gf.persons):
            if person.track_id is None or not person.annotated.any():
                continue
            p, s = pairs.get(g, (None, 0.0))
            tid = pf.persons[p].track_id if p is not None else None
            rows.append({"frame": f, "gt_track": person.track_id,
                         "pred_track": -1 if tid is None else int(tid), "pckh": s})
    return pd.DataFrame(rows, columns=["frame", "gt_track", "pred_track", "pckh"])


def id_switches(assignments: pd.DataFrame) -> pd.DataFrame:
    """Frames where a GT track's matched predicted id differs from the one it last had (misses skipped)."""
    rows = []
    for gt_track, grp in assignments.sort_values("frame").groupby("gt_track"):
        last = None
        for frame, pred_track in zip(grp["frame"], grp["pred_track"]):
            if pred_track < 0:
                continue
            if last is not None and pred_track != last:
                rows.append({"frame": frame, "gt_track": gt_track, "from": last, "to": pred_track})
            last = pred_track
    return pd.DataFrame(rows, columns=["frame", "gt_track", "from", "to"])


def frame_quality(gt: Sequence, pred: Sequence) -> pd.DataFrame:
    """Per labelled frame: GT/predicted persons, correct GT joints (PCKh@0.5), unmatched predictions.

    Columns: sequence, frame, n_gt, n_pred, gt_joints, correct_joints, pckh (correct / GT joints),
    false_persons (predictions matched to no GT), badness (1 − pckh + false_persons / max(n_gt, 1)).
    """
    rows = []
    for f, (gf, pf) in enumerate(zip(gt.frames, pred.frames)):
        if not gf.is_labeled or not gf.persons:
            continue
        pairs = match_persons(gf.persons, pf.persons)
        gt_joints = int(sum(p.annotated.sum() for p in gf.persons))
        correct = float(sum(s * gf.persons[g].annotated.sum() for g, _, s in pairs))
        n_gt = len(gf.persons)
        false_persons = len(pf.persons) - len(pairs)
        pck = correct / gt_joints if gt_joints else float("nan")
        rows.append({"sequence": gt.name, "frame": f, "n_gt": n_gt, "n_pred": len(pf.persons),
                     "gt_joints": gt_joints, "correct_joints": int(round(correct)), "pckh": pck,
                     "false_persons": false_persons,
                     "badness": (1 - (pck if pck == pck else 0.0)) + false_persons / max(n_gt, 1)})
    return pd.DataFrame(rows)
