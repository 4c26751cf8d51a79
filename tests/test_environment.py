"""The environment descriptions agree, and importing posekit stays light."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    # what `make test` / `make test-all` install: the dependencies, [dev], and [jax] for the slow tier
    makefile = (ROOT / "Makefile").read_text()
    assert "-e '.[dev]'" in makefile and "-e '.[dev,jax]'" in makefile
    wanted = ({_name(r) for r in project["dependencies"]}
              | {_name(r) for e in ("dev", "jax") for r in extras[e]})
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        else:
            names.add(_name(dep))
    names -= {"python", "pip"}
    assert names == wanted, f"only in environment.yml: {names - wanted}; only in pyproject: {wanted - names}"


def test_import_posekit_does_not_import_tensorflow():
    code = (
        "import sys, posekit, posekit.cli, posekit.config, posekit.joints, posekit.data.schema;"
        "posekit.cli.build_parser();"
        "bad=[m for m in ('tensorflow','keras','jax','torch') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"`import posekit` / the CLI parser imported {out.stdout.strip()}"


def test_ci_runs_exactly_make_test():
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [ln for ln in lines if ln and not ln.startswith("#") and not ln.startswith(("set ", "cd "))]
    assert commands == ["make test"]


def test_readme_shows_the_two_commands_first():
    head = (ROOT / "README.md").read_text().splitlines()[:40]
    text = "\n".join(head)
    assert "make reproduce" in text and "make test" in text
