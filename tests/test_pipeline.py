"""`posekit reproduce` mechanics (stage keys, resume, failures) and `posekit compare`, on tiny notebooks."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pandas as pd
import pytest

from posekit import cli, pipeline
from posekit.config import load_config
from posekit.results import compare_runs, to_latex, to_markdown, write_table


def _notebook(path, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("config_path = ''\ndata_dir = ''\nrun_dir = ''\nsynthetic_preset = ''")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


@pytest.fixture
def toy_pipeline(tmp_path, monkeypatch):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    # Each stage appends its name to a log file, so the test sees which stages really ran.
    for stem in ("s1", "s2"):
        _notebook(nbdir / f"{stem}.ipynb",
                  "from pathlib import Path\nwith open(Path(run_dir) / 'ran.log', 'a') as f: "
                  f"f.write('{stem}\\n')")
    data = tmp_path / "data"
    (data / "annotations" / "val").mkdir(parents=True)
    (data / "annotations" / "val" / "a.json").write_text("{}")
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", nbdir)
    monkeypatch.setattr(pipeline, "STAGES", (("s1", "first"), ("s2", "second")))
    spec = pipeline.RunSpec(profile="tiny", data=str(data), out=str(tmp_path / "run"))
    return spec, nbdir, tmp_path / "run"


def _ran(run_dir):
    return (run_dir / "ran.log").read_text().split()


def test_reproduce_runs_stages_writes_manifest_and_resumes(toy_pipeline):
    spec, nbdir, run_dir = toy_pipeline
    logs: list[str] = []
    manifest = pipeline.reproduce(spec, log=logs.append)
    assert _ran(run_dir) == ["s1", "s2"]
    assert (run_dir / "s1.ipynb").exists() and (run_dir / "s2.ipynb").exists()
    saved = json.loads((run_dir / "manifest.json").read_text())
    assert saved["profile"] == "tiny" and saved["stages"]["s2"]["status"] == "done"
    assert {"config", "packages", "git_commit", "data_fingerprint", "seed"} <= set(saved)
    assert saved["config"]["network"]["input_width"] == 224
    assert manifest["data_fingerprint"] == saved["data_fingerprint"]
    # The resolved config is written once; the notebooks get its path.
    assert load_config(run_dir / "config.json").to_dict() == saved["config"]
    executed = nbformat.read(str(run_dir / "s1.ipynb"), as_version=4)
    assert str(run_dir / "config.json") in "".join(c.source for c in executed.cells)
    # Same arguments again: nothing re-runs.
    logs.clear()
    pipeline.reproduce(spec, log=logs.append)
    assert _ran(run_dir) == ["s1", "s2"]
    assert sum("skipped" in line for line in logs) == 2
    # Changing the second notebook re-runs only it; changing the first re-runs both (keys chain).
    _notebook(nbdir / "s2.ipynb",
              "from pathlib import Path\nopen(Path(run_dir) / 'ran.log', 'a').write('s2b\\n')")
    pipeline.reproduce(spec, log=logs.append)
    assert _ran(run_dir) == ["s1", "s2", "s2b"]
    _notebook(nbdir / "s1.ipynb",
              "from pathlib import Path\nopen(Path(run_dir) / 'ran.log', 'a').write('s1b\\n')")
    pipeline.reproduce(spec, log=logs.append)
    assert _ran(run_dir) == ["s1", "s2", "s2b", "s1b", "s2b"]


def test_relative_paths_are_resolved_before_the_notebooks_change_directory(toy_pipeline, monkeypatch):
    spec, _, run_dir = toy_pipeline
    monkeypatch.chdir(run_dir.parent)
    rel = pipeline.RunSpec(profile="tiny", data=spec.data, out="run")
    assert rel.run_dir == run_dir and rel.run_dir.is_absolute()
    pipeline.reproduce(rel, log=lambda m: None)
    assert _ran(run_dir) == ["s1", "s2"]  # the notebooks wrote into the same folder as the manifest
    with pytest.raises(pipeline.PosekitError, match="unknown stage"):
        pipeline.reproduce(rel, stages=["04"], log=lambda m: None)


def test_a_config_change_reruns_the_stages(toy_pipeline):
    spec, _, run_dir = toy_pipeline
    pipeline.reproduce(spec, log=lambda m: None)
    changed = pipeline.RunSpec(profile=spec.profile, data=spec.data, out=spec.out,
                               overrides=("train.iterations=3",))
    pipeline.reproduce(changed, log=lambda m: None)
    assert _ran(run_dir) == ["s1", "s2", "s1", "s2"]


def test_the_seed_reaches_training_through_the_run_config():
    """`posekit reproduce --seed N` sets train.seed = N: the weight initialisation (and the augmentation and
    the sampling, which read the same field) follow the seed."""
    from posekit.model import build_model

    def spec(seed: int, *overrides: str) -> pipeline.RunSpec:
        return pipeline.RunSpec(profile="tiny", seed=seed, overrides=overrides)

    one, two, one_again = (pipeline.run_config(spec(s)) for s in (1, 2, 1))
    assert (one.train.seed, two.train.seed) == (1, 2)
    assert pipeline.run_config(spec(1, "train.seed=7")).train.seed == 7  # an explicit override wins
    w1, w2, w1_again = (build_model(c).component1.get_layer("features0_conv0").get_weights()[0]
                        for c in (one, two, one_again))
    assert not np.allclose(w1, w2)
    np.testing.assert_array_equal(w1, w1_again)


def test_failing_stage_names_notebook_and_cell(toy_pipeline):
    spec, nbdir, run_dir = toy_pipeline
    _notebook(nbdir / "s2.ipynb", "raise ValueError('diverged at iteration 7')")
    with pytest.raises(pipeline.StageError,
                       match=r"s2.ipynb: cell \d+ failed: ValueError: diverged at iteration 7"):
        pipeline.reproduce(spec, log=lambda m: None)
    saved = json.loads((run_dir / "manifest.json").read_text())
    assert saved["stages"]["s1"]["status"] == "done" and saved["stages"]["s2"]["status"] == "failed"
    assert not (run_dir / "s2.ipynb").exists() and (run_dir / "s2.failed.ipynb").exists()


def _fake_run(path, ap_total, mota_total):
    tables = path / "tables"
    tables.mkdir(parents=True)
    cols = ["Head", "Sho", "Elb", "Wri", "Hip", "Knee", "Ank", "Total"]
    pd.DataFrame([[ap_total] * 8], columns=cols, index=["AP"]).to_csv(tables / "table1.csv")
    pd.DataFrame([[mota_total, 80.0, 90.0, 70.0]],
                 columns=["MOTA Total", "MOTP Total", "Prec Total", "Rec Total"],
                 index=["all"]).to_csv(tables / "table2.csv")


def test_compare_two_runs_and_paper(tmp_path, capsys):
    _fake_run(tmp_path / "a", 60.0, 40.0)
    _fake_run(tmp_path / "b", 65.5, 38.0)
    t1, t2 = compare_runs(tmp_path / "a", tmp_path / "b")
    assert t1.loc["b − a", "Total"] == pytest.approx(5.5)
    assert t2.loc["b − a", "MOTA"] == pytest.approx(-2.0)
    t1, t2 = compare_runs(tmp_path / "a", paper="val")
    # paper val mAP 53.9, MOTA 36.8 (Tables 1 and 2)
    assert t1.loc["a − paper (val)", "Total"] == pytest.approx(60.0 - 53.9)
    assert t2.loc["a − paper (val)", "MOTA"] == pytest.approx(40.0 - 36.8)
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--paper"]) == 0
    out = capsys.readouterr().out
    assert "b − a" in out and "paper (val)" in out
    md = (tmp_path / "a" / "compare.md").read_text()
    assert "| b − a | 5.5 |" in md


def test_compare_missing_tables_is_one_line_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert cli.main(["compare", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip()
    assert "table1.csv: missing" in err and len(err.splitlines()) == 1


def test_markdown_and_latex_rendering(tmp_path):
    df = pd.DataFrame({"Head": [73.14, float("nan")], "Total": [53.9, 1.0]}, index=["val", "x_y"])
    md = to_markdown(df, "set")
    assert md.splitlines()[0] == "| set | Head | Total |"
    assert "| val | 73.1 | 53.9 |" in md and "| x_y | – | 1.0 |" in md
    tex = to_latex(df, "Table 1")
    assert r"x\_y & – & 1.0 \\" in tex and r"\caption{Table 1}" in tex
    paths = write_table(df, tmp_path, "t")
    assert [p.suffix for p in paths] == [".csv", ".md", ".tex"]
    back = pd.read_csv(paths[0], index_col=0)
    assert back.loc["val", "Head"] == pytest.approx(73.14)


def test_git_commit_is_not_dirty_from_the_run_folder_it_rewrites(tmp_path, monkeypatch):
    """A committed run folder re-run in place (make reproduce rewrites results/cpu-synthetic) leaves the
    manifest's commit clean; a change elsewhere in the tree still marks it dirty."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    repo = tmp_path / "repo"
    (repo / "results" / "run").mkdir(parents=True)
    (repo / "results" / "run" / "config.json").write_text("{}")
    (repo / "code.py").write_text("x = 1\n")
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "c"]):
        subprocess.run(["git", *cmd], cwd=repo, check=True)
    monkeypatch.setattr(pipeline, "REPO_ROOT", repo.resolve())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                          text=True).stdout.strip()
    run_dir = repo / "results" / "run"
    assert pipeline.git_commit(run_dir) == head
    (run_dir / "config.json").write_text('{"profile": "cpu"}')
    assert pipeline.git_commit(run_dir) == head
    assert pipeline.git_commit() == head + "-dirty"
    assert pipeline.git_commit(tmp_path / "elsewhere") == head + "-dirty"
    (repo / "code.py").write_text("x = 2\n")
    assert pipeline.git_commit(run_dir) == head + "-dirty"
