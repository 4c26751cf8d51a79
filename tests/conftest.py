"""Shared fixtures: the `small` synthetic dataset, generated once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def small_synthetic(tmp_path_factory):
    """A `posekit synth --preset small` folder (seed 0), generated in-process once per session."""
    from posekit.data.synthetic import generate_dataset

    out = tmp_path_factory.mktemp("synthetic") / "small"
    generate_dataset(out, preset="small", seed=0, workers=1, progress=False)
    return out
