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


@pytest.fixture(scope="session")
def overfit_tiny(tmp_path_factory):
    """The overfit recipe of the training tests, trained once per session at the `tiny` profile: four
    hand-drawn samples (3 frames, one with two figures; tests/test_train_figures.py) in one batch, 250
    iterations at lr 1e-3 (not the paper's 5e-5: at 5e-5 the product filtered × multi-person sits near its
    zero saddle for longer than a test may run). Shared by the overfit, inference and JAX-parity tests.

    Returns a namespace: config, samples, batches, result (posekit.train.TrainResult), run (the run folder),
    frames (the 3 distinct frames, uint8 RGB at the input size) and truth (per frame, each figure's joints
    in input px)."""
    from types import SimpleNamespace

    import numpy as np
    from test_train_figures import FigureBatches, make_samples

    from posekit.config import get_profile
    from posekit.train import replace_train, train

    config = replace_train(get_profile("tiny"), learning_rate=1e-3, iterations=250, checkpoint_every=250,
                           log_every=10)
    samples = make_samples(config, frames=3, seed=0)
    batches = FigureBatches(config, samples)
    run = tmp_path_factory.mktemp("overfit") / "run"
    result = train(config, batches, run, progress=False)
    frames, truth = [], []
    for x, _, joints_hm in samples:
        image = np.clip(np.round(x["image"] * 128.0 + 128.0), 0, 255).astype(np.uint8)
        if not frames or not np.array_equal(frames[-1], image):
            frames.append(image)
            truth.append([])
        truth[-1].append((joints_hm + 0.5) * 4 - 0.5)  # heatmap px -> input px
    return SimpleNamespace(config=config, samples=samples, batches=batches, result=result, run=run,
                           frames=frames, truth=truth)
