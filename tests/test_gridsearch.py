"""The threshold grid search (paper §4) scores every combination from one cached network pass."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from posekit import gridsearch as gs
from posekit.config import Thresholds, get_profile, load_thresholds, save_thresholds
from posekit.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def setup(small_synthetic):
    from posekit.data.posetrack import read_split
    from posekit.inference import Predictor
    from posekit.model import build_model

    cfg = get_profile("tiny")
    model = build_model(cfg)  # untrained: the equality below holds for any weights
    gt = read_split(small_synthetic, "val")
    cache = gs.build_cache(Predictor(model, config=cfg), gt, t_head_min=0.02)
    return cfg, model, gt, cache


def test_grid_from_cache_equals_running_the_pipeline(setup):
    from posekit.evaluation import evaluate
    from posekit.inference import Predictor

    cfg, model, gt, cache = setup
    grid = gs.GridSpec(t_head=(0.02, 0.05), t_head_dist=(2.0, 5.0), t_joint=(0.0, 0.02), t_person=(0.0,),
                       t_pose_dist=(40.0,), t_max_age=(3,))
    scores = gs.score_grid(cache, gt, grid)
    assert len(scores) == grid.size == 8
    for i in (0, 7):  # two grid points: the loosest and the strictest
        row = scores.iloc[i]
        th = Thresholds(*(float(row[k]) for k in gs.THRESHOLD_NAMES[:5]), int(row["t_max_age"]))
        preds = [Predictor(model, thresholds=th, config=cfg).predict_sequence(s) for s in gt]
        direct = evaluate(gt, preds)
        assert row["mAP"] == pytest.approx(direct.ap_total, abs=1e-9)
        assert row["MOTA"] == pytest.approx(direct.mota_total, abs=1e-9)
        # and the predicted poses themselves are the same
        cached = gs.predictions_at(cache, gt, th)
        for a, b in zip(cached, preds, strict=True):
            for fa, fb in zip(a.frames, b.frames, strict=True):
                assert len(fa.persons) == len(fb.persons)
                for pa, pb in zip(fa.persons, fb.persons):
                    # the same argmax pixels through float64 affines (heatmap values may differ by the float32
                    # bound of component 2's sums; a different argmax would be >= 1 heatmap px = 4 px off)
                    np.testing.assert_allclose(pa.joints, pb.joints, atol=1e-4)
                    assert pa.track_id == pb.track_id


def test_every_grid_row_equals_evaluating_its_predictions(setup):
    # score_grid shares work between combinations (per sequence memos); each row must still be exactly
    # what evaluate() gives on the predictions of that combination, MOTP/Prec/Rec included.
    from posekit.evaluation import evaluate

    _, _, gt, cache = setup
    grid = gs.GridSpec(t_head=(0.02, 0.05), t_head_dist=(2.0,), t_joint=(0.0, 0.02), t_person=(0.0, 1.0),
                       t_pose_dist=(5.0, 40.0), t_max_age=(1, 3))
    scores = gs.score_grid(cache, gt, grid)
    assert len(scores) == grid.size == 32
    for _, row in scores.iterrows():
        th = Thresholds(*(float(row[k]) for k in gs.THRESHOLD_NAMES[:5]), int(row["t_max_age"]))
        direct = evaluate(gt, gs.predictions_at(cache, gt, th))
        t2 = direct.table2.loc["MOT"]
        want = [direct.ap_total, direct.mota_total, t2["MOTP Total"], t2["Prec Total"], t2["Rec Total"]]
        np.testing.assert_array_equal(row[["mAP", "MOTA", "MOTP", "Prec", "Rec"]].to_numpy(float), want)
    assert scores["MOTA"].nunique() > 1  # the thresholds matter on this cache


def test_thresholds_change_detections(setup):
    _, _, gt, cache = setup
    loose = gs._detections(cache, 0.02, 2.0, 0.0, 0.0)
    strict = gs._detections(cache, 0.05, 6.0, 0.0, 0.0)
    n = lambda dets: sum(len(f) for s in dets for f in s)  # noqa: E731
    assert n(strict) < n(loose)  # a stricter t_head / t_head_dist keeps fewer heads
    with pytest.raises(ConfigError, match="below the cache's loosest t_head"):
        gs._detections(cache, 0.01, 2.0, 0.0, 0.0)


def test_best_and_objective(setup):
    _, _, gt, cache = setup
    grid = gs.GridSpec(t_head=(0.02,), t_head_dist=(2.0, 4.0), t_joint=(0.0,), t_person=(0.0,),
                       t_pose_dist=(40.0,), t_max_age=(3,))
    scores = gs.score_grid(cache, gt, grid, objective="map")
    best = gs.best_thresholds(scores)
    assert best.t_head_dist == scores.loc[scores["mAP"].idxmax(), "t_head_dist"]
    with pytest.raises(ConfigError, match="unknown grid-search objective"):
        gs.score_grid(cache, gt, grid, objective="f1")


def test_cache_save_load_round_trip(setup, tmp_path):
    _, _, gt, cache = setup
    cache.save(tmp_path / "cache.npz")
    back = gs.GridCache.load(tmp_path / "cache.npz")
    assert [s.name for s in back.sequences] == [s.name for s in cache.sequences]
    grid = gs.GridSpec(t_head=(0.05,), t_head_dist=(4.0,), t_joint=(0.0,), t_person=(0.0,),
                       t_pose_dist=(40.0,), t_max_age=(3,))
    a, b = gs.score_grid(cache, gt, grid), gs.score_grid(back, gt, grid)
    assert a["mAP"].tolist() == b["mAP"].tolist() and a["MOTA"].tolist() == b["MOTA"].tolist()
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(DataError, match="bad.npz: not a readable grid-search cache"):
        gs.GridCache.load(tmp_path / "bad.npz")


def test_search_and_cache_mismatch(setup, tmp_path):
    _, _, gt, cache = setup
    grid = gs.GridSpec(t_head=(0.05,), t_head_dist=(2.0, 4.0), t_joint=(0.0,), t_person=(0.0,),
                       t_pose_dist=(40.0,), t_max_age=(3,))
    result = gs.search(cache, gt, grid)
    result.save(tmp_path)
    assert load_thresholds(tmp_path / "thresholds.json") == result.best
    assert json.loads((tmp_path / "thresholds.json").read_text())["combinations"] == 2
    with pytest.raises(DataError, match="cache was built on other data"):
        gs.predictions_at(cache, gt[:1], result.best)


def test_grid_spec_parsing_and_thresholds_file(tmp_path):
    g = gs.GridSpec.parse(["t_head=0.1,0.3", "t_max_age=5"])
    assert g.t_head == (0.1, 0.3) and g.t_max_age == (5,) and g.t_joint == gs.GridSpec().t_joint
    with pytest.raises(ConfigError, match="unknown grid thresholds"):
        gs.GridSpec.parse(["t_heads=0.1"])
    assert 200.0 in gs.GridSpec().t_pose_dist  # the paper's value is in the default grid
    assert gs.default_grid_for(640).t_pose_dist == (50.0, 100.0, 200.0)  # scaled to a 640-px frame
    th = Thresholds(0.25, 3.0, 0.2, 2.0, 80.0, 7)
    save_thresholds(th, tmp_path / "thresholds.json", {"objective": "sum"})
    assert load_thresholds(tmp_path / "thresholds.json") == th
    assert json.loads((tmp_path / "thresholds.json").read_text())["objective"] == "sum"
    (tmp_path / "t.json").write_text(json.dumps({"t_head": 0.2}))
    with pytest.raises(ConfigError, match=r"t\.json: .*missing \['t_head_dist'"):
        load_thresholds(tmp_path / "t.json")
    (tmp_path / "t.json").write_text(json.dumps({"thresholds": {**dataclasses.asdict(th), "t_heads": 1}}))
    with pytest.raises(ConfigError, match=r"unknown \['t_heads'\]"):
        load_thresholds(tmp_path / "t.json")
    (tmp_path / "t.json").write_text(json.dumps({**dataclasses.asdict(th), "t_max_age": "ten"}))
    with pytest.raises(ConfigError, match="t_max_age"):
        load_thresholds(tmp_path / "t.json")
    (tmp_path / "t.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_thresholds(tmp_path / "t.json")
