"""The PoseTrack evaluation (paper §5): the official Tables 1 and 2, Table 2b, and the threshold sweep.

One package, in layers (no file reading here: the files are read by `posekit.data` and the command):

- the kernel, pure functions of arrays: `frames` (ignore regions, per-frame PCKh matching), `ap`
  (average precision), `mot` (motmetrics 1.4.0's per-frame accumulation, MOTA/MOTP), `identity`
  (IDF1/IDP/IDR), `hota` (keypoint HOTA as PoseTrack21 defines it), `assignment` (the solver);
- `official`: `evaluate`, its settings and its result (Tables 1, 2 and 2b), identical to `poseval`;
- `sweep`: `SweepEvaluator`, the memoised evaluation of many threshold combinations (same numbers).

The names below are the public API; `import posekit.evaluation` imports neither pandas nor scipy.
"""

from posekit.evaluation.ap import APInputs, ap_rows, average_precision, nanmean, voc_ap
from posekit.evaluation.frames import (
    DIST_THRESH,
    HEAD_SIZE_FACTOR,
    MAX_TRACK_ID,
    MIN_SCORE,
    FrameMatches,
    GTFrames,
    PredictionFrames,
    filter_points,
    frame_poses,
    gt_frames,
    match_frames,
    points_strictly_inside,
    prediction_frames,
    sequence_poses,
    stacked_prediction_frames,
)
from posekit.evaluation.hota import ALPHAS, HOTA_FIELDS, HOTACounts, hota_counts, hota_summary, similarity
from posekit.evaluation.identity import id_counts, id_metrics, id_rows
from posekit.evaluation.mot import (
    CARRY_OVER_MODES,
    MOT_COUNTS,
    JointAccumulator,
    mot_accumulators,
    mot_counts,
    mot_inputs,
    mot_metrics,
)
from posekit.evaluation.official import (
    EMPTY_FRAME_RULES,
    MOTP_MODES,
    SEQUENCE_ORDERS,
    TABLE2_COLUMNS,
    TABLE2B_ROWS,
    TABLE_COLUMNS,
    EvaluationResult,
    EvaluationSettings,
    SequenceScore,
    evaluate,
    score_sequences,
    summary_totals,
)
from posekit.evaluation.sweep import SweepEvaluator

__all__ = [
    "ALPHAS", "ap_rows", "APInputs", "average_precision", "CARRY_OVER_MODES", "DIST_THRESH",
    "EMPTY_FRAME_RULES", "evaluate", "EvaluationResult", "EvaluationSettings", "filter_points", "frame_poses",
    "FrameMatches", "gt_frames", "GTFrames", "HEAD_SIZE_FACTOR", "hota_counts", "HOTA_FIELDS", "hota_summary",
    "HOTACounts", "id_counts", "id_metrics", "id_rows", "JointAccumulator", "match_frames", "MAX_TRACK_ID",
    "MIN_SCORE", "mot_accumulators", "MOT_COUNTS", "mot_counts", "mot_inputs", "mot_metrics", "MOTP_MODES",
    "nanmean", "points_strictly_inside", "prediction_frames", "PredictionFrames", "score_sequences",
    "SEQUENCE_ORDERS", "sequence_poses", "SequenceScore", "similarity", "stacked_prediction_frames",
    "summary_totals", "SweepEvaluator", "TABLE2_COLUMNS", "TABLE2B_ROWS", "TABLE_COLUMNS", "voc_ap",
]
