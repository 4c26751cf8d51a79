"""Training batches for the two-component network (Paper §4), as a `keras.utils.PyDataset`.

Each sample is a labelled frame and a person of interest on it (Paper §2: the second component poses
"the current person of interest"; §4: in training the head mask uses "the groundtruth position").
`make_sample` builds one sample: letterbox + augmentation (`posekit.augment`, one affine), then the
targets (`posekit.targets`) at the heatmap resolution:

    x = {"image":     (H, W, 3) float32, normalised and intensity-augmented input,
         "head_mask": (h, w, 1)  float32, σ = head_mask_sigma Gaussian at the person of interest's head}
    y = {"head_heatmap":   (h, w, 1)  float32, max over σ = sigma Gaussians at all head-box centres,
         "loss_mask":      (h, w, 1)  float32, 0 inside ignore regions, 1 elsewhere,
         "joint_heatmaps": (h, w, 15) float32, σ = sigma Gaussians at the person of interest's joints,
         "joint_weights":  (15,)      float32, 0 for missing joints,
         "multi_person_heatmaps": (h, w, 15) float32, max over the joint Gaussians of every annotated person}

with H × W the input size and h × w = H/stride × W/stride. `TrainingBatches` stacks them with a
leading batch axis B = `config.train.batch_size` (persons of interest, the paper's 4). With
`train.persons_per_image` K > 1 (not in the paper) a batch holds B / K images, each with K persons of
interest: the per-person entries (`PERSON_KEYS`) have B rows, image b's persons at rows b·K .. b·K + K - 1,
the per-image entries B / K rows.

Determinism: sample b of batch i in epoch e draws everything (frame, person, augmentation) from
`numpy.random.default_rng([seed, e, i, b])`, so a batch depends only on (seed, epoch, index), not on
which worker builds it or when.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from posekit.augment import augment_sample, sample_augmentation
from posekit.config import Config
from posekit.data.schema import Sequence
from posekit.errors import ConfigError, DataError
from posekit.imageio import read_image
from posekit.targets import (
    head_mask,
    ignore_mask,
    input_to_heatmap,
    joint_in_view,
    multi_person_head_heatmap,
    multi_person_joint_heatmaps,
    single_person_targets,
)

#: Not in the paper: how many augmentation draws to try so that the person of interest's head centre
#: stays inside the input image (otherwise the head mask, the only cue of who to pose, is empty).
MAX_AUGMENT_DRAWS: int = 10
#: Entries with one row per person of interest (B·K rows in a batch); the others have one row per image.
PERSON_KEYS: frozenset[str] = frozenset({"head_mask", "joint_heatmaps", "joint_weights"})


def make_sample(
    sequence: Sequence,
    frame_index: int,
    person_index: int | list[int],
    config: Config,
    rng: np.random.Generator,
    augment: bool = True,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One unbatched training sample (x, y) (shapes in the module docstring) for one person of interest.

    frame_index indexes `sequence.frames`; person_index indexes that frame's `persons` and must name
    a person with a head box. `rng` draws the augmentation (Paper §4) when `augment`.
    With a list of K person indices (`TrainConfig.persons_per_image`, not in the paper) the image is
    augmented once and the person entries get a leading K axis: head_mask (K, h, w, 1), joint_heatmaps
    (K, h, w, 15), joint_weights (K, 15); the augmentation draw keeps the first person's head in view.
    y also holds "multi_person_heatmaps" (h, w, 15): the multi-person joint targets of every annotated
    person (`posekit.targets.multi_person_joint_heatmaps`), used when `multi_person_loss_weight` > 0.
    """
    frame = sequence.frames[frame_index]
    indices = [person_index] if isinstance(person_index, (int, np.integer)) else list(person_index)
    for k in indices:
        if frame.persons[k].head_box is None:
            raise DataError(sequence.source or sequence.name, f"person {k} has no head box",
                            frame=frame_index)
    image = read_image(sequence.image_path(frame_index))
    net = config.network
    with_head = [p for p in frame.persons if p.head_box is not None]
    head_centers = np.array([p.head_center for p in with_head]).reshape(-1, 2)
    poi_heads = [next(j for j, p in enumerate(with_head) if p is frame.persons[k]) for k in indices]
    all_joints = np.stack([p.joints for p in frame.persons]) if frame.persons else np.zeros((0, 15, 3))

    for _ in range(MAX_AUGMENT_DRAWS if augment else 1):
        params = sample_augmentation(rng, config.augment) if augment else None
        img, joints, heads, polygons = augment_sample(
            image, all_joints, head_centers, frame.ignore_regions, params, net, config.augment
        )
        if joint_in_view(heads[poi_heads[0]], net.input_height, net.input_width):
            break

    stride, h, w = net.heatmap_stride, net.heatmap_height, net.heatmap_width
    sigma = config.targets.sigma
    joints_hm = joints.copy()
    joints_hm[..., :2] = input_to_heatmap(joints[..., :2], stride)
    heads_hm = input_to_heatmap(heads, stride)
    per_person = [single_person_targets(joints_hm[k], h, w, sigma) for k in indices]
    masks = [head_mask(heads_hm[j], h, w, config.targets.head_mask_sigma) for j in poi_heads]
    x = {"image": img, "head_mask": np.stack(masks)}
    y = {
        "head_heatmap": multi_person_head_heatmap(heads_hm, h, w, sigma),
        "loss_mask": ignore_mask([input_to_heatmap(p, stride) for p in polygons], h, w),
        "joint_heatmaps": np.stack([t[0] for t in per_person]),
        "joint_weights": np.stack([t[1] for t in per_person]),
        "multi_person_heatmaps": multi_person_joint_heatmaps(joints_hm, h, w, sigma),
    }
    if isinstance(person_index, (int, np.integer)):
        x["head_mask"], y["joint_heatmaps"], y["joint_weights"] = (
            x["head_mask"][0], y["joint_heatmaps"][0], y["joint_weights"][0]
        )
    return x, y


class TrainingBatches(keras.utils.PyDataset):
    """Batches of `make_sample` for keras `fit` or a custom loop (Paper §4: mini-batch size 4).

    Each sample: a frame drawn uniformly (with replacement) among the labelled frames of `sequences`
    that have at least one person with a head box, then a person of interest drawn uniformly among
    that frame's persons with a head box. Not in the paper: the paper counts iterations, not epochs;
    an epoch here is `steps_per_epoch` batches (default: as many samples as such frames, rounded up).
    """

    def __init__(
        self,
        sequences: list[Sequence],
        config: Config,
        seed: int = 0,
        augment: bool = True,
        steps_per_epoch: int | None = None,
        workers: int | None = None,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
    ):
        super().__init__(
            workers=config.train.workers if workers is None else workers,
            use_multiprocessing=use_multiprocessing,
            max_queue_size=max_queue_size,
        )
        self.sequences = list(sequences)
        self.config = config
        self.seed = int(seed)
        self.augment = augment
        self.batch_size = config.train.batch_size  # persons of interest per batch
        k = config.train.persons_per_image
        if k < 1 or self.batch_size % k:
            raise ConfigError(f"train.batch_size={self.batch_size} must be a multiple of "
                              f"train.persons_per_image={k}")
        self.images_per_batch = self.batch_size // k
        self.epoch = 0
        #: (sequence index, frame index, indices of persons with a head box) per usable frame.
        self.frames: list[tuple[int, int, list[int]]] = []
        for s, seq in enumerate(self.sequences):
            for f in seq.labeled_frames:
                heads = [k for k, p in enumerate(seq.frames[f].persons) if p.head_box is not None]
                if heads:
                    self.frames.append((s, f, heads))
        if not self.frames:
            names = ", ".join(seq.name for seq in self.sequences) or "no sequences"
            raise DataError(names, "no labelled frame with a person that has a head box")
        self.steps_per_epoch = steps_per_epoch or math.ceil(len(self.frames) / self.images_per_batch)

    def __len__(self) -> int:
        return self.steps_per_epoch

    def sample(self, index: int, b: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Sample b of batch `index` in the current epoch."""
        rng = np.random.default_rng([self.seed, self.epoch, index, b])
        s, f, heads = self.frames[int(rng.integers(len(self.frames)))]
        k = self.config.train.persons_per_image
        if k == 1:
            person: int | list[int] = heads[int(rng.integers(len(heads)))]
        else:  # K distinct persons when the frame has them; the rest drawn again (not in the paper)
            order = list(rng.permutation(len(heads)))
            order += list(rng.integers(len(heads), size=max(0, k - len(heads))))
            person = [heads[int(i)] for i in order[:k]]
        return make_sample(self.sequences[s], f, person, self.config, rng, augment=self.augment)

    def __getitem__(self, index: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range [0, {len(self)})")
        samples = [self.sample(index, b) for b in range(self.images_per_batch)]
        # Per-person entries of K-person samples are flattened to B·K rows, image b's persons together.
        stack = lambda v: np.concatenate(v) if self.config.train.persons_per_image > 1 else np.stack(v)
        x = {k: (stack if k in PERSON_KEYS else np.stack)([xs[k] for xs, _ in samples])
             for k in samples[0][0]}
        y = {k: (stack if k in PERSON_KEYS else np.stack)([ys[k] for _, ys in samples])
             for k in samples[0][1]}
        return x, y

    def set_epoch(self, epoch: int) -> None:
        """Continue at `epoch` (e.g. when training resumes from a checkpoint)."""
        self.epoch = int(epoch)

    def on_epoch_end(self) -> None:
        self.epoch += 1
