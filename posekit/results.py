"""Result tables as data: load a run's Table 1 / Table 2 / Table 2b, render Markdown and LaTeX, compare runs.

Every table is a CSV first (STYLE.md); Markdown and LaTeX are rendered from it here, so the README,
the notebooks and `posekit compare` print the same numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from posekit.errors import DataError
from posekit.fileio import atomic_write_text
from posekit.paper_results import TABLE1, TABLE2

TABLE1_COLUMNS = ("Head", "Sho", "Elb", "Wri", "Hip", "Knee", "Ank", "Total")
TABLE2_COLUMNS = ("MOTA", "MOTP", "Prec", "Rec")
#: The Totals of Table 2b that `posekit compare` shows (IDF1 and keypoint HOTA; not in the paper).
TABLE2B_TOTALS = ("IDF1", "IDP", "IDR", "HOTA", "DetA", "AssA", "LocA")


def tables_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "tables"


def load_run_tables(run_dir: str | Path) -> tuple[pd.Series, pd.Series]:
    """(Table 1 row, Table 2 totals) of a finished run, read from `RUN/tables/table{1,2}.csv`."""
    tdir = tables_dir(run_dir)
    out = []
    for name in ("table1.csv", "table2.csv"):
        path = tdir / name
        if not path.exists():
            raise DataError(path, "missing: has this run finished its tables stage (04_reproduce_tables)?")
        try:
            df = pd.read_csv(path, index_col=0)
        except Exception as err:  # noqa: BLE001
            raise DataError(path, f"not a readable CSV table ({err})") from None
        if df.empty:
            raise DataError(path, "the table is empty")
        out.append(df.iloc[0])
    t1 = _select(out[0], TABLE1_COLUMNS, tdir / "table1.csv")
    t2 = table2_totals(out[1], tdir / "table2.csv")
    return t1, t2


def _select(row: pd.Series, columns: tuple[str, ...], path: Path) -> pd.Series:
    missing = [c for c in columns if c not in row.index]
    if missing:
        raise DataError(path, f"missing columns {missing}")
    return row[list(columns)].astype(float)


def table2_totals(row: pd.Series, path: Path | str = "table2") -> pd.Series:
    """MOTA, MOTP, Prec, Rec Totals from a Table 2 row (columns `MOTA Total` or `MOTA`)."""
    values = {}
    for metric in TABLE2_COLUMNS:
        for cand in (f"{metric} Total", metric, f"{metric}_Total", f"Total {metric}"):
            if cand in row.index:
                values[metric] = float(row[cand])
                break
        else:
            raise DataError(path, f"no {metric} Total column (have {list(row.index)})")
    return pd.Series(values)


def load_run_table2b(run_dir: str | Path) -> pd.Series | None:
    """The Table 2b Totals (`TABLE2B_TOTALS`) of a finished run from `RUN/tables/table2b.csv` (rows IDF1,
    ..., columns the joint groups and Total), or None for a run written before Table 2b existed."""
    path = tables_dir(run_dir) / "table2b.csv"
    if not path.exists():
        return None
    try:
        df = pd.read_csv(path, index_col=0)
    except Exception as err:  # noqa: BLE001
        raise DataError(path, f"not a readable CSV table ({err})") from None
    missing = [m for m in TABLE2B_TOTALS if m not in df.index]
    if missing or "Total" not in df.columns:
        raise DataError(path, f"expected rows {list(TABLE2B_TOTALS)} and a Total column")
    return df.loc[list(TABLE2B_TOTALS), "Total"].astype(float)


def compare_table2b(run_a: str | Path, run_b: str | Path | None = None) -> pd.DataFrame | None:
    """Table 2b Totals of one or two runs (a difference row for two), or None when neither has one; a run
    without table2b.csv gets a NaN row. The paper reports no such numbers."""
    runs = [Path(run_a)] + ([Path(run_b)] if run_b is not None else [])
    names = [r.name for r in runs]
    if len(names) == 2 and names[0] == names[1]:
        names = [str(r) for r in runs]
    loaded = [load_run_table2b(r) for r in runs]
    if all(t is None for t in loaded):
        return None
    rows = {n: (t if t is not None else pd.Series(float("nan"), index=list(TABLE2B_TOTALS)))
            for n, t in zip(names, loaded)}
    return side_by_side(rows, (names[0], names[1]) if len(names) == 2 else None)


def paper_rows(split: str = "val") -> tuple[pd.Series, pd.Series]:
    """The paper's Table 1 and Table 2 rows for `split` (val or test)."""
    if split not in TABLE1:
        raise DataError("--paper", f"the paper reports sets {list(TABLE1)}, not {split!r}")
    return pd.Series(TABLE1[split], dtype=float), pd.Series(TABLE2[split], dtype=float)


def side_by_side(rows: dict[str, pd.Series], diff: tuple[str, str] | None = None) -> pd.DataFrame:
    """Rows labelled by run, plus a difference row `b − a` when `diff=(a, b)`."""
    df = pd.DataFrame(rows).T
    if diff is not None:
        a, b = diff
        df.loc[f"{b} − {a}"] = df.loc[b] - df.loc[a]
    return df


def compare_runs(run_a: str | Path, run_b: str | Path | None = None, paper: str | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 1 and Table 2 of one or two runs, optionally beside the paper's, with differences."""
    rows1: dict[str, pd.Series] = {}
    rows2: dict[str, pd.Series] = {}
    if paper:
        p1, p2 = paper_rows(paper)
        rows1[f"paper ({paper})"], rows2[f"paper ({paper})"] = p1, p2
    name_a = Path(run_a).name
    rows1[name_a], rows2[name_a] = load_run_tables(run_a)
    diff = None
    if run_b is not None:
        name_b = Path(run_b).name
        if name_b == name_a:
            name_a_full, name_b = str(run_a), str(run_b)
            rows1[name_a_full], rows2[name_a_full] = rows1.pop(name_a), rows2.pop(name_a)
            name_a = name_a_full
        rows1[name_b], rows2[name_b] = load_run_tables(run_b)
        diff = (name_a, name_b)
    elif paper:
        diff = (f"paper ({paper})", name_a)
    return side_by_side(rows1, diff), side_by_side(rows2, diff)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "–" if math.isnan(v) else f"{v:.1f}"
    return str(v)


def to_markdown(df: pd.DataFrame, index_name: str = "") -> str:
    """A GitHub Markdown table, one decimal, NaN as an en dash."""
    head = [index_name or (df.index.name or "")] + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * len(df.columns)) + "|"]
    for idx, row in df.iterrows():
        lines.append("| " + " | ".join([str(idx)] + [_fmt(v) for v in row.tolist()]) + " |")
    return "\n".join(lines) + "\n"


def to_latex(df: pd.DataFrame, caption: str = "") -> str:
    """A LaTeX tabular (booktabs), one decimal."""
    cols = "l" + "r" * len(df.columns)
    esc = lambda s: str(s).replace("_", r"\_").replace("%", r"\%").replace("−", "$-$")  # noqa: E731
    lines = [r"\begin{table}[t]", r"\centering", rf"\begin{{tabular}}{{{cols}}}", r"\toprule",
             " & ".join([esc(df.index.name or "")] + [esc(c) for c in df.columns]) + r" \\", r"\midrule"]
    for idx, row in df.iterrows():
        lines.append(" & ".join([esc(idx)] + [_fmt(v) for v in row.tolist()]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(rf"\caption{{{esc(caption)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def write_table(df: pd.DataFrame, out_dir: str | Path, stem: str, caption: str = "") -> list[Path]:
    """Write `stem.csv`, `stem.md` and `stem.tex` atomically; returns the paths."""
    out_dir = Path(out_dir)
    paths = [out_dir / f"{stem}.csv", out_dir / f"{stem}.md", out_dir / f"{stem}.tex"]
    atomic_write_text(paths[0], df.to_csv(float_format="%.4f"))
    atomic_write_text(paths[1], (f"**{caption}**\n\n" if caption else "") + to_markdown(df))
    atomic_write_text(paths[2], to_latex(df, caption))
    return paths
