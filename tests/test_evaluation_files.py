"""The PoseTrack evaluation on files: 2017 vs 2018 layouts, the real fixtures, and `posekit evaluate`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_evaluation import as_prediction, gt, pr, reference_case, seq

from posekit.cli import main
from posekit.commands.evaluate import evaluate_folders
from posekit.data.posetrack import read_sequence, write_folder, write_sequence
from posekit.data.schema import Frame, Person, Sequence
from posekit.errors import DataError
from posekit.evaluation import evaluate

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
REFERENCE_AP = [85.7, 85.7, 85.7, 69.4, 85.7, 85.7, 69.4, 81.4]
REFERENCE_MOT = [75.0, 75.0, 75.0, 25.0, 75.0, 75.0, 75.0, 68.3, 95.7, 77.3, 96.7]


def write_case(tmp_path: Path, fmt: str) -> tuple[Path, Path]:
    g, p = reference_case()
    gt_dir, pred_dir = tmp_path / f"gt{fmt}", tmp_path / f"pred{fmt}"
    write_folder([g], gt_dir, format=fmt)
    write_folder([p], pred_dir, format=fmt)
    return gt_dir, pred_dir


@pytest.mark.parametrize("fmt", ["2017", "2018"])
def test_reference_case_through_the_writers_and_readers(tmp_path, fmt):
    gt_dir, pred_dir = write_case(tmp_path, fmt)
    assert json.loads((gt_dir / "000001_mpii_test.json").read_text()).keys() >= (
        {"annolist"} if fmt == "2017" else {"images", "annotations", "categories"}
    )
    r = evaluate_folders(gt_dir, pred_dir)
    assert r.table1.loc["AP"].round(1).tolist() == REFERENCE_AP
    assert r.table2.loc["MOT"].round(1).tolist() == REFERENCE_MOT
    assert round(evaluate_folders(gt_dir, pred_dir, drop_last_frame=False).mota_total, 1) == 45.6


def test_2017_and_2018_files_give_identical_tables(tmp_path):
    r17 = evaluate_folders(*write_case(tmp_path, "2017"))
    r18 = evaluate_folders(*write_case(tmp_path, "2018"))
    g, p = reference_case()
    r_mem = evaluate([g], [p])
    for r in (r17, r18):
        pd.testing.assert_frame_equal(r.table1, r_mem.table1)
        pd.testing.assert_frame_equal(r.table2, r_mem.table2)
        pd.testing.assert_frame_equal(r.per_joint, r_mem.per_joint)
    # Mixed layouts: 2017 GT against 2018 predictions.
    (tmp_path / "mixed").mkdir()
    r_mixed = evaluate_folders(tmp_path / "gt2017", tmp_path / "pred2018")
    pd.testing.assert_frame_equal(r_mixed.table2, r_mem.table2)
    with pytest.raises(Exception, match="is PoseTrack 2018, but --format 2017 was asked"):
        evaluate_folders(tmp_path / "gt2017", tmp_path / "pred2018", format="2017")


def test_a_posetrack_root_with_annotations_val(tmp_path):
    g, p = reference_case()
    write_folder([g], tmp_path / "root" / "annotations" / "val", format="2018")
    write_folder([p], tmp_path / "pred", format="2018")
    r = evaluate_folders(tmp_path / "root", tmp_path / "pred")
    assert r.table1.loc["AP"].round(1).tolist() == REFERENCE_AP


# --------------------------------------------------------------------------------------------------
# Real files
# --------------------------------------------------------------------------------------------------


def _fixture(path: str) -> Path:
    full = FIXTURES / path
    if not full.exists():
        pytest.skip(f"real-data fixture {full} is absent (../shared/fixtures not provided)")
    return full


def _check_gt_against_itself(gts: list[Sequence]) -> None:
    preds = [as_prediction(g) for g in gts]
    # One labelled frame per file: AP only (poseval's tracking would crash), then MOT without the drop.
    r = evaluate(gts, preds, tracking=False)
    annotated = r.per_joint["nGT"] > 0
    assert annotated.sum() >= 10
    assert np.allclose(r.per_joint.loc[annotated, "AP"], 100.0)
    # Joints nobody annotated were not predicted either: AP 0 by the official rule.
    assert (r.per_joint.loc[~annotated, "AP"] == 0.0).all()
    r_mot = evaluate(gts, preds, drop_last_frame=False)
    assert np.allclose(r_mot.per_joint.loc[annotated, "MOTA"], 100.0)
    assert np.allclose(r_mot.per_joint.loc[annotated, "MOTP"], 100.0)


def test_real_posetrack18_files_against_themselves():
    folder = _fixture("posetrack18/annotations/val")
    from posekit.data.posetrack import read_folder

    gts = read_folder(folder)
    assert len(gts) == 3
    _check_gt_against_itself(gts)


def test_real_posetrack17_file_against_itself_and_against_its_2018_source():
    g17 = read_sequence(_fixture("posetrack17/012834_mpii_test_as_posetrack17.json"))
    g18 = read_sequence(_fixture("posetrack18/annotations/val/012834_mpii_test.json"))
    _check_gt_against_itself([g17])
    # The same frame in both layouts: 2018 GT scored against the 2017 file turned into predictions.
    p17 = as_prediction(g17)
    p17.name = g18.name
    r = evaluate([g18], [p17], tracking=False)
    annotated = r.per_joint["nGT"] > 0
    assert np.allclose(r.per_joint.loc[annotated, "AP"], 100.0)


def test_real_files_through_the_cli(tmp_path, capsys):
    folder = _fixture("posetrack18/annotations/val")
    from posekit.data.posetrack import read_folder

    write_folder([as_prediction(g) for g in read_folder(folder)], tmp_path / "pred", format="2018")
    assert main(["evaluate", "--gt", str(folder), "--pred", str(tmp_path / "pred"), "--ap-only"]) == 0
    out = capsys.readouterr().out
    assert "Table 1" in out and "Table 2: MOT" not in out and "Table 2 not computed" in out
    assert "100.0 100.0 100.0 100.0 100.0 100.0 100.0 100.0" in out


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def test_cli_prints_tables_and_writes_outputs(tmp_path, capsys):
    gt_dir, pred_dir = write_case(tmp_path, "2018")
    out_dir = tmp_path / "eval"
    code = main(
        ["evaluate", "--gt", str(gt_dir), "--pred", str(pred_dir), "--out", str(out_dir), "--per-sequence"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "85.7  85.7  85.7  69.4  85.7  85.7  69.4  81.4" in out
    assert "68.3  95.7  77.3  96.7" in out
    assert "000001_mpii_test" in out  # the per-sequence row
    for name in ("table1.csv", "table2.csv", "per_joint.csv", "per_sequence.csv", "metrics.json"):
        assert (out_dir / name).is_file()
    assert round(json.loads((out_dir / "metrics.json").read_text())["table1"]["Total"], 1) == 81.4


def test_cli_clean_switches_are_announced(tmp_path, capsys):
    gt_dir, pred_dir = write_case(tmp_path, "2017")
    args = ["evaluate", "--gt", str(gt_dir), "--pred", str(pred_dir), "--no-drop-last-frame"]
    assert main([*args, "--empty-frame-rule", "count"]) == 0
    out = capsys.readouterr().out
    assert "CLEAN VARIANT" in out and "drop_last_frame=False" in out and "empty_frame_rule='count'" in out
    assert "45.6" in out  # MOTA Total with the last frame scored (no empty frames in this case)


def _cli_error(capsys, gt_dir: Path, pred_dir: Path, *extra: str) -> str:
    code = main(["evaluate", "--gt", str(gt_dir), "--pred", str(pred_dir), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("posekit evaluate: error: ")
    return err


def test_cli_error_missing_prediction_file(tmp_path, capsys):
    gt_dir, pred_dir = write_case(tmp_path, "2018")
    (pred_dir / "000001_mpii_test.json").unlink()
    err = _cli_error(capsys, gt_dir, pred_dir)
    assert str(pred_dir / "000001_mpii_test.json") in err and "missing prediction file" in err


def test_cli_error_frame_count_mismatch(tmp_path, capsys):
    gt_dir, pred_dir = write_case(tmp_path, "2017")
    _, p = reference_case()
    p.frames = p.frames[:2]
    write_sequence(p, pred_dir / "000001_mpii_test.json", format="2017")
    err = _cli_error(capsys, gt_dir, pred_dir)
    assert str(pred_dir / "000001_mpii_test.json") in err and "2 prediction frames but 3 GT frames" in err


@pytest.mark.parametrize("fmt", ["2017", "2018"])
def test_cli_error_missing_track_id(tmp_path, capsys, fmt):
    gt_dir, pred_dir = write_case(tmp_path, fmt)
    _, p = reference_case()
    p.frames[1].persons[2].track_id = None
    write_sequence(p, pred_dir / "000001_mpii_test.json", format=fmt)
    err = _cli_error(capsys, gt_dir, pred_dir)
    assert str(pred_dir / "000001_mpii_test.json") in err and "has no track_id" in err and "frame 1" in err


def test_cli_error_duplicate_track_ids_in_a_frame(tmp_path, capsys):
    gt_dir, pred_dir = write_case(tmp_path, "2018")
    path = pred_dir / "000001_mpii_test.json"
    data = json.loads(path.read_text())
    first_image = data["images"][0]["id"]
    for ann in data["annotations"]:
        if ann["image_id"] == first_image:
            ann["track_id"] = 3
    path.write_text(json.dumps(data))
    err = _cli_error(capsys, gt_dir, pred_dir)
    assert str(path) in err and "duplicate track_id 3" in err


def test_cli_error_unknown_joint_name(tmp_path, capsys):
    gt_dir, pred_dir = write_case(tmp_path, "2018")
    path = pred_dir / "000001_mpii_test.json"
    data = json.loads(path.read_text())
    data["categories"][0]["keypoints"][0] = "left_pinky"
    path.write_text(json.dumps(data))
    err = _cli_error(capsys, gt_dir, pred_dir)
    assert str(path) in err and "unknown joint name 'left_pinky'" in err


def test_cli_error_single_labelled_frame(tmp_path, capsys):
    one = seq([[gt(100, 20, 0)], []], "000002_mpii_test")
    write_folder([one], tmp_path / "gt", format="2018")
    write_folder([as_prediction(one)], tmp_path / "pred", format="2018")
    err = _cli_error(capsys, tmp_path / "gt", tmp_path / "pred")
    assert str(tmp_path / "gt" / "000002_mpii_test.json") in err and "only one labelled frame" in err
    # The switches that make it scoreable.
    assert (
        main(["evaluate", "--gt", str(tmp_path / "gt"), "--pred", str(tmp_path / "pred"), "--ap-only"]) == 0
    )
    args = [
        "evaluate",
        "--gt",
        str(tmp_path / "gt"),
        "--pred",
        str(tmp_path / "pred"),
        "--no-drop-last-frame",
    ]
    assert main(args) == 0
    capsys.readouterr()


def test_empty_frames_in_files_keep_their_meaning(tmp_path):
    # An unlabelled GT frame (no persons) written and read back in both layouts stays unevaluated, and an
    # empty prediction frame stays empty (the poseval dummy).
    g = seq([[gt(100, 20, 0)], [], [gt(110, 20, 0)], [gt(115, 20, 0)]])
    p = as_prediction(g)
    p.frames[2] = Frame(image=p.frames[2].image, persons=[])
    r_mem = evaluate([g], [p])
    for fmt in ("2017", "2018"):
        write_folder([g], tmp_path / f"g{fmt}", format=fmt)
        write_folder([p], tmp_path / f"p{fmt}", format=fmt)
        r = evaluate_folders(tmp_path / f"g{fmt}", tmp_path / f"p{fmt}")
        pd.testing.assert_frame_equal(r.table2, r_mem.table2)
    # Frames 0, 2 scored (3 dropped): 1 object + dummy (1 object, 1 miss, 1 FP) -> MOTA 100 (1 - 2/2) = 0.
    assert np.allclose(r_mem.per_joint["MOTA"], 0.0)


def test_prediction_person_without_scores_round_trips(tmp_path):
    g = seq([[gt(100, 20, 0)], [gt(105, 20, 0)]])
    p = seq([[Person(joints=g.frames[i].persons[0].joints.copy(), track_id=4)] for i in range(2)])
    write_folder([g], tmp_path / "g", format="2017")
    write_folder([p], tmp_path / "p", format="2017")
    with pytest.warns(UserWarning, match="score is missing"):
        r = evaluate_folders(tmp_path / "g", tmp_path / "p", tracking=False)
    assert np.allclose(r.per_joint["AP"], 100.0)


def test_sequence_order_and_carry_over_flags(tmp_path, capsys):
    import os

    from posekit.data.evaluation_inputs import json_files

    # Two sequences whose predictions tie in score across sequences: a TP in "b", an FP in "a".
    # The global ranking puts the tied pair in concatenation order, so the AP depends on the file order.
    sa = seq([[gt(100, 20, 0)], [gt(100, 20, 0)]], "a")
    sb = seq([[gt(100, 20, 0)], [gt(100, 20, 0)]], "b")
    pa = seq([[pr(100, 20, 0), pr(500, 20, 1)], [pr(100, 20, 0)]], "a")  # frame 0: an extra (FP) person
    pb = seq([[pr(100, 20, 0)], [pr(100, 20, 0)]], "b")
    write_folder([sa, sb], tmp_path / "g", format="2018")
    write_folder([pa, pb], tmp_path / "p", format="2018")
    listed = [e.name for e in os.scandir(tmp_path / "g") if e.name.endswith(".json")]
    assert [p.name for p in json_files(tmp_path / "g", "listdir")] == listed
    assert [p.name for p in json_files(tmp_path / "g", "sorted")] == sorted(listed)
    r_sorted = evaluate_folders(tmp_path / "g", tmp_path / "p")
    r_listdir = evaluate_folders(tmp_path / "g", tmp_path / "p", sequence_order="listdir")
    assert (r_sorted.sequences == ["a", "b"]
            and r_listdir.sequences == [p.removesuffix(".json") for p in listed])
    assert r_listdir.to_dict()["sequence_order"] == "listdir"
    ab = evaluate([sa, sb], [pa, pb]).ap_total
    ba = evaluate([sb, sa], [pb, pa]).ap_total
    assert ab != ba  # the tie makes the official AP order-dependent
    assert r_listdir.ap_total == (ab if listed[0] == "a.json" else ba)
    assert main(["evaluate", "--gt", str(tmp_path / "g"), "--pred", str(tmp_path / "p"),
                 "--sequence-order", "listdir", "--carry-over", "previous_update"]) == 0
    out = capsys.readouterr().out
    assert "CLEAN VARIANT" in out and "carry_over='previous_update'" in out and "Table 2b" in out


def _split_on_disk(tmp_path: Path) -> tuple[Path, Path]:
    from benchmarks.bench_evaluation import synthetic_split

    # noisy tracked predictions: pixel noise, dropped joints, spurious persons, identity changes
    gts, preds = synthetic_split(n_sequences=12, n_frames=8, n_people=3, seed=4)
    write_folder(gts, tmp_path / "gt", format="2018")
    write_folder(preds, tmp_path / "pred", format="2018")
    return tmp_path / "gt", tmp_path / "pred"


def test_workers_give_the_one_process_numbers_bit_for_bit(tmp_path):
    from posekit.commands.evaluate import _evaluate_in_parts

    gt_dir, pred_dir = _split_on_disk(tmp_path)
    one = evaluate_folders(gt_dir, pred_dir, workers=1)
    for workers, rows_in_workers in ((2, True), (3, False)):
        many = _evaluate_in_parts(gt_dir, pred_dir, "auto", "sorted", workers, rows_in_workers, {})
        assert many is not None  # the forked path ran (no fall-back)
        assert many.sequences == one.sequences
        for attr in ("joint_rows", "table1_row", "table2_row", "table2b_rows", "sequence_rows"):
            assert repr(getattr(many, attr)) == repr(getattr(one, attr)), attr  # repr: every float's bits
    assert 0 < one.mota_total < 100


def test_workers_report_the_one_process_error(tmp_path, capsys):
    gt_dir, pred_dir = _split_on_disk(tmp_path)
    last = sorted(pred_dir.glob("*.json"))[-1]  # in the last part, which a forked worker reads
    last.write_text(last.read_text()[:-20])
    with pytest.raises(DataError) as one:
        evaluate_folders(gt_dir, pred_dir, workers=1)
    with pytest.raises(DataError) as many:
        evaluate_folders(gt_dir, pred_dir, workers=2)
    assert str(many.value) == str(one.value) and last.name in str(one.value)
    assert main(["evaluate", "--gt", str(gt_dir), "--pred", str(pred_dir), "--workers", "2"]) == 2
    assert last.name in capsys.readouterr().err


def _exit_without_result():
    os._exit(3)


def test_forked_worker_results_errors_and_crashes():
    from posekit.commands.evaluate import _collect, _fork

    assert _collect(_fork(sum, ([1, 2, 3],))) == 6
    assert _collect(_fork(int, ("not a number",))) is None  # it raised: None, the parent re-runs
    assert _collect(_fork(_exit_without_result, ())) is None  # it died before answering
