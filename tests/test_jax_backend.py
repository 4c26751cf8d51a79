"""Keras 3's JAX backend against the TensorFlow one at the `tiny` profile: the same network outputs, the same
training step (paper §4 loss, L2 decay, Adam), data parallelism, train() with checkpoints/resume/NaN stop,
and a `.keras` trained under TensorFlow predicting the same under JAX (paper §2 inference).

The JAX side runs in one subprocess (`tests/jax_backend_check.py`, KERAS_BACKEND=jax, TensorFlow made
unimportable, two host devices); this process is the TensorFlow side. Tolerances: tests/tolerances.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_train_figures import FigureBatches, make_samples
from tolerances import F32_EPS, adam_first_step_atol, l2_loss_atol, network_rtol, sum_atol

from posekit.config import get_profile

# Slow tier (`make test-all`, which installs the [jax] extra): the JAX subprocess and the TensorFlow side take
# about 2 CPU-minutes, too much for the default tier's budget.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                                   reason="JAX is not installed (pip install -e '.[jax]')")]

TESTS = Path(__file__).resolve().parent
CONFIG = get_profile("tiny")


@pytest.fixture(scope="module")
def both(tmp_path_factory, overfit_tiny, small_synthetic):
    """The TensorFlow results here, the JAX results from the subprocess, on the same weights and batches."""
    import tensorflow as tf

    from posekit.inference import Predictor
    from posekit.model import load_model, loss_terms
    from posekit.train import Trainer

    work = tmp_path_factory.mktemp("jax")
    (work / "synthetic.txt").write_text(str(small_synthetic))
    batches = FigureBatches(CONFIG, make_samples(CONFIG, frames=6, seed=2))
    np.savez(work / "batches.npz", **{f"{i}_{part}_{k}": v for i in range(3)
                                      for part, d in zip("xy", batches[i]) for k, v in d.items()})
    trainer = Trainer(CONFIG)
    w0 = trainer.model.get_weights()
    np.savez(work / "w0.npz", *w0)
    x, y = batches[0]
    tf_out = {k: np.asarray(v) for k, v in trainer.model(x).items()}
    features = np.asarray(trainer.model.component1(x["image"])["features"])
    with tf.GradientTape() as tape:  # the gradient of Trainer's step, for the per-weight bound of the update
        outputs = trainer.model(x, training=True)
        terms = loss_terms(y, outputs)
        loss = terms["head_loss"] + terms["pose_loss"] + tf.add_n(trainer.model.losses)
    grads = [np.asarray(g) for g in tape.gradient(loss, trainer.model.trainable_variables)]
    tf_step = trainer.step(batches[0])
    w1 = trainer.model.get_weights()

    # The session's overfit tiny model (trained under TensorFlow) and its frames.
    (work / "overfit").symlink_to(overfit_tiny.run)
    frames = overfit_tiny.frames
    np.savez(work / "frames.npz", *frames)
    predictor = Predictor(load_model(overfit_tiny.run))
    net = predictor.run_network(frames)
    decoded = predictor.decode(net, [(f.shape[1], f.shape[0]) for f in frames], intermediates=True)
    persons = predictor.predict_frames(frames)

    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update(KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2",
               PYTHONPATH=os.pathsep.join([str(TESTS.parent), str(TESTS), env.get("PYTHONPATH", "")]))
    res = subprocess.run([sys.executable, str(TESTS / "jax_backend_check.py"), str(work)], env=env,
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-4000:]
    with np.load(work / "out.npz") as z:
        jx = dict(z)
    return {
        "tf": {"out": tf_out, "features": features, "grads": grads, "step": tf_step, "w0": w0, "w1": w1,
               "net": net, "filtered": decoded.filtered, "peaks": decoded.peaks, "persons": persons},
        "jax": jx, "info": json.loads((work / "out.json").read_text()), "work": work,
    }


def test_the_jax_side_ran_without_tensorflow(both):
    assert both["info"]["tensorflow_imported"] is False


def test_same_weights_give_the_same_component1_and_component2_outputs(both):
    # Heatmaps are tanh outputs in (-1, 1): the derived relative bound of the network is an absolute one.
    atol = network_rtol(CONFIG)
    tf_out, jx = both["tf"]["out"], both["jax"]
    for key in ("multi_person_heatmaps", "head_heatmap", "filtered_heatmaps", "single_person_heatmaps"):
        np.testing.assert_allclose(jx[f"out_{key}"], tf_out[key], rtol=0, atol=atol, err_msg=key)
    scale = float(np.abs(both["tf"]["features"]).max())  # ReLU features: bound relative to their scale
    np.testing.assert_allclose(jx["features"], both["tf"]["features"], rtol=0, atol=atol * scale)


def test_one_training_step_gives_the_same_losses_and_updated_weights(both):
    tf_step, jx_step, t = both["tf"]["step"], both["info"]["step"], CONFIG.train
    assert set(jx_step) == set(tf_step)
    out_atol = network_rtol(CONFIG)  # each heatmap value (tanh, |v| < 1)
    n_px = CONFIG.network.heatmap_width * CONFIG.network.heatmap_height
    b = t.batch_size
    for key, n_terms in (("head_loss", b * n_px), ("pose_loss", b * n_px * 15)):
        # the losses are ½Σd² / B; the bound is on the sum
        atol = l2_loss_atol(n_terms, tf_step[key] * b, 2 * out_atol) / b
        assert jx_step[key] == pytest.approx(tf_step[key], abs=atol), key
    # L2 decay: Σw² over the kernels, the same weights on both sides — only the sum's rounding differs.
    n_weights = sum(w.size for w in both["tf"]["w0"])
    assert jx_step["decay_loss"] == pytest.approx(tf_step["decay_loss"],
                                                  abs=sum_atol(n_weights, tf_step["decay_loss"]))
    grad_rtol = (network_rtol(CONFIG, passes=2)
                 + sum_atol(b * n_px * 16, 1.0))  # + the sum over the batch's pixels
    for key in ("grad_norm_c1", "grad_norm_c2"):
        assert jx_step[key] == pytest.approx(tf_step[key], rel=grad_rtol), key
    assert jx_step["joints_found"] == pytest.approx(tf_step["joints_found"],
                                                    abs=1 / (b * 15) + 1e-9)  # one joint at t_joint
    assert both["info"]["iteration"] == 1
    # The updated weights: within the per-weight bound of one Adam step given the gradient bound.
    moved = 0
    for i, (w0, w1, g) in enumerate(zip(both["tf"]["w0"], both["tf"]["w1"], both["tf"]["grads"],
                                        strict=True)):
        jw1 = both["jax"][f"w1_{i}"]
        tol = adam_first_step_atol(g, grad_rtol * float(np.abs(g).max()), t.learning_rate, t.adam_epsilon,
                                   t.adam_beta_2, w1)
        assert np.all(np.abs(jw1 - w1) <= tol), (i, float(np.abs(jw1 - w1).max()))
        moved += int(np.sum(np.abs(w1 - w0) > 0.5 * t.learning_rate))
    assert moved > 0.5 * sum(w.size for w in both["tf"]["w0"])  # the step did move most weights


def test_data_parallel_over_two_devices_is_the_one_device_step(both):
    info, jx = both["info"], both["jax"]
    assert info["dp_replicas"] == 2
    for key, value in info["step"].items():
        # the same terms summed in two halves, then added: the difference of two orders of one sum
        assert info["dp_step"][key] == pytest.approx(value, rel=network_rtol(CONFIG, passes=2),
                                                     abs=1e-12), key
    lr = CONFIG.train.learning_rate
    for i, w1 in enumerate(both["tf"]["w1"]):
        # Adam's step is at most lr per weight; the two orders of the gradient sums may differ within it.
        assert np.all(np.abs(jx[f"w1dp_{i}"] - jx[f"w1_{i}"]) <= 2 * lr + 2 * F32_EPS * np.abs(w1)), i


def test_train_under_jax_checkpoints_resumes_and_stops_on_nan(both):
    tr = both["info"]["train"]
    assert tr["whole_iterations"] == 6 and tr["checkpoint_after_kill"]
    # Checkpoints at 2 and 4; killed at 5 -> resumes from 4, ends at 6 with the uninterrupted run's weights
    # (the same compiled step on the same batches: bit for bit).
    assert tr["resumed_from"] == 4 and tr["resumed_iterations"] == 6 and tr["resume_max_diff"] == 0.0
    assert tr["again_losses"] == {} and tr["config_roundtrip"]
    # The run folder: no TensorBoard (TensorFlow's writer) under JAX, the CSV with each iteration once.
    assert tr["files"] == ["checkpoint.weights.h5", "config.json", "losses.csv", "model.keras"]
    rows = tr["csv"].strip().splitlines()
    assert (rows[0].startswith("iteration,loss,head_loss")
            and [r.split(",")[0] for r in rows[1:]] == list("123456"))
    # Batch index 3 (iteration 4) has a NaN target: one-line error naming it and the last good checkpoint.
    message = both["info"]["nan_error"]
    assert message and "\n" not in message and "iteration 4" in message and "iteration 2" in message
    assert "model.keras" not in both["info"]["nan_files"]


def test_posekit_train_says_it_runs_on_jax(both):
    info = both["info"]
    assert info["cli_status"] == 0 and info["cli_status_again"] == 0
    # --quiet prints nothing; the rerun of the finished run says so, with the backend and its devices.
    assert info["cli_output"].strip() == (f"posekit train: {both['work'] / 'jax_runs' / 'cli'} is already "
                                          "trained (2 iterations); backend jax (2 × cpu)")


def test_keras_file_trained_under_tensorflow_predicts_the_same_under_jax(both):
    tf_side, jx = both["tf"], both["jax"]
    atol = network_rtol(CONFIG)
    for key in ("multi_person_heatmaps", "head_heatmap"):
        np.testing.assert_allclose(jx[f"pred_{key}"], tf_side["net"][key], rtol=0, atol=atol, err_msg=key)
    np.testing.assert_array_equal(jx["pred_peaks"], tf_side["peaks"])  # heads found on both: same peaks
    np.testing.assert_allclose(jx["pred_filtered"], tf_side["filtered"], rtol=0, atol=2 * atol)
    # The decoded persons: the same count per frame, joints within the heatmap bound mapped to pixels
    # (the argmax may move by one heatmap pixel, 4 input px, only where two maxima tie within the bound).
    assert both["info"]["persons_per_frame"] == [len(p) for p in tf_side["persons"]]
    assert sum(both["info"]["persons_per_frame"]) >= 3
    for b, persons in enumerate(tf_side["persons"]):
        for j, p in enumerate(persons):
            d = np.abs(jx[f"person_{b}_{j}"][:, :2] - p.joints[:, :2])
            assert np.nanmax(d) <= CONFIG.network.heatmap_stride * np.sqrt(2) + 1e-6, (b, j)
            assert np.array_equal(np.isnan(jx[f"person_{b}_{j}"][:, 0]), np.isnan(p.joints[:, 0]))
