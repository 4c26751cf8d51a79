"""posekit.backend: the Keras backend told without importing Keras (what the CLI and the manifest report)."""

from __future__ import annotations

import json

from posekit.backend import describe, keras_backend


def test_keras_backend_follows_keras_rules(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert keras_backend() == "tensorflow"  # no keras.json: Keras' default
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "jax"}))
    assert keras_backend() == "jax"  # keras.json
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert keras_backend() == "tensorflow" and describe() == "tensorflow"  # the variable wins
    (tmp_path / "keras.json").write_text("{not json")
    monkeypatch.delenv("KERAS_BACKEND")
    assert keras_backend() == "tensorflow"


def test_this_test_process_runs_on_the_backend_it_reports():
    import keras

    assert keras.backend.backend() == keras_backend()
