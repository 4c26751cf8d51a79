"""PoseTrack 2017/2018 reading, writing, round trips, validation and the dataset summary.

The two hand-written fixtures under tests/data/ describe the same 3-frame video `000042_bonn_test`:
frame 0 labelled with persons A (track 0, all 15 joints, left_knee occluded) and B (track 1, both ankles
missing); frame 1 labelled with B then A (A's head_top missing) and one ignore region; frame 2 unlabelled.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from posekit.data.posetrack import (
    dataset_summary,
    detect_format,
    format_summary,
    read_folder,
    read_sequence,
    read_split,
    sequence_from_json,
    sequence_to_json,
    write_folder,
    write_sequence,
)
from posekit.data.schema import Frame, Person, Sequence, empty_joints
from posekit.errors import DataError
from posekit.joints import JOINT_INDEX, POSETRACK18_KEYPOINTS

DATA = Path(__file__).resolve().parent / "data"
FIX17 = DATA / "posetrack17" / "000042_bonn_test.json"
FIX18_ROOT = DATA / "posetrack18"
FIX18 = FIX18_ROOT / "annotations" / "val" / "000042_bonn_test.json"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"

J = JOINT_INDEX


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


# ---- readers on the hand-written fixtures ----------------------------------------------------------


@pytest.mark.parametrize("path", [FIX17, FIX18], ids=["2017", "2018"])
def test_reader_hand_written_fixture(path):
    seq = read_sequence(path)
    assert seq.name == "000042_bonn_test"
    assert seq.source == path
    assert [f.image for f in seq.frames] == [f"images/val/000042_bonn_test/{i:06d}.jpg" for i in range(3)]
    assert [f.is_labeled for f in seq.frames] == [True, True, False]
    assert [[p.track_id for p in f.persons] for f in seq.frames] == [[0, 1], [1, 0], []]
    a0, b0 = seq.frames[0].persons
    # person A, frame 0: all 15 joints; left_knee (128, 250) annotated but occluded
    assert a0.annotated.all()
    np.testing.assert_array_equal(a0.joints[J["left_knee"]], [128, 250, 0])
    np.testing.assert_array_equal(a0.joints[J["right_ankle"]], [100, 300, 1])
    np.testing.assert_array_equal(a0.joints[J["head_top"]], [115, 90, 1])
    np.testing.assert_array_equal(a0.head_box, [100, 88, 130, 128])
    # person B, frame 0: ankles missing -> NaN rows; nose has fractional coordinates
    assert not b0.annotated[J["right_ankle"]] and not b0.annotated[J["left_ankle"]]
    assert np.isnan(b0.joints[J["left_ankle"]]).all()
    assert b0.annotated.sum() == 13
    np.testing.assert_array_equal(b0.joints[J["nose"]], [415.5, 110.25, 1])
    np.testing.assert_array_equal(b0.head_box, [400, 88, 430.5, 128])  # 2018: [400, 88, 30.5, 40]
    # frame 1: person A (second) has no head_top; one ignore region
    a1 = seq.frames[1].persons[1]
    assert a1.annotated.sum() == 14 and not a1.annotated[J["head_top"]]
    assert len(seq.frames[1].ignore_regions) == 1
    np.testing.assert_array_equal(
        seq.frames[1].ignore_regions[0], [[550, 0], [640, 0], [640, 100], [550, 100]]
    )
    assert seq.frames[0].ignore_regions == [] and seq.frames[2].ignore_regions == []
    # ground truth carries no scores
    assert all(p.scores is None and p.score is None for f in seq.frames for p in f.persons)


def test_reader_2018_specifics():
    seq = read_sequence(FIX18)
    assert seq.format == "2018" and seq.vid_id == "000042"
    assert seq.root == FIX18_ROOT  # <root>/annotations/<split>/<name>.json -> <root>
    assert [f.frame_id for f in seq.frames] == [20000420000, 20000420001, 20000420002]
    assert seq.image_path(0) == FIX18_ROOT / "images/val/000042_bonn_test/000000.jpg"


def test_reader_2017_specifics():
    seq = read_sequence(FIX17)
    assert seq.format == "2017" and seq.vid_id is None
    assert seq.root == FIX17.parent  # not in an annotations/<split>/ folder -> the file's folder
    assert [f.frame_id for f in seq.frames] == [None, None, None]


def test_both_formats_describe_the_same_video():
    s17, s18 = read_sequence(FIX17), read_sequence(FIX18)
    for f17, f18 in zip(s17.frames, s18.frames, strict=True):
        f18.frame_id = None  # the only field 2017 does not have
        assert f17 == f18


def test_2018_absent_only_when_x_y_v_all_zero():
    data = _load(FIX18)
    kps = data["annotations"][0]["keypoints"]
    kps[0:3] = [0, 0, 1]  # nose at the origin, visible: present
    kps[6:9] = [5, 0, 0]  # head_top at (5, 0), v=0: present and occluded
    kps[9:12] = [7, 8, 1]  # left_ear annotated: dropped (no 2017 joint)
    person = sequence_from_json(data).frames[0].persons[0]
    np.testing.assert_array_equal(person.joints[J["nose"]], [0, 0, 1])
    np.testing.assert_array_equal(person.joints[J["head_top"]], [5, 0, 0])
    assert person.annotated.sum() == 15


def test_2018_keypoints_are_mapped_by_name():
    """A file whose categories list the keypoints in another order (or only 15) gives the same joints."""
    data = _load(FIX18)
    expected = sequence_from_json(data)
    names = list(POSETRACK18_KEYPOINTS)
    order = list(reversed(range(17)))
    permuted = copy.deepcopy(data)
    permuted["categories"][0]["keypoints"] = [names[k] for k in order]
    for ann in permuted["annotations"]:
        ann["keypoints"] = [v for k in order for v in ann["keypoints"][3 * k : 3 * k + 3]]
    assert sequence_from_json(permuted) == expected
    # 15 names (no ears), 2017 spelling of the neck
    keep = [k for k in range(17) if not names[k].endswith("_ear")]
    fifteen = copy.deepcopy(data)
    fifteen["categories"][0]["keypoints"] = ["neck" if names[k] == "head_bottom" else names[k] for k in keep]
    for ann in fifteen["annotations"]:
        ann["keypoints"] = [v for k in keep for v in ann["keypoints"][3 * k : 3 * k + 3]]
    assert sequence_from_json(fifteen) == expected


def test_2017_bare_scalars_and_defaults():
    """Bare scalars are accepted like 1-element lists; is_visible and is_labeled default to 1."""
    data = {
        "annolist": [
            {
                "image": {"name": "a/0.jpg"},
                "annorect": [
                    {
                        "x1": 1,
                        "y1": 2,
                        "x2": 3,
                        "y2": 4,
                        "track_id": 7,
                        "annopoints": [{"point": [{"id": 3, "x": 5, "y": 6}]}],
                    },
                    {"track_id": [8]},  # no annopoints: a person without joints
                ],
            }
        ]
    }
    frame = sequence_from_json(data).frames[0]
    assert frame.is_labeled
    p, q = frame.persons
    np.testing.assert_array_equal(p.joints[3], [5, 6, 1])
    assert p.track_id == 7 and q.track_id == 8 and not q.annotated.any() and q.head_box is None


def test_2017_duplicate_point_id_first_wins():
    """As the official getPointGTbyID: the first point with an id is the joint."""
    data = _load(FIX17)
    points = data["annolist"][0]["annorect"][0]["annopoints"][0]["point"]
    points.append({"id": [13], "x": [1], "y": [2], "is_visible": [1]})  # a second nose
    person = sequence_from_json(data).frames[0].persons[0]
    np.testing.assert_array_equal(person.joints[J["nose"]], [115, 110, 1])


def test_detect_format():
    assert detect_format({"annolist": []}) == "2017"
    assert detect_format({"images": [], "annotations": []}) == "2018"
    with pytest.raises(DataError, match="annolist"):
        detect_format({"foo": 1})


# ---- round trips --------------------------------------------------------------------------------------


def _with_predictions(seq: Sequence) -> Sequence:
    """Turn GT into predictions: per-joint scores (0.01 * joint id + 0.5), a person score, an extra frame."""
    for f in seq.frames:
        for k, p in enumerate(f.persons):
            p.scores = np.where(p.annotated, 0.5 + 0.01 * np.arange(15), np.nan)
            p.score = 0.9 - 0.1 * k
            p.head_box = None if k == 1 else p.head_box
    joints = empty_joints()
    joints[J["nose"]] = (300.25, 40.5, 1)
    seq.frames[2].persons.append(
        Person(joints=joints, track_id=5, scores=np.where(~np.isnan(joints[:, 0]), 0.3, np.nan), score=0.3)
    )
    return seq


@pytest.mark.parametrize("fmt", ["2017", "2018"])
@pytest.mark.parametrize("kind", ["gt", "predictions"])
def test_round_trip_same_format(tmp_path, fmt, kind):
    seq = read_sequence(FIX17 if fmt == "2017" else FIX18)
    if kind == "predictions":
        seq = _with_predictions(seq)
    out = tmp_path / f"{seq.name}.json"
    write_sequence(seq, out)
    back = read_sequence(out)
    assert back.format == fmt
    assert back == seq
    for f_back, f in zip(back.frames, seq.frames, strict=True):
        for p_back, p in zip(f_back.persons, f.persons, strict=True):
            assert (p_back.scores is None) == (p.scores is None)


@pytest.mark.parametrize("kind", ["gt", "predictions"])
def test_round_trip_cross_format(tmp_path, kind):
    s17 = read_sequence(FIX17)
    if kind == "predictions":
        s17 = _with_predictions(s17)
    write_sequence(s17, tmp_path / "a" / "000042_bonn_test.json", format="2018")
    s18 = read_sequence(tmp_path / "a" / "000042_bonn_test.json")
    assert s18.format == "2018"
    write_sequence(s18, tmp_path / "b" / "000042_bonn_test.json", format="2017")
    assert read_sequence(tmp_path / "b" / "000042_bonn_test.json") == s17
    # 2017 -> 2018 regenerates the PoseTrack image ids of the hand-written 2018 file:
    # bonn=2, 2 * 10**10 + 42 * 10**4 + frame number
    if kind == "gt":
        assert s18 == read_sequence(FIX18)


def test_written_2018_layout(tmp_path):
    seq = _with_predictions(read_sequence(FIX17))
    seq.frames[0].persons[0].scores[J["left_knee"]] = np.nan  # present joint without a score
    data = sequence_to_json(seq, "2018")
    json.dumps(data, allow_nan=False)  # plain JSON: no NaN anywhere
    assert [c["keypoints"] for c in data["categories"]] == [list(POSETRACK18_KEYPOINTS)]
    img = data["images"][1]
    assert img["id"] == img["frame_id"] == 20000420001 and img["vid_id"] == "000042" and img["nframes"] == 3
    assert img["ignore_regions_x"] == [[550, 640, 640, 550]] and img["ignore_regions_y"] == [[0, 0, 100, 100]]
    assert data["images"][2]["is_labeled"] is False
    ann = data["annotations"][0]
    assert ann["id"] == 2000042000000 and ann["image_id"] == 20000420000 and ann["track_id"] == 0
    assert len(ann["keypoints"]) == 51 and ann["keypoints"][9:15] == [0, 0, 0, 0, 0, 0]  # the ears
    assert ann["keypoints"][39:42] == [128, 250, 0]  # left_knee (index 13), occluded
    assert ann["bbox_head"] == [100, 88, 30, 40]
    assert ann["bbox"] == [90, 90, 50, 210]  # joints span x 90..140, y 90..300
    assert len(ann["scores"]) == 17 and ann["scores"][3] == ann["scores"][4] == 0.0
    assert ann["scores"][13] == 0.0  # NaN score of a present joint -> 0
    assert ann["scores"][0] == pytest.approx(0.5 + 0.01 * J["nose"])
    assert ann["score"] == pytest.approx(0.9)
    b = data["annotations"][1]
    assert "bbox_head" not in b and b["keypoints"][45:51] == [0, 0, 0, 0, 0, 0]  # B: no ankles
    assert b["scores"][15] == 0.0 and b["scores"][16] == 0.0


def test_written_2017_layout():
    seq = _with_predictions(read_sequence(FIX18))
    seq.frames[0].persons[0].scores[J["left_knee"]] = np.nan
    data = sequence_to_json(seq, "2017")
    json.dumps(data, allow_nan=False)
    frame = data["annolist"][0]
    assert frame["image"] == [{"name": "images/val/000042_bonn_test/000000.jpg"}] and frame["is_labeled"] == [
        1
    ]
    rect = frame["annorect"][0]
    assert rect["x1"] == [100] and rect["y2"] == [128] and rect["track_id"] == [0] and rect["score"] == [0.9]
    points = {p["id"][0]: p for p in rect["annopoints"][0]["point"]}
    assert sorted(points) == list(range(15))
    assert points[J["left_knee"]]["is_visible"] == [0] and "score" not in points[J["left_knee"]]
    assert points[J["nose"]]["score"] == [pytest.approx(0.5 + 0.01 * J["nose"])]
    assert data["annolist"][1]["ignore_regions"][0]["point"][2] == {"x": [640], "y": [100]}
    assert data["annolist"][2]["is_labeled"] == [0]


def test_write_is_deterministic_and_keeps_empty_frames(tmp_path):
    seq = read_sequence(FIX18)
    for f in seq.frames:
        f.persons = []  # a prediction file with no detections at all
    write_sequence(seq, tmp_path / "x.json")
    write_sequence(seq, tmp_path / "y.json")
    assert (tmp_path / "x.json").read_bytes() == (tmp_path / "y.json").read_bytes()
    back = read_sequence(tmp_path / "x.json")
    assert len(back.frames) == 3 and all(f.persons == [] for f in back.frames)


def test_image_ids_without_own_ids():
    frames = [Frame(image=f"v/{n:06d}.jpg") for n in (5, 6)]
    ids = [i["id"] for i in sequence_to_json(Sequence("clip", frames), "2018")["images"]]
    assert ids == [0, 1]  # no PoseTrack name: the frame index
    ids = [i["id"] for i in sequence_to_json(Sequence("000007_mpiinew_test", frames), "2018")["images"]]
    assert ids == [30000070005, 30000070006]  # mpiinew=3: 3 * 10**10 + 7 * 10**4 + 5


def test_write_folder(tmp_path):
    seqs = [read_sequence(FIX18), read_sequence(FIX17)]
    seqs[1].name = "other"
    paths = write_folder(seqs, tmp_path / "out", format="2017")
    assert paths == [tmp_path / "out" / "000042_bonn_test.json", tmp_path / "out" / "other.json"]
    assert all("annolist" in _load(p) for p in paths)
    assert [s.name for s in read_folder(tmp_path / "out")] == ["000042_bonn_test", "other"]


# ---- folders and splits ----------------------------------------------------------------------------------


def test_read_split_posetrack_layout():
    (seq,) = read_split(FIX18_ROOT, "val")
    assert seq.root == FIX18_ROOT and seq.name == "000042_bonn_test"
    assert read_split(FIX18_ROOT, "all") == [seq]
    with pytest.raises(DataError, match=r"no annotations/train/ folder \(splits found: val\)"):
        read_split(FIX18_ROOT, "train")


def test_read_split_plain_folder_and_errors(tmp_path):
    assert [s.name for s in read_split(FIX17.parent, "val")] == ["000042_bonn_test"]
    with pytest.raises(DataError, match="no such folder"):
        read_split(tmp_path / "nope", "val")
    with pytest.raises(DataError, match="no \\*.json"):
        read_folder(tmp_path)
    with pytest.raises(DataError, match="neither"):
        read_split(tmp_path, "val")


def test_read_folder_is_sorted(tmp_path):
    for name in ("b", "a", "c"):
        write_sequence(read_sequence(FIX17), tmp_path / f"{name}.json")
    assert [s.name for s in read_folder(tmp_path)] == ["a", "b", "c"]


# ---- malformed input: DataError naming the file, the frame and the problem -------------------------


def _mut17(fn):
    data = _load(FIX17)
    fn(data)
    return data


def _mut18(fn):
    data = _load(FIX18)
    fn(data)
    return data


def _point(data, frame, rect, k):
    return data["annolist"][frame]["annorect"][rect]["annopoints"][0]["point"][k]


F0 = "0 'images/val/000042_bonn_test/000000.jpg'"
F1 = "1 'images/val/000042_bonn_test/000001.jpg'"
MALFORMED = {
    # 2017
    "17-no-annolist": ({"annolist_": []}, None, "missing key 'annolist'"),
    "17-no-annorect": (_mut17(lambda d: d["annolist"][1].pop("annorect")), F1, "missing key 'annorect'"),
    "17-no-image-name": (_mut17(lambda d: d["annolist"][1].pop("image")), 1, "no image name"),
    "17-empty-image-name": (
        _mut17(lambda d: d["annolist"][0]["image"][0].update(name="")),
        0,
        "no image name",
    ),
    "17-point-id-out-of-range": (
        _mut17(lambda d: _point(d, 0, 1, 0).update(id=[15])),
        F0,
        "joint id 15 is outside 0..14",
    ),
    "17-point-no-x": (
        _mut17(lambda d: _point(d, 0, 0, 2).pop("x")),
        F0,
        "point 2 (head_top): missing key 'x'",
    ),
    "17-point-no-id": (_mut17(lambda d: _point(d, 0, 0, 2).pop("id")), F0, "point 2: missing key 'id'"),
    "17-non-numeric-x": (
        _mut17(lambda d: _point(d, 1, 0, 0).update(x=["abc"])),
        F1,
        "x is not a finite number: 'abc'",
    ),
    "17-null-y": (
        _mut17(lambda d: _point(d, 1, 0, 0).update(y=[None])),
        F1,
        "y is not a finite number: None",
    ),
    "17-negative-head-width": (
        _mut17(lambda d: d["annolist"][0]["annorect"][1].update(x2=[390])),
        F0,
        "negative size",
    ),
    "17-incomplete-head-box": (
        _mut17(lambda d: d["annolist"][0]["annorect"][0].pop("y2")),
        F0,
        "incomplete (missing y2)",
    ),
    "17-duplicate-track-id": (
        _mut17(lambda d: d["annolist"][1]["annorect"][1].update(track_id=[1])),
        F1,
        "duplicate track_id 1",
    ),
    "17-fractional-track-id": (
        _mut17(lambda d: d["annolist"][0]["annorect"][0].update(track_id=[0.5])),
        F0,
        "track_id is not an integer",
    ),
    "17-region-no-point": (
        _mut17(lambda d: d["annolist"][1]["ignore_regions"][0].pop("point")),
        F1,
        "ignore region 0: missing key 'point'",
    ),
    "17-scalar-list-of-two": (
        _mut17(lambda d: _point(d, 0, 0, 0).update(x=[1, 2])),
        F0,
        "x must be a 1-element list",
    ),
    "17-bad-is-visible": (
        _mut17(lambda d: _point(d, 0, 0, 0).update(is_visible=["maybe"])),
        F0,
        "is_visible is not a flag",
    ),
    # 2018
    "18-no-images": (_mut18(lambda d: d.pop("images")), None, "missing key 'images'"),
    "18-no-annotations": (_mut18(lambda d: d.pop("annotations")), None, "missing key 'annotations'"),
    "18-no-categories": (_mut18(lambda d: d.pop("categories")), None, "missing key 'categories'"),
    "18-keypoint-count": (
        _mut18(lambda d: d["annotations"][2]["keypoints"].pop()),
        F1,
        "'keypoints' has 50 values, expected 51",
    ),
    "18-category-names-count": (
        _mut18(lambda d: d["categories"][0]["keypoints"].pop()),
        None,
        "16 keypoint names",
    ),
    "18-unknown-joint-name": (
        _mut18(lambda d: d["categories"][0]["keypoints"].__setitem__(0, "snout")),
        None,
        "unknown joint name 'snout'",
    ),
    "18-duplicate-joint-name": (
        _mut18(lambda d: d["categories"][0]["keypoints"].__setitem__(2, "nose")),
        None,
        "occurs twice",
    ),
    "18-no-file-name": (_mut18(lambda d: d["images"][1].pop("file_name")), 1, "no image name"),
    "18-no-image-id": (
        _mut18(lambda d: [d["images"][1].pop(k) for k in ("id", "frame_id")]),
        F1,
        "missing key 'frame_id'",
    ),
    "18-duplicate-image-id": (
        _mut18(lambda d: d["images"][2].update(id=20000420000)),
        "2 'images/val/000042_bonn_test/000002.jpg'",
        "occurs twice",
    ),
    "18-unknown-image-id": (
        _mut18(lambda d: d["annotations"][3].update(image_id=123)),
        None,
        "annotation 3: image_id 123 is not an id in 'images'",
    ),
    "18-no-keypoints": (
        _mut18(lambda d: d["annotations"][0].pop("keypoints")),
        F0,
        "annotation 0: missing key 'keypoints'",
    ),
    "18-negative-head-height": (
        _mut18(lambda d: d["annotations"][1].update(bbox_head=[400, 88, 30, -1])),
        F0,
        "negative size",
    ),
    "18-head-box-length": (
        _mut18(lambda d: d["annotations"][1].update(bbox_head=[400, 88, 30])),
        F0,
        "'bbox_head' has 3 values",
    ),
    "18-duplicate-track-id": (
        _mut18(lambda d: d["annotations"][1].update(track_id=0)),
        F0,
        "duplicate track_id 0",
    ),
    "18-non-numeric-keypoint": (
        _mut18(lambda d: d["annotations"][0]["keypoints"].__setitem__(1, "y")),
        F0,
        "keypoint 0 (nose) y is not a finite number",
    ),
    "18-scores-length": (
        _mut18(lambda d: d["annotations"][0].update(scores=[0.5] * 5)),
        F0,
        "'scores' has 5 values, expected 17",
    ),
    "18-region-mismatch": (
        _mut18(lambda d: d["images"][1].update(ignore_regions_y=[])),
        F1,
        "ignore_regions_x has 1 regions but ignore_regions_y has 0",
    ),
    "18-region-point-count": (
        _mut18(lambda d: d["images"][1]["ignore_regions_y"][0].pop()),
        F1,
        "has 4 x but 3 y",
    ),
    "18-annotation-not-object": (
        _mut18(lambda d: d["annotations"].__setitem__(0, [1, 2])),
        None,
        "annotation 0: expected a JSON object",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_input_raises_data_error(tmp_path, case):
    data, frame, problem = MALFORMED[case]
    path = tmp_path / f"{case}.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError) as exc:
        read_sequence(path)
    message = str(exc.value)
    assert message.startswith(str(path)), message
    assert problem in message, message
    assert exc.value.frame == frame, message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"annolist": [', "bad JSON"),
        ("[1, 2]", "expected a JSON object at the top level, got list"),
        ("\xff\xfe", "cannot read"),
    ],
)
def test_unparseable_files(tmp_path, text, problem):
    path = tmp_path / "bad.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(DataError, match=problem) as exc:
        read_sequence(path)
    assert str(path) in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_sequence(tmp_path / "missing.json")


def test_folder_error_names_the_bad_file(tmp_path):
    write_sequence(read_sequence(FIX17), tmp_path / "good.json")
    (tmp_path / "zbad.json").write_text('{"images": []}')
    with pytest.raises(DataError, match="zbad.json: missing key 'annotations'"):
        read_folder(tmp_path)


# ---- summary ------------------------------------------------------------------------------------


def test_dataset_summary_hand_fixture(tmp_path):
    import cv2

    seq = read_sequence(FIX17)
    seq.root = tmp_path
    image = tmp_path / seq.frames[0].image
    image.parent.mkdir(parents=True)
    cv2.imwrite(str(image), np.zeros((36, 64, 3), np.uint8))
    s = dataset_summary([seq])
    assert (s["sequences"], s["frames"], s["labeled_frames"], s["persons"]) == (1, 3, 2, 4)
    assert s["persons_per_labeled_frame"] == {"mean": 2.0, "min": 2, "max": 2}
    assert s["tracks"] == {"total": 2, "per_sequence": {"mean": 2.0, "min": 2, "max": 2}}
    # joints: A0 15 + B0 13 + B1 15 + A1 14 = 57; one occluded (A0 left_knee)
    assert s["joints_annotated"] == 57 and s["occluded_joints"] == 1
    assert s["occlusion_rate"] == pytest.approx(1 / 57)
    # ankles: A0, B1, A1 = 3; head_top: A0, B0, B1 = 3; every other joint 4
    counts = s["joints_per_type"]
    assert counts["right_ankle"] == counts["left_ankle"] == counts["head_top"] == 3
    assert sum(counts.values()) == 57 and counts["nose"] == 4
    assert s["frames_with_ignore_regions"] == 1
    assert s["image_size"] == [64, 36]
    text = format_summary(s)
    assert "64 x 36" in text and "1.8%" in text  # 1 / 57 = 1.75 %
    json.dumps(s, allow_nan=False)


def test_dataset_summary_empty_and_no_image():
    s = dataset_summary([Sequence("empty", [Frame(image="nowhere.jpg", is_labeled=False)])])
    assert s["labeled_frames"] == 0 and s["occlusion_rate"] is None and s["image_size"] is None
    assert "unknown" in format_summary(s)


# ---- the real PoseTrack files under ../shared/fixtures -------------------------------------------------


def _shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real PoseTrack fixtures not available: {path} is absent (../shared is not checked out)")
    return path


def _count_2018(path: Path) -> tuple[int, int]:
    """(persons, annotated non-ear keypoints) counted straight from the JSON."""
    data = _load(path)
    names = data["categories"][0]["keypoints"]
    joints = 0
    for ann in data["annotations"]:
        kp = ann["keypoints"]
        for k, name in enumerate(names):
            if not name.endswith("_ear") and not (
                kp[3 * k] == 0 and kp[3 * k + 1] == 0 and kp[3 * k + 2] == 0
            ):
                joints += 1
    return len(data["annotations"]), joints


def test_real_posetrack18_files_load():
    folder = _shared("posetrack18", "annotations", "val")
    seqs = read_split(folder.parent.parent, "val")
    assert [s.name for s in seqs] == sorted(p.stem for p in folder.glob("*.json"))
    for seq in seqs:
        persons, joints = _count_2018(seq.source)
        assert sum(len(f.persons) for f in seq.frames) == persons
        assert sum(int(p.annotated.sum()) for f in seq.frames for p in f.persons) == joints
        assert all(p.head_box is not None and p.scores is None for f in seq.frames for p in f.persons)
        assert seq.image_path(0).is_file()  # root inferred from annotations/val/
        assert all(f.ignore_regions for f in seq.frames)


def test_real_posetrack17_matches_posetrack18_frame():
    """The 2017 fixture is 012834_mpii_test converted to annolist: same persons, joints, regions."""
    s17 = read_sequence(_shared("posetrack17", "012834_mpii_test_as_posetrack17.json"))
    s18 = read_sequence(_shared("posetrack18", "annotations", "val", "012834_mpii_test.json"))
    assert len(s17.frames) == len(s18.frames) == 1
    f17, f18 = s17.frames[0], s18.frames[0]
    assert len(f17.persons) == 11
    assert f17.persons == f18.persons
    f18.frame_id = None
    assert f17 == f18


def test_real_files_round_trip(tmp_path):
    for path in sorted(_shared("posetrack18", "annotations", "val").glob("*.json")):
        seq = read_sequence(path)
        for fmt in ("2017", "2018"):
            write_sequence(seq, tmp_path / fmt / path.name, format=fmt)
            back = read_sequence(tmp_path / fmt / path.name)
            if fmt == "2017":
                back.frames[0].frame_id = seq.frames[0].frame_id
            assert back == seq


def test_real_multi_video_file_reads_as_one_sequence():
    """mmpose's merged file holds three videos' frames; it reads as one 3-frame sequence (documented)."""
    seq = read_sequence(_shared("posetrack18", "annotations", "test_posetrack18_val.json"))
    assert len(seq.frames) == 3 and sum(len(f.persons) for f in seq.frames) == 14


def test_fast_parser_and_json_fallback_read_the_same(tmp_path):
    """`_load_json` parses with orjson and falls back to `json` for what orjson refuses: a file with a NaN
    literal (accepted by `json`, as before orjson) reads to the same sequence as the plain file."""
    from posekit.data.posetrack import _load_json

    seq = read_sequence(FIX17)
    plain = tmp_path / "plain.json"
    write_sequence(seq, plain)
    data = json.loads(plain.read_text())
    assert _load_json(plain) == data
    data["annolist"][0]["annorect"][0]["score"] = [float("nan")]
    nan_file = tmp_path / "nan.json"
    nan_file.write_text(json.dumps(data))  # writes the literal NaN
    assert "NaN" in nan_file.read_text()
    loaded = _load_json(nan_file)
    assert math.isnan(loaded["annolist"][0]["annorect"][0]["score"][0])
