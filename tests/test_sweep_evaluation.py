"""SweepEvaluator (the grid search's memoised evaluation) gives exactly `evaluate`'s Totals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from posekit.data.schema import Frame, Person, Sequence
from posekit.errors import DataError
from posekit.evaluation import EvaluationSettings, evaluate
from posekit.evaluation.sweep import SweepEvaluator


def _noisy_poses(gt: list[Sequence], rng: np.random.Generator, noise: float) -> list[list[list[np.ndarray]]]:
    """Per sequence, per frame: (15, 3) x, y, score poses near the GT ones, with misses and false people."""
    out = []
    for seq in gt:
        frames = []
        for frame in seq.frames:
            poses = []
            for person in frame.persons:
                if rng.random() < 0.15:
                    continue  # a missed person
                pose = np.full((15, 3), np.nan)
                pose[:, :2] = person.joints[:, :2] + rng.normal(0, noise, (15, 2))
                pose[:, 2] = rng.uniform(0.1, 1.0, 15)
                pose[np.isnan(pose[:, 0])] = np.nan
                pose[rng.random(15) < 0.1] = np.nan  # dropped joints
                poses.append(pose)
            if rng.random() < 0.3:  # a false person anywhere in the frame (maybe inside an ignore region)
                pose = np.column_stack([rng.uniform(0, 640, 15), rng.uniform(0, 360, 15),
                                        rng.uniform(0, 1, 15)])
                poses.append(pose)
            frames.append(poses)
        out.append(frames)
    return out


def _ids(poses: list[list[list[np.ndarray]]], rng: np.random.Generator, swap: float) -> list[list[list[int]]]:
    """Track ids: each pose keeps its index in the frame as id, swapped with the next one now and then."""
    out = []
    for seq in poses:
        frames = []
        for frame in seq:
            ids = list(range(len(frame)))
            if len(ids) > 1 and rng.random() < swap:
                ids[0], ids[1] = ids[1], ids[0]
            frames.append(ids)
        out.append(frames)
    return out


def _as_sequences(gt: list[Sequence], poses, ids) -> list[Sequence]:
    preds = []
    for seq, seq_poses, seq_ids in zip(gt, poses, ids):
        frames = []
        for frame, fp, fi in zip(seq.frames, seq_poses, seq_ids):
            persons = [Person(joints=np.column_stack([p[:, :2], np.ones(15)]), scores=p[:, 2], track_id=i)
                       for p, i in zip(fp, fi)]
            frames.append(Frame(image=frame.image, persons=persons))
        preds.append(Sequence(name=seq.name, frames=frames))
    return preds


@pytest.mark.parametrize("settings", [
    EvaluationSettings(),
    EvaluationSettings(carry_over="latest_match", motp="all_events"),
    EvaluationSettings(drop_last_frame=False, empty_frame_rule="count"),
])
def test_totals_equal_evaluate_for_several_id_sets_on_the_same_poses(small_synthetic, settings):
    from posekit.data.posetrack import read_split

    gt = read_split(small_synthetic, "val")
    assert any(r.size for s in gt for f in s.frames for r in f.ignore_regions)  # the filtering is exercised
    rng = np.random.default_rng(0)
    ev = SweepEvaluator(gt, settings)
    for noise in (3.0, 12.0):
        poses = _noisy_poses(gt, rng, noise)
        parts = [ev.detection_part(s, p) for s, p in enumerate(poses)]
        ap_rows = ev.ap_rows(parts)
        for swap in (0.0, 0.4, 0.4):  # the last two differ (random swaps), the first is the identity
            ids = _ids(poses, rng, swap)
            counts = [ev.mot_counts(s, part, i) for s, (part, i) in enumerate(zip(parts, ids))]
            got = ev.totals(ap_rows, counts)
            want = evaluate(gt, _as_sequences(gt, poses, ids), **dataclasses.asdict(settings))
            t2 = want.table2.loc["MOT"]
            expected = {"mAP": want.ap_total, "MOTA": want.mota_total, "MOTP": t2["MOTP Total"],
                        "Prec": t2["Prec Total"], "Rec": t2["Rec Total"]}
            for k, v in expected.items():
                assert got[k] == v or (np.isnan(got[k]) and np.isnan(v)), (k, got[k], v)
    # the memo hit: the same poses again give the very same part object
    assert ev.detection_part(0, poses[0]) is parts[0]


def test_wrong_frame_count_and_large_ids_are_data_errors(small_synthetic):
    from posekit.data.posetrack import read_split

    gt = read_split(small_synthetic, "val")
    ev = SweepEvaluator(gt)
    with pytest.raises(DataError, match="prediction frames but"):
        ev.detection_part(0, [[]])
    poses = [[np.column_stack([p.joints[:, :2], np.ones(15)]) for p in f.persons] for f in gt[0].frames]
    part = ev.detection_part(0, poses)
    ids = [[10_000 + k for k in range(len(f))] for f in poses]
    with pytest.raises(DataError, match="not below 10000"):
        ev.mot_counts(0, part, ids)
