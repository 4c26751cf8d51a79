"""Which Keras backend posekit runs on (TensorFlow by default, JAX with `KERAS_BACKEND=jax`), told without
importing Keras, so the CLI and `posekit reproduce` can say it (and skip TensorFlow under JAX)."""

from __future__ import annotations

import json
import os
from pathlib import Path


def keras_backend() -> str:
    """Keras' own rule: `KERAS_BACKEND` if set, else the "backend" of `$KERAS_HOME/keras.json` (default
    `~/.keras/keras.json`), else "tensorflow"."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    try:
        return str(json.loads((home / "keras.json").read_text()).get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def describe() -> str:
    """`tensorflow` or `jax`, with the devices Keras computes on when the backend is already imported
    (e.g. `jax (1 × cuda)`)."""
    name = keras_backend()
    if name == "jax":
        import sys

        if "jax" in sys.modules:
            import jax

            devices = jax.devices()
            return f"jax ({len(devices)} × {devices[0].platform})"
    return name
