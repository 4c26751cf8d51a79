"""The stages of the paper pipeline (`posekit reproduce`): one notebook each, in order.

A module of its own so that the command line can list them (`posekit reproduce --help`) without importing
`posekit.pipeline` (~20 ms of imports on every `posekit` start-up, `posekit evaluate`'s included).
"""

from __future__ import annotations

#: The stages in order: notebook stem and what it produces (for the progress lines).
STAGES: tuple[tuple[str, str], ...] = (
    ("01_data_and_targets", "dataset statistics, target heatmaps, augmentation examples"),
    ("02_training", "the trained model and its loss curves"),
    ("03_threshold_grid_search", "thresholds.json and the grid plots"),
    ("04_reproduce_tables", "Table 1 and Table 2 beside the paper's"),
    ("05_visual_diagnostics", "the intermediate images of Fig. 1, track timeline, annotated video"),
)
