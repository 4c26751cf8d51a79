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
    for name in ("info", "synth", "model", "train", "predict", "evaluate", "gridsearch", "reproduce",
                 "compare"):
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


def test_startup_noise_is_dropped_and_real_lines_kept(capfd):
    import os

    from posekit.quiet import filtered_stderr

    with filtered_stderr():
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to "
                    b"STDERR\n"
                    b"I0000 00:00:1.0  1 cudart_stub.cc:31] Could not find cuda drivers on your machine.\n"
                    b"E0000 00:00:1.0  1 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n"
                    b"W0000 00:00:1.0  1 some_op.cc:7] a real warning\n")
    err = capfd.readouterr().err
    assert err == "W0000 00:00:1.0  1 some_op.cc:7] a real warning\n"


def test_a_tensorflow_command_prints_no_startup_noise():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "posekit", "model", "--profile", "tiny"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0 and "component1" in out.stdout
    assert out.stderr == "", out.stderr
