"""`make reproduce` per stage, read from the manifest of the last real run
(results/cpu-synthetic/manifest.json).

The pipeline itself takes longer than `make bench` may (it is `make reproduce`); this module reports the stage
times that run recorded, each as a share of the whole.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(manifest: str | Path = ROOT / "results" / "cpu-synthetic" / "manifest.json") -> list[dict]:
    path = Path(manifest)
    if not path.exists():
        return [{"name": "make reproduce: not measured (no results/cpu-synthetic/manifest.json)",
                 "value": None, "unit": ""}]
    m = json.loads(path.read_text())
    stages = {k: v.get("seconds") for k, v in m.get("stages", {}).items() if v.get("seconds") is not None}
    total = sum(stages.values())
    rows = [{"name": f"make reproduce stage {k} ({m.get('profile')} profile)", "value": v, "unit": "s",
             "reference": "all stages", "ratio": v / total if total else None} for k, v in stages.items()]
    rows.append({"name": "make reproduce: all notebook stages", "value": total, "unit": "s",
                 "goal": "<= 1200 s"})
    return rows


if __name__ == "__main__":
    for f in run(*sys.argv[1:2]):
        print(f)
