"""scripts/compute_scaling.py: the log-linear fit and the points it reads from committed folders."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from scripts.compute_scaling import DEFAULT_RECIPE_ROWS, ablation_points, log_fit, tflop_for


def test_log_fit_recovers_a_line_in_log2_and_inverts_it() -> None:
    tflop = np.array([70.0, 140.0, 465.0, 930.0])
    value = 3.0 + 10.0 * np.log2(tflop)
    a, b = log_fit(tflop, value)
    assert a == pytest.approx(3.0, abs=1e-9) and b == pytest.approx(10.0, abs=1e-9)
    assert tflop_for(3.0 + 10.0 * np.log2(300.0), a, b) == pytest.approx(300.0, rel=1e-9)
    # a flat or falling line never reaches a higher goal
    assert tflop_for(90.0, 50.0, 0.0) == float("inf")
    assert tflop_for(90.0, 50.0, -1.0) == float("inf")


def test_ablation_points_take_only_the_default_recipe_rows(tmp_path: Path) -> None:
    table = tmp_path / "ablation.csv"
    fields = ["row", "precision", "iterations", "training_TFLOP", "Total_mAP", "MOTA"]
    with open(table, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerow(dict(row="ff8", precision="bf16", iterations=3750, training_TFLOP=69.8, Total_mAP=33.1,
                        MOTA=12.2))
        w.writerow(dict(row="default-2x", precision="bf16", iterations=7500, training_TFLOP=139.7,
                        Total_mAP=61.7, MOTA=44.1))
    points = ablation_points(table)
    assert [p["point"] for p in points] == ["default-2x"]
    assert points[0]["Total"] == 61.7 and points[0]["MOTA"] == 44.1 and points[0]["iterations"] == 7500
    assert ablation_points(tmp_path / "missing.csv") == []


def test_a_run_folder_without_tables_is_a_one_line_error(tmp_path: Path) -> None:
    from scripts.compute_scaling import run_point

    with pytest.raises(SystemExit, match=r"tables/table1.csv: missing"):
        run_point(tmp_path)


def test_ablation_points_carry_their_decoding(tmp_path: Path) -> None:
    """Rows whose overrides set decoding.subpixel=true are `subpixel` points; older rows decoded at the
    argmax."""
    table = tmp_path / "ablation.csv"
    fields = ["row", "precision", "iterations", "training_TFLOP", "Total_mAP", "MOTA", "overrides"]
    with open(table, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerow(dict(row="ff8-no-rot-scale", precision="bf16", iterations=3750, training_TFLOP=69.8,
                        Total_mAP=51.3, MOTA=33.2, overrides="train.seed=0"))
        w.writerow(dict(row="subpixel", precision="bf16", iterations=3750, training_TFLOP=69.8,
                        Total_mAP=53.0, MOTA=35.0,
                        overrides="decoding.subpixel=false train.seed=0 decoding.subpixel=true"))
        w.writerow(dict(row="subpixel-seed1", precision="bf16", iterations=3750, training_TFLOP=69.8,
                        Total_mAP=50.0, MOTA=30.0,
                        overrides="decoding.subpixel=true decoding.subpixel=false"))
        w.writerow(dict(row="flip", precision="bf16", iterations=3750, training_TFLOP=69.8,
                        Total_mAP=56.0, MOTA=36.0,
                        overrides="decoding.subpixel=true decoding.flip_test=true"))
    points = {p["point"]: p["decoding"] for p in ablation_points(table, (*DEFAULT_RECIPE_ROWS, "flip"))}
    # the last override wins, as in posekit.config.apply_overrides
    assert points == {"ff8-no-rot-scale": "argmax", "subpixel": "subpixel", "subpixel-seed1": "argmax",
                      "flip": "subpixel+flip"}


def test_points_carry_their_recipe(tmp_path: Path) -> None:
    """Component 2's width tells the two default recipes apart: a row's last `network.component2_filters=`
    (none or 0: as wide as component 1, `c2f32`), a run folder's config (`single_person_filters`)."""
    from posekit.config import apply_overrides, get_profile, save_config
    from scripts.compute_scaling import run_point

    table = tmp_path / "ablation.csv"
    fields = ["row", "precision", "iterations", "training_TFLOP", "Total_mAP", "MOTA", "overrides"]
    with open(table, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for row, overrides in (("flip", "network.component2_filters=0"), ("flip-seed1", "train.seed=1"),
                               ("c2f16", "network.component2_filters=0 network.component2_filters=16")):
            w.writerow(dict(row=row, precision="bf16", iterations=3750, training_TFLOP=69.8, Total_mAP=50.0,
                            MOTA=30.0, overrides=overrides))
    recipes = {p["point"]: p["recipe"] for p in ablation_points(table)}
    assert recipes == {"flip": "c2f32", "flip-seed1": "c2f32", "c2f16": "c2f16"}
    for name, overrides, recipe in (("new", [], "c2f16"), ("old", ["network.component2_filters=0"], "c2f32")):
        run = tmp_path / name
        (run / "tables").mkdir(parents=True)
        save_config(apply_overrides(get_profile("cpu"), overrides), run / "config.json")
        (run / "tables" / "table1.csv").write_text(",Total\nposekit,60.0\n")
        (run / "tables" / "table2.csv").write_text(",MOTA Total\nposekit,40.0\n")
        assert run_point(run)["recipe"] == recipe
