"""The five notebooks: committed without outputs, and each writes what it promises when run by papermill
at the `tiny` profile. The whole `posekit reproduce --profile tiny` (five kernels, training, grid search:
minutes on 2 cores) is in the `integration` tier; the default tier runs the first stage for real."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from posekit import pipeline

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_five_stages_have_notebooks():
    assert [p.stem for p in NOTEBOOKS] == [s for s, _ in pipeline.STAGES]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs_and_has_one_parameters_cell(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in code), f"{path.name} has outputs"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    # flat typed literals with a comment each
    lines = [ln for ln in "".join(tagged[0]["source"]).splitlines() if ln.strip()]
    assert lines and all(":" in ln.split("=")[0] and "#" in ln for ln in lines)
    names = {"config_path", "data_dir", "run_dir", "synthetic_preset"}
    # the notebooks that load a trained model can take any model folder
    if path.stem[:2] in ("03", "04", "05"):
        names.add("model_dir")
    assert {ln.split(":")[0] for ln in lines} == names
    # markdown teaches the paper step: every notebook quotes or cites the paper
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "§" in text


def test_first_stage_runs_for_real_and_writes_its_outputs_and_the_manifest(tmp_path):
    # Stage 01 through papermill, as `posekit reproduce --stage 01_data_and_targets` runs it.
    out = tmp_path / "tiny"
    logs: list[str] = []
    manifest = pipeline.reproduce(pipeline.RunSpec(profile="tiny", out=str(out)),
                                  stages=["01_data_and_targets"], log=logs.append)
    stem = pipeline.STAGES[0][0]
    assert (out / f"{stem}.ipynb").exists() and manifest["stages"][stem]["status"] == "done"
    assert set(manifest["stages"]) == {stem}  # only the stage asked for
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["profile"] == "tiny" and len(saved["data_fingerprint"]) == 64
    assert saved["backend"] == "tensorflow" and saved["packages"]["keras"] != "not installed"
    stats = json.loads((out / "tables" / "dataset_stats.json").read_text())
    assert stats["val"]["sequences"] >= 1
    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert {"01_ground_truth_frames.png", "01_targets.png", "01_augmentation.png"} <= figures


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "tiny"
    logs: list[str] = []
    spec = pipeline.RunSpec(profile="tiny", out=str(out))
    manifest = pipeline.reproduce(spec, log=logs.append)
    return out, manifest, spec, logs


@pytest.mark.integration
def test_tiny_reproduce_writes_every_promised_output(tiny_run):
    run, manifest, _, _ = tiny_run
    for stem, _ in pipeline.STAGES:
        assert (run / f"{stem}.ipynb").exists()
        assert manifest["stages"][stem]["status"] == "done" and manifest["stages"][stem]["seconds"] > 0
    # manifest: profile, config, seed, data fingerprint, package versions, git commit, stage times
    saved = json.loads((run / "manifest.json").read_text())
    assert saved["profile"] == "tiny" and len(saved["data_fingerprint"]) == 64
    assert saved["packages"]["tensorflow"] != "not installed" and "stages" in saved
    assert saved["backend"] == "tensorflow"
    # 01: statistics and figures
    stats = json.loads((run / "tables" / "dataset_stats.json").read_text())
    assert stats["val"]["sequences"] >= 1
    # 02: model and loss curves
    assert (run / "model" / "model.keras").exists()
    losses = pd.read_csv(run / "tables" / "training_losses.csv")
    assert {"iteration", "loss", "head_loss", "pose_loss"} <= set(losses.columns)
    # 03: thresholds.json with all six thresholds, grid.csv
    th = json.loads((run / "thresholds.json").read_text())["thresholds"]
    assert set(th) == {"t_head", "t_head_dist", "t_joint", "t_person", "t_pose_dist", "t_max_age"}
    grid = pd.read_csv(run / "grid.csv")
    assert {"mAP", "MOTA", "objective"} <= set(grid.columns) and len(grid) == 2**6
    # 04: tables with the right columns, beside the paper, in CSV, Markdown and LaTeX
    t1 = pd.read_csv(run / "tables" / "table1.csv", index_col=0)
    assert list(t1.columns) == ["Head", "Sho", "Elb", "Wri", "Hip", "Knee", "Ank", "Total"]
    t2 = pd.read_csv(run / "tables" / "table2.csv", index_col=0)
    assert {"MOTA Total", "MOTP Total", "Prec Total", "Rec Total"} <= set(t2.columns)
    vs = pd.read_csv(run / "tables" / "table1_vs_paper.csv", index_col=0)
    assert vs.loc["paper (val)", "Total"] == 53.9
    for stem in ("table1", "table2", "table1_vs_paper", "table2_vs_paper"):
        for ext in (".csv", ".md", ".tex"):
            assert (run / "tables" / f"{stem}{ext}").stat().st_size > 0
    # figures of every stage, and the annotated video
    figures = {p.name for p in (run / "figures").glob("*.png")}
    assert {"01_ground_truth_frames.png", "01_targets.png", "01_augmentation.png", "02_loss_curves.png",
            "02_sample_prediction.png", "02_network.png", "03_grid_search.png", "05_fig1_intermediates.png",
            "05_tracker.png",
            "05_predicted_vs_target.png", "05_overlays.png", "05_track_timeline.png",
            "05_worst_frames.png"} <= figures
    assert list((run / "figures" / "05_video").glob("*.mp4"))
    # The executed notebooks are portable and quiet: no absolute machine path, no TensorFlow start-up lines,
    # no bare list of return values.
    for stem, _ in pipeline.STAGES:
        nb = json.loads((run / f"{stem}.ipynb").read_text())
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
                assert str(run) not in text and str(ROOT) not in text, (
                    f"{stem}: absolute path in {text[:200]!r}")
                assert "absl::InitializeLog" not in text and "cuInit" not in text, f"{stem}: {text[:200]!r}"
                assert "PosixPath(" not in text, f"{stem}: {text[:200]!r}"


@pytest.mark.integration
def test_reproduce_again_skips_finished_stages(tiny_run):
    run, _, spec, _ = tiny_run
    logs: list[str] = []
    pipeline.reproduce(spec, log=logs.append)
    assert sum("up to date" in line for line in logs) == len(pipeline.STAGES)


@pytest.mark.integration
def test_compare_on_two_small_runs(tiny_run, capsys):
    from posekit import cli

    run, _, _, _ = tiny_run
    assert cli.main(["compare", str(run), str(run), "--paper"]) == 0
    out = capsys.readouterr().out
    assert "paper (val)" in out and "Total" in out and "MOTA" in out
