"""Reading frames: one function for every stage (training batches, inference, drawing, notebooks)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from posekit.errors import DataError


def read_image(path: str | Path, frame: int | None = None) -> np.ndarray:
    """(H, W, 3) uint8 RGB image read from `path`; DataError naming the file (and `frame`) when the file is
    missing, unreadable or not a decodable image."""
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)  # also for non-ASCII paths, which cv2.imread mishandles
    except FileNotFoundError:
        raise DataError(path, "image file not found", frame=frame) from None
    except OSError as err:
        raise DataError(path, f"cannot read image ({err.strerror or err})", frame=frame) from None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise DataError(path, "cannot decode image (not a JPEG/PNG or truncated)", frame=frame)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
