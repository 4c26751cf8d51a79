"""The PoseTrack evaluation of many prediction sets on one GT split, memoised per sequence.

The threshold grid search (paper §4, `posekit.gridsearch`) scores hundreds of threshold combinations on
the same validation frames. `evaluate` would redo, for every combination, work that most combinations
share. `SweepEvaluator` gives the same numbers (the kernel functions `evaluate` uses, in the same order)
and splits the work by what it depends on:

- the GT side of every frame (ignore-region filtering, head sizes, ids): once;
- per sequence and set of poses (`detection_part`): the ignore-region filtering of the predictions, the
  PCKh matching, the AP inputs and the id-independent part of the MOT matching — memoised on the poses,
  so a sequence whose detections a threshold does not change is matched once;
- per sequence, poses and track ids (`mot_counts`): the motmetrics accumulation — memoised on both;
- per combination (`ap_rows`, `totals`): the global AP ranking (once per set of poses, not per set of
  track ids) and the pooled MOT counts.

Only the Totals of Tables 1 and 2 are produced (what the grid search ranks by); `evaluate` gives the
full result for the chosen thresholds. The official switches are used (`EvaluationSettings()`), or the
ones passed. Only public names of the evaluation kernel are used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from posekit.data.schema import Sequence
from posekit.errors import DataError
from posekit.evaluation.ap import APInputs, ap_rows
from posekit.evaluation.frames import MAX_TRACK_ID, GTFrames, gt_frames, match_frames, prediction_frames
from posekit.evaluation.mot import MOTInputs, mot_counts, mot_inputs, mot_rows
from posekit.evaluation.official import (
    EvaluationSettings,
    checked_gt_frames,
    mot_frame_count,
    summary_totals,
    where_of,
)
from posekit.joints import NUM_JOINTS


@dataclass
class DetectionPart:
    """One sequence's evaluation inputs that depend on its poses only (not on track ids).

    key:     a fingerprint of the poses (equal keys: equal poses and scores).
    ap:      the sequence's AP inputs.
    mot:     the id-independent MOT matching of the frames the MOT metrics use.
    kept:    per MOT frame, the indices of the frame's poses that survived the ignore regions.
    start:   the offsets of the MOT frames' poses among the prediction rows.
    """

    key: bytes
    ap: APInputs
    mot: MOTInputs | None
    kept: list[np.ndarray]
    start: np.ndarray


def poses_digest(poses_by_frame: list[list[np.ndarray]]) -> bytes:
    """A fingerprint of one sequence's poses: per frame a list of (15, 3) x, y, score arrays."""
    h = hashlib.blake2b(digest_size=16)
    for frame in poses_by_frame:
        h.update(len(frame).to_bytes(4, "little"))
        for pose in frame:
            h.update(np.ascontiguousarray(pose, dtype=np.float64).tobytes())
    return h.digest()


class SweepEvaluator:
    """Scores many prediction sets against `gt` (see the module docstring); numbers equal `evaluate`'s.

    gt:        the GT sequences; their order is the global AP ranking's concatenation order, as in
               `evaluate(gt, ...)`.
    settings:  the evaluation switches (default: the official ones).
    Raises the DataErrors `evaluate` raises for the GT (missing head boxes or track ids, duplicate ids,
    a single labelled frame with `drop_last_frame`).
    """

    def __init__(self, gt: list[Sequence], settings: EvaluationSettings | None = None):
        self.settings = settings if settings is not None else EvaluationSettings()
        self.names = [s.name for s in gt]
        seen: set[str] = set()
        for seq in gt:
            if seq.name in seen:
                raise DataError(where_of(seq), f"two GT sequences are named {seq.name!r}")
            seen.add(seq.name)
        self._where = [where_of(s) for s in gt]
        self._n_frames = [len(s.frames) for s in gt]
        self._gt: list[GTFrames] = [
            gt_frames(seq, checked_gt_frames(seq, self.settings), where, self.settings.tracking)
            for seq, where in zip(gt, self._where)
        ]
        self._parts: dict[tuple[int, bytes], DetectionPart] = {}
        self._counts: dict[tuple[int, bytes, bytes], list[dict[str, float]]] = {}

    def detection_part(self, s: int, poses_by_frame: list[list[np.ndarray]]) -> DetectionPart:
        """Sequence `s`'s poses (every frame of the sequence: a list of (15, 3) x, y, score arrays, NaN rows
        for absent joints) matched against its GT; memoised on the poses."""
        if len(poses_by_frame) != self._n_frames[s]:
            raise DataError(self._where[s], f"{len(poses_by_frame)} prediction frames but "
                                            f"{self._n_frames[s]} GT frames for {self.names[s]!r}")
        key = poses_digest(poses_by_frame)
        memo = self._parts.get((s, key))
        if memo is not None:
            return memo
        gt = self._gt[s]
        frames = []
        for f in gt.frames:
            poses = poses_by_frame[f]
            p = len(poses)
            xy = np.stack([pose[:, :2] for pose in poses]) if p else np.zeros((0, NUM_JOINTS, 2))
            scores = np.stack([pose[:, 2] for pose in poses]) if p else np.zeros((0, NUM_JOINTS))
            frames.append((xy, scores, np.full(p, -1, dtype=np.int64)))
        pr = prediction_frames(gt, frames, self._where[s])
        matches = match_frames(gt, pr)
        n_mot = mot_frame_count(gt.n_frames, self.settings)
        mot = (mot_inputs(gt, pr, matches, n_mot, self.settings.empty_frame_rule)
               if self.settings.tracking else None)
        ap = APInputs(pr.scores, matches.labels, pr.has, matches.n_gt)
        part = DetectionPart(key, ap, mot, pr.kept[:n_mot], pr.start)
        self._parts[(s, key)] = part
        return part

    def mot_counts(self, s: int, part: DetectionPart,
                   ids_by_frame: list[list[int]]) -> list[dict[str, float]]:
        """The per-joint motmetrics counts of sequence `s` with poses `part` and these track ids (per frame
        of the sequence, one id per pose); memoised on the poses and the ids."""
        flat = [i for frame in ids_by_frame for i in frame]
        if flat and max(flat) >= MAX_TRACK_ID:
            raise DataError(self._where[s],
                            f"track_id {max(flat)} is not below {MAX_TRACK_ID} (poseval's limit)")
        key = np.asarray([i for frame in ids_by_frame for i in (*frame, -1)], dtype=np.int64).tobytes()
        key = hashlib.blake2b(key, digest_size=16).digest()
        memo = self._counts.get((s, part.key, key))
        if memo is not None:
            return memo
        gt = self._gt[s]
        pr_ids = np.full(int(part.start[-1]), -1, dtype=np.int64)
        for k, (f, kept) in enumerate(zip(gt.frames, part.kept)):
            frame_ids = ids_by_frame[f]
            pr_ids[part.start[k]:part.start[k + 1]] = [frame_ids[i] for i in kept.tolist()]
        counts = mot_counts(part.mot, gt.ids, pr_ids, self.settings.carry_over, self.settings.motp)
        self._counts[(s, part.key, key)] = counts
        return counts

    @staticmethod
    def ap_rows(parts: list[DetectionPart]) -> list[dict[str, float]]:
        """Per-joint AP rows of one prediction set, from its sequences' parts in GT order."""
        return ap_rows([p.ap for p in parts])

    @staticmethod
    def totals(ap: list[dict[str, float]], counts: list[list[dict[str, float]]]) -> dict[str, float]:
        """mAP and the Table 2 Totals (MOTA, MOTP, Prec, Rec) from `ap` and every sequence's counts."""
        return summary_totals(ap, mot_rows(counts))
