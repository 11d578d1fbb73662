"""Sensitivity analysis: known indices of test functions through the same path as the simulation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.experiments import sensitivity as sa
from iopsim.experiments.schema import SensitivitySettings
from tests.terminal_fit import NARROW, assert_fits, flat

from .helpers import REPO, write_experiment

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


def test_sobol_recovers_the_ishigami_indices_and_passes_every_check():
    result = sa.run(ISHIGAMI, "sobol", SensitivitySettings(samples=2048, bootstrap=200, seed=3), ["y"], ishigami)
    assert result.diagnostics["ok"].all(), result.diagnostics
    assert sorted(set(result.convergence["N"])) == [512, 1024, 2048]


SIX = ["rate", "counselors", "c", "d", "e", "f"]  # the shape of the shipped experiment: 6 inputs, one integer


def six_inputs(levels_low: int = 3, levels_high: int = 6) -> dict:
    return {"num_vars": 6, "names": SIX, "bounds": [[7, 11], [levels_low, levels_high], [0, 1], [0, 1], [0, 1], [0, 1]],
            "levels": [0, levels_high - levels_low + 1, 0, 0, 0, 0]}


SHIPPED = SensitivitySettings(samples=64, bootstrap=200, seed=1)


def test_a_step_function_of_one_integer_input_has_total_index_one_at_the_shipped_size():
    result = sa.run(six_inputs(), "sobol", SHIPPED, ["y"], lambda V: (V[:, 1] ** 2)[:, None])
    frame = result.frame.set_index("parameter")
    assert frame.loc["counselors", "ST"] == pytest.approx(1.0, abs=1e-9)
    assert frame.loc["counselors", "S1"] == pytest.approx(1.0, abs=1e-9)
    assert frame.drop("counselors")["ST"].abs().max() < 1e-9
    assert result.diagnostics["ok"].all(), result.diagnostics
    assert result.warnings == []


def test_integer_levels_are_paired_evenly_and_a_and_b_stay_independent():
    problem = six_inputs()
    X = sa.sample(problem, "sobol", SHIPPED)
    step = 6 + 2
    a, b = X[0::step, 1], X[step - 1::step, 1]
    for rows in (slice(0, 16), slice(0, 32), slice(None)):  # the convergence prefixes too
        pairs = pd.Series(list(zip(a[rows], b[rows], strict=True))).value_counts()
        assert len(pairs) == 16 and pairs.nunique() == 1
    assert set(np.unique(X[:, 1])) == {3, 4, 5, 6}
    # AB_j takes input j from B and the rest from A, as SALib's estimators expect
    assert (X[2::step, 1] == b).all() and (X[1::step, 1] == a).all()
    assert abs(np.corrcoef(a, X[0::step, 0])[0, 1]) < 0.3


def test_balanced_pairs_spread_a_remainder_evenly():
    a, b = sa.balanced_pairs(20, 3, np.random.default_rng(0))  # 2 full cycles of 9, and 2 more
    assert np.bincount(a, minlength=3).tolist() in ([7, 7, 6], [7, 6, 7], [6, 7, 7])
    assert max(np.bincount(b, minlength=3)) - min(np.bincount(b, minlength=3)) <= 1
    assert len(set(zip(a, b, strict=True))) == 9


def mixed(V: np.ndarray) -> np.ndarray:
    """y = k x1 + x2 with k = counselors - 3 in {0..3}: known indices, an interaction, three dummies."""
    k = V[:, 1] - 3
    x1, x2 = (V[:, 0] - 7) / 4, V[:, 2]
    return (k * x1 + x2)[:, None]


def mixed_indices() -> tuple[dict, dict]:
    ek, vk, ek2 = 1.5, 1.25, 3.5
    v_kx1 = ek2 / 3 - (ek / 2) ** 2
    v = v_kx1 + 1 / 12
    s1 = {"counselors": vk / 4 / v, "rate": ek**2 / 12 / v, "c": 1 / 12 / v}
    interaction = (v_kx1 - vk / 4 - ek**2 / 12) / v
    st = {"counselors": s1["counselors"] + interaction, "rate": s1["rate"] + interaction, "c": s1["c"]}
    return s1, st


def test_sobol_recovers_known_indices_of_integer_and_continuous_inputs_within_their_cis():
    s1, st = mixed_indices()
    assert st["counselors"] == pytest.approx(0.6061, abs=1e-4)
    result = sa.run(six_inputs(), "sobol", SHIPPED, ["y"], mixed)
    frame = result.frame.set_index("parameter")
    for name in SIX:
        assert abs(frame.loc[name, "S1"] - s1.get(name, 0.0)) <= frame.loc[name, "S1_conf"] + 1e-9, name
        assert abs(frame.loc[name, "ST"] - st.get(name, 0.0)) <= frame.loc[name, "ST_conf"] + 1e-9, name
    assert result.diagnostics["ok"].all(), result.diagnostics


def utilization_stand_in(V: np.ndarray) -> np.ndarray:
    """Counselor utilization of the shipped experiment's shape (demand over capacity, a little of the
    other inputs): the counselor level explains about 0.95 of the variance, as issue 14 measured."""
    load = 200 * np.sqrt(V[:, 0] / 9) * (1 - 0.2 * V[:, 2]) / V[:, 1]
    return (load + V[:, 3] + 0.5 * V[:, 4])[:, None]


def test_shipped_design_gives_indices_that_agree_with_the_variance_shares_of_its_independent_rows():
    from iopsim.experiments.resolve import load_experiment

    e = load_experiment(REPO / "experiments" / "sensitivity.yaml").experiment
    problem = sa.problem_of(e)
    counselors = problem["names"].index("counselors.count")
    assert problem["levels"][counselors] == 4

    low, high = np.array(problem["bounds"]).T
    others = [j for j in range(6) if j not in (0, counselors)]

    def stand_in(V):  # rate and counselors as simulated, the others scaled to [0, 1]
        unit = (V - low) / (high - low)
        return utilization_stand_in(np.column_stack([V[:, 0], V[:, counselors], unit[:, others]]))

    result = sa.run(problem, "sobol", e.sensitivity, ["u"], stand_in)
    diag = result.diagnostics.set_index("check")
    share = diag.loc["level_share(counselors.count)", "value"]
    st = result.frame.set_index("parameter").loc["counselors.count"]
    assert share > 0.8
    assert abs(st["ST"] - share) <= st["ST_conf"] + 0.05
    assert diag["ok"].all(), result.diagnostics
    # the same function on the equal-width bins of the plain Sobol sequence is what issue 14 found
    from SALib.sample import sobol

    X = sobol.sample(sa._salib(problem), e.sensitivity.samples, calc_second_order=False, seed=1)
    broken = sa.analyse(problem, "sobol", X, stand_in(sa.values_of(problem, X)), ["u"], e.sensitivity)
    checks = broken.diagnostics.set_index("check")
    assert checks.loc["level_pairs(counselors.count)", "value"] == 8  # of 16, as issue 14 found
    failed = set(checks.index[~checks["ok"].astype(bool)])
    assert {"level_pairs(counselors.count)", "level_share(counselors.count)", "sum_ST>=1"} <= failed


def test_too_few_samples_for_the_integer_levels_is_warned_and_written():
    result = sa.run(six_inputs(), "sobol", SensitivitySettings(samples=8, seed=1), ["y"], mixed)
    assert any("16 (A, B) level combinations but samples is 8" in w and "samples >= 16" in w for w in result.warnings)
    design = result.diagnostics[result.diagnostics["check"] == "design"]
    assert len(design) == 1 and not design["ok"].any()
    assert not result.diagnostics.set_index("check").loc["level_pairs(counselors)", "ok"]


def test_noise_share_ignores_noise_common_to_all_points():
    rng = np.random.default_rng(5)
    f = rng.uniform(0, 1, 400)  # point values, variance 1/12
    common = rng.normal(0, 5, 4)  # the same on every point of a replication (common random numbers)
    own = rng.normal(0, 0.2, (400, 4))  # variance of a point mean: 0.04 / 4
    assert sa.noise_share(f[:, None] + common[None, :]) == pytest.approx(0.0, abs=1e-12)
    expected = 0.01 / (1 / 12 + 0.01)
    assert sa.noise_share(f[:, None] + common[None, :] + own) == pytest.approx(expected, rel=0.2)
    assert np.isnan(sa.noise_share(f[:, None]))


def test_noise_check_fires_on_a_noisy_output():
    def noisy(V):
        rng = np.random.default_rng(0)
        return mixed(V)[:, :, None] + rng.normal(0, 1.0, (V.shape[0], 1, 3))

    result = sa.run(six_inputs(), "sobol", SHIPPED, ["y"], noisy)
    assert result.replications == 3
    row = result.diagnostics.set_index("check").loc["noise_share"]
    assert not row["ok"] and row["value"] == pytest.approx((1 / 3) / (0.6875 + 1 / 3), abs=0.1)


@pytest.mark.parametrize("check, rows, conv", [
    ("sum_S1<=1", [("a", 0.7, 0.05, 0.7, 0.05), ("b", 0.6, 0.05, 0.6, 0.05)], None),
    ("S1<=ST", [("a", 0.8, 0.05, 0.5, 0.05), ("b", 0.2, 0.05, 0.5, 0.05)], None),
    ("non_negative", [("a", 1.0, 0.05, 1.0, 0.05), ("b", -0.3, 0.1, 0.01, 0.05)], None),
    ("sum_ST>=1", [("a", 0.3, 0.05, 0.4, 0.05), ("b", 0.3, 0.05, 0.4, 0.05)], None),
    ("converged", [("a", 0.5, 0.05, 0.5, 0.05), ("b", 0.5, 0.05, 0.5, 0.05)], {"a": (0.5, 0.9), "b": (0.5, 0.5)}),
])
def test_each_consistency_check_fires_on_a_constructed_case(check, rows, conv):
    from iopsim.experiments import sensitivity_checks as checks

    index_rows = [{"kpi": "y", "parameter": p, "S1": s1, "S1_conf": c1, "ST": st, "ST_conf": c2}
                  for p, s1, c1, st, c2 in rows]
    convergence = [{"kpi": "y", "parameter": p, "N": n, "S1": v, "ST": v, "S1_conf": 0.1, "ST_conf": 0.1}
                   for p, (half, full) in (conv or {}).items() for n, v in ((32, half), (64, full))]
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    X = np.zeros((8, 2))
    found = {c[1]: c for c in checks.run_checks(problem, "sobol", X, np.arange(8.0), np.zeros((8, 1)), index_rows,
                                                convergence, "y")}
    assert not found[check][2], found[check]
    others = [c for name, c in found.items() if name not in (check, "converged") and not c[2]]
    assert others == [], others  # only the constructed violation fires


def test_morris_with_integer_levels_on_its_grid_recovers_the_coefficient():
    problem = {"num_vars": 2, "names": ["k", "x"], "bounds": [[3, 6], [0, 1]], "levels": [4, 0]}
    result = sa.run(problem, "morris", SensitivitySettings(samples=10, num_levels=4, seed=1), ["y"],
                    lambda V: (5 * V[:, 0] + 2 * V[:, 1])[:, None])
    frame = result.frame.set_index("parameter")
    assert list(frame["mu_star"]) == pytest.approx([5 * 3, 2.0])
    assert result.warnings == []
    off_grid = sa.design_warnings(problem, "morris", SensitivitySettings(samples=10, num_levels=6))
    assert off_grid and "set num_levels: 4" in off_grid[0]


def test_second_order_indices_of_a_product():
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[-1, 1]] * 3}
    result = sa.run(problem, "sobol", SensitivitySettings(samples=1024, seed=2), ["y"],
                    lambda V: (V[:, 0] * V[:, 1] + 0.1 * V[:, 2])[:, None], second_order=True)
    frame = result.frame.set_index("parameter")
    v = 1 / 9 + 0.01 / 3
    assert frame.loc["a x b", "S2"] == pytest.approx(1 / 9 / v, abs=0.1)
    assert abs(frame.loc["a x c", "S2"]) < 0.1
    assert result.points == 1024 * (2 * 3 + 2)


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
    result = CliRunner().invoke(main, args, env=NARROW)
    assert result.exit_code == 0, result.output
    assert_fits(result.stdout)
    indices = pd.read_csv(out / f"indices-{method}.csv")
    assert set(indices["parameter"]) == {"referrals.rate_per_week", "counselors.count"}
    assert (out / f"indices-{method}.png").exists()
    table = pd.read_csv(out / "points.csv")
    assert len(table) == points
    assert set(table["counselors.count"]) <= {3, 4, 5}
    design = json.loads((out / "provenance.json").read_text())["design"]
    assert design["method"] == method and design["samples"] == 4 and design["points"] == points
    codebook = pd.read_csv(out / "codebook.csv", keep_default_na=False)
    described = codebook[codebook["file"] == f"indices-{method}.csv"]
    assert list(described["column"]) == list(indices.columns) and (described["meaning"] != "").all()
    assert "census_mean: Sobol indices" in result.output or "census_mean: Morris" in result.output
    if method == "sobol":  # 3 levels need 9 (A, B) pairings: N=4 is too small, and says so
        assert "Warning: counselors.count: 3 levels make 9" in flat(result.stderr)
        assert "check level_pairs(counselors.count) failed" in flat(result.stderr)
    assert {"N", "replications", "bootstrap", "seed"} <= set(indices.columns)
    assert (indices["N"] == 4).all() and (indices["replications"] == 1).all() and (indices["bootstrap"] == 20).all()
    diagnostics = pd.read_csv(out / f"diagnostics-{method}.csv")
    assert "noise_share" in set(diagnostics["check"])
    assert "Simulated " in result.stderr
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and f"{points} points already in" in again.stderr
    assert "nothing simulated" in again.stderr and "Simulated " not in again.stderr
    # a re-analysis writes new files next to the first, which are kept as they were
    pd.testing.assert_frame_equal(pd.read_csv(out / f"indices-{method}.csv"), indices)
    pd.testing.assert_frame_equal(pd.read_csv(out / f"indices-{method}-2.csv"), indices)
    assert (out / f"diagnostics-{method}-2.csv").exists() and (out / f"indices-{method}-2.png").exists()


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


def test_given_data_methods_recover_a_linear_function_from_a_latin_hypercube():
    from iopsim.experiments.design import unit_sample

    problem = {"num_vars": 3, "names": ["a", "b", "dummy"], "bounds": [[0, 1], [0, 1], [0, 1]]}
    X = unit_sample("lhs", 1024, 3, 4)
    Y = (2 * X[:, 0] + X[:, 1])[:, None]  # S1 = 0.8, 0.2, 0
    settings = SensitivitySettings(samples=64, bootstrap=100, seed=1)
    rbd = sa.analyse_given(problem, "rbd-fast", X, Y, ["y"], settings)
    assert list(rbd.frame["S1"]) == pytest.approx([0.8, 0.2, 0.0], abs=0.05)
    rbd_checks = rbd.diagnostics
    assert rbd_checks["ok"].all() and {"sum_S1<=1", "non_negative"} <= set(rbd_checks["check"])
    pawn = sa.analyse_given(problem, "pawn", X, Y, ["y"], settings).frame.set_index("parameter")
    assert pawn.loc["a", "pawn_median"] > pawn.loc["b", "pawn_median"] > pawn.loc["dummy", "pawn_median"]


def test_sensitivity_from_an_existing_sweep_simulates_nothing(tmp_path):
    body = TINY.replace("sensitivity: {samples: 4, bootstrap: 20, seed: 1}",
                        "sampling: {method: lhs, points: 12, seed: 2}\nsensitivity: {bootstrap: 20, seed: 1}")
    path = write_experiment(tmp_path, body)
    out = tmp_path / "sweep"
    missing = CliRunner().invoke(main, ["sensitivity", str(path), "--method", "rbd-fast", "--sweep", str(out)])
    assert missing.exit_code == 2 and "run `iopsim sweep" in missing.stderr
    assert CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "-j", "1"]).exit_code == 0
    before = sorted(p.name for p in (out / "points").iterdir())
    result = CliRunner().invoke(main, ["sensitivity", str(path), "--method", "rbd-fast", "--sweep", str(out)],
                                env=NARROW)
    assert result.exit_code == 0, result.output
    assert_fits(result.stdout)
    assert "nothing simulated" in result.stderr and "Simulated" not in result.stderr
    indices = pd.read_csv(out / "indices-rbd-fast.csv")
    assert set(indices["parameter"]) == {"referrals.rate_per_week", "counselors.count"}
    assert (indices["points"] == 12).all() and (out / "indices-rbd-fast.png").exists()
    assert sorted(p.name for p in (out / "points").iterdir()) == before
    # the Python API reads the same points (their parameters, one row per point) to the same indices
    from iopsim import api

    again = api.sensitivity(path, tmp_path / "api", method="rbd-fast", sweep_dir=out)
    np.testing.assert_allclose(again.frame["S1"].to_numpy(float), indices["S1"].to_numpy(float))
    assert sorted(p.name for p in (out / "points").iterdir()) == before
