"""Data: the in-memory schema, PoseTrack 2017/2018 readers and writers, the synthetic dataset."""
