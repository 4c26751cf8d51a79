"""`posekit compare RUN_A [RUN_B] [--paper]`: Tables 1, 2 and 2b side by side, with differences."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="compare result tables of runs with each other and with the paper",
        description=(
            "Print Table 1 (AP per joint), Table 2 (MOTA, MOTP, Prec, Rec) and Table 2b (IDF1, keypoint HOTA "
            "Totals; not in the paper) of one or two runs side by side, with a difference row, and write "
            "them as Markdown. A run is a folder written by `posekit reproduce` (it holds "
            "tables/table1.csv, tables/table2.csv and, since Table 2b exists, tables/table2b.csv)."
        ),
    )
    p.add_argument("run_a", metavar="RUN_A",
                   help="results folder of the first run, e.g. results/cpu-synthetic")
    p.add_argument("run_b", metavar="RUN_B", nargs="?", help="results folder of a second run (optional)")
    p.add_argument("--paper", nargs="?", const="val", choices=["val", "test"],
                   help="add the paper's row (default: its validation-set row)")
    p.add_argument("--out", help="Markdown file to write (default: RUN_A/compare.md)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posekit.fileio import atomic_write_text
    from posekit.results import compare_runs, compare_table2b, to_markdown

    t1, t2 = compare_runs(args.run_a, args.run_b, args.paper)
    t2b = compare_table2b(args.run_a, args.run_b)
    import pandas as pd

    with pd.option_context("display.float_format", "{:.1f}".format, "display.width", 160):
        print("Table 1 — AP per joint (PCKh@0.5)")
        print(t1.to_string())
        print()
        print("Table 2 — tracking (Totals)")
        print(t2.to_string())
        if t2b is not None:
            print()
            print("Table 2b — IDF1 and keypoint HOTA (Totals; not in the paper)")
            print(t2b.to_string())
    md = ("## Table 1 — AP per joint\n\n" + to_markdown(t1, "run") + "\n## Table 2 — tracking (Totals)\n\n"
          + to_markdown(t2, "run"))
    if t2b is not None:
        md += ("\n## Table 2b — IDF1 and keypoint HOTA (Totals; not in the paper)\n\n"
               + to_markdown(t2b, "run"))
    out = Path(args.out) if args.out else Path(args.run_a) / "compare.md"
    atomic_write_text(out, md)
    print(f"\nwrote {out}")
    return 0
