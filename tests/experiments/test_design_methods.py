"""Screening and response-surface designs (pyDOE3) and a design read from a CSV file of points."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.experiments.design import design_points
from iopsim.experiments.schema import Experiment, check_experiment

from .helpers import write_experiment

RANGES = [
    {"path": "referrals.rate_per_week", "range": {"low": 7, "high": 11}},
    {"path": "counselors.count", "range": {"low": 3, "high": 6, "integer": True}},
    {"path": "intake.no_show_prob", "range": {"low": 0.1, "high": 0.3}},
    {"path": "attendance.group_attendance_prob", "range": {"low": 0.7, "high": 0.9}},
]


def experiment(sampling: dict, parameters: list[dict] = RANGES) -> Experiment:
    return Experiment.model_validate({"name": "t", "scenario": "x.yaml", "parameters": parameters,
                                      "sampling": sampling})


def matrix(e: Experiment) -> np.ndarray:
    return np.array([list(p.values()) for p, _ in design_points(e)], dtype=float)


def test_fractional_factorial_is_a_balanced_orthogonal_two_level_fraction():
    x = matrix(experiment({"method": "fractional-factorial", "resolution": 3}))
    assert x.shape == (8, 4)  # 2^(4-1): half of the 16 corners
    lows, highs = np.array([7, 3, 0.1, 0.7]), np.array([11, 6, 0.3, 0.9])
    assert ((x == lows) | (x == highs)).all()
    coded = np.where(x == highs, 1, -1)
    assert (coded.sum(axis=0) == 0).all()  # every factor half low, half high
    assert (coded.T @ coded == 8 * np.eye(4)).all()  # main effects orthogonal


def test_plackett_burman_screens_with_few_runs():
    x = matrix(experiment({"method": "plackett-burman"}, RANGES[:3]))
    assert x.shape == (4, 3)
    assert set(x[:, 1]) == {3, 6}


def test_central_composite_stays_inside_the_ranges_with_centre_and_axial_points():
    e = experiment({"method": "central-composite", "center_points": 1}, RANGES[:2])
    x = matrix(e)
    assert len(x) == 4 + 4 + 1  # corners, axial points on the faces, one centre point
    assert (x[:, 0] >= 7).all() and (x[:, 0] <= 11).all()
    assert sorted(set(x[:, 0])) == [7, 9, 11]
    assert sorted(set(x[:, 1])) == [3, 5, 6]  # the integer range's centre 4.5 rounds up to 5
    inscribed = matrix(experiment({"method": "central-composite", "face": "inscribed"}, RANGES[:2]))
    assert inscribed[:, 0].min() == 7 and inscribed[:, 0].max() == 11 and 7 < sorted(inscribed[:, 0])[1] < 9


@pytest.mark.parametrize("sampling, where, fragment", [
    ({"method": "plackett-burman", "points": 8}, "sampling.points", "sets the number of points itself"),
    ({"method": "lhs"}, "sampling.points", "needs `points`"),
    ({"method": "file"}, "sampling.file", "method file needs `file: POINTS.csv`"),
    ({"method": "lhs", "points": 4, "file": "p.csv"}, "sampling.file", "is for method file"),
    ({"method": "lhs", "points": 4, "resolution": 4}, "sampling.resolution", "is for method fractional-factorial"),
])
def test_sampling_settings_that_do_not_fit_the_method_are_named(sampling, where, fragment):
    problems = check_experiment(experiment(sampling))
    assert any(w == where and fragment in m for w, m in problems), problems


def test_a_screening_design_needs_two_ranges():
    problems = check_experiment(experiment({"method": "central-composite"}, RANGES[:1]))
    assert problems == [("sampling.method", "a central-composite design needs at least 2 parameters with a range "
                         "(got 1); give one parameter `values` instead")]


FILE_DESIGN = """\
parameters:
  - path: counselors.count
    values: [3, 4]
  - path: referrals.rate_per_week
    range: {low: 7, high: 11}
  - path: intake.no_show_prob
    range: {low: 0.1, high: 0.3}
sampling: {method: file, file: points.csv}
replications: 1
seed: 3
"""


def sweep(tmp_path: Path, csv_text: str, *args: str):
    (tmp_path / "points.csv").write_text(csv_text)
    path = write_experiment(tmp_path, FILE_DESIGN, overrides={"run.horizon_years": 0.5, "run.warmup_weeks": 4})
    out = tmp_path / "out"
    return path, out, CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "-j", "1", *args])


def test_a_design_file_gives_the_points_crossed_with_the_grid_and_is_kept(tmp_path):
    text = "intake.no_show_prob,referrals.rate_per_week\n0.15,8\n\n0.25,10.5\n"
    path, out, result = sweep(tmp_path, text)
    assert result.exit_code == 0, result.output
    results = pd.read_csv(out / "results.csv")
    assert list(results["referrals.rate_per_week"]) == [8, 10.5, 8, 10.5]
    assert list(results["intake.no_show_prob"]) == [0.15, 0.25, 0.15, 0.25]
    assert list(results["counselors.count"]) == [3, 3, 4, 4]
    assert (out / "design.csv").read_text() == text
    design = json.loads((out / "provenance.json").read_text())["design"]
    assert design["method"] == "file" and design["file"]["path"] == str(tmp_path / "points.csv")


@pytest.mark.parametrize("text, line, column, fragment", [
    ("referrals.rate_per_weak,intake.no_show_prob\n8,0.2\n", 1, "referrals.rate_per_weak",
     "not a parameter with a `range` in the experiment (those are referrals.rate_per_week, intake.no_show_prob); "
     "did you mean 'referrals.rate_per_week'?"),
    ("referrals.rate_per_week\n8\n", 1, "intake.no_show_prob", "column missing"),
    ("referrals.rate_per_week,intake.no_show_prob\n8,0.2\n9,lots\n", 3, "intake.no_show_prob",
     "'lots' is not a number"),
    ("referrals.rate_per_week,intake.no_show_prob\n12,0.2\n", 2, "referrals.rate_per_week",
     "12 is outside the range 7 to 11 the experiment declares"),
    ("referrals.rate_per_week,intake.no_show_prob\n8,0.2,1\n", 2, "", "3 cells, the header has 2"),
    ("referrals.rate_per_week,intake.no_show_prob\n8,\n", 2, "intake.no_show_prob", "empty cell"),
    ("referrals.rate_per_week,intake.no_show_prob\n", 2, "", "no points"),
])
def test_a_bad_design_file_is_refused_at_its_line_and_column(tmp_path, text, line, column, fragment):
    _, out, result = sweep(tmp_path, text)
    assert result.exit_code == 2
    where = f"{column}: " if column else ""
    assert f"{tmp_path / 'points.csv'}:{line}: {where}{fragment}" in result.stderr, result.stderr
    assert not out.exists()


def test_a_design_row_that_breaks_the_scenario_is_blamed_on_its_row(tmp_path):
    parameters = FILE_DESIGN.replace("intake.no_show_prob\n    range: {low: 0.1, high: 0.3}",
                                     "groups.max_size\n    range: {low: 1, high: 12, integer: true}")
    (tmp_path / "points.csv").write_text("referrals.rate_per_week,groups.max_size\n8,10\n9,2\n")
    path = write_experiment(tmp_path, parameters)
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "out"), "-j", "1"])
    assert result.exit_code == 2
    assert f"{tmp_path / 'points.csv'}:3: groups.max_size: groups.max_size = 2 makes the base scenario invalid" \
        in result.stderr, result.stderr


def test_an_integer_range_refuses_a_fraction_in_the_design_file(tmp_path):
    parameters = FILE_DESIGN.replace("intake.no_show_prob\n    range: {low: 0.1, high: 0.3}",
                                     "groups.max_size\n    range: {low: 1, high: 12, integer: true}")
    (tmp_path / "points.csv").write_text("referrals.rate_per_week,groups.max_size\n8,10.5\n")
    path = write_experiment(tmp_path, parameters)
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "out"), "-j", "1"])
    assert result.exit_code == 2
    assert f"{tmp_path / 'points.csv'}:2: groups.max_size: 10.5 is not a whole number" in result.stderr


def test_a_missing_design_file_is_named_at_its_line_in_the_experiment(tmp_path):
    path = write_experiment(tmp_path, FILE_DESIGN)
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "out"), "-j", "1"])
    assert result.exit_code == 2
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "sampling:" in t)
    assert f"{path}:{line}: sampling.file: design file not found: {tmp_path / 'points.csv'}" in result.stderr
