"""The paper's published numbers, stored once as data (Payer et al. 2017, Tables 1 and 2).

Each row names its table and its set (`val`, `test`), so every comparison in notebooks,
`posekit compare --paper` and the README reads from here.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from posekit.config import Thresholds

#: Table 1: "Single-frame multi-person pose estimation results showing the mean average precision (mAP)".
#: The paper's last column is headed "mAP"; posekit's tables call it "Total" as the official evaluation does.
TABLE1: dict[str, dict[str, float]] = {
    "val": {"Head": 73.1, "Sho": 64.2, "Elb": 56.1, "Wri": 43.0, "Hip": 48.9, "Knee": 43.7, "Ank": 39.1,
            "Total": 53.9},
    "test": {"Head": 66.6, "Sho": 60.6, "Elb": 51.4, "Wri": 42.4, "Hip": 43.5, "Knee": 41.7, "Ank": 38.7,
             "Total": 50.4},
}

#: Table 2: "Multi-person pose tracking results showing the multiple object tracking accuracy (MOTA) and
#: precision (MOTP)". The paper reports the Totals only.
TABLE2: dict[str, dict[str, float]] = {
    "val": {"MOTA": 36.8, "MOTP": 50.3, "Prec": 73.2, "Rec": 61.7},
    "test": {"MOTA": 29.9, "MOTP": 17.3, "Prec": 66.9, "Rec": 62.3},
}

#: §4: "We obtained values of the parameters defined in Sec. 2 and 3 with grid search and set them as
#: follows" — the numbers live once, as the defaults of `posekit.config.Thresholds`.
THRESHOLDS: dict[str, float] = dataclasses.asdict(Thresholds())


def table1_frame() -> pd.DataFrame:
    """Table 1 as a DataFrame: index = set (val, test), columns Head … Ank, Total."""
    return pd.DataFrame.from_dict(TABLE1, orient="index").rename_axis("set")


def table2_frame() -> pd.DataFrame:
    """Table 2 as a DataFrame: index = set (val, test), columns MOTA, MOTP, Prec, Rec (Totals)."""
    return pd.DataFrame.from_dict(TABLE2, orient="index").rename_axis("set")
