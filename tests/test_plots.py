"""The figures that teach the paper: Fig. 1 drawn from the model (§2.1) and the tracker of §3."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from posekit.config import get_profile
from posekit.tracking import track_steps


@pytest.mark.parametrize("levels", [3, 4])
def test_network_layout_is_read_from_the_model(levels):
    from posekit.model import build_model
    from posekit.plots import network_diagram, network_layout

    tiny = get_profile("tiny")
    net = dataclasses.replace(tiny.network, num_levels=levels)
    model = build_model(tiny.replace(network=net))
    lay = network_layout(model)
    h, w, c = net.heatmap_height, net.heatmap_width, net.num_filters
    assert lay["input"] == (net.input_height, net.input_width, 3)
    assert [b["out"] for b in lay["features"]] == [(2 * h, 2 * w, c), (h, w, c)]
    for name in ("c1", "c2"):
        unet = lay["unets"][name]
        assert [lv["shape"] for lv in unet] == [(h >> k, w >> k, c) for k in range(levels)]
        # additive skips, none at the bottom
        assert [lv["skip"] for lv in unet] == [True] * (levels - 1) + [False]
        assert [lv["up_convs"] for lv in unet] == [net.convs_per_level] * (levels - 1) + [0]
    assert lay["c2_input"] == (h, w, c + net.num_joints + 1)  # features, multi-person heatmaps, masked head
    assert (lay["heads"]["head_heatmap"]["shape"] == (h, w, 1)
            and lay["heads"]["filtered_heatmaps"]["activation"] == "tanh")
    assert lay["params"]["component1"] + lay["params"]["component2"] == model.count_params()
    fig = network_diagram(model)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert f"L{levels - 1} {w >> (levels - 1)}×{h >> (levels - 1)}×{c}\n2× conv3×3" in texts
    assert texts.count("+") == 2 * (levels - 1)  # one ⊕ per skip, in both U-Nets
    assert any("σ = 4 px" in t for t in texts)


def test_tracker_figure_draws_the_matches_in_order():
    import matplotlib.pyplot as plt

    from posekit.plots import tracker_figure

    pose = lambda x: np.stack([np.full(15, x, float), np.arange(15.0) * 5, np.ones(15)], axis=1)  # noqa: E731
    frames = [[pose(0), pose(100)], [pose(104), pose(6), pose(300)], [pose(300)], [pose(300)], [pose(300)]]
    steps = track_steps(frames, t_pose_dist=20.0, t_max_age=1)
    image = np.zeros((40, 60, 3), np.uint8)
    id_frames: dict[int, list[int]] = {}
    for s in steps:
        for i in s.ids:
            id_frames.setdefault(i, []).append(s.frame)
    expiry = next((i, last, s.frame) for s in steps for i, last in zip(s.expired, s.expired_last_seen))
    fig = tracker_figure(image, image, steps[1], 20.0, 1, id_frames, expiry)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "4\n#1" in texts and "6\n#2" in texts  # the smallest distance is taken first
    assert any(t.startswith(f"ID {expiry[0]} discarded") for t in texts)
    plt.close(fig)


def test_loss_curves_name_the_multi_person_term_only_when_it_is_trained():
    import pandas as pd

    from posekit.plots import loss_curves

    it = np.arange(25, 1001, 25)
    log = pd.DataFrame({"iteration": it, "loss": 300.0 / it ** 0.3, "head_loss": 10.0 / it ** 0.2,
                        "pose_loss": 80.0 / it ** 0.3, "multi_loss": 0.0 * it})
    paper = loss_curves(log)
    assert "multi-person" not in paper.axes[0].get_title()
    assert [line.get_label() for line in paper.axes[0].lines if not line.get_label().startswith("_")] == [
        "loss", "head_loss", "pose_loss"]
    log["multi_loss"] = 200.0 / it ** 0.3
    cpu = loss_curves(log)
    assert "multi-person heatmaps (not in the paper)" in cpu.axes[0].get_title()
    assert "multi_loss" in [line.get_label() for line in cpu.axes[0].lines]
