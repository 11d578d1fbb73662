"""Sensitivity analysis: known indices of test functions through the same path as the simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.experiments import sensitivity as sa
from iopsim.experiments.schema import SensitivitySettings

from .helpers import write_experiment

PI = np.pi
ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return (np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0]))[:, None]


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[list[float], list[float]]:
    """Analytic first-order and total Sobol indices (Ishigami & Homma 1990; Sobol' & Levitan 1999)."""
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def test_sobol_recovers_the_ishigami_indices():
    s1, st = ishigami_indices()
    assert s1 == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)
    result = sa.run(ISHIGAMI, "sobol", SensitivitySettings(samples=2048, bootstrap=200, seed=3), ["y"], ishigami)
    frame = result.frame.set_index("parameter")
    assert result.points == 2048 * (3 + 2)
    assert list(frame["S1"]) == pytest.approx(s1, abs=0.04)
    assert list(frame["ST"]) == pytest.approx(st, abs=0.04)
    # the bootstrap 95% intervals are honest about that error
    assert (frame["S1_conf"] > 0).all() and (frame["S1_conf"] < 0.1).all()
    assert (abs(frame["ST"] - st) < 2 * frame["ST_conf"]).all()


def test_morris_recovers_the_coefficients_of_a_linear_function():
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1], [0, 2], [5, 6]]}
    result = sa.run(problem, "morris", SensitivitySettings(samples=10, seed=1), ["y"],
                    lambda X: (2 * X[:, 0] - 3 * X[:, 1] + 0 * X[:, 2])[:, None])
    frame = result.frame.set_index("parameter")
    # elementary effects are taken on the unit-scaled inputs: mu* = |coefficient| x range width
    assert list(frame["mu_star"]) == pytest.approx([2.0, 6.0, 0.0])
    assert list(frame["mu"]) == pytest.approx([2.0, -6.0, 0.0])
    assert list(frame["sigma"]) == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    assert result.points == 10 * 4


def test_constant_or_undefined_outputs_are_skipped_with_a_reason():
    def outputs(X):
        y = ishigami(X)[:, 0]
        return np.column_stack([y, np.ones_like(y), np.where(X[:, 0] > 0, np.nan, y)])

    result = sa.run(ISHIGAMI, "sobol", SensitivitySettings(samples=64, seed=1), ["y", "one", "nan"], outputs)
    assert set(result.frame["kpi"]) == {"y"}
    assert result.skipped["one"].startswith("the same at every point")
    assert result.skipped["nan"].startswith("undefined at")


TINY = """\
parameters:
  - path: referrals.rate_per_week
    range: {low: 7, high: 11}
  - path: counselors.count
    range: {low: 3, high: 5, integer: true}
replications: 1
seed: 3
kpis: [admitted_within_14_days_pct, census_mean]
sensitivity: {samples: 4, bootstrap: 20, seed: 1}
"""


@pytest.mark.parametrize("method, points", [("sobol", 4 * (2 + 2)), ("morris", 4 * (2 + 1))])
def test_sensitivity_command_runs_the_simulation_as_a_resumable_sweep(tmp_path, method, points):
    path = write_experiment(tmp_path, TINY)
    out = tmp_path / "out"
    args = ["sensitivity", str(path), "--method", method, "--out", str(out), "-j", "2"]
    result = CliRunner().invoke(main, args, env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    indices = pd.read_csv(out / f"indices-{method}.csv")
    assert set(indices["parameter"]) == {"referrals.rate_per_week", "counselors.count"}
    assert (out / f"indices-{method}.png").exists()
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == points
    assert set(summary["counselors.count"]) <= {3, 4, 5}
    assert "census_mean: Sobol indices" in result.output or "census_mean: Morris" in result.output
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and f"{points} points already in" in again.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / f"indices-{method}.csv"), indices)


def test_sensitivity_needs_ranges_and_a_power_of_two(tmp_path):
    body = TINY.replace("range: {low: 7, high: 11}", "values: [7, 11]").replace("samples: 4", "samples: 6")
    path = write_experiment(tmp_path, body)
    result = CliRunner().invoke(main, ["sensitivity", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = path.read_text().splitlines()
    values_line = next(i for i, line in enumerate(lines, 1) if "values: [7, 11]" in line)
    samples_line = next(i for i, line in enumerate(lines, 1) if "samples: 6" in line)
    assert f"{path}:{values_line}: parameters.0.values: sensitivity analysis needs a `range`" in result.stderr
    assert f"{path}:{samples_line}: sensitivity.samples: Sobol (Saltelli) sampling needs a power of 2" in result.stderr
    assert not (tmp_path / "out").exists()
