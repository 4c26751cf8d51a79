"""Profiles carry the paper's numbers; overrides and files are checked strictly."""

from __future__ import annotations

import dataclasses
import json

import pytest

from posekit.config import (
    PROFILES,
    Config,
    apply_overrides,
    from_dict,
    get_profile,
    load_config,
    save_config,
)
from posekit.errors import ConfigError


def test_paper_profile_has_the_papers_numbers():
    c = get_profile("paper")
    # §2.1: 896×512 input, 128 channels, 6 levels; two feature blocks reduce to 224×128.
    assert (c.network.input_width, c.network.input_height) == (896, 512)
    assert c.network.num_filters == 128 and c.network.num_levels == 6
    assert (c.network.heatmap_width, c.network.heatmap_height) == (224, 128)
    # §4: σ = 2 for targets, σ = 4 for the head mask, Adam lr 0.00005, batch 4, 1,000,000 iterations,
    # L2 0.0005.
    assert c.targets.sigma == 2.0 and c.targets.head_mask_sigma == 4.0
    assert c.train.learning_rate == 0.00005 and c.train.batch_size == 4 and c.train.iterations == 1_000_000
    assert c.network.l2_decay == 0.0005
    assert (c.train.adam_beta_1, c.train.adam_beta_2) == (0.9, 0.999)
    # §4 augmentation ranges.
    a = c.augment
    assert a.intensity_shift == (-0.25, 0.25) and a.intensity_scale == (0.75, 1.25)
    assert a.rotation_deg == (-45.0, 45.0) and a.scale == (0.5, 1.5) and a.translation_px == (-100.0, 100.0)
    assert a.intensity_offset == -128.0 and a.intensity_factor == 1 / 128 and a.mirror
    # §4 thresholds found by grid search.
    t = c.thresholds
    assert ((t.t_head, t.t_head_dist, t.t_joint, t.t_person, t.t_pose_dist, t.t_max_age)
            == (0.2, 4, 0.3, 3, 200, 10))


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_keeps_the_lowest_level_whole_at_7x4(name):
    n = get_profile(name).network
    div = 2 ** (n.num_levels - 1)
    assert n.heatmap_width % div == 0 and n.heatmap_height % div == 0
    assert (n.heatmap_width // div, n.heatmap_height // div) == (7, 4)


@pytest.mark.parametrize("name", ["cpu", "tiny"])
def test_small_profiles_change_sizes_only(name):
    c, p = get_profile(name), get_profile("paper")
    assert c.targets == p.targets and c.thresholds == p.thresholds
    assert c.train.batch_size == p.train.batch_size  # the paper's 4 persons of interest per mini-batch
    if name == "tiny":
        assert c.train.learning_rate == p.train.learning_rate
    else:  # the shortened cpu schedule uses 20× the paper's learning rate (see posekit.config)
        assert c.train.learning_rate == pytest.approx(20 * p.train.learning_rate)
    # The paper's recipe at this size is the same profile with the `Not in the paper` recipe fields reset.
    fields = {"persons_per_image", "multi_person_loss_weight", "lr_schedule", "warmup_iterations",
              "heatmap_init_scale", "filtered_init", "learning_rate", "iterations", "checkpoint_every",
              "log_every"}
    reset = dataclasses.replace(c.train, **{f: getattr(p.train, f) for f in fields})
    assert reset == p.train
    # translation scales with the input width: 100 px at 896 px.
    assert c.augment.translation_px[1] == pytest.approx(100 * c.network.input_width / 896)


def test_overrides_apply_and_convert():
    c = apply_overrides(get_profile("cpu"),
                        ["train.iterations=100", "thresholds.t_head=0.25", "augment.mirror=false"])
    assert c.train.iterations == 100 and c.thresholds.t_head == 0.25 and c.augment.mirror is False
    assert get_profile("cpu").train.iterations != 100  # profiles are not mutated


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.iteratons=5", "unknown config key train.iteratons"),
        ("trian.iterations=5", "unknown config section 'trian'"),
        ("train.iterations=abc", "expects an integer"),
        ("train.iterations=1.5", "expects an integer"),
        ("thresholds.t_head=true", "expects a number"),
        ("augment.scale=[0.5]", "expects 2 numbers"),
        ("iterations=5", "section.field"),
        ("train.iterations", "section.field=value"),
    ],
)
def test_override_errors(override, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        apply_overrides(get_profile("cpu"), [override])


def test_unknown_profile():
    with pytest.raises(ConfigError, match="unknown profile 'gpu'"):
        get_profile("gpu")


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_save_load_round_trip(tmp_path, suffix):
    c = apply_overrides(get_profile("tiny"), ["train.iterations=7", "augment.rotation_deg=[-10, 10]"])
    path = tmp_path / f"config{suffix}"
    save_config(c, path)
    assert load_config(path) == c


def test_load_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="bad.json: not valid JSON"):
        load_config(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"profile": "cpu", "train": {"lr": 1}}))
    with pytest.raises(ConfigError, match=r"wrong.json: unknown config key train.lr"):
        load_config(wrong)


def test_from_dict_uses_named_profile_as_base():
    c = from_dict({"profile": "tiny", "train": {"iterations": 3}})
    assert c.network == get_profile("tiny").network and c.train.iterations == 3
    assert isinstance(c, Config)
