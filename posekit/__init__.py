"""posekit: a reproducibility kit for Payer et al., "Simultaneous Multi-Person Detection and
Single-Person Pose Estimation With a Single Heatmap Regression Network" (PoseTrack 2017).

Importing `posekit` is cheap: TensorFlow is imported only by the modules that need it
(`model`, `train`, `dataset`, `inference`).
"""

__version__ = "0.1.0"
