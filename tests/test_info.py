"""`posekit info`: the summary printed for PoseTrack folders, folders of JSON files and single files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from posekit.cli import main

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def _row(out: str, label: str) -> str:
    """The value column of the summary row `label`."""
    match = re.search(rf"^{re.escape(label)}\s{{2,}}(.+)$", out, re.MULTILINE)
    assert match, f"no row {label!r} in:\n{out}"
    return match.group(1).strip()


def _joint_count(out: str, joint: str) -> int:
    match = re.search(rf"^{joint}\s+(\d+)$", out, re.MULTILINE)
    assert match, f"no joint row {joint!r} in:\n{out}"
    return int(match.group(1))


@pytest.mark.parametrize(
    "target",
    [
        DATA / "posetrack18",  # PoseTrack layout, split "all"
        DATA / "posetrack17",  # a folder of JSON files
        DATA / "posetrack17" / "000042_bonn_test.json",  # one file
    ],
    ids=["posetrack-folder", "json-folder", "one-file"],
)
def test_info_hand_fixture(capsys, target):
    assert main(["info", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(str(target))
    assert _row(out, "sequences").startswith("1")
    assert _row(out, "frames") == "3"
    assert _row(out, "labelled frames") == "2"
    assert _row(out, "persons").startswith("4")
    assert _row(out, "tracks") == "2"
    # 15 + 13 + 15 + 14 joints; one occluded: 1 / 57 = 1.8 %
    assert _row(out, "joints annotated") == "57"
    assert _row(out, "occluded joints") == "1  (1.8%)"
    assert _row(out, "frames with ignore regions") == "1"
    assert _joint_count(out, "right_ankle") == 3 and _joint_count(out, "head_top") == 3
    assert _joint_count(out, "nose") == 4


def test_info_split_val(capsys):
    assert main(["info", str(DATA / "posetrack18"), "--split", "val"]) == 0
    assert "split val" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, problem",
    [
        (["--split", "train"], "no annotations/train/ folder (splits found: val)"),
    ],
)
def test_info_missing_split_exits_2(capsys, args, problem):
    assert main(["info", str(DATA / "posetrack18"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"posekit info: error: {DATA / 'posetrack18'}: {problem}"


def test_info_bad_inputs_exit_2_with_one_line(capsys, tmp_path):
    assert main(["info", str(tmp_path / "nothing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"annolist": [{"annorect": []}]}')
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{bad} (frame 0): frame has no image name" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["info", str(empty)]) == 2
    assert "neither an annotations/<split>/ folder nor *.json files" in capsys.readouterr().err


def test_info_real_posetrack18(capsys):
    root = SHARED / "posetrack18"
    if not (root / "annotations" / "val").is_dir():
        pytest.skip(f"real PoseTrack fixtures not available: {root} is absent (../shared is not checked out)")
    files = sorted((root / "annotations" / "val").glob("*.json"))
    persons = joints = neck = 0
    frames = 0
    for f in files:  # counted independently, straight from the JSON
        data = json.loads(f.read_text())
        names = data["categories"][0]["keypoints"]
        frames += len(data["images"])
        persons += len(data["annotations"])
        for ann in data["annotations"]:
            kp = ann["keypoints"]
            for k, name in enumerate(names):
                if name.endswith("_ear") or kp[3 * k : 3 * k + 3] == [0, 0, 0]:
                    continue
                joints += 1
                neck += name == "head_bottom"
    assert main(["info", str(root), "--split", "val"]) == 0
    out = capsys.readouterr().out
    assert _row(out, "sequences").startswith(str(len(files)))
    assert _row(out, "frames") == str(frames)
    assert _row(out, "persons").startswith(str(persons))
    assert _row(out, "joints annotated") == str(joints)
    assert _joint_count(out, "neck") == neck
    assert _row(out, "image size") == "1920 x 1080"  # the first frame, read with OpenCV


def test_info_real_posetrack17(capsys):
    path = SHARED / "posetrack17" / "012834_mpii_test_as_posetrack17.json"
    if not path.is_file():
        pytest.skip(f"real PoseTrack fixtures not available: {path} is absent (../shared is not checked out)")
    data = json.loads(path.read_text())
    rects = [r for frame in data["annolist"] for r in frame["annorect"]]
    points = sum(len(r["annopoints"][0]["point"]) for r in rects)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert _row(out, "persons").startswith(str(len(rects)))
    assert _row(out, "joints annotated") == str(points)
    assert _row(out, "tracks") == str(len({r["track_id"][0] for r in rects}))
