"""`iopsim metamodel`: known quadratic responses are recovered, CRN noise is split, bad input is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.experiments import executors, metamodel_study, sweep
from iopsim.experiments import metamodel as mm
from iopsim.experiments.metamodel_data import load_sweep
from iopsim.experiments.resolve import load_experiment
from iopsim.experiments.store import ResultStore
from iopsim.scenario.loader import load_scenario
from iopsim.scenario.schema import Scenario

from .helpers import BASELINE, SHORT, write_experiment

# referrals_per_year with referrals exactly 1/rate weeks apart: rate x 52.14 (up to a whole referral),
# whatever the counselors; a real simulated sweep whose response is known without noise.
REFERRALS_SWEEP = """\
parameters:
  - path: referrals.rate_per_week
    values: [6, 9, 12]
  - path: counselors.count
    range: {low: 3, high: 6, integer: true}
sampling: {method: lhs, points: 3, seed: 4}
replications: 1
seed: 3
"""
KNOWN_SWEEP = """\
parameters:
  - path: counselors.count
    values: [2, 3, 4, 5, 6]
  - path: referrals.rate_per_week
    range: {low: 4, high: 14}
sampling: {method: lhs, points: 8, seed: 1}
replications: 6
seed: 9
"""


def run_cli(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def known(a, b):
    return 3 + 2 * a - b + 0.5 * a**2 + 0.8 * a * b


def known_kpis(scenario: Scenario, seed: int, replication: int) -> dict[str, float]:
    """A known quadratic of (rate, counselors) plus noise N(0, 1) from the replication's own random
    stream (shared by every point that runs this seed) and N(0, 0.3^2) of the point's own."""
    from iopsim.model.streams import RandomStreams

    a, b = scenario.referrals.rate_per_week, scenario.counselors.count
    shared = RandomStreams(seed, replication).generator("metamodel-test").normal()
    own = np.random.default_rng([seed, replication, int(a * 1e6), b]).normal(0, 0.3)
    return {"waitlist_mean": known(a, b) + shared + own}


def known_sweep(folder: Path, crn: bool) -> Path:
    """KNOWN_SWEEP run through the sweep machinery (plan, store, tables) with `known_kpis` as the model."""
    path = write_experiment(folder, KNOWN_SWEEP + f"common_random_numbers: {str(crn).lower()}\n")
    plan = sweep.plan(load_experiment(path))
    out = folder / "sweep"
    store = ResultStore(out, plan.manifest)
    with executors.open_executor(1, evaluate=known_kpis) as executor:
        sweep.run(plan, store, executor)
    sweep.write_tables(sweep.tables(plan, store), out)
    return out


@pytest.fixture(scope="module", params=[True, False], ids=["crn", "independent"])
def simulated(request, tmp_path_factory) -> tuple[bool, Path]:
    return request.param, known_sweep(tmp_path_factory.mktemp("known"), request.param)


def test_the_metamodel_recovers_a_known_quadratic_from_a_sweep(simulated, tmp_path):
    crn, folder = simulated
    data = load_sweep(folder, "waitlist_mean")
    assert data.names == ["counselors.count", "referrals.rate_per_week"] and len(data.y) == 40
    assert data.common_random_numbers is crn
    study = metamodel_study.fit_study(data)
    grid = np.array([[b, a] for b in (2.5, 4, 5.5) for a in np.linspace(4.5, 13.5, 5)])
    truth = known(grid[:, 1], grid[:, 0])
    for name, model in study.models.items():
        p = model.predict(mm.scaled(data, grid), data.level_variance)
        inside = (truth >= p.low) & (truth <= p.high)
        assert inside.mean() >= 0.9, (name, p.mean - truth, p.high - p.mean)
        assert np.max(np.abs(p.mean - truth)) < 1.5, name
        assert study.cv[name].r2 > 0.99, name
        assert 0.8 <= study.cv[name].coverage95 <= 1.0, name
    poly = study.models["polynomial"]
    assert isinstance(poly, mm.PolynomialModel)
    terms = {c["term"]: c for c in poly.coefficients()}
    # the square of the count is 0 in truth: its interval (per unit of the 0..1 scale) must hold 0
    square = terms["counselors.count^2"]
    assert square["ci95_low"] <= 0 <= square["ci95_high"]
    # inputs are on 0..1 over the sweep's range: the interaction 0.8 is 0.8 x (count range) x (rate range)
    spans = data.high - data.low
    inter = terms["counselors.count * referrals.rate_per_week"]
    assert inter["ci95_low"] <= 0.8 * spans[0] * spans[1] <= inter["ci95_high"]


def test_independent_streams_leave_no_shared_noise_and_crn_does(simulated):
    crn, folder = simulated
    data = load_sweep(folder, "waitlist_mean")
    results = pd.read_csv(folder / "results.csv")
    by_rep = results.pivot(index="point_id", columns="replication", values="waitlist_mean")
    deviations = by_rep.sub(by_rep.mean(axis=1), axis=0)
    correlation = np.corrcoef(deviations.to_numpy())[np.triu_indices(len(deviations), 1)].mean()
    manifest = json.loads((folder / "experiment.json").read_text())
    if crn:
        assert correlation > 0.5 and data.crn_share() > 0.6 and data.common_variance > 0.2
        assert "common_random_numbers" not in manifest  # so earlier sweep folders keep their hash
    else:
        assert abs(correlation) < 0.15 and data.common_variance == 0 and data.crn_share() == 0
        assert manifest["common_random_numbers"] is False
        records = [json.loads(p.read_text()) for p in sorted((folder / "points").glob("*.json"))]
        assert len({r["stream_seed"] for r in records}) == len(records)
    assert np.median(np.sqrt(data.noise_variance * data.replications)) == pytest.approx(0.3 if crn else 1.04,
                                                                                         rel=0.35)


# referrals at fixed intervals and no readmission (the v2 baseline readmits a share of those who leave, which
# adds referrals that depend on the staffing): referrals per year are exactly linear in the weekly rate
LINEAR = {"referrals.arrival_process": "fixed_interval", "readmission.after_dropout_prob": 0,
          "readmission.after_relapse_discharge_prob": 0, "readmission.after_transfer_prob": 0,
          "readmission.after_aftercare_relapse_prob": 0}


@pytest.fixture(scope="module")
def referrals_sweep(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("referrals")
    result = run_cli("sweep", write_experiment(folder, REFERRALS_SWEEP, overrides=LINEAR),
                     "--out", folder / "sweep", "-j", "1")
    assert result.exit_code == 0, result.output
    return folder / "sweep"


def test_a_simulated_linear_response_is_predicted_at_new_points(referrals_sweep, tmp_path):
    points = tmp_path / "new.csv"
    points.write_text("label,referrals.rate_per_week,counselors.count\nmiddle,10,4\nedge,7.5,5\n")
    result = run_cli("metamodel", referrals_sweep, "--kpi", "referrals_per_year", "--predict", points,
                     "--out", tmp_path / "mm")
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(tmp_path / "mm" / "predictions.csv")
    overrides = [f"{k}={v}" for k, v in {**SHORT, **LINEAR}.items()]

    def simulated(rate: float, counselors: int) -> float:
        s = load_scenario(BASELINE, [*overrides, f"referrals.rate_per_week={rate}", f"counselors.count={counselors}"])
        return executors.simulate_kpis(s, 3, 0)["referrals_per_year"]

    truth = [simulated(10, 4), simulated(7.5, 5)]
    assert truth[0] == pytest.approx(10 * 365 / 7, rel=0.01)
    assert predictions["polynomial_mean"].to_numpy() == pytest.approx(truth, rel=0.01)
    assert predictions["gaussian_process_mean"].to_numpy() == pytest.approx(truth, rel=0.01)
    for model in ("polynomial", "gaussian_process"):  # the truth is inside the interval (give or take a referral)
        assert (predictions[f"{model}_ci95_low"] - 1 <= truth).all() and (truth <= predictions[f"{model}_ci95_high"] + 1).all()
    assert list(predictions["label"]) == ["middle", "edge"]
    assert predictions["outside_sweep_range"].isna().all()
    doc = json.loads((tmp_path / "mm" / "metamodel.json").read_text())
    assert doc["models"]["polynomial"]["cross_validation"]["r2"] > 0.99
    assert doc["noise"]["common_random_numbers"] is True
    assert sorted(p.name for p in (tmp_path / "mm").iterdir()) == [
        ".iopsim-output", "coefficients.csv", "cv.csv", "metamodel.json", "predictions.csv", "profiles.png",
        "surface.png"]


def synthetic_sweep(folder: Path, crn: bool, points: int = 30, reps: int = 8, seed: int = 5) -> Path:
    """A sweep folder of the known f(a, b) = 3 + 2a - b + 0.5a^2 + 0.8ab, with noise N(0, 1) shared by
    every point of a replication (common random numbers) or drawn per point, plus N(0, 0.3^2) of its own."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(2, 8, points), rng.integers(1, 6, points).astype(float)
    shared = rng.normal(0, 1.0, reps)
    rows = []
    for i in range(points):
        for r in range(reps):
            common = shared[r] if crn else rng.normal(0, 1.0)
            rows.append({"point_id": f"p{i:04d}", "x.a": a[i], "x.b": b[i], "replication": r,
                         "waitlist_mean": known(a[i], b[i]) + common + rng.normal(0, 0.3)})
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(folder / "results.csv", index=False)
    (folder / "experiment.json").write_text(json.dumps({"experiment": "known", "common_random_numbers": crn}))
    return folder


def test_a_sweep_folder_that_cannot_be_modelled_is_refused_naming_it(tmp_path, referrals_sweep):
    result = run_cli("metamodel", tmp_path / "nothing", "--kpi", "waitlist_mean")
    assert result.exit_code == 2
    assert f"{tmp_path / 'nothing'}: is not a folder" in result.output
    (tmp_path / "empty").mkdir()
    result = run_cli("metamodel", tmp_path / "empty", "--kpi", "waitlist_mean")
    assert result.exit_code == 2 and "has no results.csv" in result.output
    result = run_cli("metamodel", referrals_sweep, "--kpi", "waitlist_men", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "did you mean 'waitlist_mean'?" in result.output
    assert not (tmp_path / "x").exists()


def test_a_polynomial_with_more_terms_than_points_leaves_the_emulator(tmp_path):
    folder = synthetic_sweep(tmp_path / "s", crn=True, points=9, reps=3)
    result = run_cli("metamodel", folder, "--kpi", "waitlist_mean", "--degree", "3", "--out", tmp_path / "mm")
    assert result.exit_code == 0, result.output
    assert "polynomial not fitted: a degree-3 polynomial in 2 parameters has 10 terms" in " ".join(result.output.split())
    doc = json.loads((tmp_path / "mm" / "metamodel.json").read_text())
    assert list(doc["models"]) == ["gaussian_process"] and "polynomial" in doc["skipped"]


@pytest.mark.parametrize(("text", "problems"), [
    ("x.a,x.b\n5,abc\n4,\n", ["new.csv:2: x.b: 'abc' is not a number", "new.csv:3: x.b: empty cell"]),
    ("x.a\n5\n", ["new.csv:1: x.b: missing column"]),
    ("x.a,x.b,rooms\n5,2,1\n", ["new.csv:1: rooms: not a parameter of this sweep"]),
    ("x.a,x.b\n5,2,7\n6,inf\n", ["new.csv:2: has 3 cells; the header has 2", "new.csv:3: x.b: 'inf' is not a finite"]),
    ("x.a,x.b\n", ["new.csv:2: has no points below the header"]),
    ("", ["new.csv:1: is empty"]),
])
def test_bad_points_to_predict_are_located_and_nothing_is_written(tmp_path, text, problems):
    folder = synthetic_sweep(tmp_path / "s", crn=True, points=12, reps=3)
    (tmp_path / "new.csv").write_text(text)
    result = _in(tmp_path, ["metamodel", str(folder), "--kpi", "waitlist_mean", "--predict", "new.csv",
                            "--out", str(tmp_path / "mm")])
    assert result.exit_code == 2, result.output
    for problem in problems:
        assert problem in result.output
    assert "nothing was run or written" in result.output
    assert not (tmp_path / "mm").exists()


def _in(folder: Path, args: list[str]):
    import os

    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, args)
    finally:
        os.chdir(cwd)


def test_points_outside_the_sweep_are_predicted_and_flagged(tmp_path):
    folder = synthetic_sweep(tmp_path / "s", crn=True, points=12, reps=3)
    (tmp_path / "new.csv").write_text("x.b,x.a\n3,5\n3,12\n")
    result = run_cli("metamodel", folder, "--kpi", "waitlist_mean", "--predict", tmp_path / "new.csv",
                     "--out", tmp_path / "mm")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "mm" / "predictions.csv", keep_default_na=False)
    assert list(table["outside_sweep_range"]) == ["", "x.a"]
    assert "1 of 2 points to predict lie outside the sweep's range" in " ".join(result.output.split())
