"""Frames to tracked poses: the inference of paper §2 and the tracker of §3 around the network.

Paper §2: "we detect all visible heads on the multi-person heatmap of head bounding box centers, by
taking the local maxima with a minimal value t_head and a minimal distance t_head_dist. Then, we create
a mask around the head of the current person of interest and multiply this mask with the multi-person
head heatmap." "By processing the second network component for every head detected by the first
component, the network is able to predict poses of each individual person visible on the image."

Per batch of frames:

    letterbox + normalise (geometry, augment)        (B, H, W, 3) float32
    component 1, once per frame                      features (B, h, w, C), multi (B, h, w, 15),
                                                     head (B, h, w, 1)
    head peaks per frame (decoding.find_head_peaks)  K heads over the batch, each with its frame index
    masked head = head mask (σ=4) × head heatmap     (K, h, w, 1)
    component 2 for ALL K heads in batched calls     filtered (K, h, w, 15), in chunks of `head_chunk`
      (features and multi-person heatmaps are gathered by frame index on the device, never copied per head)
    final = filtered × multi                         (K, h, w, 15) (posekit.model.single_person_heatmaps)
    joints at the argmax, t_joint, t_person          (decoding.decode_single_person; between pixels with
                                                     decoding.subpixel, not in the paper)
    (decoding.flip_test, not in the paper: both components also run on the mirrored frame, and the
     multi-person, head and filtered heatmaps are averaged with theirs mirrored back; see `Predictor`)
    heatmap px -> image px                           (decoding.heatmap_to_image: inverse letterbox, clipped
                                                     to the frame)
    persons with scores                              (decoding.to_person)

Everything after component 1 is `Predictor.decode`, the one decode path: inference, the grid search's
cache (posekit.gridsearch.build_cache) and notebook 05 call it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from posekit.augment import normalize_intensity
from posekit.config import Config, Thresholds
from posekit.data.schema import Frame, Person, Sequence
from posekit.decoding import (
    decode_single_person,
    find_head_peaks,
    head_masks,
    heatmap_to_image,
    mirror_heatmaps,
    to_person,
)
from posekit.geometry import letterbox
from posekit.imageio import read_image
from posekit.tracking import GeometricTracker

#: Not in the paper: at most this many heads per frame (the strongest), so an untrained network whose
#: head heatmap is noise cannot make component 2 run hundreds of times per frame. PoseTrack frames hold
#: far fewer people; None removes the bound.
DEFAULT_MAX_HEADS = 100

TIMING_KEYS = ("letterbox", "component1", "heads", "component2", "decode", "tracking")


def _as_rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"a frame must be (H, W, 3) RGB uint8, got shape {image.shape}")
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    return image


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Decoded:
    """What `Predictor.decode` found in B frames (paper §2); K heads over the batch, in frame order.

    persons:     per frame, the persons kept by t_joint and t_person (image px, untracked).
    peaks:       (K, 2) heatmap x, y of each head; frame_index (K,) its frame.
    joints:      (K, 15, 3) image x, y and final-heatmap value of each joint's maximum (NaN rows: dropped
                 by t_joint); keep (K,) bool, False for a person dropped by t_person.
    masked_head, filtered, final: (K, h, w, 1) head mask × head heatmap, (K, h, w, 15) component 2's
                 filtered heatmaps and the final single-person heatmaps — only with `intermediates=True`.
    """

    persons: list[list[Person]]
    peaks: np.ndarray
    frame_index: np.ndarray
    joints: np.ndarray
    keep: np.ndarray
    masked_head: np.ndarray | None = None
    filtered: np.ndarray | None = None
    final: np.ndarray | None = None


class Predictor:
    """The trained network plus the decoding of §2: frames in, poses in image pixels out.

    model:       a `posekit.model.PoseNet` (its `component1` and `component2` are called separately).
    thresholds:  t_head, t_head_dist, t_joint, t_person (§2) and t_pose_dist, t_max_age (§3); default
                 `config.thresholds`.
    config:      the run's config (network sizes, head-mask σ, intensity normalisation); default
                 `model.config`.
    batch_size:  frames per component-1 call.
    head_chunk:  heads per component-2 call (bounds memory: one call holds head_chunk copies of the
                 first convolution's activations).
    max_heads:   at most this many heads per frame (`DEFAULT_MAX_HEADS`; None: no bound).
    precision:   "fp32" (default) or "bf16" (Not in the paper: bfloat16 compute via Keras' mixed_bfloat16
                 policy, for hardware with bfloat16 units; outputs are cast back to float32 before decoding).

    With `config.decoding.flip_test` (not in the paper) component 1 also runs on each frame mirrored in x:
    its multi-person and head heatmaps are averaged with the mirrored frame's, mirrored back
    (`decoding.mirror_heatmaps`), and its features of the mirrored frame are kept (`run_network`'s
    "features_mirrored"); component 2 then runs for each head on both, the mirrored call with the mirrored
    averaged multi-person heatmaps and head mask, and the two filtered heatmaps are averaged the same way.

    After each call, `timings` holds the seconds spent per stage (`TIMING_KEYS`), accumulated.
    """

    def __init__(
        self,
        model: Any,
        thresholds: Thresholds | None = None,
        config: Config | None = None,
        batch_size: int = 4,
        head_chunk: int = 16,
        max_heads: int | None = DEFAULT_MAX_HEADS,
        precision: str = "fp32",
    ):
        import keras

        from posekit.errors import ConfigError
        from posekit.model import single_person_heatmaps, split_component2, with_precision

        backend = keras.backend.backend()
        if backend not in ("tensorflow", "jax"):
            raise ConfigError("the Predictor runs on the TensorFlow or JAX backend, "
                              f"not KERAS_BACKEND={backend}")

        if (config is not None and getattr(model, "config", None) is not None
                and config.network != model.config.network):
            raise ConfigError(f"the config's network section differs from the model's ({config.profile} vs "
                              f"{model.config.profile} profile): load the config the model was trained with")
        self.precision = precision
        model = with_precision(model, precision)
        self.model = model
        self.config = config if config is not None else model.config
        self.thresholds = thresholds if thresholds is not None else self.config.thresholds
        self.batch_size = max(int(batch_size), 1)
        self.head_chunk = max(int(head_chunk), 1)
        self.max_heads = max_heads
        net = self.config.network
        self.stride = net.heatmap_stride
        self.input_size = (net.input_width, net.input_height)
        self.heatmap_size = (net.heatmap_width, net.heatmap_height)
        self.timings = dict.fromkeys(TIMING_KEYS, 0.0)
        h, w = net.heatmap_height, net.heatmap_width
        comp1, comp2 = model.component1, model.component2
        channels = int(comp2.inputs[0].shape[-1])
        if backend == "jax":  # jax.jit twins of the two tf.functions below (posekit.inference_jax)
            from posekit.inference_jax import compiled_calls, to_device

            self._component1, self._component2 = compiled_calls(model, self.batch_size, self.head_chunk)
            self._to_device = to_device
            return
        import tensorflow as tf

        # One trace each: the batch dimension is None in the signatures, so neither a new number of
        # frames nor a new number of heads retraces.
        @tf.function(
            input_signature=[tf.TensorSpec((None, net.input_height, net.input_width, 3), tf.float32)]
        )
        def component1(image):
            out = comp1(image, training=False)
            f32 = lambda t: tf.cast(t, tf.float32)  # noqa: E731  (bf16 outputs -> float32 for decoding)
            return f32(out["features"]), f32(out["multi_person_heatmaps"]), f32(out["head_heatmap"])

        per_frame, per_head = split_component2(comp2)

        @tf.function(
            input_signature=[
                tf.TensorSpec((None, h, w, channels), tf.float32),
                tf.TensorSpec((None, h, w, net.num_joints), tf.float32),
                tf.TensorSpec((None, h, w, 1), tf.float32),
                tf.TensorSpec((None,), tf.int32),
            ]
        )
        def component2(features, multi, masked_head, frame_index):
            # The part of component 2's first convolution that all heads of a frame share: once per frame
            # of this call (frames without heads are skipped), then gathered per head on the device.
            frames, local = tf.unique(frame_index)
            shared = per_frame(tf.gather(features, frames), tf.gather(multi, frames))
            filtered = tf.cast(per_head(tf.gather(shared, local), masked_head), tf.float32)
            return filtered, single_person_heatmaps(filtered, tf.gather(multi, frame_index))

        self._component1 = component1
        self._component2 = component2
        self._to_device = lambda a: tf.convert_to_tensor(a, tf.float32)

    # -----------------------------------------------------------------------------------------
    # The network

    def prepare(self, images: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Letterbox and normalise frames: (B, H, W, 3) float32 network input, (B, 2, 3) letterbox affines."""
        w_in, h_in = self.input_size
        inputs, matrices = [], []
        for image in images:
            boxed, M = letterbox(_as_rgb(image), w_in, h_in)
            inputs.append(normalize_intensity(boxed, self.config.augment))
            matrices.append(M)
        if not inputs:
            return np.zeros((0, h_in, w_in, 3), np.float32), np.zeros((0, 2, 3))
        return np.stack(inputs), np.stack(matrices)

    def _network(self, x: np.ndarray) -> dict[str, Any]:
        """Component 1 on a prepared batch; with `decoding.flip_test` also on the batch mirrored in x, the
        heatmaps averaged (numpy) and the mirrored features kept (see the class docstring)."""
        features, multi, head = self._component1(x)
        out = {"features": features, "multi_person_heatmaps": multi, "head_heatmap": head}
        if self.config.decoding.flip_test:
            features_m, multi_m, head_m = self._component1(np.ascontiguousarray(x[:, :, ::-1]))
            out["multi_person_heatmaps"] = 0.5 * (np.asarray(multi) + mirror_heatmaps(np.asarray(multi_m)))
            out["head_heatmap"] = 0.5 * (np.asarray(head) + mirror_heatmaps(np.asarray(head_m), joints=False))
            out["features_mirrored"] = features_m
        return out

    def run_network(self, images: Iterable[np.ndarray]) -> dict[str, np.ndarray]:
        """Component 1 on frames (for diagnostics and caching), in batches of `batch_size`.

        images:  frames, each (H, W, 3) uint8 RGB of any size.
        returns: {"features": (B, h, w, C), "multi_person_heatmaps": (B, h, w, 15),
                 "head_heatmap": (B, h, w, 1), "letterbox": (B, 2, 3)} numpy arrays; with
                 `decoding.flip_test` the heatmaps are the flip-test averages and "features_mirrored"
                 (B, h, w, C) holds the mirrored frames' features.
        """
        parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("features", "multi_person_heatmaps", "head_heatmap")
        }
        matrices = []
        if self.config.decoding.flip_test:
            parts["features_mirrored"] = []
        for batch in _batches(images, self.batch_size):
            x, M = self.prepare(batch)
            out = self._network(x)
            for k, v in out.items():
                parts[k].append(np.asarray(v))
            matrices.append(M)
        if not matrices:
            raise ValueError("run_network needs at least one frame")
        out = {k: np.concatenate(v) for k, v in parts.items()}
        out["letterbox"] = np.concatenate(matrices)
        return out

    def run_component2(
        self,
        features: Any,
        multi_person_heatmaps: Any,
        masked_head_heatmap: np.ndarray,
        frame_index: np.ndarray | None = None,
        final: bool = False,
        features_mirrored: Any = None,
    ) -> np.ndarray:
        """Component 2 for every head in batched calls of at most `head_chunk` heads. Paper §2.

        The part of component 2's first convolution that a frame's heads share is computed once per frame
        and call (`model.split_component2`; heads sorted by frame, as inference passes them, keep a frame
        within one call except at a chunk boundary); the outputs equal calling `component2` per head up to
        rounding.

        features:               (F, h, w, C) per frame (or per head when frame_index is None).
        multi_person_heatmaps:  (F, h, w, 15) idem.
        masked_head_heatmap:    (K, h, w, 1) head mask × head heatmap, one per head.
        frame_index:            (K,) int, the frame of each head (default: head k uses row k).
        features_mirrored:      (F, h, w, C) features of the mirrored frames (`decoding.flip_test`): the
                                filtered heatmaps are then averaged with those of the mirrored call.
        returns:                filtered heatmaps (K, h, w, 15) float32, or the final single-person
                                heatmaps (filtered × multi) when `final`.
        """
        filtered, single = self._run_component2(features, multi_person_heatmaps, masked_head_heatmap,
                                                frame_index, features_mirrored)
        return single if final else filtered

    def _run_component2(
        self, features: Any, multi_person_heatmaps: Any, masked_head_heatmap: np.ndarray,
        frame_index: np.ndarray | None = None, features_mirrored: Any = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`run_component2`'s filtered and final heatmaps, both from the same calls."""
        k = int(np.shape(masked_head_heatmap)[0])
        if frame_index is None:
            frame_index = np.arange(k)
        frame_index = np.asarray(frame_index, dtype=np.int32).reshape(k)
        h, w = self.heatmap_size[1], self.heatmap_size[0]
        if k == 0:
            empty = np.zeros((0, h, w, self.config.network.num_joints), np.float32)
            return empty, empty.copy()
        masked = np.asarray(masked_head_heatmap, dtype=np.float32)
        filtered, single = self._component2_chunks(features, multi_person_heatmaps, masked, frame_index)
        if features_mirrored is None:
            return filtered, single
        multi = np.asarray(multi_person_heatmaps, dtype=np.float32)
        filtered_m, _ = self._component2_chunks(features_mirrored, mirror_heatmaps(multi),
                                                mirror_heatmaps(masked, joints=False), frame_index)
        filtered = 0.5 * (filtered + mirror_heatmaps(filtered_m))
        return filtered, filtered * multi[frame_index]  # single_person_heatmaps, on the averages

    def _component2_chunks(self, features: Any, multi_person_heatmaps: Any, masked: np.ndarray,
                           frame_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Component 2's filtered and final heatmaps for every head, `head_chunk` heads per call."""
        features = self._to_device(features)
        multi = self._to_device(multi_person_heatmaps)
        filtered, single = [], []
        for start in range(0, len(masked), self.head_chunk):
            sl = slice(start, start + self.head_chunk)
            f, s = self._component2(features, multi, masked[sl], frame_index[sl])
            filtered.append(np.asarray(f))
            single.append(np.asarray(s))
        return np.concatenate(filtered), np.concatenate(single)

    # -----------------------------------------------------------------------------------------
    # Poses

    def _tick(self, key: str, t0: float) -> float:
        t1 = time.perf_counter()
        self.timings[key] += t1 - t0
        return t1

    def decode(
        self,
        net: Mapping[str, Any],
        image_sizes: list[tuple[int, int]],
        thresholds: Thresholds | None = None,
        peaks: list[np.ndarray] | None = None,
        intermediates: bool = False,
    ) -> Decoded:
        """Component 1's outputs to persons: the one decode path of paper §2 (inference and grid search
        use it).

        heads (find_head_peaks) -> head masks σ=4 × head heatmap -> component 2 -> final = filtered × multi
        -> joints at the maxima with t_joint, t_person (decode_single_person) -> image px (heatmap_to_image)
        -> `Person`s (to_person).

        net:           component 1 for B frames: "features" (B, h, w, C), "multi_person_heatmaps"
                       (B, h, w, 15) (numpy or device tensors), "head_heatmap" (B, h, w, 1) numpy,
                       "letterbox" (B, 2, 3) (as `run_network` returns).
        image_sizes:   (width, height) of each original frame (joints are clipped to it).
        thresholds:    t_head, t_head_dist, t_joint, t_person; default `self.thresholds`.
        peaks:         the heads of each frame, (N_b, 2) heatmap x, y; default the local maxima of the head
                       heatmap by t_head, t_head_dist and `max_heads` (the grid search passes its candidates).
        intermediates: also keep the masked head heatmaps and component 2's filtered and final heatmaps.
        """
        th = thresholds if thresholds is not None else self.thresholds
        w, h = self.heatmap_size
        head = np.asarray(net["head_heatmap"])
        n_frames = len(head)
        t0 = time.perf_counter()
        if peaks is None:
            peaks = [find_head_peaks(head[b, ..., 0], th.t_head, th.t_head_dist, self.max_heads)[0]
                     for b in range(n_frames)]
        peaks = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in peaks]
        frame_index = np.concatenate([np.full(len(p), b, np.int32) for b, p in enumerate(peaks)] or
                                     [np.zeros(0, np.int32)])
        peaks_all = np.concatenate(peaks) if peaks else np.zeros((0, 2))
        masked = head_masks(peaks_all, h, w, self.config.targets.head_mask_sigma) * head[frame_index]
        t0 = self._tick("heads", t0)

        filtered, final = self._run_component2(net["features"], net["multi_person_heatmaps"], masked,
                                               frame_index, net.get("features_mirrored"))
        t0 = self._tick("component2", t0)

        joints, keep = decode_single_person(final, th.t_joint, th.t_person,
                                           subpixel=self.config.decoding.subpixel)  # heatmap px
        for b in range(n_frames):
            rows = frame_index == b
            joints[rows, :, :2] = heatmap_to_image(joints[rows, :, :2], self.stride, net["letterbox"][b],
                                                   image_size=tuple(image_sizes[b]))
        persons: list[list[Person]] = [[] for _ in range(n_frames)]
        for i in np.flatnonzero(keep):
            persons[int(frame_index[i])].append(to_person(joints[i]))
        self._tick("decode", t0)
        if not intermediates:
            masked = filtered = final = None
        return Decoded(persons, peaks_all, frame_index, joints, keep, masked, filtered, final)

    def _predict_batch(self, images: list[np.ndarray]) -> list[list[Person]]:
        t0 = time.perf_counter()
        x, matrices = self.prepare(images)
        t0 = self._tick("letterbox", t0)
        net = self._network(x)
        net["head_heatmap"] = np.asarray(net["head_heatmap"])
        net["letterbox"] = matrices
        self._tick("component1", t0)
        return self.decode(net, [(image.shape[1], image.shape[0]) for image in images]).persons

    def iter_predict(self, images: Iterable[np.ndarray]) -> Iterator[list[Person]]:
        """Poses frame by frame (lazy; frames are read and batched `batch_size` at a time).

        images:  frames, each (H, W, 3) uint8 RGB.
        yields:  for each frame its persons (joints (15, 3) image x, y, visible 1; NaN rows for dropped
                 joints; `scores` per joint; `score`), untracked (track_id None).
        """
        for batch in _batches(images, self.batch_size):
            yield from self._predict_batch(batch)

    def predict_frames(self, images: Iterable[np.ndarray]) -> list[list[Person]]:
        """Poses of every frame (untracked), in order. See `iter_predict`."""
        return list(self.iter_predict(images))

    def tracker(self) -> GeometricTracker:
        """A fresh tracker with this predictor's t_pose_dist and t_max_age (paper §3)."""
        return GeometricTracker(self.thresholds.t_pose_dist, self.thresholds.t_max_age)

    def track(self, persons: list[Person], tracker: GeometricTracker) -> list[Person]:
        """Set `track_id` of one frame's persons with `tracker` (in place); returns them."""
        t0 = time.perf_counter()
        for person, track_id in zip(persons, tracker.update([p.joints for p in persons]), strict=True):
            person.track_id = int(track_id)
        self._tick("tracking", t0)
        return persons

    def predict_sequence(
        self, seq: Sequence, progress: Callable[[int], Any] | None = None
    ) -> Sequence:
        """Tracked predictions for every frame of `seq` (labelled or not), frames in the same order.

        The returned Sequence keeps the name, frame images, `is_labeled`, `frame_id`, root, format and
        vid_id of `seq`; its persons are predictions with track IDs (a fresh tracker per sequence).
        progress: called with 1 after each frame (e.g. a tqdm `update`).
        """
        tracker = self.tracker()
        images = (read_image(seq.image_path(i), frame=i) for i in range(len(seq.frames)))
        frames = []
        for src, persons in zip(seq.frames, self.iter_predict(images), strict=True):
            self.track(persons, tracker)
            frames.append(Frame(image=src.image, persons=persons, is_labeled=src.is_labeled,
                                frame_id=src.frame_id))
            if progress is not None:
                progress(1)
        return Sequence(name=seq.name, frames=frames, root=seq.root, format=seq.format, vid_id=seq.vid_id)
