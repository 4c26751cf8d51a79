"""The CLI skeleton: help lists every stage; errors print one line and exit non-zero."""

from __future__ import annotations

import pytest

from posekit import cli
from posekit.errors import DataError


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("info", "synth", "model", "train", "predict", "evaluate", "gridsearch", "reproduce", "compare"):
        assert name in out


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "COMMAND" in capsys.readouterr().out


def test_posekit_error_is_one_line_and_exit_2(capsys, monkeypatch):
    import argparse

    def boom(args):
        raise DataError("some/file.json", "missing key 'annolist'", frame=3)

    parser = argparse.ArgumentParser(prog="posekit")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("demo").set_defaults(func=boom)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    code = cli.main(["demo"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == "posekit demo: error: some/file.json (frame 3): missing key 'annolist'"
