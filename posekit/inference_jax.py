"""The Predictor's two compiled calls on Keras 3's JAX backend (`KERAS_BACKEND=jax`): `jax.jit` twins of
the `tf.function`s in `posekit.inference.Predictor` (paper §2: component 1 once per frame, component 2 once
per head). Imports no TensorFlow.

Not in the paper (how, not what): `jax.jit` compiles once per input shape, where `tf.function` takes a
`None` batch dimension. So component 1 pads a short batch of frames up to `batch_size`, and component 2
pads every chunk of heads up to `head_chunk` (padded heads sit on the chunk's first frame, with an all-zero
head heatmap; their rows are dropped): one compilation per number of frames in the call, whatever the
number of heads.
The part of component 2's first convolution that a frame's heads share is computed for the distinct
frames of the chunk (`jnp.unique` with a static size), as in the TensorFlow path (`model.split_component2`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from posekit.model import single_person_heatmaps, split_component2


def to_device(array: Any) -> Any:
    """A float32 JAX array (device arrays pass through)."""
    return jnp.asarray(array, dtype=jnp.float32)


def compiled_calls(model: Any, batch_size: int,
                   head_chunk: int) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(component1, component2) with the signatures of the Predictor's TensorFlow calls:

    component1(image (B, H, W, 3)) -> features (B, h, w, C), multi (B, h, w, 15), head (B, h, w, 1), float32;
    component2(features (F, h, w, C), multi (F, h, w, 15), masked_head (K, h, w, 1), frame_index (K,) int)
        -> filtered (K, h, w, 15), single-person heatmaps (K, h, w, 15), float32; K <= head_chunk.
    """
    comp1 = model.component1
    per_frame, per_head = split_component2(model.component2)

    @jax.jit
    def _component1(image: Any) -> tuple[Any, Any, Any]:
        out = comp1(image, training=False)
        return tuple(out[k].astype(jnp.float32)
                     for k in ("features", "multi_person_heatmaps", "head_heatmap"))

    def component1(image: np.ndarray) -> tuple[Any, Any, Any]:
        n = len(image)
        if n < batch_size:  # one compilation per batch size: pad the last, short batch
            image = np.concatenate([image, np.zeros((batch_size - n, *image.shape[1:]), image.dtype)])
        out = _component1(to_device(image))
        return tuple(t[:n] for t in out) if n < batch_size else out

    @jax.jit
    def _component2(features: Any, multi: Any, masked_head: Any, frame_index: Any) -> tuple[Any, Any]:
        size = min(masked_head.shape[0], features.shape[0])  # static: at most this many distinct frames
        frames, local = jnp.unique(frame_index, return_inverse=True, size=size, fill_value=frame_index[0])
        shared = per_frame(features[frames], multi[frames])
        filtered = per_head(shared[local.reshape(-1)], masked_head).astype(jnp.float32)
        return filtered, single_person_heatmaps(filtered, multi[frame_index])

    def component2(features: Any, multi: Any, masked_head: np.ndarray,
                   frame_index: np.ndarray) -> tuple[Any, Any]:
        k = len(masked_head)
        if k < head_chunk:
            masked_head = np.concatenate([masked_head,
                                          np.zeros((head_chunk - k, *masked_head.shape[1:]), np.float32)])
            frame_index = np.concatenate([frame_index, np.full(head_chunk - k, frame_index[0], np.int32)])
        filtered, single = _component2(features, multi, to_device(masked_head),
                                       jnp.asarray(frame_index, jnp.int32))
        return (filtered[:k], single[:k]) if k < head_chunk else (filtered, single)

    return component1, component2
