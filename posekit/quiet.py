"""TensorFlow without its start-up chatter: every CLI command and notebook kernel imports it through here.

Importing TensorFlow 2.x on a machine without a GPU writes a dozen log lines from C++ straight to file
descriptor 2 before any setting can stop them (absl's "All log messages before absl::InitializeLog()",
oneDNN's notice, the CUDA stub, `cpu_feature_guard`, and `cuInit` failing when the devices are listed).
`TF_CPP_MIN_LOG_LEVEL` silences only the later ones. `import_tensorflow` imports TensorFlow and lists its
devices with descriptor 2 captured, drops exactly the lines that match `STARTUP_NOISE`, and writes every
other captured line back to stderr — so a real warning at start-up still shows. After start-up,
`TF_CPP_MIN_LOG_LEVEL=1` (set unless the user set it) hides TensorFlow's INFO lines, not its warnings.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

#: The start-up lines dropped (each is informational on a CPU-only machine, or a duplicate-registration
#: notice of the CUDA plugins on a GPU machine).
STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|port\.cc:\d+\] oneDNN custom operations are on"
    r"|cudart_stub\.cc:\d+\]"
    r"|cpu_feature_guard\.cc:\d+\]"
    r"|^To enable the following instructions: .*rebuild TensorFlow"
    r"|cuda_platform\.cc:\d+\] failed call to cuInit"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered"
)


def quiet_environment(env: dict[str, str] | os._Environ[str] | None = None) -> dict[str, str] | Any:
    """Set `TF_CPP_MIN_LOG_LEVEL=1` (TensorFlow's INFO lines off, warnings on) in `env` unless already set.

    env: a mapping to change (default `os.environ`, so this process and its children, e.g. notebook
    kernels, inherit it). Returns `env`.
    """
    env = os.environ if env is None else env
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    return env


@contextlib.contextmanager
def filtered_stderr(noise: re.Pattern[str] = STARTUP_NOISE) -> Iterator[None]:
    """Capture file descriptor 2 (C++ logging included) and write back only the lines not matching `noise`."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            kept = "".join(line for line in text.splitlines(keepends=True) if not noise.search(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def import_tensorflow() -> Any:
    """The `tensorflow` module, imported (and its devices listed) without the start-up lines; idempotent."""
    quiet_environment()
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with filtered_stderr():
        import tensorflow as tf

        tf.config.list_physical_devices()  # cuInit happens here, inside the filter
    return tf
