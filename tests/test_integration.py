"""`make reproduce`'s default run, end to end (about 17 minutes on 2 cores): marked `integration`, so it runs
only with `make test-all` or `pytest -m integration`.

It runs the default (`posekit reproduce --profile cpu` on the synthetic default data) into a temporary folder
and checks that Table 1's Total and Table 2's MOTA reach the figures recorded from the committed run in
`results/cpu-synthetic/` (README, "Results of make reproduce"), minus a tolerance for run-to-run variation
(TensorFlow's CPU kernels are not bit-reproducible across thread schedules).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "results" / "cpu-synthetic" / "tables"
TOLERANCE = 5.0  # percentage points


@pytest.mark.integration
def test_make_reproduce_default_reaches_the_recorded_tables(tmp_path):
    from posekit import pipeline

    if not (RECORDED / "table1.csv").exists():
        pytest.skip("no recorded run in results/cpu-synthetic to compare with")
    recorded_ap = float(pd.read_csv(RECORDED / "table1.csv", index_col=0).iloc[0]["Total"])
    recorded_mota = float(pd.read_csv(RECORDED / "table2.csv", index_col=0).iloc[0]["MOTA Total"])
    spec = pipeline.RunSpec(profile="cpu", out=str(tmp_path / "cpu-synthetic"))
    manifest = pipeline.reproduce(spec)
    assert all(s["status"] == "done" for s in manifest["stages"].values())
    t1 = pd.read_csv(tmp_path / "cpu-synthetic" / "tables" / "table1.csv", index_col=0).iloc[0]
    t2 = pd.read_csv(tmp_path / "cpu-synthetic" / "tables" / "table2.csv", index_col=0).iloc[0]
    assert t1["Total"] >= recorded_ap - TOLERANCE
    assert t2["MOTA Total"] >= recorded_mota - TOLERANCE
    seconds = sum(s["seconds"] for s in json.loads((tmp_path / "cpu-synthetic" / "manifest.json").read_text())
                  ["stages"].values())
    print(f"make reproduce stages: {seconds:.0f} s; Table 1 Total {t1['Total']:.1f}, "
          f"MOTA {t2['MOTA Total']:.1f}")
