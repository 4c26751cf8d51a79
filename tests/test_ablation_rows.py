"""scripts/ablation.py: rows that change the training data (`synth.<field>=<int>` overrides)."""

from __future__ import annotations

import pytest

from posekit.config import apply_overrides, get_profile
from scripts.ablation import ROWS, split_synth


def test_split_synth_separates_data_parameters_from_config_overrides():
    config, synth = split_synth(["train.seed=1", "synth.train_sequences=240", "decoding.subpixel=true"])
    assert config == ["train.seed=1", "decoding.subpixel=true"]
    assert synth == {"train_sequences": 240}


def test_split_synth_rejects_a_non_integer_value():
    with pytest.raises(SystemExit, match="synth.train_sequences=many"):
        split_synth(["synth.train_sequences=many"])


def test_every_row_config_applies_without_its_data_parameters():
    rows = {name: overrides for name, _, overrides in ROWS}
    for overrides in rows.values():
        apply_overrides(get_profile("cpu"), split_synth(overrides)[0])  # ConfigError on a `synth.` key
    assert split_synth(rows["c2f16-train240"])[1] == {"train_sequences": 240}
