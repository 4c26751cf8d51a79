"""posekit's benchmark suite: `python -m benchmarks` (or `make bench`).

Each `bench_*.py` module exposes `run() -> list[dict]`; a figure is a dict with `name`, `value`, `unit`,
and, where the figure is a ratio measured in one run, `reference` (what it is compared to), `ratio` and
`goal`. The suite writes `results/benchmarks/<machine>.json` and `.md`.
"""
