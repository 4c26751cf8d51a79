"""The linear assignment solver of the evaluation: scipy's `linear_sum_assignment`, loaded cheaply.

motmetrics 1.4.0 (with scipy as its solver) and the PoseTrack21 HOTA code both call
`scipy.optimize.linear_sum_assignment`; its choice among equally good assignments decides SWITCH events
and HOTA matches when distances tie, so posekit calls the very same solver. Importing `scipy.optimize`
costs about a second (it pulls in scipy.linalg and the whole optimisation package), more than evaluating a
PoseTrack split; the solver itself is one compiled module (`scipy/optimize/_lsap*.so`) that needs only
numpy. `linear_sum_assignment` loads that module directly on first use and falls back to the regular
import if the file is not where scipy keeps it.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

_SOLVER: Callable | None = None


def _load_solver() -> Callable:
    spec = importlib.util.find_spec("scipy")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations))) / "optimize"
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"_lsap{suffix}"
            if path.is_file():
                try:
                    mod_spec = importlib.util.spec_from_file_location("_lsap", path)
                    module = importlib.util.module_from_spec(mod_spec)
                    mod_spec.loader.exec_module(module)
                    return module.linear_sum_assignment
                except (ImportError, AttributeError, OSError):
                    break
    from scipy.optimize import linear_sum_assignment as solver

    return solver


def linear_sum_assignment(costs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scipy's minimum-cost assignment of a finite (N, M) cost matrix: (row indices ascending, columns)."""
    global _SOLVER
    if _SOLVER is None:
        _SOLVER = _load_solver()
    return _SOLVER(costs)


def expensive_edges(costs: np.ndarray) -> np.ndarray:
    """motmetrics' `add_expensive_edges` rule: NaN/inf entries get a cost so large that the solver uses as
    few of them as it can (2·r·c + 1, r = the smaller side, c = 1 + the largest finite |cost|)."""
    valid = np.isfinite(costs)
    if valid.all():
        return costs.copy()
    if not valid.any():
        return np.zeros_like(costs)
    r = min(costs.shape)
    c = np.abs(costs[valid]).max() + 1
    return np.where(valid, costs, 2 * r * c + 1)


def motmetrics_assignment(costs: np.ndarray) -> list[tuple[int, int]]:
    """The pairs motmetrics 1.4.0 (scipy solver) takes from `costs` (NaN: may not pair): the solver's
    assignment on `expensive_edges(costs)`, finite pairs only, in the solver's (row-ascending) order."""
    rows, cols = linear_sum_assignment(expensive_edges(costs))
    return [(i, j) for i, j in zip(rows.tolist(), cols.tolist()) if np.isfinite(costs[i, j])]
