"""posekit's exceptions: one-line messages that name the file and the problem.

The CLI prints them without a traceback and exits with status 2.
"""

from __future__ import annotations


class PosekitError(Exception):
    """Base class; `str(err)` is the one-line message shown to the user."""


class DataError(PosekitError):
    """Malformed or missing input data (annotation files, images, videos, predictions)."""

    def __init__(self, path: object, problem: str, frame: object | None = None):
        self.path = str(path)
        self.problem = problem
        self.frame = frame
        where = f"{self.path}" + (f" (frame {frame})" if frame is not None else "")
        super().__init__(f"{where}: {problem}")


class ConfigError(PosekitError):
    """An invalid configuration: unknown key, wrong type, bad value or unknown profile."""


class TrainingError(PosekitError):
    """Training cannot go on (e.g. a NaN or inf loss); the last good checkpoint is kept."""
