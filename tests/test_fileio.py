"""Atomic writes (`posekit.fileio`): a failed write leaves the previous file whole and no temp file behind."""

from __future__ import annotations

import pytest

from posekit.fileio import atomic_path, atomic_write_json, atomic_write_text


def test_atomic_path_renames_on_success_and_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "sub" / "model.keras"
    with atomic_path(target, ".keras") as tmp:
        assert tmp.parent == target.parent and tmp.name.endswith(".keras") and tmp != target
        tmp.write_text("first")
    assert target.read_text() == "first"
    with pytest.raises(RuntimeError):
        with atomic_path(target, ".keras") as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer died")
    assert target.read_text() == "first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.keras"]


def test_atomic_write_text_and_json_replace_whole_files(tmp_path, monkeypatch):
    path = tmp_path / "t.json"
    atomic_write_text(path, "old")
    atomic_write_json(path, {"a": 1})
    assert path.read_text() == '{\n  "a": 1\n}\n'

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("posekit.fileio.os.replace", failing_replace)  # the rename fails after the write
    with pytest.raises(OSError):
        atomic_write_json(path, {"a": 2})
    assert path.read_text() == '{\n  "a": 1\n}\n'  # the previous file is whole
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]  # and the temp file is gone
