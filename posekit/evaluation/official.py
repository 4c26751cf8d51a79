"""The PoseTrack evaluation, identical to the official `poseval` (paper §5: Tables 1 and 2), plus Table 2b.

Paper §5: "The individual values were obtained by submitting our predictions to the PoseTrack evaluation
server": Table 1 is the per-joint average precision (AP, PCKh@0.5) and its mean (mAP), Table 2 the
CLEAR-MOT metrics MOTA, MOTP, precision and recall. `evaluate` reimplements that server code (`poseval`
with motmetrics 1.4.0, rules in `EVALUATION.md`, section numbers cited as §x.y) on the in-memory schema,
so the numbers equal the official ones, oddities included:

- frames: only frames whose GT lists persons are evaluated (§1.1.5); GT and prediction frames are aligned
  by index; keypoints strictly inside a GT ignore region are deleted in GT and predictions, and persons
  left without keypoints are removed (§1.1.6);
- AP (§1.2-1.6): joint distance / (0.6 x GT head-box diagonal) <= 0.5; per frame each prediction keeps
  its best GT by PCKh and each GT takes its best prediction (no re-assignment); one ranking per joint over
  all frames and sequences, ties broken by numpy's default `argsort()[::-1]` on the concatenation order;
  VOC all-point AP; AP 0 for a joint never predicted, NaN for one with nGT = 0;
- MOT (§2): per joint and sequence, motmetrics 1.4.0's per-frame matching (`mot.JointAccumulator`: every
  GT id's latest pairing is carried over, Hungarian on the rest, SWITCH when a GT id's hypothesis
  changes), counts pooled over sequences, the last evaluated frame of every sequence dropped, and frames
  with an empty GT or prediction side scored as one miss + one FP + one object per joint.

Table 2b (not in the paper, not in poseval): the identity metrics IDF1 / IDP / IDR (`identity`, motmetrics'
definitions) and keypoint HOTA / DetA / AssA / LocA with DetRe / DetPr / AssRe / AssPr (`hota`, as the
PoseTrack21 evaluation defines them, with its FP/FN bug fixed), on the same frames and joints.

The oddities are switches whose default is the official behaviour (`EvaluationSettings`); MOTP defaults
to the distance over matched pairs only (the correction of §2.5). Where poseval crashes, posekit raises
`DataError` with a one-line message instead (or, where stated, gives a documented result).

Not in poseval (choices made here, with reasons):
- Sequences are scored in the order given. The files' reader (`posekit evaluate --sequence-order`) sorts
  them by name by default; poseval concatenates them in the unsorted `glob` order of the file system. The
  global AP ranking breaks exactly tied scores by that concatenation order, so **the official AP depends on
  the order the file system lists the files in whenever scores tie across sequences** (measured: up to
  0.4 AP); `--sequence-order listdir` reproduces the official number on the same file system.
- Track ids are not offset by `seq_index * 10000`: the accumulators are per sequence, so the offset
  cannot change a number; the `< 10000` limit is still enforced.
- A GT person that still has joints but no head box is a DataError (poseval: KeyError); one without
  joints needs no head box. Predicted joints with no score get -9999 as in poseval (a warning is issued).
- The schema cannot tell a 2017 `annorect` without `annopoints` (poseval drops it) from one with an empty
  point list (poseval keeps it): a GT or predicted person without joints is kept, as poseval keeps the
  2018 persons whose keypoints are all zero, except in frames with ignore regions, where it is removed.
  This only matters in frames where every GT (or every predicted) person has no joint.
- With `tracking=False` (AP only) predictions need no track ids and single-frame sequences are fine;
  poseval needs track ids even for AP.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence as SequenceLike
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from posekit.data.schema import Sequence
from posekit.errors import DataError
from posekit.evaluation.ap import APInputs, ap_rows, nanmean
from posekit.evaluation.frames import (
    MAX_TRACK_ID,
    FrameMatches,
    GTFrames,
    PredictionFrames,
    gt_frames,
    match_frames,
    sequence_poses,
    stacked_prediction_frames,
)
from posekit.evaluation.hota import HOTA_FIELDS, HOTA_MATCHING, HOTACounts, hota_counts, hota_summary
from posekit.evaluation.identity import id_counts, id_rows
from posekit.evaluation.mot import CARRY_OVER_MODES, MOT_COUNTS, MOTInputs, mot_counts, mot_inputs, mot_rows
from posekit.joints import GROUP_NAMES, JOINT_GROUPS, JOINT_NAMES, NUM_JOINTS

EMPTY_FRAME_RULES: tuple[str, ...] = ("poseval", "count")
MOTP_MODES: tuple[str, ...] = ("matched", "all_events")
SEQUENCE_ORDERS: tuple[str, ...] = ("sorted", "listdir")

#: Column names of Table 1 and the MOTA part of Table 2 (poseval `getCum` groups, then Total).
TABLE_COLUMNS: tuple[str, ...] = (*GROUP_NAMES, "Total")
TABLE2_COLUMNS: tuple[str, ...] = (
    *(f"MOTA {c}" for c in TABLE_COLUMNS),
    "MOTP Total",
    "Prec Total",
    "Rec Total",
)
#: Rows of Table 2b (its columns are `TABLE_COLUMNS`).
ID_FIELDS: tuple[str, ...] = ("IDF1", "IDP", "IDR")
TABLE2B_ROWS: tuple[str, ...] = (*ID_FIELDS, *HOTA_FIELDS)
_SEQ_COLUMNS = ("frames", "gt_persons", "AP Total", "MOTA Total", "MOTP Total", "Prec Total", "Rec Total",
                "IDF1 Total", "HOTA Total")


# --------------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationSettings:
    """The switches of the evaluation; every default is the official `poseval` behaviour.

    drop_last_frame:  drop each sequence's last evaluated frame from the MOT metrics (§2.2, poseval's
                      "DEBUG" line). False gives the clean variant.
    empty_frame_rule: "poseval": a frame whose GT or predictions are empty counts one miss + one FP + one
                      object per joint (§2.2 dummy update); "count": the real misses and FPs.
    motp:             "matched": MOTP over matched pairs (MATCH + SWITCH), as poseval with the motmetrics
                      it shipped (§2.5, the correction); "all_events": HEAD poseval with PyPI motmetrics
                      >= 1.2, which also sums RAW/TRANSFER/ASCEND/MIGRATE distances (inflated, too low).
    carry_over:       which earlier pairings the MOT matching keeps before its Hungarian step (§2.3):
                      "latest_match" (motmetrics 1.4.0, the official run: every GT id's latest match from
                      any earlier frame) or "previous_update" (only pairings made in the previous frame;
                      not motmetrics 1.4.0's rule, posekit's default before issue 13).
    tracking:         compute the MOT metrics (Table 2) and Table 2b; False gives AP only (Table 1).
    """

    drop_last_frame: bool = True
    empty_frame_rule: str = "poseval"
    motp: str = "matched"
    carry_over: str = "latest_match"
    tracking: bool = True

    def __post_init__(self) -> None:
        if self.empty_frame_rule not in EMPTY_FRAME_RULES:
            raise ValueError(
                f"empty_frame_rule must be one of {EMPTY_FRAME_RULES}, got {self.empty_frame_rule!r}"
            )
        if self.motp not in MOTP_MODES:
            raise ValueError(f"motp must be one of {MOTP_MODES}, got {self.motp!r}")
        if self.carry_over not in CARRY_OVER_MODES:
            raise ValueError(f"carry_over must be one of {CARRY_OVER_MODES}, got {self.carry_over!r}")

    def notes(self) -> list[str]:
        """One line per switch that differs from the official behaviour (empty for the official run)."""
        notes = []
        if not self.drop_last_frame:
            notes.append("drop_last_frame=False: the last labelled frame of each sequence is scored (MOT)")
        if self.empty_frame_rule != "poseval":
            notes.append(
                f"empty_frame_rule={self.empty_frame_rule!r}: empty frames count their real misses/FPs (MOT)"
            )
        if self.motp != "matched":
            notes.append(f"motp={self.motp!r}: MOTP sums every motmetrics event distance (inflated sum)")
        if self.carry_over != "latest_match":
            notes.append(f"carry_over={self.carry_over!r}: only the previous frame's pairings are kept (MOT)")
        if not self.tracking:
            notes.append("tracking=False: AP only, no MOT metrics")
        return notes

    @property
    def variant(self) -> str:
        """'poseval' when every switch is the official one, else 'clean'."""
        tracking_notes = [n for n in self.notes() if not n.startswith("tracking=")]
        return "clean" if tracking_notes else "poseval"


# --------------------------------------------------------------------------------------------------
# Sequences and their checks
# --------------------------------------------------------------------------------------------------


def where_of(seq: Sequence) -> str:
    """How error messages name a sequence: its file, else its name."""
    return str(seq.source) if seq.source is not None else seq.name


def check_prediction_ids(pred: Sequence, tracking: bool) -> None:
    """Track ids of every prediction frame: present (when tracking), unique per frame, < 10000 (§2.1)."""
    where = where_of(pred)
    for f, frame in enumerate(pred.frames):
        seen: set[int] = set()
        for k, person in enumerate(frame.persons):
            tid = person.track_id
            if tid is None:
                if tracking:
                    raise DataError(where, f"predicted person {k} has no track_id", f)
                continue
            if tid >= MAX_TRACK_ID:
                raise DataError(where, f"track_id {tid} is not below {MAX_TRACK_ID} (poseval's limit)", f)
            if tid in seen:
                raise DataError(where, f"duplicate track_id {tid} in one frame", f)
            seen.add(tid)


def evaluated_frames(gt: Sequence) -> list[int]:
    """Indices of the frames poseval evaluates: those whose GT lists at least one person (§1.1.5)."""
    return [i for i, frame in enumerate(gt.frames) if len(frame.persons) > 0]


def checked_gt_frames(g: Sequence, settings: EvaluationSettings) -> list[int]:
    """The evaluated frames of GT sequence `g` (`evaluated_frames`), after the sequence-level GT checks:
    when tracking, GT track ids below 10000 and, with `drop_last_frame`, more than one labelled frame."""
    idx = evaluated_frames(g)
    if settings.tracking:
        for f in idx:
            for person in g.frames[f].persons:
                if person.track_id is not None and person.track_id >= MAX_TRACK_ID:
                    raise DataError(where_of(g), f"GT track_id {person.track_id} is not below {MAX_TRACK_ID}",
                                    f)
        if settings.drop_last_frame and len(idx) == 1:
            raise DataError(
                where_of(g),
                "only one labelled frame: the MOT metrics drop each sequence's last labelled frame "
                "(poseval crashes here); use drop_last_frame=False (--no-drop-last-frame) or AP only",
            )
    return idx


def mot_frame_count(n_frames: int, settings: EvaluationSettings) -> int:
    """How many of a sequence's evaluated frames the MOT metrics use (all but the last with
    drop_last_frame)."""
    return max(n_frames - 1, 0) if settings.drop_last_frame else n_frames


def pair_sequences(
    gt: list[Sequence], pred: list[Sequence], gt_names: SequenceLike[str] | None
) -> list[tuple[Sequence, Sequence]]:
    """(GT, prediction) pairs by name, in the order of `gt_names` (default: the order of `gt`)."""
    by_name: dict[str, Sequence] = {}
    for seq in gt:
        if seq.name in by_name:
            raise DataError(where_of(seq), f"two GT sequences are named {seq.name!r}")
        by_name[seq.name] = seq
    preds: dict[str, Sequence] = {}
    for seq in pred:
        if seq.name in preds:
            raise DataError(where_of(seq), f"two predicted sequences are named {seq.name!r}")
        preds[seq.name] = seq
    names = list(by_name) if gt_names is None else list(gt_names)
    pairs = []
    for name in names:
        if name not in by_name:
            raise DataError(name, "no GT sequence with this name")
        g = by_name[name]
        if name not in preds:
            raise DataError(where_of(g), f"no prediction for GT sequence {name!r}")
        p = preds[name]
        if len(p.frames) != len(g.frames):
            raise DataError(
                where_of(p),
                f"{len(p.frames)} prediction frames but {len(g.frames)} GT frames for {name!r} "
                "(frames are aligned by index: predict every frame of the GT sequence)",
            )
        pairs.append((g, p))
    return pairs


# --------------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------------


@dataclass
class SequenceScore:
    """Everything one sequence contributes: its frames, their matching and the per-joint counts."""

    name: str
    gt: GTFrames
    pr: PredictionFrames
    matches: FrameMatches
    mot: list[dict[str, float]] | None = None
    ids: list[dict[str, float]] | None = None
    hota: HOTACounts | None = None
    #: The sequence's own row of `EvaluationResult.per_sequence`, when `score_sequence` was asked for it
    #: (workers scoring parts of a split then compute the rows in parallel); None: computed when needed.
    row: dict[str, float] | None = None

    @property
    def ap(self) -> APInputs:
        return APInputs(self.pr.scores, self.matches.labels, self.pr.has, self.matches.n_gt)

    def for_pooling(self) -> SequenceScore:
        """This score without what pooling never reads (coordinates, head sizes, track ids, regions, the
        joint pairs): what a worker sends back (`posekit evaluate --workers`), a tenth of the bytes.
        `EvaluationResult.from_scores` and the per-sequence row give the same numbers from it."""
        gt, pr, m = self.gt, self.pr, self.matches
        no_i = np.zeros(0, dtype=np.int64)
        return dataclasses.replace(
            self,
            gt=GTFrames(gt.frames, gt.start, np.zeros((0, NUM_JOINTS, 2)), gt.has, np.zeros(0), no_i, []),
            pr=PredictionFrames(pr.start, np.zeros((0, NUM_JOINTS, 2)), pr.has, pr.scores, no_i, []),
            matches=FrameMatches(m.labels, m.n_gt, no_i, no_i, no_i, no_i, np.zeros(0)),
        )


def score_sequence(g: Sequence, p: Sequence, settings: EvaluationSettings, hota_matching: str = "posetrack21",
                   sequence_row: bool = False) -> SequenceScore:
    """Match and count one GT sequence against its prediction (every metric of Tables 1, 2 and 2b);
    sequence_row: also its row of the per-sequence table (`SequenceScore.row`)."""
    check_prediction_ids(p, settings.tracking)
    idx = checked_gt_frames(g, settings)
    where = where_of(g)
    gt = gt_frames(g, idx, where, settings.tracking)
    pr = stacked_prediction_frames(gt, *sequence_poses([p.frames[f] for f in idx]), where)
    matches = match_frames(gt, pr)
    score = SequenceScore(g.name, gt, pr, matches)
    if settings.tracking:
        inputs: MOTInputs = mot_inputs(gt, pr, matches, mot_frame_count(len(idx), settings),
                                       settings.empty_frame_rule)
        score.mot = mot_counts(inputs, gt.ids, pr.ids, settings.carry_over, settings.motp)
        score.ids = id_counts(gt, pr, matches)
        score.hota = hota_counts(gt, pr, matches, hota_matching)
    if sequence_row:
        score.row = _sequence_row(score, settings)
    return score


def evaluate(
    gt: list[Sequence],
    pred: list[Sequence],
    *,
    drop_last_frame: bool = True,
    empty_frame_rule: str = "poseval",
    motp: str = "matched",
    carry_over: str = "latest_match",
    tracking: bool = True,
    gt_names: SequenceLike[str] | None = None,
    hota_matching: str = "posetrack21",
    sequence_order: str | None = None,
) -> EvaluationResult:
    """Score predicted tracked poses against GT with the PoseTrack evaluation (paper §5, Tables 1, 2, 2b).

    gt, pred:       sequences paired by `name`; every GT sequence needs a prediction with the same number
                    of frames (aligned by index). Extra predicted sequences are ignored.
    gt_names:       evaluate only these GT sequences, in this order (default: all of `gt`, in list order,
                    which is also the concatenation order of the global AP ranking).
    hota_matching:  "posetrack21" (default) or "trackeval" (`hota` module docstring).
    sequence_order: how the caller ordered the sequences ("sorted" / "listdir"), recorded in the result.
    The other switches: see `EvaluationSettings` (defaults = the official poseval behaviour).
    Raises DataError for missing predictions, frame-count mismatches, prediction track ids that are
    missing, duplicated in a frame or >= 10000, and, when tracking with `drop_last_frame`, sequences
    with a single labelled frame (poseval crashes there).
    """
    settings = EvaluationSettings(
        drop_last_frame=drop_last_frame,
        empty_frame_rule=empty_frame_rule,
        motp=motp,
        carry_over=carry_over,
        tracking=tracking,
    )
    scores = score_sequences(gt, pred, settings, gt_names=gt_names, hota_matching=hota_matching)
    return EvaluationResult.from_scores(scores, settings, sequence_order)


def score_sequences(gt: list[Sequence], pred: list[Sequence], settings: EvaluationSettings, *,
                    gt_names: SequenceLike[str] | None = None, hota_matching: str = "posetrack21",
                    sequence_rows: bool = False) -> list[SequenceScore]:
    """`evaluate` before pooling: one `SequenceScore` per GT sequence (paired and checked as `evaluate`
    does). `EvaluationResult.from_scores` of the concatenated scores of disjoint parts of a split, in the
    split's order, is `evaluate` of the whole split, number for number (it pools in that order).
    sequence_rows: compute each sequence's per-sequence row now (else on first use of the result's)."""
    if hota_matching not in HOTA_MATCHING:
        raise ValueError(f"hota_matching must be one of {HOTA_MATCHING}, got {hota_matching!r}")
    return [score_sequence(g, p, settings, hota_matching, sequence_rows)
            for g, p in pair_sequences(gt, pred, gt_names)]


def summary_totals(ap: list[dict[str, float]], mot: list[dict[str, float]]) -> dict[str, float]:
    """The Totals of Tables 1 and 2 from per-joint rows, as `evaluate` computes them: mAP (Table 1 Total)
    and MOTA, MOTP, Prec, Rec (Table 2 Totals), each the NaN-skipping mean over the 15 joints."""
    out = {"mAP": nanmean(r["AP"] for r in ap)}
    for col in ("MOTA", "MOTP", "Prec", "Rec"):
        out[col] = nanmean(r[col] for r in mot)
    return out


def group_row(values: SequenceLike[float]) -> list[float]:
    """Table columns from 15 per-joint values: group means (NaN propagates) and the NaN-skipping Total."""
    values = np.asarray(values, dtype=np.float64)
    groups = [float(values[list(JOINT_GROUPS[g])].mean()) for g in GROUP_NAMES]
    return [*groups, nanmean(values)]


# --------------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------------

_MOT_FIELDS = ("MOTA", "MOTP", "Prec", "Rec")


@dataclass
class EvaluationResult:
    """The evaluation's tables (paper Tables 1 and 2, and Table 2b) and the numbers behind them.

    Stored as plain values (printing, JSON and CSV need no pandas); `table1`, `table2`, `table2b`,
    `per_joint` and `per_sequence` are DataFrames built on first use:
    table1:       one row "AP": Head, Sho, Elb, Wri, Hip, Knee, Ank, Total (Total = NaN-skipping mean of
                  the 15 joints, not of the 7 columns).
    table2:       one row "MOT": MOTA per group and Total, then MOTP, Prec, Rec Totals (as poseval prints).
    table2b:      rows IDF1, IDP, IDR, HOTA, DetA, AssA, LocA, DetRe, DetPr, AssRe, AssPr; columns the
                  groups and Total (group = mean of its joints; Total: mean over the 15 joints for the ID
                  metrics, PoseTrack21's Total column for the HOTA metrics).
    per_joint:    15 rows (2017 joint names): AP, pre, rec, nGT, nPred, MOTA, MOTP, Prec, Rec, the pooled
                  motmetrics counts, IDF1, IDP, IDR and their counts, and the HOTA metrics.
    per_sequence: one row per sequence, each metric computed on that sequence alone.
    """

    joint_rows: list[dict[str, float]]
    table1_row: dict[str, float]
    table2_row: dict[str, float]
    table2b_rows: dict[str, dict[str, float]]
    _sequence_rows: list[dict[str, float]] | None  # None: computed from `_scores` on first use
    settings: EvaluationSettings
    sequences: list[str] = field(default_factory=list)
    sequence_order: str | None = None
    _scores: list[SequenceScore] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_scores(cls, scores: list[SequenceScore], settings: EvaluationSettings,
                    sequence_order: str | None = None) -> EvaluationResult:
        ap = ap_rows([s.ap for s in scores])
        if settings.tracking:
            mot = mot_rows([s.mot for s in scores])
            ids = id_rows([s.ids for s in scores])
            hota_total = sum((s.hota for s in scores), HOTACounts.zeros())
            hota = hota_summary(hota_total)
        else:
            mot = [dict.fromkeys((*_MOT_FIELDS, *MOT_COUNTS), float("nan")) for _ in range(NUM_JOINTS)]
            ids = [dict.fromkeys(ID_FIELDS, float("nan")) for _ in range(NUM_JOINTS)]
            hota = {k: np.full(NUM_JOINTS + 1, np.nan) for k in HOTA_FIELDS}
        joints = []
        for j in range(NUM_JOINTS):
            row = {**ap[j], **mot[j], **ids[j]}
            row.update({k: float(hota[k][j]) for k in HOTA_FIELDS})
            joints.append(row)
        table1 = dict(zip(TABLE_COLUMNS, group_row([r["AP"] for r in ap])))
        table2 = dict(zip(TABLE2_COLUMNS, [*group_row([r["MOTA"] for r in mot]),
                                           *(nanmean(r[c] for r in mot) for c in ("MOTP", "Prec", "Rec"))]))
        table2b = {k: dict(zip(TABLE_COLUMNS, group_row([r[k] for r in ids]))) for k in ID_FIELDS}
        for k in HOTA_FIELDS:
            row = dict(zip(TABLE_COLUMNS, group_row(hota[k][:NUM_JOINTS])))
            row["Total"] = float(hota[k][NUM_JOINTS])
            table2b[k] = row
        rows = [s.row for s in scores]
        done = all(r is not None for r in rows)
        return cls(joints, table1, table2, table2b, rows if done else None, settings,
                   [s.name for s in scores], sequence_order, None if done else scores)

    @property
    def sequence_rows(self) -> list[dict[str, float]]:
        """One row per sequence (`per_sequence`), computed on first use from the scores where the scoring
        did not compute them."""
        if self._sequence_rows is None:
            self._sequence_rows = [s.row if s.row is not None else _sequence_row(s, self.settings)
                                   for s in self._scores]
            self._scores = None
        return self._sequence_rows

    # --- DataFrames (pandas is imported on first use) ---

    @property
    def table1(self):
        import pandas as pd

        return pd.DataFrame([self.table1_row], index=["AP"], columns=list(TABLE_COLUMNS))

    @property
    def table2(self):
        import pandas as pd

        return pd.DataFrame([self.table2_row], index=["MOT"], columns=list(TABLE2_COLUMNS))

    @property
    def table2b(self):
        import pandas as pd

        return pd.DataFrame([self.table2b_rows[k] for k in TABLE2B_ROWS], index=list(TABLE2B_ROWS),
                            columns=list(TABLE_COLUMNS))

    @property
    def per_joint(self):
        import pandas as pd

        return pd.DataFrame(self.joint_rows, index=pd.Index(JOINT_NAMES, name="joint"))

    @property
    def per_sequence(self):
        import pandas as pd

        return pd.DataFrame(self.sequence_rows, index=pd.Index(self.sequences, name="sequence"),
                            columns=list(_SEQ_COLUMNS))

    @property
    def ap_total(self) -> float:
        return float(self.table1_row["Total"])

    @property
    def mota_total(self) -> float:
        return float(self.table2_row["MOTA Total"])

    # --- JSON, text, files ---

    def to_dict(self) -> dict:
        """Plain JSON-able values (NaN -> None), including poseval-style 16-value lists per metric."""
        names = {str(i): n for i, n in enumerate(JOINT_NAMES)} | {"15": "total"}

        def with_total(col: str, total: float | None = None) -> list[float | None]:
            vals = [r[col] for r in self.joint_rows]
            return _clean([*vals, nanmean(vals) if total is None else total])

        return {
            "settings": asdict(self.settings),
            "variant": self.settings.variant,
            "notes": self.settings.notes(),
            "sequence_order": self.sequence_order,
            "sequences": list(self.sequences),
            "table1": _clean(self.table1_row),
            "table2": _clean(self.table2_row),
            "table2b": _clean(self.table2b_rows),
            "total_AP_metrics": {
                "ap": with_total("AP"),
                "pre": with_total("pre"),
                "rec": with_total("rec"),
                "names": names,
            },
            "total_MOT_metrics": {
                "mota": with_total("MOTA"),
                "motp": with_total("MOTP"),
                "pre": with_total("Prec"),
                "rec": with_total("Rec"),
                "names": names,
            },
            "total_ID_metrics": {k.lower(): with_total(k) for k in ID_FIELDS} | {"names": names},
            "total_HOTA_metrics": {k: with_total(k, self.table2b_rows[k]["Total"]) for k in HOTA_FIELDS}
            | {"names": names},
            "per_joint": _clean([{"joint": n, **r} for n, r in zip(JOINT_NAMES, self.joint_rows)]),
            "per_sequence": _clean([{"sequence": n, **r}
                                    for n, r in zip(self.sequences, self.sequence_rows)]),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """`to_dict()` as a JSON string (strict JSON: NaN is written as null)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def format_tables(self) -> str:
        """Tables 1, 2 and 2b as the paper prints them (one decimal), with the settings when not official."""
        lines = []
        if self.settings.variant == "clean":
            lines.append("CLEAN VARIANT (not the official PoseTrack numbers):")
            lines += [f"  - {n}" for n in self.settings.notes()]
        elif not self.settings.tracking:
            lines.append("AP only (tracking=False): Table 2 not computed (nor Table 2b).")
        lines.append("Table 1: AP (PCKh@0.5)")
        lines.append(_format_rows(list(TABLE_COLUMNS[:-1]) + ["mAP"], [list(self.table1_row.values())]))
        if self.settings.tracking:
            t2 = self.table2_row
            lines.append("")
            lines.append("Table 2: MOT")
            lines.append(
                _format_rows(
                    ["MOTA", "MOTP", "Prec", "Rec"],
                    [[t2["MOTA Total"], t2["MOTP Total"], t2["Prec Total"], t2["Rec Total"]]],
                )
            )
            lines.append("MOTA per joint group")
            lines.append(_format_rows(list(TABLE_COLUMNS), [[t2[f"MOTA {c}"] for c in TABLE_COLUMNS]]))
            lines.append("")
            lines.append("Table 2b: identity (IDF1, motmetrics) and keypoint HOTA (PoseTrack21), "
                         "per joint group")
            lines.append(_format_rows(["", *TABLE_COLUMNS],
                                      [[k, *self.table2b_rows[k].values()] for k in TABLE2B_ROWS]))
        return "\n".join(lines)

    def format_per_sequence(self) -> str:
        cols = ["frames", "AP Total", "MOTA Total", "MOTP Total", "Prec Total", "Rec Total", "IDF1 Total",
                "HOTA Total"]
        width = max([8, *(len(s) for s in self.sequences)])
        head = f"{'sequence':<{width}} " + " ".join(f"{c:>10}" for c in cols)
        rows = [
            f"{name:<{width}} " + " ".join(f"{_fmt(row[c], c == 'frames'):>10}" for c in cols)
            for name, row in zip(self.sequences, self.sequence_rows)
        ]
        return "\n".join([head, *rows])

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write table1.csv, table2.csv, table2b.csv, per_joint.csv, per_sequence.csv and metrics.json
        atomically (the CSVs as pandas writes them with float_format="%.6g")."""
        from posekit.fileio import atomic_write_text

        out = Path(out_dir)
        per_joint_cols = list(self.joint_rows[0])
        files = {
            "table1.csv": _csv("", ["AP"], list(TABLE_COLUMNS), [self.table1_row]),
            "table2.csv": _csv("", ["MOT"], list(TABLE2_COLUMNS), [self.table2_row]),
            "table2b.csv": _csv("", list(TABLE2B_ROWS), list(TABLE_COLUMNS),
                                [self.table2b_rows[k] for k in TABLE2B_ROWS]),
            "per_joint.csv": _csv("joint", list(JOINT_NAMES), per_joint_cols, self.joint_rows),
            "per_sequence.csv": _csv("sequence", self.sequences, list(_SEQ_COLUMNS), self.sequence_rows),
            "metrics.json": self.to_json() + "\n",
        }
        paths = []
        for name, text in files.items():
            atomic_write_text(out / name, text)
            paths.append(out / name)
        return paths


def _sequence_row(s: SequenceScore, settings: EvaluationSettings) -> dict[str, float]:
    frames = s.gt.n_frames
    row: dict[str, float] = {
        "frames": frames,
        "gt_persons": int(len(s.gt.has)),
        "AP Total": nanmean(r["AP"] for r in ap_rows([s.ap])) if frames else float("nan"),
    }
    if settings.tracking and frames:
        from posekit.evaluation.identity import id_metrics
        from posekit.evaluation.mot import mot_metrics

        per = [mot_metrics(c) for c in s.mot]
        for col in _MOT_FIELDS:
            row[f"{col} Total"] = nanmean(m[col] for m in per)
        row["IDF1 Total"] = nanmean(id_metrics(c)["IDF1"] for c in s.ids)
        row["HOTA Total"] = float(hota_summary(s.hota)["HOTA"][NUM_JOINTS])
    else:
        row.update({c: float("nan") for c in _SEQ_COLUMNS[3:]})
    return row


def _fmt(v: float, integer: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nan"
    if isinstance(v, str):
        return v
    return f"{int(v)}" if integer else f"{v:.1f}"


def _format_rows(header: list[str], rows: list[list[float]]) -> str:
    width = max(6, *(len(h) + 1 for h in header))
    lines = ["".join(f"{h:>{width}}" for h in header)]
    lines += ["".join(f"{_fmt(v):>{width}}" for v in row) for row in rows]
    return "\n".join(lines)


def _csv_value(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if v is None or (isinstance(v, (float, np.floating)) and math.isnan(v)):
        return ""
    return f"{v:.6g}"


def _csv(index_name: str, index: list[str], columns: list[str], rows: list[dict]) -> str:
    """A CSV table: header `index_name,columns...`, one line per row (NaN empty, floats %.6g)."""
    def cell(s: str) -> str:
        return f'"{s}"' if any(ch in s for ch in ',"\n') else s

    lines = [",".join([cell(index_name), *(cell(c) for c in columns)])]
    for name, row in zip(index, rows):
        lines.append(",".join([cell(str(name)), *(_csv_value(row.get(c)) for c in columns)]))
    return "\n".join(lines) + "\n"


def _clean(obj):
    """NaN/inf -> None and numpy scalars -> Python, recursively (for strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(float(obj)) else float(obj)
    return obj
