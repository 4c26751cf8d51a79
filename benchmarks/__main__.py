"""Run every benchmark module and write results/benchmarks/<machine>.{json,md}.

Usage: python -m benchmarks [--only model,inference] [--machine NAME]   (from the repository root; each module
also runs alone as `python -m benchmarks.bench_<name>`)

With --only, the named modules are re-measured and their rows replace those of the earlier run in the
same files (the other modules' rows are kept; every row of the JSON carries the date it was measured).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("model", "input_pipeline", "inference", "precision", "evaluation", "gridsearch", "reproduce")


def _machine_name() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    slug = "".join(ch if ch.isalnum() else "-" for ch in cpu.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"{slug}-{os.cpu_count()}cores"


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def to_markdown(figures: list[dict], machine: str) -> str:
    lines = [f"# posekit benchmarks — {machine}", "",
             "Written by `python -m benchmarks` (`make bench`). Every ratio is measured within one run on "
             "this machine; absolute times depend on the machine and on what else ran.", "",
             "| module | figure | value | unit | reference | ratio | goal |",
             "|---|---|---:|---|---|---:|---|"]
    for f in figures:
        lines.append("| " + " | ".join([f.get("module", ""), f["name"], _fmt(f.get("value")),
                                        f.get("unit", ""), str(f.get("reference", "") or ""),
                                        _fmt(f.get("ratio")), str(f.get("goal", "") or "")]) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--only", help="comma-separated module names (default: all): " + ", ".join(MODULES))
    ap.add_argument("--machine", default=_machine_name(), help="name of the output files")
    ap.add_argument("--out", default=str(ROOT / "results" / "benchmarks"))
    args = ap.parse_args(argv)
    wanted = args.only.split(",") if args.only else list(MODULES)
    from posekit.fileio import atomic_write_json, atomic_write_text
    from posekit.quiet import import_tensorflow

    if set(wanted) - {"evaluation", "reproduce"}:  # the others run TensorFlow: without its start-up lines
        import_tensorflow()

    figures: list[dict] = []
    failures = 0
    for name in wanted:
        try:
            mod = importlib.import_module(f"benchmarks.bench_{name}")
        except ModuleNotFoundError as err:
            print(f"[{name}] skipped: {err}", flush=True)
            continue
        t0 = time.perf_counter()
        print(f"[{name}] running…", flush=True)
        try:
            rows = mod.run()
        except Exception:  # noqa: BLE001 - one failing module must not hide the others
            failures += 1
            traceback.print_exc()
            continue
        measured = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for r in rows:
            r.setdefault("module", name)
            r.setdefault("date", measured)
            print(f"  {r['name']}: {_fmt(r.get('value'))} {r.get('unit', '')}"
                  + (f"  (ratio {_fmt(r.get('ratio'))} vs {r.get('reference')})"
                     if r.get("ratio") is not None else ""),
                  flush=True)
        figures.extend(rows)
        print(f"[{name}] {time.perf_counter() - t0:.0f} s", flush=True)
    out = Path(args.out)
    previous = out / f"{args.machine}.json"
    if args.only and previous.exists():
        # --only re-measures some modules: keep the other modules' rows of the earlier run, in suite order.
        import json

        earlier = json.loads(previous.read_text())
        kept = [f for f in earlier.get("figures", []) if f.get("module") not in wanted]
        for f in kept:  # rows written before rows carried a date were measured on the file's date
            f.setdefault("date", earlier.get("date"))
        rank = {m: i for i, m in enumerate(MODULES)}
        figures = sorted(kept + figures, key=lambda f: rank.get(f.get("module"), len(MODULES)))
    payload = {"machine": args.machine, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "python": platform.python_version(), "cpus": os.cpu_count(), "figures": figures}
    atomic_write_json(out / f"{args.machine}.json", payload)
    atomic_write_text(out / f"{args.machine}.md", to_markdown(figures, args.machine))
    print(f"wrote {out / (args.machine + '.json')} and .md")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
