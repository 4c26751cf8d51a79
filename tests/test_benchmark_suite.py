"""`python -m benchmarks --only M` re-measures module M and keeps the other modules' rows of the earlier
run."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_only_replaces_the_named_module_and_keeps_the_others(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.__main__ import main

    earlier = {"machine": "m", "figures": [
        {"module": "model", "name": "fp32 matmul", "value": 400.0, "unit": "GFLOP/s", "date": "2026-01-01"},
        {"module": "reproduce", "name": "stale row", "value": 1.0, "unit": "s", "date": "2026-01-01"},
    ]}
    (tmp_path / "m.json").write_text(json.dumps(earlier))
    # bench_reproduce only reads the committed run's manifest: fast, no TensorFlow.
    assert main(["--only", "reproduce", "--machine", "m", "--out", str(tmp_path)]) == 0
    figures = json.loads((tmp_path / "m.json").read_text())["figures"]
    modules = [f["module"] for f in figures]
    assert modules[0] == "model" and figures[0]["value"] == 400.0  # kept, first in suite order
    assert "stale row" not in [f["name"] for f in figures]  # the re-measured module's old rows are gone
    assert modules.count("reproduce") >= 1 and all(f.get("date") for f in figures)
    md = (tmp_path / "m.md").read_text()
    assert "fp32 matmul" in md and "stale row" not in md
