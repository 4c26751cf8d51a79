"""Matplotlib figures for the notebooks: targets, augmentation, loss curves, grid search, Fig. 1 (its
intermediate images, and the network drawn from the model), the tracker, track timelines, galleries.
Drawing on images (skeletons, boxes) is `posekit.viz`; this module lays those images and heatmaps out as
figures and saves them atomically.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence as Seq
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from posekit.config import AugmentConfig, TargetConfig
from posekit.fileio import atomic_write_bytes
from posekit.joints import JOINT_NAMES


def save_figure(fig: plt.Figure, path: str | Path, dpi: int = 110) -> Path:
    """Save a figure as PNG atomically (temp file + rename)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def to_uint8(image: np.ndarray, cfg: AugmentConfig | None = None) -> np.ndarray:
    """Invert the paper's intensity mapping (v − 128) / 128 for display; clips to 0..255."""
    cfg = cfg or AugmentConfig()
    img = np.asarray(image, dtype=np.float32) / cfg.intensity_factor - cfg.intensity_offset
    return np.clip(img, 0, 255).astype(np.uint8)


def overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.55, cmap: str = "magma") -> np.ndarray:
    """A heatmap (h, w) in [0, 1] resized onto an image (H, W, 3) uint8, as uint8 RGB."""
    import cv2

    h, w = image.shape[:2]
    hm = cv2.resize(np.clip(np.asarray(heatmap, np.float32), 0, 1), (w, h), interpolation=cv2.INTER_NEAREST)
    colored = (plt.get_cmap(cmap)(hm)[..., :3] * 255).astype(np.float32)
    out = image.astype(np.float32) * (1 - alpha * hm[..., None]) + colored * alpha * hm[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def _imshow(ax: plt.Axes, img: np.ndarray, title: str, **kw) -> None:
    ax.imshow(img, **kw)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def sample_panels(x: dict[str, np.ndarray], y: dict[str, np.ndarray], cfg: AugmentConfig | None = None,
                  title: str = "", targets: TargetConfig | None = None) -> plt.Figure:
    """The training targets of one sample (paper §4): input image, multi-person head heatmap, loss mask,
    head mask of the person of interest, single-person targets (max over joints) and the joint weights."""
    image = to_uint8(x["image"], cfg)
    t = targets or TargetConfig()
    fig, axes = plt.subplots(2, 3, figsize=(13, 5.2))
    _imshow(axes[0, 0], image, "input (letterboxed, normalised → shown in 0..255)")
    _imshow(axes[0, 1], y["head_heatmap"][..., 0], f"target: multi-person head heatmap (σ={t.sigma:g})",
            vmin=0, vmax=1)
    _imshow(axes[0, 2], y["loss_mask"][..., 0], "head loss mask (0 = ignore region)", vmin=0, vmax=1,
            cmap="gray")
    _imshow(axes[1, 0], x["head_mask"][..., 0],
            f"head mask of the person of interest (σ={t.head_mask_sigma:g})", vmin=0, vmax=1)
    _imshow(axes[1, 1], y["joint_heatmaps"].max(axis=-1), "target: single-person heatmaps (max over joints)",
            vmin=0, vmax=1)
    w = y["joint_weights"]
    axes[1, 2].barh(range(len(w)), w, color=["tab:green" if v > 0 else "tab:red" for v in w])
    axes[1, 2].set_yticks(range(len(w)), JOINT_NAMES, fontsize=7)
    axes[1, 2].invert_yaxis()
    axes[1, 2].set_xlim(0, 1.05)
    axes[1, 2].set_title("joint weights (0 = no annotation: no loss)", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def augmentation_gallery(samples: Seq[tuple[dict, dict]], cfg: AugmentConfig | None = None,
                         ncols: int = 3) -> plt.Figure:
    """Augmented inputs with their single-person targets (max over joints) and head mask overlaid."""
    n = len(samples)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 2.6 * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (x, y) in zip(axes.ravel(), samples):
        image = to_uint8(x["image"], cfg)
        heat = np.maximum(y["joint_heatmaps"].max(axis=-1), 0.6 * x["head_mask"][..., 0])
        _imshow(ax, overlay(image, heat), "")
    a = cfg or AugmentConfig()
    f = a.geometric_range
    rot = f"rotation {f * a.rotation_deg[0]:g}…{f * a.rotation_deg[1]:g}°" if f else "no rotation"
    scale = f"scale {1 + f * (a.scale[0] - 1):g}–{1 + f * (a.scale[1] - 1):g}" if f else "no scaling"
    narrowed = "" if f == 1 else f" (geometric_range {f:g} of §4's)"
    fig.suptitle(f"augmentation (§4): mirror, {rot}, {scale}{narrowed}, "
                 f"translation ±{a.translation_px[1]:g} px, intensity")
    fig.tight_layout()
    return fig


def loss_curves(log: pd.DataFrame, smooth: int = 10) -> plt.Figure:
    """Training losses over iterations (columns: iteration, loss, head_loss, pose_loss), raw and as a rolling
    median (a median, so the large first rows do not smear over the next `smooth` rows)."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    # multi_loss is the weighted L2 of the multi-person heatmaps (train.multi_person_loss_weight, not in the
    # paper); all zeros under the paper's recipe, then neither drawn nor named.
    multi = "multi_loss" in log and bool((log["multi_loss"] > 0).any())
    for col, color in (("loss", "black"), ("head_loss", "tab:orange"), ("pose_loss", "tab:green"),
                       ("multi_loss", "tab:purple")):
        if col in log and (col != "multi_loss" or multi):
            ax.plot(log["iteration"], log[col], color=color, alpha=0.25, lw=0.8)
            ax.plot(log["iteration"], log[col].rolling(smooth, min_periods=1).median(), color=color,
                    label=col)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("L2 loss (log scale)")
    ax.legend()
    ax.grid(alpha=0.3)
    ax.set_title("training loss: head heatmap + single-person heatmaps (§4)"
                 + ("\n+ multi-person heatmaps (not in the paper)" if multi else ""), fontsize=10)
    fig.tight_layout()
    return fig


def grid_search_plots(grid: pd.DataFrame, params: Seq[str], objective: str = "objective") -> plt.Figure:
    """For each threshold, the best mAP and MOTA over the rest of the grid at each of its values."""
    params = [p for p in params if grid[p].nunique() > 1]
    n = max(len(params), 1)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.2), squeeze=False)
    best = grid.loc[grid[objective].idxmax()]
    for ax, p in zip(axes[0], params):
        g = grid.groupby(p)
        for metric, color in (("mAP", "tab:blue"), ("MOTA", "tab:red")):
            if metric in grid:
                ax.plot(g[metric].max().index, g[metric].max().values, "o-", color=color,
                        label=f"best {metric}")
        ax.axvline(best[p], color="gray", ls="--", lw=1)
        ax.set_xlabel(p)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("threshold grid search (§4): best over the other thresholds; "
                 f"dashed = chosen by {objective}")
    fig.tight_layout()
    return fig


def fig1_panels(image: np.ndarray, features: np.ndarray, multi_person: np.ndarray, head: np.ndarray,
                masked_head: np.ndarray, filtered: np.ndarray, final: np.ndarray,
                joint: int = 14) -> plt.Figure:
    """The intermediate images of the paper's Fig. 1 for one frame and one person of interest.

    Border colours as in the figure: brown = features, red = multi-person joint heatmaps, orange =
    head-centre heatmap, blue = filtered single-person heatmaps, green = final single-person heatmaps.
    Heatmaps show the maximum over joints; the last column shows one joint (`joint`).
    """
    panels = [
        (image, "input image", "black"),
        (np.abs(features).mean(axis=-1), "features (mean |activation|)", "saddlebrown"),
        (multi_person.max(axis=-1), "multi-person heatmaps (max over joints)", "red"),
        (head[..., 0] if head.ndim == 3 else head, "multi-person head heatmap", "orange"),
        (masked_head[..., 0] if masked_head.ndim == 3 else masked_head, "head heatmap × head mask", "orange"),
        (filtered.max(axis=-1), "filtered heatmaps (component 2)", "blue"),
        (final.max(axis=-1), "final single-person heatmaps", "green"),
        (final[..., joint], f"final: {JOINT_NAMES[joint]}", "green"),
    ]
    fig, axes = plt.subplots(2, 4, figsize=(15, 5.2))  # room for the second row's titles
    for ax, (img, title, color) in zip(axes.ravel(), panels):
        kw = {} if img.ndim == 3 else {"cmap": "viridis", "vmin": min(0.0, float(np.min(img))),
                                       "vmax": max(1e-6, float(np.max(img)))}
        _imshow(ax, img, title, **kw)
        for spine in ax.spines.values():
            spine.set_edgecolor(color)
            spine.set_linewidth(3)
    fig.suptitle("Fig. 1 of the paper, computed: component 1 → head detection → component 2 → final heatmaps")
    fig.tight_layout()
    return fig


def heatmap_pairs(predicted: np.ndarray, target: np.ndarray, joints: Seq[int], title: str = "") -> plt.Figure:
    """Predicted vs target heatmaps for a few joints, side by side."""
    fig, axes = plt.subplots(2, len(joints), figsize=(2.6 * len(joints), 3.4), squeeze=False)
    for k, j in enumerate(joints):
        _imshow(axes[0, k], predicted[..., j], f"pred {JOINT_NAMES[j]}", vmin=0, vmax=1)
        _imshow(axes[1, k], target[..., j], f"target {JOINT_NAMES[j]}", vmin=0, vmax=1)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def track_timeline(assignments: pd.DataFrame, switches: pd.DataFrame, title: str = "") -> plt.Figure:
    """GT tracks (rows) over frames; each cell coloured by the predicted ID matched to it (grey: missed);
    red crosses mark ID switches."""
    from posekit.viz import track_color

    tracks = sorted(assignments["gt_track"].unique())
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(tracks) + 1.4))
    for row, t in enumerate(tracks):
        sub = assignments[assignments["gt_track"] == t]
        for frame, pid in zip(sub["frame"], sub["pred_track"]):
            color = (0.85, 0.85, 0.85) if pid < 0 else tuple(c / 255 for c in track_color(int(pid)))
            ax.barh(row, 1, left=frame - 0.5, color=color, edgecolor="none")
        # label each run of the same predicted id once
        prev = None
        for frame, pid in zip(sub["frame"], sub["pred_track"]):
            if pid >= 0 and pid != prev:
                ax.text(frame, row, str(pid), va="center", ha="left", fontsize=7)
            prev = pid
    for _, s in switches.iterrows():
        ax.plot(s["frame"] - 0.5, tracks.index(s["gt_track"]), "x", color="red", ms=10, mew=2.5)
    ax.set_yticks(range(len(tracks)), [f"GT {t}" for t in tracks])
    ax.set_xlabel("frame")
    ax.set_title(title or f"track timeline: predicted IDs per GT track ({len(switches)} ID switches, red ×)")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def image_gallery(images: Seq[np.ndarray], titles: Seq[str], ncols: int = 3,
                  width: float = 4.8) -> plt.Figure:
    """Images in a grid with titles."""
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    h, w = images[0].shape[:2] if n else (9, 16)
    fig, axes = plt.subplots(nrows, ncols,
                             figsize=(width * ncols, width * ncols * h / w / ncols * nrows + 0.4),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, img, t in zip(axes.ravel(), images, titles):
        _imshow(ax, img, t)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Fig. 1 drawn from the model, and the tracker of §3


_FEATURE_LAYER = re.compile(r"^features(\d+)_(conv|pool)(\d*)$")
_UNET_LAYER = re.compile(r"^(c[12])_(down|up)(\d+)_(conv|pool|upsample|add)(\d*)$")


def network_layout(model: Any) -> dict[str, Any]:
    """The structure of the paper's Fig. 1 read from a `posekit.model.PoseNet`'s own layers (§2.1).

    returns {"input": (H, W, 3), "features": [{"convs", "kernel", "out": (h, w, C)} per block],
             "unets": {"c1" | "c2": [{"level", "shape": (h, w, C), "down_convs", "up_convs", "skip"}
             per level]},
             "heads": {"multi_person_heatmaps" | "head_heatmap" | "filtered_heatmaps": {"shape", "kernel",
             "activation"}}, "c2_input": (h, w, C + 16), "params": {"component1", "component2"}}.
    A U-Net level's "skip" is True when an Add layer joins its contracting output to the upsampled level
    below.
    """

    def shape(layer: Any) -> tuple[int, ...]:
        return tuple(int(d) for d in layer.output.shape[1:])

    c1, c2 = model.component1, model.component2
    blocks: dict[int, dict[str, Any]] = {}
    unets: dict[str, dict[int, dict[str, Any]]] = {"c1": {}, "c2": {}}
    heads: dict[str, dict[str, Any]] = {}
    for layer in [*c1.layers, *c2.layers]:
        if m := _FEATURE_LAYER.match(layer.name):
            block = blocks.setdefault(int(m[1]), {"convs": 0, "kernel": None, "out": None})
            if m[2] == "conv":
                block["convs"] += 1
                block["kernel"] = tuple(layer.kernel_size)
            else:
                block["out"] = shape(layer)
        elif m := _UNET_LAYER.match(layer.name):
            level = unets[m[1]].setdefault(int(m[3]), {"level": int(m[3]), "shape": None, "down_convs": 0,
                                                       "up_convs": 0, "skip": False})
            if m[4] == "conv":
                level[f"{m[2]}_convs"] += 1
                if m[2] == "down":
                    level["shape"] = shape(layer)
            elif m[4] == "add":
                level["skip"] = True
        elif layer.name in ("multi_person_heatmaps", "head_heatmap", "filtered_heatmaps") and hasattr(
                layer, "kernel_size"):  # the heads' convolutions, not component 2's inputs of the same name
            heads[layer.name] = {"shape": shape(layer), "kernel": tuple(layer.kernel_size),
                                 "activation": getattr(layer.activation, "__name__", str(layer.activation))}
    return {
        "input": tuple(int(d) for d in c1.inputs[0].shape[1:]),
        "features": [blocks[b] for b in sorted(blocks)],
        "unets": {k: [v[lv] for lv in sorted(v)] for k, v in unets.items()},
        "heads": heads,
        "c2_input": shape(c2.get_layer("c2_input")),
        "params": {"component1": int(c1.count_params()), "component2": int(c2.count_params())},
    }


_FIG1_COLORS = {"features": "saddlebrown", "multi": "red", "head": "darkorange", "filtered": "royalblue",
                "final": "green", "unet": "0.35"}


def _box(ax: plt.Axes, x: float, y: float, text: str, color: str, w: float = 1.7, h: float = 0.62,
         fill: str = "white") -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.03", fc=fill, ec=color,
                                lw=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=7.5)


def _arrow(ax: plt.Axes, a: tuple[float, float], b: tuple[float, float], color: str = "0.2", text: str = "",
           style: str = "-|>", ls: str = "-", connection: str = "arc3") -> None:
    ax.annotate("", xy=b, xytext=a, arrowprops={"arrowstyle": style, "color": color, "lw": 1.4, "ls": ls,
                                                "shrinkA": 2, "shrinkB": 2, "connectionstyle": connection})
    if text:
        ax.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.12, text, ha="center", va="bottom", fontsize=6.5,
                color=color)


def _op(ax: plt.Axes, x: float, y: float, symbol: str) -> None:
    ax.add_patch(plt.Circle((x, y), 0.2, fc="white", ec="black", lw=1.4))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=11, fontweight="bold")


def _size(shape: tuple[int, ...]) -> str:
    """(h, w, c) as the paper writes sizes: width × height, then channels."""
    return f"{shape[1]}×{shape[0]}×{shape[2]}"


def _draw_unet(ax: plt.Axes, levels: list[dict[str, Any]], x0: float, y0: float, name: str,
               step: float = 1.35) -> float:
    """One U-Net as a U from x0: contracting path down the left, expanding path up the right, additive skips
    across (dashed, ⊕). Returns the x of its level-0 output box."""
    n = len(levels)
    x1 = x0 + 2 * step * (n - 1)
    color = _FIG1_COLORS["unet"]
    pos = {}
    for lv in levels:
        lvl = lv["level"]
        y = y0 - 1.05 * lvl
        xd, xu = x0 + step * lvl, x1 - step * lvl
        pos[lvl] = (xd, xu, y)
        _box(ax, xd, y, f"L{lvl} {_size(lv['shape'])}\n{lv['down_convs']}× conv3×3", color, w=1.9)
        if lvl < n - 1:
            _box(ax, xu, y, f"L{lvl} {_size(lv['shape'])}\n{lv['up_convs']}× conv3×3", color, w=1.9)
    for lvl in range(n - 1):
        xd, xu, y = pos[lvl]
        xd2, xu2, y2 = pos[lvl + 1]
        _arrow(ax, (xd, y - 0.31), (xd2, y2 + 0.31), color)
        _arrow(ax, (xu2, y2 + 0.31), (xu, y - 0.31), color)
        if levels[lvl]["skip"]:
            mid = (xd + xu) / 2
            _arrow(ax, (xd + 0.95, y), (mid - 0.2, y), color, ls="--")
            _op(ax, mid, y, "+")
            _arrow(ax, (mid + 0.2, y), (xu - 0.95, y), color)
    low = y0 - 1.05 * (n - 1)
    ax.text(x0 - 1.15, (y0 + low) / 2, "max-pool 2×2 ↓", rotation=90, ha="center", va="center", fontsize=7,
            color=color)
    ax.text(x1 + 1.15, (y0 + low) / 2, "↑ nearest ×2", rotation=90, ha="center", va="center", fontsize=7,
            color=color)
    ax.text((x0 + x1) / 2, low - 0.55, name, ha="center", va="top", fontsize=9, fontweight="bold")
    return x1


def _route(ax: plt.Axes, points: list[tuple[float, float]], color: str) -> None:
    """A dotted line through `points`, with an arrow head at the last one."""
    xs, ys = zip(*points)
    ax.plot(xs[:-1], ys[:-1], ls=":", color=color, lw=1.4)
    _arrow(ax, points[-2], points[-1], color, ls=":")


def network_diagram(model: Any, head_mask_sigma: float | None = None) -> plt.Figure:
    """The network of the paper's Fig. 1 drawn from the model itself (`network_layout`), for any profile.

    Feature blocks (brown), component 1's multi-person U-Net and its two heatmap heads (red: the 15 joint
    heatmaps, orange: the head-centre heatmap), the head mask that enters between the components (σ in
    heatmap px, §2/§4), component 2's single-person U-Net on concat(features, multi-person heatmaps, masked
    head heatmap) with its filtered heatmaps (blue), and the product giving the final single-person heatmaps
    (green). Every U-Net level shows its size (width × height × channels) and convolutions; dashed arrows
    into ⊕ are the additive skips.
    """
    lay = network_layout(model)
    sigma = head_mask_sigma if head_mask_sigma is not None else model.config.targets.head_mask_sigma
    levels1, levels2 = lay["unets"]["c1"], lay["unets"]["c2"]
    n = max(len(levels1), len(levels2), 1)
    c = _FIG1_COLORS
    top = 0.0
    xs: list[float] = []  # x extent, for the limits
    fig, ax = plt.subplots()
    h_in, w_in, _ = lay["input"]
    _box(ax, 0, top, f"image\n{w_in}×{h_in}×3", "black", w=1.5)
    x = 0.0
    for b, block in enumerate(lay["features"]):
        nx = x + 2.6
        _arrow(ax, (x + (0.75 if b == 0 else 1.1), top), (nx - 1.1, top))
        k = "×".join(str(v) for v in block["kernel"])
        _box(ax, nx, top, f"feature block {b}\n{block['convs']}× conv{k}\n+ pool → {_size(block['out'])}",
             c["features"], w=2.2, h=0.8, fill="#f3e9df")
        x = nx
    feat_x = x
    c1_x0 = feat_x + 2.9
    _arrow(ax, (feat_x + 1.1, top), (c1_x0 - 0.95, top), c["features"])
    c1_out = _draw_unet(ax, levels1, c1_x0, top, "component 1: multi-person U-Net")
    heads = lay["heads"]
    multi, head, filt = heads["multi_person_heatmaps"], heads["head_heatmap"], heads["filtered_heatmaps"]

    def conv(h: dict[str, Any]) -> str:
        return f"conv{h['kernel'][0]}×{h['kernel'][1]} {h['activation']}"

    hx = c1_out + 2.9
    _box(ax, hx, top + 0.8, f"multi-person heatmaps\n{_size(multi['shape'])}, {conv(multi)}", c["multi"],
         w=2.9, fill="#fde4e4")
    _box(ax, hx, top - 0.8, f"head-centre heatmap\n{_size(head['shape'])}, {conv(head)}", c["head"], w=2.9,
         fill="#fdefdc")
    _arrow(ax, (c1_out + 0.95, top), (hx - 1.45, top + 0.8), c["multi"])
    _arrow(ax, (c1_out + 0.95, top), (hx - 1.45, top - 0.8), c["head"])
    # Where the head mask enters: a Gaussian at one detected head (the ground-truth head in training).
    mx = hx + 2.1
    _op(ax, mx, top - 0.8, "×")
    _arrow(ax, (hx + 1.45, top - 0.8), (mx - 0.2, top - 0.8), c["head"])
    _box(ax, mx, top - 2.2, f"head mask\nGaussian σ = {sigma:g} px\nat one head", c["head"], w=2.1, h=0.85)
    _arrow(ax, (mx, top - 1.77), (mx, top - 1.0), c["head"])
    # Component 2's input: features, multi-person heatmaps and the masked head heatmap, concatenated.
    cx = mx + 1.1
    _op(ax, cx, top, "‖")
    ax.text(cx, top - 0.3, f"concat\n{_size(lay['c2_input'])}", ha="center", va="top", fontsize=6.5)
    _arrow(ax, (mx + 0.15, top - 0.65), (cx - 0.15, top - 0.15), c["head"])
    _arrow(ax, (hx + 1.45, top + 0.8), (cx - 0.15, top + 0.15), c["multi"])
    _route(ax, [(feat_x, top + 0.4), (feat_x, top + 1.9), (cx, top + 1.9), (cx, top + 0.2)], c["features"])
    ax.text((feat_x + c1_out) / 2, top + 1.95, "features", ha="center", va="bottom", fontsize=7,
            color=c["features"])
    c2_x0 = cx + 1.6
    _arrow(ax, (cx + 0.2, top), (c2_x0 - 0.95, top))
    c2_out = _draw_unet(ax, levels2, c2_x0, top, "component 2: single-person U-Net")
    fx = c2_out + 2.8
    _box(ax, fx, top, f"filtered heatmaps\n{_size(filt['shape'])}, {conv(filt)}", c["filtered"], w=2.8,
         fill="#e1e9fb")
    _arrow(ax, (c2_out + 0.95, top), (fx - 1.4, top), c["filtered"])
    px = fx + 2.0
    _op(ax, px, top, "×")
    _arrow(ax, (fx + 1.4, top), (px - 0.2, top), c["filtered"])
    _route(ax, [(hx, top + 1.11), (hx, top + 1.5), (px, top + 1.5), (px, top + 0.2)], c["multi"])
    ax.text((hx + px) / 2 + 2, top + 1.55, "multi-person heatmaps", ha="center", va="bottom", fontsize=7,
            color=c["multi"])
    _box(ax, px, top - 1.3, f"final single-person\nheatmaps {_size(filt['shape'])}", c["final"], w=2.4,
         fill="#e2f4e2")
    _arrow(ax, (px, top - 0.2), (px, top - 0.99), c["final"])
    xs = [-1.0, px + 1.4]
    ys = [top - 1.05 * (n - 1) - 1.0, top + 2.4]
    ax.set_xlim(*xs)
    ax.set_ylim(*ys)
    ax.set_aspect("equal")
    ax.axis("off")
    scale = 0.7  # inches per unit: the boxes keep their size against the text at every profile
    fig.set_size_inches(scale * (xs[1] - xs[0]), scale * (ys[1] - ys[0]) + 0.6)
    p = lay["params"]
    ax.set_title(f"The network of Fig. 1, read from the model ({model.config.profile} profile): component 1 "
                 f"{p['component1']:,} parameters (once per frame), component 2 {p['component2']:,} "
                 "(once per head); "
                 "⊕ additive skip, × elementwise product, ‖ concatenation", fontsize=11)
    fig.tight_layout()
    return fig


def tracker_figure(previous_image: np.ndarray, current_image: np.ndarray, step: Any, t_pose_dist: float,
                   t_max_age: int, id_frames: dict[int, list[int]],
                   expiry: tuple[int, int, int] | None = None, title: str = "") -> plt.Figure:
    """The tracker of §3 on a pair of frames, and one ID expiring.

    previous_image, current_image: the frames (H, W, 3) uint8 RGB, drawn with their persons' IDs already
        (`posekit.viz.draw_frame`).
    step:        the current frame's `posekit.tracking.TrackStep`.
    id_frames:   every ID of the sequence -> the frames it was assigned in (for the timeline).
    expiry:      (ID, last seen frame, frame it was discarded at) of an ID expiring after t_max_age, or None.
    Panels: the two frames; the matrix of median joint distances (current persons × the live IDs), with
    the greedy matches under t_pose_dist numbered in the order taken; the ID timeline with the expiry.
    """
    from matplotlib.patches import Rectangle

    from posekit.viz import track_color

    fig = plt.figure(figsize=(15, 9.2))
    grid = fig.add_gridspec(2, 2, height_ratios=[1.0, 1.05])
    for k, (img, t) in enumerate((
            (previous_image, f"frame {step.frame - 1}: previous persons and their IDs"),
            (current_image, f"frame {step.frame}: current persons with the IDs they get"))):
        _imshow(fig.add_subplot(grid[0, k]), img, t)
    ax = fig.add_subplot(grid[1, 0])
    d = np.asarray(step.distances, dtype=np.float64)
    n, m = d.shape
    if n and m:
        shown = np.where(np.isfinite(d), d, np.nan)
        ax.imshow(shown, cmap="viridis_r", vmin=0, vmax=max(float(t_pose_dist) * 2, 1.0), aspect="auto")
        order = {pair: k + 1 for k, pair in enumerate(step.matches)}
        for i in range(n):
            for j in range(m):
                v = d[i, j]
                text = "∞" if not np.isfinite(v) else f"{v:.0f}"
                under = np.isfinite(v) and v < t_pose_dist
                ax.text(j, i, text + (f"\n#{order[(i, j)]}" if (i, j) in order else ""), ha="center",
                        va="center", fontsize=8, color="black" if under else "0.8",
                        fontweight="bold" if (i, j) in order else None)
                if (i, j) in order:
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=2.5))
        ax.set_xticks(range(m),
                      [f"ID {i}\n(f{s})" for i, s in zip(step.candidate_ids, step.candidate_last_seen)],
                      fontsize=8)
        ax.set_yticks(range(n), [f"#{i} → ID {step.ids[i]}" for i in range(n)], fontsize=8)
    else:
        ax.text(0.5, 0.5, "no pair to compare in this frame", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_xlabel("live IDs (frame last seen: the pose compared)")
    ax.set_ylabel("current persons")
    ax.set_title(f"median joint distance (image px); red = greedy match under t_pose_dist = {t_pose_dist:g}, "
                 "#k = order taken", fontsize=9)
    ax = fig.add_subplot(grid[1, 1])
    ids = sorted(id_frames)
    for row, tid in enumerate(ids):
        color = tuple(v / 255 for v in track_color(int(tid)))
        ax.plot(id_frames[tid], [row] * len(id_frames[tid]), "s", color=color, ms=5)
    if expiry is not None and expiry[0] in id_frames:
        tid, last, gone = expiry
        row = ids.index(tid)
        ax.add_patch(Rectangle((last + 0.5, row - 0.4), gone - last - 1, 0.8, fc="0.88", ec="0.5", ls="--"))
        ax.plot(gone, row, "x", color="red", ms=11, mew=2.5)
        ax.text(gone + 0.4, row, f"ID {tid} discarded: missing > t_max_age = {t_max_age} frames", va="center",
                fontsize=8, color="red")
    if not ids:
        ax.text(0.5, 0.5, "no tracked person in this sequence", ha="center", va="center",
                transform=ax.transAxes)
    ax.axvline(step.frame, color="0.6", lw=1)
    ax.set_yticks(range(len(ids)), [f"ID {i}" for i in ids], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("frame")
    ax.set_title("IDs over the sequence (grey: kept alive while missing; × = discarded)", fontsize=9)
    fig.suptitle(title or "the geometric tracker of §3")
    fig.tight_layout()
    return fig
