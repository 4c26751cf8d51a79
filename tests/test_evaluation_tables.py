"""Table 2b on disk: `EvaluationResult.save` -> `posekit compare` (Totals side by side, difference row)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_evaluation import as_prediction, gt, pr, seq

from posekit import cli
from posekit.evaluation import evaluate
from posekit.results import compare_table2b, write_table


def _run(path, result, label):
    tables = path / "tables"
    write_table(result.table1.rename(index={"AP": label}), tables, "table1")
    write_table(result.table2.rename(index={"MOT": label}), tables, "table2")
    write_table(result.table2b, tables, "table2b")


def test_compare_shows_table2b_totals_with_differences(tmp_path, capsys):
    g = seq([[gt(100, 20, 0), gt(300, 20, 1)] for _ in range(4)])
    perfect = evaluate([g], [as_prediction(g)])
    # Identities swapped from frame 2 on: same detections, worse association (IDF1 and AssA drop).
    swapped = evaluate([g], [seq([[pr(100, 20, 5 if f < 2 else 7), pr(300, 20, 7 if f < 2 else 5)]
                                  for f in range(4)])])
    # GT as prediction: every similarity is 1, so HOTA = DetA = AssA = LocA = 100.
    assert (perfect.table2b.loc[["HOTA", "DetA", "AssA", "LocA"], "Total"].tolist()
            == pytest.approx([100.0] * 4))
    assert perfect.table2b.loc["IDF1", "Total"] == pytest.approx(100.0)
    assert perfect.table2b.loc["DetA", "Total"] == swapped.table2b.loc["DetA", "Total"]
    assert swapped.table2b.loc["AssA", "Total"] < perfect.table2b.loc["AssA", "Total"]
    assert swapped.table2b.loc["IDF1", "Total"] == pytest.approx(50.0)  # 2 of 4 frames kept per identity
    _run(tmp_path / "a", perfect, "a")
    _run(tmp_path / "b", swapped, "b")
    t2b = compare_table2b(tmp_path / "a", tmp_path / "b")
    assert t2b.loc["b − a", "IDF1"] == pytest.approx(-50.0)
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "Table 2b" in out and "HOTA" in out
    assert "## Table 2b" in (tmp_path / "a" / "compare.md").read_text()
    # A run written before Table 2b existed gets a NaN row, not an error.
    (tmp_path / "b" / "tables" / "table2b.csv").unlink()
    t2b = compare_table2b(tmp_path / "a", tmp_path / "b")
    assert np.isnan(t2b.loc["b", "HOTA"]) and t2b.loc["a", "IDF1"] == pytest.approx(100.0)
    assert isinstance(t2b, pd.DataFrame)
