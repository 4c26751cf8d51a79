"""Matplotlib figures for the notebooks: targets, augmentation, loss curves, grid search, Fig. 1,
track timelines, galleries. Drawing on images (skeletons, boxes) is `posekit.viz`; this module lays
those images and heatmaps out as figures and saves them atomically.
"""

from __future__ import annotations

import io
from collections.abc import Sequence as Seq
from pathlib import Path

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
    _imshow(axes[0, 1], y["head_heatmap"][..., 0], f"target: multi-person head heatmap (σ={t.sigma:g})", vmin=0, vmax=1)
    _imshow(axes[0, 2], y["loss_mask"][..., 0], "head loss mask (0 = ignore region)", vmin=0, vmax=1, cmap="gray")
    _imshow(axes[1, 0], x["head_mask"][..., 0], f"head mask of the person of interest (σ={t.head_mask_sigma:g})", vmin=0, vmax=1)
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
    fig.suptitle(f"augmentation (§4): mirror, rotation {a.rotation_deg[0]:g}…{a.rotation_deg[1]:g}°, "
                 f"scale {a.scale[0]:g}–{a.scale[1]:g}, translation ±{a.translation_px[1]:g} px, intensity")
    fig.tight_layout()
    return fig


def loss_curves(log: pd.DataFrame, smooth: int = 10) -> plt.Figure:
    """Training losses over iterations (columns: iteration, loss, head_loss, pose_loss), raw and as a rolling
    median (a median, so the large first rows do not smear over the next `smooth` rows)."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for col, color in (("loss", "black"), ("head_loss", "tab:orange"), ("pose_loss", "tab:green")):
        if col in log:
            ax.plot(log["iteration"], log[col], color=color, alpha=0.25, lw=0.8)
            ax.plot(log["iteration"], log[col].rolling(smooth, min_periods=1).median(), color=color, label=col)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("L2 loss (log scale)")
    ax.legend()
    ax.grid(alpha=0.3)
    ax.set_title("training loss: head heatmap + single-person heatmaps (§4)")
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
                ax.plot(g[metric].max().index, g[metric].max().values, "o-", color=color, label=f"best {metric}")
        ax.axvline(best[p], color="gray", ls="--", lw=1)
        ax.set_xlabel(p)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(f"threshold grid search (§4): best over the other thresholds; dashed = chosen by {objective}")
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
    fig, axes = plt.subplots(2, 4, figsize=(15, 4.6))
    for ax, (img, title, color) in zip(axes.ravel(), panels):
        kw = {} if img.ndim == 3 else {"cmap": "viridis", "vmin": min(0.0, float(np.min(img))), "vmax": max(1e-6, float(np.max(img)))}
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


def image_gallery(images: Seq[np.ndarray], titles: Seq[str], ncols: int = 3, width: float = 4.8) -> plt.Figure:
    """Images in a grid with titles."""
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    h, w = images[0].shape[:2] if n else (9, 16)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, width * ncols * h / w / ncols * nrows + 0.4),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, img, t in zip(axes.ravel(), images, titles):
        _imshow(ax, img, t)
    fig.tight_layout()
    return fig
