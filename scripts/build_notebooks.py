"""Write the five pipeline notebooks of posekit (outputs stripped) from the cell lists below.

The notebooks are the product people step through; this script is how they are authored, so a change
is reviewed as Python text. Run `python scripts/build_notebooks.py` after editing and commit both.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

OUT = Path(__file__).resolve().parents[1] / "notebooks"

PARAMETERS = '''\
config_path: str = "../results/cpu-synthetic/config.json"  # the resolved config (posekit reproduce writes it)
data_dir: str = "../data/synthetic-default"  # PoseTrack folder: annotations/<split>/*.json + images/
run_dir: str = "../results/cpu-synthetic"  # this run's folder: model/, tables/, figures/, thresholds.json
synthetic_preset: str = "default"  # generate the embedded dataset into data_dir if missing (empty: real data)
'''

#: Notebooks 03–05 use a trained model; a student can point them at any model folder (e.g. a committed one).
MODEL_PARAMETER = '''\
model_dir: str = ""  # a trained model folder (model.keras + config.json); empty: the run's own, run_dir/model
'''

DERIVED = '''\
# Derived values (papermill does not recompute these, so they live in their own cell).
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from posekit.config import load_config
from posekit.quiet import import_tensorflow

import_tensorflow()  # TensorFlow without its start-up log lines (posekit.quiet)
config = load_config(config_path)  # the profile, the overrides and the seed (train.seed), resolved once
# seeds the synthetic data, the weight initialisation, the augmentation, the sampling
seed = config.train.seed
run = Path(run_dir)
{model_dir}
tables_dir = run / "tables"
figures_dir = run / "figures"
for d in (run, tables_dir, figures_dir):
    d.mkdir(parents=True, exist_ok=True)
print(f"profile {{config.profile}}: input {{config.network.input_width}}×{{config.network.input_height}}, "
      f"{{config.network.num_filters}} channels, {{config.network.num_levels}} levels, "
      f"{{config.train.iterations}} iterations, seed {{seed}}; data {{Path(data_dir).name}}; "
      f"run {{run.name}}")
'''
RUN_MODEL = "model_dir = run / \"model\"  # model.keras, config.json, losses.csv, checkpoint (posekit train)"
ANY_MODEL = "model_dir = Path(model_dir) if model_dir else run / \"model\"  # model.keras + config.json"


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def header(title: str, intro: str, model_parameter: bool = False) -> list[nbformat.NotebookNode]:
    """Title, the one `parameters` cell (with `model_dir` for the notebooks that load a trained model) and
    the derived values."""
    parameters = PARAMETERS + (MODEL_PARAMETER if model_parameter else "")
    derived = DERIVED.format(model_dir=ANY_MODEL if model_parameter else RUN_MODEL)
    return [
        md(f"# {title}\n\n{intro}\n\n*Payer, Neff, Bischof, Urschler, Štern: Simultaneous Multi-Person "
           "Detection and Single-Person Pose Estimation With a Single Heatmap Regression Network "
           "(PoseTrack 2017).* `posekit reproduce` runs this notebook with papermill; in JupyterLab it runs "
           "top to bottom with the defaults below."),
        md("## Parameters\nOne flat cell, tagged `parameters`, that papermill overrides."),
        code(parameters, tags=["parameters"]),
        code(derived),
    ]


NB01 = header(
    "01 · Data and training targets",
    "The data the network learns from and the targets of its two losses (paper §2 and §4): dataset "
    "statistics, frames with their ground truth, the target heatmaps of one sample, and the paper's "
    "augmentation.",
) + [
    md("""
## The data
posekit reads PoseTrack 2017 and 2018 annotation files into one schema (`posekit.data.posetrack`). Without the
real PoseTrack data, the kit ships an embedded default: procedural multi-person videos written in the
PoseTrack 2018 layout (`posekit synth`), with walking, crossing, occluding, entering and leaving people,
truncation, blur, camera pan, and unannotated people covered by ignore regions. With `synthetic_preset=""`,
`data_dir` is a real PoseTrack folder.
"""),
    code("""
from posekit.data.posetrack import dataset_summary, format_summary, read_split
from posekit.fileio import atomic_write_json

if synthetic_preset:
    from posekit.data.synthetic import ensure_dataset

    meta = ensure_dataset(data_dir, preset=synthetic_preset, seed=seed, progress=False, log=None)
    print(f"synthetic data ({synthetic_preset} preset, seed {seed}): fingerprint {meta['fingerprint'][:12]}")
train_sequences = read_split(data_dir, "train")
val_sequences = read_split(data_dir, "val")
stats = {split: dataset_summary(seqs) for split, seqs in (("train", train_sequences), ("val", val_sequences))}
for split, s in stats.items():
    print(f"== {split}")
    print(format_summary(s))
atomic_write_json(tables_dir / "dataset_stats.json", stats)
"""),
    md("""
## Frames with their ground truth
Every annotated person has the 15 PoseTrack joints (right side red, left side blue, centre white), a head box
and a track id (colour). Grey polygons are ignore regions: people who are not annotated, which the head loss
(§4) and the evaluation (ignore handling) must not count.
"""),
    code("""
from posekit.imageio import read_image
from posekit.viz import draw_frame, frame_grid

shown = []
for seq in val_sequences[:4]:
    labelled = seq.labeled_frames
    for f in (labelled[0], labelled[len(labelled) // 2]):
        shown.append(draw_frame(read_image(seq.image_path(f)), seq.frames[f]))
grid = frame_grid(shown, ncols=4)
plt.figure(figsize=(16, 16 * grid.shape[0] / grid.shape[1]))
plt.imshow(grid)
plt.axis("off")
plt.title("validation frames with ground truth (two frames each of four sequences)")
from posekit.plots import save_figure

save_figure(plt.gcf(), figures_dir / "01_ground_truth_frames.png")
plt.show()
"""),
    md("""
## The targets of one sample (§4)
> "Each head is represented as an image of a 2D Gaussian centered at the position of the head bounding box.
> The Gaussian is set to have σ = 2 px and scaled to a maximum value of 1. The target multi-person heatmap is
> calculated by taking the maximum over all head heatmap images of all persons on the input image."

> "we multiply the differences of prediction and target with this mask before calculating the loss of the head
> bounding box centers." — here the mask is rasterised from the ignore regions.

> "Each body joint of the person of interest is represented as an image of a 2D Gaussian centered at the
> position of the body joint. [...] we do not care what the network predicts and do not calculate the loss for
> body joint heatmaps with a missing annotation."

> "To create the mask of head of the person of interest for the second network component, we create a Gaussian
> heatmap with σ = 4 px on the position of the head bounding box center."

All heatmaps live at the network's output resolution (input / 4); σ is in heatmap pixels.
"""),
    code("""
from posekit.dataset import make_sample
from posekit.plots import augmentation_gallery, sample_panels

# The labelled training frame with the most people that have a head box, and its first such person.
candidates = [(sum(p.head_box is not None for p in s.frames[f].persons), i, f)
              for i, s in enumerate(train_sequences) for f in s.labeled_frames]
_, seq_index, frame_index = max(candidates)
sample_seq = train_sequences[seq_index]
person_index = next(k for k, p in enumerate(sample_seq.frames[frame_index].persons) if p.head_box is not None)
rng = np.random.default_rng(seed)
x, y = make_sample(sample_seq, frame_index, person_index, config, rng, augment=False)
for name, arr in {**x, **y}.items():
    print(f"{name:15s} {arr.shape} {arr.dtype} min {arr.min():+.2f} max {arr.max():+.2f}")
fig = sample_panels(x, y, config.augment, targets=config.targets,
                    title=f"{sample_seq.name} frame {frame_index}, person of interest {person_index}")
save_figure(fig, figures_dir / "01_targets.png")
plt.show()
"""),
    md("""
## The paper's augmentation (§4)
> "We shift the input intensity values by [-0.25, 0.25] and scale them by [0.75, 1.25]. The input images are
> randomly mirrored in x-axis, rotated by [-45°, 45°], scaled by [0.5, 1.5] and translated by [-100, 100]. All
> random transformations sample from a uniform distribution within the specified intervals."

posekit composes letterbox, mirror, rotation, scale and translation into one affine matrix and warps the image
once; joints, head centres and ignore polygons move with the same matrix, and a mirror swaps left and right
joints. Below, the same sample six times: the targets (overlaid) follow the person.
"""),
    code("""
samples = [make_sample(sample_seq, frame_index, person_index, config, rng, augment=True) for _ in range(6)]
fig = augmentation_gallery(samples, config.augment)
save_figure(fig, figures_dir / "01_augmentation.png")
plt.show()
"""),
]

NB02 = header(
    "02 · The network and its training",
    "The two-component network of Fig. 1 (paper §2.1) and its training with the losses of §4. Training "
    "resumes from the last checkpoint when the notebook (or `posekit reproduce`) runs again.",
) + [
    md("""
## The network (§2.1)
> "Two blocks consisting of two consecutive 3 × 3 convolutions with 128 outputs followed by 2 × 2 max pooling
> extract low-level features" — then a multi-person U-Net (component 1) with "padded convolutions", "fixed
> nearest-neighbor upsampling" and "addition instead of concatenation", giving the 15 multi-person joint
> heatmaps and the head-centre heatmap; and a single-person U-Net (component 2) "with the same structure" that
> filters them for the person of interest. "Multiplying these filtered heatmaps with the multi-person heatmaps
> from the first component results in the final single-person heatmaps."

The profile sets the sizes: `paper` is the paper's 896×512 input with 128 channels and 6 levels; `cpu` and
`tiny` shrink them (every profile keeps the lowest level at 7×4). `cpu` also gives component 2 fewer
channels (16) than component 1 (32), so more iterations fit its training budget, and changes the training
recipe through config fields marked `Not in the paper` (README: "The `cpu` recipe and its ablation").
"""),
    code("""
from posekit.model import model_summary

table, params, gflops_1, gflops_2 = model_summary(config)
print(table)
print(f"parameters {params:,}; component 1 {gflops_1:.2f} GFLOP per frame; "
      f"component 2 {gflops_2:.2f} GFLOP per head")
"""),
    md("""
### Fig. 1, drawn from the model
The drawing below is read from the layers of the network this profile builds (`posekit.plots.network_layout`),
so it shows the sizes of this run: the feature blocks (brown), both U-Nets with their levels, sizes and
convolutions, the additive skips (⊕), the two heatmap heads of component 1 (red: 15 joints, orange: head
centres), where the head mask enters (σ = 4 px, §4) and the product of the filtered heatmaps (blue) with the
multi-person heatmaps (green: final).
"""),
    code("""
from posekit.model import build_model
from posekit.plots import network_diagram, save_figure

fig = network_diagram(build_model(config))
save_figure(fig, figures_dir / "02_network.png")
plt.show()
"""),
    md("""
## Training (§4)
> "We optimized the networks using Adam and its proposed default parameters with a learning rate of 0.00005.
> We use a mini-batch size of 4 [...]. The network loss is the sum of two L2 losses, i.e., (1) the
> multi-person heatmap of the head bounding box centers, and (2) the single-person heatmaps."

Each sample is a labelled frame with a randomly chosen person of interest; the head mask comes from the
ground-truth head centre ("In network training, we do not perform local maxima detection [...] but take the
groundtruth position"). The number of iterations is the profile's (`paper`: 1,000,000). Checkpoints are
written atomically; a killed run continues where it stopped.
"""),
    code("""
import time

from posekit.train import train_on_posetrack

t0 = time.perf_counter()
result = train_on_posetrack(config, data_dir, model_dir, progress=False)
print(f"trained to iteration {result.iterations} (resumed from {result.resumed_from}) "
      f"in {time.perf_counter() - t0:.0f} s")
"""),
    code("""
from posekit.fileio import atomic_write_text
from posekit.plots import loss_curves, save_figure

losses = pd.read_csv(model_dir / "losses.csv")
atomic_write_text(tables_dir / "training_losses.csv", losses.to_csv(index=False))
first, last = losses.head(5)["loss"].mean(), losses.tail(5)["loss"].mean()
print(f"loss: first rows {first:.4g} → last rows {last:.4g} ({100 * (1 - last / first):.0f} % lower)")
fig = loss_curves(losses)
save_figure(fig, figures_dir / "02_loss_curves.png")
plt.show()
"""),
    md("""
## A sample prediction
The trained network on a validation frame it has not seen, decoded with the paper's thresholds of §4 (the grid
search of the next notebook tunes them for this data): left the ground truth, right the prediction.
"""),
    code("""
from posekit.data.posetrack import read_split
from posekit.data.schema import Frame
from posekit.imageio import read_image
from posekit.inference import Predictor
from posekit.viz import draw_frame, frame_grid

val_sequences = read_split(data_dir, "val")
predictor = Predictor(result.model, config=config)
seq = max(val_sequences, key=lambda s: len(s.frames[s.labeled_frames[0]].persons))
f = seq.labeled_frames[len(seq.labeled_frames) // 2]
image = read_image(seq.image_path(f))
persons = predictor.predict_frames([image])[0]
pair = frame_grid([draw_frame(image, seq.frames[f]), draw_frame(image, Frame(image="", persons=persons))],
                  ncols=2)
plt.figure(figsize=(14, 4.2))
plt.imshow(pair)
plt.axis("off")
plt.title(f"{seq.name} frame {f}: ground truth (left) and prediction with the paper's thresholds (right)")
save_figure(plt.gcf(), figures_dir / "02_sample_prediction.png")
plt.show()
"""),
]

NB03 = header(
    "03 · The threshold grid search (§4)",
    "> \"We obtained values of the parameters defined in Sec. 2 and 3 with grid search and set them "
    "as follows: t_head = 0.2; t_head_dist = 4; t_joint = 0.3; t_person = 3; t_pose_dist = 200; "
    "t_max_age = 10.\"\n\n"
    "The paper gives neither its grid nor its objective. posekit runs the network once over the "
    "validation frames, caches component 2 for every head candidate, and scores every combination from "
    "the cache with the PoseTrack evaluation; the default objective is mAP + MOTA (`posekit.gridsearch`).",
    model_parameter=True,
) + [
    code("""
objective: str = "sum"  # rank by mAP + MOTA ("sum"), by mAP ("map") or by MOTA ("mota")
quick_grid: bool = config.profile == "tiny"  # 2 values per threshold (tests); otherwise the full default grid
"""),
    code("""
import dataclasses

from posekit import gridsearch as gs
from posekit.data.posetrack import read_split
from posekit.inference import Predictor
from posekit.model import load_model

val_sequences = read_split(data_dir, "val")
grid = gs.default_grid_for_sequences(val_sequences)
if quick_grid:
    grid = dataclasses.replace(grid, **{k: getattr(grid, k)[:2] for k in gs.THRESHOLD_NAMES})
print(f"{grid.size} combinations:")
for k in gs.THRESHOLD_NAMES:
    print(f"  {k:12s} {getattr(grid, k)}")
"""),
    md("""
## One network pass, cached
Component 1 runs once per frame; component 2 once for every local maximum of the head heatmap at or above the
loosest `t_head` of the grid. Each combination then picks its heads from the cached head heatmap with the same
peak rule as inference, and its joints and persons with the same `t_joint` / `t_person` rule — so the sweep is
exact, not an approximation.
"""),
    code("""
model = load_model(model_dir)
predictor = Predictor(model, config=config)
cache = gs.build_cache(predictor, val_sequences, t_head_min=min(grid.t_head))
frames = sum(len(s.frames) for s in cache.sequences)
candidates = sum(len(f.cand_xy) for s in cache.sequences for f in s.frames)
print(f"network pass over {frames} frames: {cache.network_seconds:.1f} s; {candidates} head candidates")
search = gs.search(cache, val_sequences, grid, objective)
print(f"scored {len(search.scores)} combinations in {search.sweep_seconds:.1f} s "
      f"({search.sweep_seconds / cache.network_seconds:.2f} × the network pass)")
search.save(run)  # thresholds.json and grid.csv (every combination)
search.scores.sort_values("objective", ascending=False).head(10)
"""),
    md("""
## The chosen thresholds beside the paper's
"""),
    code("""
from posekit.config import get_profile
from posekit.imageio import read_image
from posekit.paper_results import THRESHOLDS as PAPER_THRESHOLDS

paper_net = get_profile("paper").network
comparison = pd.DataFrame({"paper (§4)": PAPER_THRESHOLDS, "found here": dataclasses.asdict(search.best)})
row = search.best_row
print(f"best by {objective}: mAP {row['mAP']:.1f}, MOTA {row['MOTA']:.1f}")
print("t_pose_dist is in image pixels: the paper's refers to PoseTrack frames "
      f"(~{gs.PAPER_FRAME_WIDTH:.0f} px wide), these are "
      f"{read_image(val_sequences[0].image_path(0)).shape[1]} px wide; t_head_dist is in heatmap pixels "
      f"({config.network.heatmap_width}×{config.network.heatmap_height} here, "
      f"{paper_net.heatmap_width}×{paper_net.heatmap_height} in the paper).")
comparison
"""),
    code("""
from posekit.plots import grid_search_plots, save_figure

fig = grid_search_plots(search.scores, gs.THRESHOLD_NAMES, "objective")
save_figure(fig, figures_dir / "03_grid_search.png")
plt.show()
"""),
]

NB04 = header(
    "04 · Table 1 and Table 2",
    "Predictions for every validation frame with the thresholds of the grid search, tracked by the "
    "geometric tracker of §3, scored by posekit's reimplementation of the official PoseTrack evaluation "
    "— then shown beside the paper's numbers. The paper's tables are on real PoseTrack data; on the "
    "embedded synthetic data the comparison shows that the pipeline works, not that the numbers should "
    "match.",
    model_parameter=True,
) + [
    md("""
## Predict and track (§2, §3)
> "By processing the second network component for every head detected by the first component, the network is
> able to predict poses of each individual person visible on the image."

> "Starting from the minimum median distance of all tuples, if this distance is under a certain threshold
> t_pose_dist, a match between a person detected in a previous frame and a person detected in the current
> frame is found. [...] IDs are only kept for a limited amount of frames t_max_age, afterwards they are
> discarded."
"""),
    code("""
import time

from posekit.data.posetrack import read_split, write_folder
from posekit.config import load_thresholds
from posekit.inference import Predictor
from posekit.model import load_model

thresholds = load_thresholds(run / "thresholds.json")
print(thresholds)
val_sequences = read_split(data_dir, "val")
predictor = Predictor(load_model(model_dir), thresholds=thresholds, config=config)
t0 = time.perf_counter()
predictions = [predictor.predict_sequence(seq) for seq in val_sequences]
seconds = time.perf_counter() - t0
frames = sum(len(s.frames) for s in val_sequences)
written = write_folder(predictions, run / "predictions", format=val_sequences[0].format)
print(f"{frames} frames in {seconds:.1f} s ({frames / seconds:.1f} frames/s); "
      f"{len(written)} prediction files in predictions/")
"""),
    md("""
## Evaluate (§5)
The official evaluation's rules, oddities included (`posekit.evaluation`): AP per joint at PCKh 0.5 with one
ranking per joint over all frames, MOTA / MOTP / precision / recall per joint pooled over sequences, the last
frame of each sequence left out of the tracking metrics, and MOTP over matched pairs.
"""),
    code("""
from posekit.evaluation import evaluate

result = evaluate(val_sequences, predictions)
saved = result.save(tables_dir / "evaluation")
print(result.format_tables())
print(f"written: {', '.join(str(Path(p).relative_to(run)) for p in saved)}")
"""),
    md("""
## Beside the paper
The paper's Table 1 and Table 2 (validation and test rows) are stored once in `posekit.paper_results`.
"""),
    code("""
from posekit.paper_results import table1_frame, table2_frame
from posekit.results import table2_totals, write_table

label = f"posekit ({config.profile}, {Path(data_dir).name} val)"
table1 = result.table1.rename(index={"AP": label})
table2 = result.table2.rename(index={"MOT": label})
write_table(table1, tables_dir, "table1", "Table 1: AP per joint (PCKh@0.5)")
write_table(table2, tables_dir, "table2", "Table 2: MOTA per joint group; MOTP, precision, recall totals")
paper1 = table1_frame().rename(index=lambda s: f"paper ({s})")
paper2 = table2_frame().rename(index=lambda s: f"paper ({s})")
t1 = pd.concat([paper1, table1])
t2 = pd.concat([paper2, pd.DataFrame([table2_totals(table2.iloc[0])], index=[label])])
write_table(t1, tables_dir, "table1_vs_paper", "Table 1 beside the paper (mAP = Total)")
write_table(t2, tables_dir, "table2_vs_paper", "Table 2 beside the paper (Totals)")
display(t1.round(1))
display(t2.round(1))
"""),
    md("""
## Table 2b: identity and keypoint HOTA (not in the paper)
IDF1 / IDP / IDR (motmetrics' definitions) and keypoint HOTA / DetA / AssA / LocA (as the PoseTrack21
evaluation defines them), per joint group, on the same frames as Tables 1 and 2. The paper reports neither.
"""),
    code("""
write_table(result.table2b, tables_dir, "table2b",
            "Table 2b: IDF1 (motmetrics) and keypoint HOTA (PoseTrack21)")
result.table2b.round(1)
"""),
    md("""
## Per sequence
Each metric computed on one sequence alone (the pooled tables above are not the mean of these rows).
"""),
    code("""
result.per_sequence.round(1)
"""),
]

NB05 = header(
    "05 · Visual diagnostics",
    "What the network computes, laid out like the paper's Fig. 1; predicted against target heatmaps; "
    "predictions over the frames; the tracker of §3 on a pair of frames; a track timeline with ID "
    "switches; an annotated video; and the worst frames.",
    model_parameter=True,
) + [
    code("""
from posekit.data.posetrack import read_folder, read_split
from posekit.dataset import make_sample
from posekit.config import load_thresholds
from posekit.decoding import find_head_peaks
from posekit.imageio import read_image
from posekit.inference import Predictor
from posekit.model import load_model
from posekit.plots import save_figure

thresholds = load_thresholds(run / "thresholds.json")
model = load_model(model_dir)
predictor = Predictor(model, thresholds=thresholds, config=config)
val_sequences = read_split(data_dir, "val")
predictions = {s.name: s for s in read_folder(run / "predictions")}
seq = max(val_sequences, key=lambda s: max(len(s.frames[f].persons) for f in s.labeled_frames))
frame_index = max(seq.labeled_frames, key=lambda f: len(seq.frames[f].persons))
image = read_image(seq.image_path(frame_index))
print(f"{seq.name} frame {frame_index}: {len(seq.frames[frame_index].persons)} annotated people")
"""),
    md("""
## Fig. 1, computed
Component 1 gives the features (brown), the multi-person joint heatmaps (red) and the head-centre heatmap
(orange). A head found at a local maximum ≥ `t_head` is masked (σ = 4) and, with the features and the
multi-person heatmaps, goes through component 2, whose filtered heatmaps (blue) times the multi-person
heatmaps are the final single-person heatmaps (green).
"""),
    code("""
from posekit.geometry import letterbox
from posekit.plots import fig1_panels

net = predictor.run_network([image])  # component 1
size = [(image.shape[1], image.shape[0])]
# the one decode path of inference and the grid search
decoded = predictor.decode(net, size, intermediates=True)
print(f"{len(decoded.peaks)} heads found (t_head={thresholds.t_head}, t_head_dist={thresholds.t_head_dist}); "
      f"{len(decoded.persons[0])} persons kept "
      f"(t_joint={thresholds.t_joint}, t_person={thresholds.t_person})")
if not len(decoded.peaks):  # no head above t_head: show the strongest local maximum instead
    strongest = find_head_peaks(net["head_heatmap"][0], -1.0, thresholds.t_head_dist, 1)[0]
    decoded = predictor.decode(net, size, peaks=[strongest], intermediates=True)
boxed, _ = letterbox(image, config.network.input_width, config.network.input_height)
# the head whose person is most complete (the largest sum of its kept joints' final values; ties: the
# strongest head): a whole skeleton to look at rather than a person cut by the frame's border
k = int(np.argmax(np.nansum(decoded.joints[:, :, 2], axis=1))) if len(decoded.joints) else 0
print(f"shown: head {k} of {len(decoded.joints)}")
fig = fig1_panels(boxed, net["features"][0], net["multi_person_heatmaps"][0], net["head_heatmap"][0],
                  decoded.masked_head[k], decoded.filtered[k], decoded.final[k])
save_figure(fig, figures_dir / "05_fig1_intermediates.png")
plt.show()
"""),
    md("""
## Predicted vs target heatmaps
For a person of interest given by its ground-truth head (as in training), the final single-person heatmaps
beside the targets of §4.
"""),
    code("""
from posekit.plots import heatmap_pairs

person_index = next(k for k, p in enumerate(seq.frames[frame_index].persons) if p.head_box is not None)
x, y = make_sample(seq, frame_index, person_index, config, np.random.default_rng(seed), augment=False)
out = model({"image": x["image"][None], "head_mask": x["head_mask"][None]}, training=False)
predicted = np.asarray(out["single_person_heatmaps"])[0]
fig = heatmap_pairs(predicted, y["joint_heatmaps"], [14, 8, 6, 2, 1, 0],
                    title="final single-person heatmaps (top) vs targets (bottom)")
save_figure(fig, figures_dir / "05_predicted_vs_target.png")
plt.show()
"""),
    md("""
## Predictions over a sequence
Tracked predictions (colour = track id) on frames of the same sequence, ground truth in the top row.
"""),
    code("""
from posekit.viz import draw_frame, frame_grid

pred_seq = predictions[seq.name]
frames = seq.labeled_frames[:: max(1, len(seq.labeled_frames) // 4)][:4]
gt_row = [draw_frame(read_image(seq.image_path(f)), seq.frames[f]) for f in frames]
pred_row = [draw_frame(read_image(seq.image_path(f)), pred_seq.frames[f], head_boxes=False) for f in frames]
grid = frame_grid(gt_row + pred_row, ncols=len(frames))
plt.figure(figsize=(18, 18 * grid.shape[0] / grid.shape[1]))
plt.imshow(grid)
plt.axis("off")
plt.title(f"{seq.name}: ground truth (top) and tracked predictions (bottom), frames {frames}")
save_figure(plt.gcf(), figures_dir / "05_overlays.png")
plt.show()
"""),
    md("""
## The tracker (§3), step by step
> "tuples of all persons detected in the previous frames and in the current frame are created. For each tuple,
> the median distance of all body joints is calculated. Starting from the minimum median distance of all
> tuples, if this distance is under a certain threshold t_pose_dist, a match [...] is found. [...] IDs are
> only kept for a limited amount of frames t_max_age, afterwards they are discarded."

The tracker re-run on the predictions of one validation sequence (`posekit.tracking.track_steps`): for a frame
with several matches, the median joint distance between every current person and every live ID (its last
pose), the greedy matches under `t_pose_dist` in the order they are taken, the IDs that result, and an ID
expiring after `t_max_age`.
"""),
    code("""
from posekit.plots import tracker_figure
from posekit.tracking import track_steps
from posekit.viz import draw_frame

steps_by_name = {s.name: track_steps([[p.joints for p in f.persons] for f in predictions[s.name].frames],
                                     thresholds.t_pose_dist, thresholds.t_max_age) for s in val_sequences}
# The frame to show: in a sequence where an ID expires if there is one, the frame with the most matches,
# then people.
name, t = max(((n, st.frame) for n, steps in steps_by_name.items() for st in steps[1:]),
              key=lambda nt: (any(st.expired for st in steps_by_name[nt[0]]),
                              len(steps_by_name[nt[0]][nt[1]].matches),
                              len(steps_by_name[nt[0]][nt[1]].ids)))
steps, pred_seq = steps_by_name[name], predictions[name]
same = all(st.ids == [p.track_id for p in f.persons] for st, f in zip(steps, pred_seq.frames))
print(f"{name}, frames {t - 1} → {t}; the re-run gives the IDs of the prediction files: {same}")
id_frames = {}
for st in steps:
    for i in st.ids:
        id_frames.setdefault(i, []).append(st.frame)
expiry = next(((i, last, st.frame) for st in steps for i, last in zip(st.expired, st.expired_last_seen)),
              None)
src = next(s for s in val_sequences if s.name == name)
previous, current = (draw_frame(read_image(src.image_path(f)), pred_seq.frames[f], head_boxes=False,
                                ignore_regions=False) for f in (t - 1, t))
fig = tracker_figure(previous, current, steps[t], thresholds.t_pose_dist, thresholds.t_max_age,
                     id_frames, expiry,
                     title=f"{name}: the geometric tracker of §3 "
                           f"(t_pose_dist = {thresholds.t_pose_dist:g} px, "
                           f"t_max_age = {thresholds.t_max_age})")
save_figure(fig, figures_dir / "05_tracker.png")
plt.show()
print("matches in the order taken: " + ", ".join(
    f"#{i} → ID {steps[t].candidate_ids[j]} ({steps[t].distances[i, j]:.0f} px)"
    for i, j in steps[t].matches))
"""),
    md("""
## Track timeline (§3)
For each ground-truth track, the predicted ID matched to it in every labelled frame (grey: missed). A red
cross marks an ID switch — the event MOTA counts.
"""),
    code("""
from posekit.diagnostics import id_switches, track_assignments
from posekit.plots import track_timeline

timeline_seq = max(val_sequences, key=lambda s: len({p.track_id for f in s.frames for p in f.persons}))
assignments = track_assignments(timeline_seq, predictions[timeline_seq.name])
switches = id_switches(assignments)
fig = track_timeline(assignments, switches,
                     f"{timeline_seq.name}: predicted IDs per GT track ({len(switches)} ID switches)")
save_figure(fig, figures_dir / "05_track_timeline.png")
plt.show()
all_switches = sum(len(id_switches(track_assignments(s, predictions[s.name]))) for s in val_sequences)
print(f"ID switches over the validation split: {all_switches}")
"""),
    md("""
## An annotated video
`posekit predict --video` on the frames of one validation sequence: skeletons coloured by track ID, with ID
labels.
"""),
    code("""
from posekit.video import predict_video

frames_dir = Path(timeline_seq.image_path(0)).parent
n, seconds, video = predict_video(predictor, frames_dir, figures_dir / "05_video", quiet=True)
print(f"{n} frames in {seconds:.1f} s → {video.relative_to(run)}")
"""),
    md("""
## The worst frames
Frames ranked by `1 − PCKh + false persons / GT persons` (`posekit.diagnostics.frame_quality`): where the
method fails. Ground truth is drawn thin, predictions thick.
"""),
    code("""
from posekit.diagnostics import frame_quality
from posekit.plots import image_gallery
from posekit.viz import draw_pose, track_color

quality = pd.concat([frame_quality(s, predictions[s.name]) for s in val_sequences], ignore_index=True)
worst = quality.sort_values("badness", ascending=False).head(6)
by_name = {s.name: s for s in val_sequences}
images, titles = [], []
for _, r in worst.iterrows():
    s = by_name[r["sequence"]]
    img = read_image(s.image_path(int(r["frame"])))
    for p in s.frames[int(r["frame"])].persons:
        img = draw_pose(img, p.joints, (255, 255, 255), thickness=1, radius=2)
    img = draw_frame(img, predictions[s.name].frames[int(r["frame"])], head_boxes=False, ignore_regions=False)
    images.append(img)
    titles.append(f"{r['sequence']} f{int(r['frame'])}: PCKh {r['pckh']:.2f}, "
                  f"{int(r['false_persons'])} false, {int(r['n_gt'])} GT")
fig = image_gallery(images, titles, ncols=3)
save_figure(fig, figures_dir / "05_worst_frames.png")
plt.show()
quality.describe().round(2)
"""),
]

NOTEBOOKS = {
    "01_data_and_targets": NB01,
    "02_training": NB02,
    "03_threshold_grid_search": NB03,
    "04_reproduce_tables": NB04,
    "05_visual_diagnostics": NB05,
}


def main(out: Path | None = None) -> None:
    """Write the five notebooks into `out` (default: notebooks/)."""
    out = OUT if out is None else Path(out)
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = cells
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                     "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name[:2]}-{i:02d}"
        nbformat.validate(nb)
        nbformat.write(nb, str(out / f"{name}.ipynb"))
        print(f"wrote {out / name}.ipynb ({len(cells)} cells)")


if __name__ == "__main__":
    main()
