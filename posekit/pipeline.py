"""`posekit reproduce`: the paper pipeline end to end, one notebook per stage, executed by papermill.

Stages (DESIGN.md "Notebooks"): 01 data and targets → 02 training → 03 threshold grid search →
04 tables → 05 visual diagnostics. The run's config is resolved once (`run_config`: the profile, the
seed folded in as `train.seed`, then the overrides) and written to `RUN/config.json`; every notebook loads
it (its `config_path` parameter). Each runs into `results/<run>/<stage>.ipynb` with the same flat
parameters (`stage_parameters`). `manifest.json` records the profile, the config, the seed, the data
fingerprint, package versions, the git commit and each stage's wall time.

Resume (not in the paper): a stage is skipped when its executed notebook exists and its *key* — a hash
of the notebook source, its parameters, the data fingerprint and the previous stage's key — equals
the key recorded in the manifest when it last finished. A changed notebook or parameter re-runs that
stage and every later one. Training is itself resumable from checkpoints (posekit.train), so an
interrupted stage 02 continues where it stopped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from posekit.backend import keras_backend
from posekit.config import Config, apply_overrides, get_profile, save_config
from posekit.errors import PosekitError
from posekit.fileio import atomic_write_json
from posekit.quiet import quiet_environment
from posekit.stages import STAGES

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"


#: Packages whose versions go into the manifest.
_PACKAGES = ("posekit", "tensorflow", "keras", "numpy", "scipy", "pandas", "opencv-python-headless",
             "papermill")


class StageError(PosekitError):
    """A notebook stage failed; the message names the notebook and the cell."""


@dataclass(frozen=True)
class RunSpec:
    """What a `reproduce` run is: its parameters decide the stage keys."""

    profile: str = "cpu"
    data: str = "synthetic"  # "synthetic" or a PoseTrack folder
    out: str | None = None  # results/<profile>-<data name> by default
    # the synthetic data's seed and the config's train.seed (weight init, augmentation, sampling)
    seed: int = 0
    overrides: tuple[str, ...] = ()

    @property
    def run_dir(self) -> Path:
        if self.out:
            return Path(self.out).resolve()  # the notebooks run with cwd=notebooks/: pass absolute paths
        name = "synthetic" if self.data == "synthetic" else Path(self.data).name
        return REPO_ROOT / "results" / f"{self.profile}-{name}"


def run_config(spec: RunSpec) -> Config:
    """The run's config, resolved once: the profile, `train.seed = spec.seed`, then the overrides (so an
    explicit `train.seed=` override wins)."""
    profile = get_profile(spec.profile)
    seeded = profile.replace(train=dataclasses.replace(profile.train, seed=int(spec.seed)))
    return apply_overrides(seeded, list(spec.overrides))


def synthetic_preset(profile: str) -> str:
    """The synthetic preset a profile trains and evaluates on: `small` for `tiny` (tests), else `default`."""
    return "small" if profile == "tiny" else "default"


def default_synthetic_dir(profile: str) -> Path:
    """Where the embedded synthetic data is generated on first use (git-ignored `data/`)."""
    return REPO_ROOT / "data" / f"synthetic-{synthetic_preset(profile)}"


def ensure_data(spec: RunSpec, log: Callable[[str], None] = print) -> tuple[Path, str]:
    """The data folder for the run and its fingerprint; generates the synthetic set when missing."""
    if spec.data != "synthetic":
        path = Path(spec.data).resolve()
        if not path.exists():
            raise PosekitError(f"{path}: data folder does not exist")
        return path, _folder_fingerprint(path)
    from posekit.data import synthetic

    preset = synthetic_preset(spec.profile)
    path = default_synthetic_dir(spec.profile)
    meta = synthetic.ensure_dataset(path, preset=preset, seed=spec.seed, log=lambda m: log(f"[data] {m}"))
    return path, meta["fingerprint"]


def _folder_fingerprint(path: Path) -> str:
    """sha256 over the names and bytes of the annotation JSON files of a PoseTrack folder."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*.json")
                   if "annotations" in p.relative_to(path).parts or p.parent == path)
    for p in files:
        h.update(str(p.relative_to(path)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def stage_parameters(spec: RunSpec, data_dir: Path) -> dict[str, Any]:
    """The flat parameters every notebook takes (its `parameters` cell has the same names; notebooks 03–05
    also take `model_dir`, left at its default, the run's own model folder)."""
    return {
        "config_path": str(spec.run_dir / "config.json"),
        "data_dir": str(data_dir),
        "run_dir": str(spec.run_dir),
        "synthetic_preset": synthetic_preset(spec.profile) if spec.data == "synthetic" else "",
    }


def stage_key(notebook: Path, params: dict[str, Any], fingerprint: str, previous_key: str,
              config: dict[str, Any] | None = None, code: str = "") -> str:
    """What decides a stage's result: its notebook, parameters, the resolved config, the data, posekit's
    code and the previous stage's key (so a change re-runs that stage and every later one)."""
    h = hashlib.sha256()
    h.update(_notebook_source(notebook).encode())
    h.update(json.dumps(params, sort_keys=True).encode())
    h.update(json.dumps(config or {}, sort_keys=True).encode())
    h.update(fingerprint.encode())
    h.update(code.encode())
    h.update(previous_key.encode())
    return h.hexdigest()[:16]


def code_fingerprint() -> str:
    """sha256 over posekit's source files (a fix in the package re-runs the stages it may change)."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for p in sorted(package.rglob("*.py")):
        h.update(str(p.relative_to(package)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _notebook_source(notebook: Path) -> str:
    """The code and markdown of a notebook, without outputs or metadata (what decides its result)."""
    nb = json.loads(notebook.read_text())
    return "\n".join("".join(c.get("source", "")) for c in nb.get("cells", []))


def package_versions() -> dict[str, str]:
    from importlib import metadata  # 25 ms of imports: not at CLI start-up (`posekit --help` parses STAGES)

    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(run_dir: Path | None = None) -> str | None:
    """The checkout's commit, with `-dirty` where tracked files differ from it. Changes inside `run_dir`
    do not count: a run folder committed in the repository (`results/cpu-synthetic`) is what the run
    rewrites, so counting it would mark every re-run of a committed run dirty."""
    status = ["git", "status", "--porcelain", "--untracked-files=no"]
    if run_dir is not None:
        try:
            inside = Path(run_dir).resolve().relative_to(REPO_ROOT)
        except ValueError:
            inside = None
        if inside is not None and inside.parts:
            status += ["--", ".", f":(exclude){inside.as_posix()}"]
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                             timeout=10)
        dirty = subprocess.run(status, cwd=REPO_ROOT, capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (res.stdout.strip() + ("-dirty" if dirty else "")) if res.returncode == 0 else None


def load_manifest(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / "manifest.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return {}


def reproduce(spec: RunSpec, stages: list[str] | None = None, force: bool = False,
              log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the notebooks in order into `spec.run_dir`; returns the manifest. Resumes finished stages."""
    config = run_config(spec)
    run_dir = spec.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(config, run_dir / "config.json")  # what every notebook loads (atomic)
    t0 = time.perf_counter()
    data_dir, fingerprint = ensure_data(spec, log)
    params = stage_parameters(spec, data_dir)
    manifest = load_manifest(run_dir)
    previous = manifest.get("stages", {})
    manifest.update({
        "profile": spec.profile,
        "data": spec.data,
        "data_dir": str(data_dir),
        "data_fingerprint": fingerprint,
        "seed": spec.seed,
        "overrides": list(spec.overrides),
        "config": config.to_dict(),
        "packages": package_versions(),
        "backend": keras_backend(),  # the notebooks' kernels inherit KERAS_BACKEND
        "git_commit": git_commit(run_dir),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "code_fingerprint": code_fingerprint(),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "stages": previous,
    })
    prev_key = ""
    code = manifest["code_fingerprint"]
    wanted = set(stages) if stages else None
    unknown = sorted(wanted - {s for s, _ in STAGES}) if wanted else []
    if unknown:
        raise PosekitError(f"unknown stage(s) {', '.join(unknown)}; "
                           f"stages: {', '.join(s for s, _ in STAGES)}")
    for i, (stem, what) in enumerate(STAGES, 1):
        nb_in = NOTEBOOK_DIR / f"{stem}.ipynb"
        nb_out = run_dir / f"{stem}.ipynb"
        key = stage_key(nb_in, params, fingerprint, prev_key, manifest["config"], code)
        prev_key = key
        done = previous.get(stem, {})
        label = f"[{i}/{len(STAGES)}] {stem}"
        if wanted is not None and stem not in wanted:
            continue
        if not force and done.get("status") == "done" and done.get("key") == key and nb_out.exists():
            log(f"{label}: up to date ({done.get('seconds', 0):.0f} s last time), skipped")
            continue
        log(f"{label}: running — {what}")
        start = time.perf_counter()
        manifest["stages"][stem] = {"status": "running", "key": key}
        atomic_write_json(run_dir / "manifest.json", manifest)
        try:
            _execute(nb_in, nb_out, params)
        except StageError:
            manifest["stages"][stem] = {"status": "failed", "key": key,
                                        "seconds": round(time.perf_counter() - start, 1)}
            atomic_write_json(run_dir / "manifest.json", manifest)
            raise
        seconds = time.perf_counter() - start
        finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
        # Earlier runs of the stage stay in `history` (a resumed training stage is quick: its first, full
        # run is the one that tells how long the stage takes).
        history = done.get("history", []) + ([{k: done[k] for k in ("seconds", "finished") if k in done}]
                                             if done.get("status") == "done" else [])
        manifest["stages"][stem] = {"status": "done", "key": key, "seconds": round(seconds, 1),
                                    "finished": finished, "history": history}
        atomic_write_json(run_dir / "manifest.json", manifest)
        log(f"{label}: done in {seconds:.0f} s")
    manifest["total_seconds_this_invocation"] = round(time.perf_counter() - t0, 1)
    atomic_write_json(run_dir / "manifest.json", manifest)
    return manifest


def _execute(nb_in: Path, nb_out: Path, params: dict[str, Any]) -> None:
    """Execute one notebook with papermill into a temp file, then rename it into place."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    tmp = nb_out.with_name(f".{nb_out.name}.running.ipynb")
    env_backup = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env_backup if env_backup else "")
    quiet_environment()  # the kernels inherit TF_CPP_MIN_LOG_LEVEL=1 (TensorFlow's INFO lines off)
    try:
        # The kernel's own log (IPKernelApp's TCP-transport notice, a KeyboardInterrupt at shutdown) stays
        # off the console; a failing cell still raises below.
        pm.execute_notebook(str(nb_in), str(tmp), parameters=params, kernel_name="python3",
                            progress_bar=False, cwd=str(NOTEBOOK_DIR), log_output=False,
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except PapermillExecutionError as err:
        failed = nb_out.with_name(f"{nb_out.stem}.failed.ipynb")
        if tmp.exists():
            os.replace(tmp, failed)
        line = str(err.evalue).strip().splitlines()[0] if str(err.evalue).strip() else ""
        raise StageError(f"{nb_in.name}: cell {err.exec_count} failed: {err.ename}: {line} "
                         f"(executed copy: {failed})") from None
    except Exception as err:  # kernel died, notebook missing, ...
        if tmp.exists():
            tmp.unlink()
        raise StageError(f"{nb_in.name}: could not be executed: {type(err).__name__}: {err}") from None
    finally:
        if env_backup is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = env_backup
    os.replace(tmp, nb_out)
    stale = nb_out.with_name(f"{nb_out.stem}.failed.ipynb")
    if stale.exists():
        stale.unlink()

