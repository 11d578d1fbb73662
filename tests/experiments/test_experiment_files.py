"""Experiment files are validated like scenarios: FILE:LINE: dotted.path: message, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.experiments import sweep
from iopsim.experiments.resolve import load_experiment
from iopsim.scenario.loader import ScenarioError

from .helpers import REPO, write_experiment


def sweep_cli(path: Path, out: Path, *args: str):
    return CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "-j", "1", *args])


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def expect_problems(tmp_path: Path, body: str, *expected: tuple[str, str, str]) -> None:
    """Each expected (needle on the line, dotted path, message fragment) is reported; exit 2; no folder."""
    path = write_experiment(tmp_path, body)
    out = tmp_path / "out"
    result = sweep_cli(path, out)
    assert result.exit_code == 2, result.output
    for needle, dotted, fragment in expected:
        head = f"{path}:{line_of(path, needle)}: {dotted}: "
        assert any(line.startswith(head) and fragment in line for line in result.stderr.splitlines()), (
            head, fragment, result.stderr)
    assert "nothing was run or written" in result.stderr
    assert not out.exists()


def test_a_parameter_value_that_breaks_the_scenario_is_blamed_on_its_own_line(tmp_path):
    expect_problems(tmp_path, """\
        parameters:
          - path: counselors.count
            values: [3,
                     0]
        """, ("0]", "parameters.0.values.1", "counselors.count = 0: the timetable needs at least one counselor"))


def test_a_misspelt_path_gets_a_suggestion(tmp_path):
    expect_problems(tmp_path, """\
        parameters:
          - path: referrals.rate_per_wek
            values: [5]
        """, ("values: [5]", "parameters.0.values.0", "did you mean 'rate_per_week'"))


def test_schema_problems_of_the_experiment_itself(tmp_path):
    expect_problems(tmp_path, """\
        parameters:
          - path: counselors.count
            values: [3]
            range: {low: 1, high: 2}
        replicatons: 3
        """, ("- path: counselors.count", "parameters.0", "either `values`"),
        ("replicatons", "replicatons", "did you mean 'replications'"))


def test_cross_field_rules(tmp_path):
    expect_problems(tmp_path, """\
        parameters:
          - path: referrals.rate_per_week
            range: {low: 6, high: 12}
          - path: group_rooms
            values: [0, 2]
        sampling: {method: sobol, points: 10}
        kpis: [admitted_within_14_day_pct]
        """, ("sampling:", "sampling.points", "power of 2"),
        ("kpis:", "kpis.0", "did you mean 'admitted_within_14_days_pct'"),
        ("values: [0, 2]", "parameters.1.values.0", "whole number >= 1"))


def test_a_range_without_sampling_and_a_room_count_the_timetable_cannot_take(tmp_path):
    expect_problems(tmp_path, """\
        parameters:
          - path: referrals.rate_per_week
            range: {low: 6, high: 12}
        """, ("range:", "parameters.0.range", "needs a `sampling:` section"))
    expect_problems(tmp_path, """\
        parameters:
          - path: group_rooms
            values: [1]
        """, ("values: [1]", "parameters.0.values.0", "group_rooms = 1: phases.1.name: phase 'middle' has no session"))


def test_a_range_that_makes_the_base_scenario_invalid_names_the_experiment_parameter(tmp_path):
    # max_size below the baseline's min_size 3 breaks a rule checked on the scenario file's line
    path = write_experiment(tmp_path, """\
        parameters:
          - path: referrals.rate_per_week
            values: [9]
          - path: groups.max_size
            range: {low: 1, high: 2, integer: true}
        sampling: {method: lhs, points: 2, seed: 1}
        """)
    result = sweep_cli(path, tmp_path / "out")
    assert result.exit_code == 2
    head = f"{path}:{line_of(path, 'range:')}: parameters.1 (groups.max_size): groups.max_size = 1 makes the base "
    assert any(line.startswith(head) and "baseline.yaml:" in line and "groups.min_size: min_size 3 exceeds" in line
               for line in result.stderr.splitlines()), result.stderr


def test_overrides_are_checked_at_their_own_key(tmp_path):
    path = write_experiment(tmp_path, "parameters:\n  - {path: counselors.count, values: [3]}\n",
                            overrides={"run.horizon_yeers": 2})
    with pytest.raises(ScenarioError) as err:
        load_experiment(path)
    [problem] = err.value.problems
    assert (problem.line, problem.path) == (line_of(path, "horizon_yeers"), "overrides.run.horizon_yeers")


def test_a_missing_base_scenario_is_named(tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text("name: x\nscenario: nowhere.yaml\nparameters:\n  - {path: counselors.count, values: [3]}\n")
    result = sweep_cli(path, tmp_path / "out")
    assert result.exit_code == 2
    assert f"{path}:2: scenario: scenario file not found: {tmp_path / 'nowhere.yaml'}" in result.stderr


@pytest.mark.parametrize("name, points", [("staffing-grid", 15), ("referral-growth", 48), ("sensitivity", 64)])
def test_shipped_experiments_are_valid(name, points):
    plan = sweep.plan(load_experiment(REPO / "experiments" / f"{name}.yaml"))
    assert len(plan.points) == points
