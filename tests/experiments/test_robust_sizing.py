"""`size --uncertainty`: the probability of meeting the targets across draws, on a case with a known answer."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.execution import Executor
from iopsim.experiments import robust_sizing as robust
from iopsim.experiments.executors import simulate_kpis
from iopsim.experiments.targets import parse_target
from iopsim.experiments.uncertainty import Uncertainty, check_against, draw_assumptions
from tests.factories import build, deterministic_dict

UTILIZATION = parse_target("counselor_utilization_pct<=50")


def _scenario_dict() -> dict:
    """One counselor works exactly 17.25 h a week in steady state (three 3-h groups with 45 min of notes
    each, 12 patients x half an individual hour): utilization 17.25 / (40 - other duties) is at most 50%
    exactly when other duties are at most 5.5 h a week."""
    d = deterministic_dict()
    d["run"]["horizon_years"] = 2
    return d


UNCERTAIN_DUTIES = {"draws": 20, "replications_per_draw": 1,
                    "assumptions": [{"path": "counselors.other_duties_hours_per_week", "range": {"low": 0, "high": 22}},
                                    {"path": "attendance.dropout_prob_per_missed_session", "values": [0, 0]}]}


def test_probability_is_the_known_share_of_draws():
    """Latin hypercube: exactly one of 20 draws in each 1.1-h stratum of 0..22, so exactly 5 draws (0..5.5 h)
    meet the target with one counselor (P = 25%); two counselors meet it at every draw."""
    u = Uncertainty.model_validate(UNCERTAIN_DUTIES)
    s = build(_scenario_dict())
    assert not check_against(u, s)
    draws = draw_assumptions(u, seed=7)
    assert sum(d["counselors.other_duties_hours_per_week"] <= 5.5 for d in draws) == 5

    def scenario_of(rooms: int, counselors: int):
        return build(_scenario_dict(), counselors__count=counselors)

    result = robust.evaluate([(1, 1, 1.0), (1, 2, 2.0)], scenario_of, u, draws, [UTILIZATION],
                             Executor(simulate_kpis), seed=1)
    robust.recommend(result, 0.8, [UTILIZATION], u)
    one, two = result.candidates
    assert one.probability == 0.25 and two.probability == 1.0
    assert result.best is two
    low, high = one.probability_ci95
    assert low < 0.25 < high
    for cand in (one, two):
        for draw, kpis in zip(draws, cand.kpis, strict=True):
            expected = 100 * 17.25 / (cand.counselors * (40 - draw["counselors.other_duties_hours_per_week"]))
            assert kpis["counselor_utilization_pct"] == pytest.approx(expected, rel=1e-9)
    top = result.sensitivity[0]
    assert top.path == "counselors.other_duties_hours_per_week" and top.spearman == pytest.approx(-1.0)
    assert math.isnan(result.sensitivity[1].spearman)  # an assumption that never varies tells nothing


def test_the_search_halves_the_counselor_counts_and_skips_what_costs_more():
    calls = []

    def run(cands):
        calls.append(cands[0][:2])
        r, n, cost = cands[0]
        need = 5 if r == 1 else 3  # counselors meeting the targets in every draw; fewer: in none
        meets = [n >= need] * 4
        return robust.RobustResult([robust.RobustCandidate(r, n, cost, [{}] * 4, meets)], [{}] * 4, 0.75, None, [],
                                   None, simulations=4)

    def cost(rooms: int, counselors: int) -> float:
        return 10 * rooms + counselors

    result = robust.search({1: list(range(2, 10)), 2: list(range(2, 10))}, cost, 20, 0.75, run)
    # room 1: 5 (mid of 2..9) meets, 3 fails, 4 fails -> 5 (cost 15); room 2: only counts costing under 15
    # (2, 3, 4: cost 22+ > 15) -> none tried
    assert calls == [(1, 5), (1, 3), (1, 4)]
    assert [(c.rooms, c.counselors) for c in result.candidates] == [(1, 3), (1, 4), (1, 5)]
    assert result.simulations == 12


def test_wilson_interval():
    assert robust.wilson(0, 20)[0] == 0.0 and robust.wilson(20, 20)[1] == 1.0
    lo, hi = robust.wilson(5, 20)
    assert lo == pytest.approx(0.1119, abs=1e-3) and hi == pytest.approx(0.4687, abs=1e-3)


def test_size_uncertainty_end_to_end(tmp_path):
    scenario = tmp_path / "iop.yaml"
    scenario.write_text(yaml.safe_dump(_scenario_dict()))
    uncertainty = tmp_path / "uncertainty.yaml"
    uncertainty.write_text(yaml.safe_dump({**UNCERTAIN_DUTIES, "seed": 7}))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["size", str(scenario), "--target", str(UTILIZATION), "--rooms", "1",
                                       "--counselors", "1..3", "--uncertainty", str(uncertainty), "-j", "1",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "With the assumptions as written: 1 group rooms and 1 counselors." in result.output
    assert "1 rooms, 1 counselors (cost 2): meets every target in 5 of 20 draws, P = 25%" in result.output
    assert "Recommended: 1 group rooms and 2 counselors, meeting every target with probability 100%" in result.output
    assert "Most sensitive to counselors.other_duties_hours_per_week" in result.output
    doc = json.loads((out / "recommendation.json").read_text())
    assert doc["recommended"]["counselors"] == 2 and doc["probability_required"] == 0.8
    assert [c["counselors"] for c in doc["candidates"]] == [1, 2]  # binary search of 1..3: 2 meets, then 1 fails
    assert (out / "robust.csv").read_text().count("\n") == 41
    # provenance: both input files copied as given, the design, and a codebook of every column
    assert (out / "uncertainty.yaml").read_bytes() == uncertainty.read_bytes()
    assert (out / "scenario.yaml").read_bytes() == scenario.read_bytes()
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["design"]["method"] == "sizing under uncertainty" and prov["design"]["draws"] == 20
    assert prov["uncertainty_file"]["copy"] == "uncertainty.yaml" and prov["scenario_overrides"] == []
    codebook = pd.read_csv(out / "codebook.csv", keep_default_na=False).set_index(["file", "column"])
    robust_columns = pd.read_csv(out / "robust.csv").columns
    assert list(codebook.loc["robust.csv"].index) == list(robust_columns)
    assert codebook.loc[("robust.csv", "counselors.other_duties_hours_per_week"), "unit"] == "hours per week"
    assert "Assumption drawn" in codebook.loc[("robust.csv", "counselors.other_duties_hours_per_week"), "meaning"]


def test_bad_uncertainty_files_name_file_line_and_path(tmp_path):
    scenario = tmp_path / "iop.yaml"
    scenario.write_text(yaml.safe_dump(_scenario_dict()))
    uncertainty = tmp_path / "u.yaml"
    uncertainty.write_text("draws: 5\nassumptions:\n  - path: counselors.other_duties_hours_per_week\n"
                           "    range: {low: 0, high: 90}\n  - path: attendance.nosuch\n    values: [1]\n")
    result = CliRunner().invoke(main, ["size", str(scenario), "--target", str(UTILIZATION),
                                       "--uncertainty", str(uncertainty), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert f"{uncertainty}:3: assumptions.0.path: counselors.other_duties_hours_per_week=90" in result.output
    assert f"{uncertainty}:5: assumptions.1.path: attendance.nosuch=1 does not give a valid scenario" in result.output
    assert not (tmp_path / "o").exists()


def test_a_program_template_is_sized_under_uncertainty_on_the_week_it_generates(tmp_path):
    """The baseline is a program template: --uncertainty sizes rooms x counselors of its generated week,
    written out as a timetable, which simulates exactly as the template does."""
    from pathlib import Path

    from iopsim.model.clinic import simulate
    from iopsim.scenario.loader import load_scenario

    baseline = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
    short = ["run.horizon_years=1", "run.warmup_weeks=8"]
    template = load_scenario(baseline, short)
    written = template.with_week_written_out()
    assert template.program is not None and written.program is None
    assert written.timetable == template.timetable and written.written_sessions == len(template.timetable)
    a, b = simulate(template, 3, 0).records, simulate(written, 3, 0).records
    assert a.keys() == b.keys() and len(a["pid"]) > 100
    for column in a:  # every patient's every time and outcome (NaN where a step never happened)
        assert np.array_equal(np.asarray(a[column]), np.asarray(b[column]), equal_nan=True), column

    uncertainty = tmp_path / "u.yaml"
    uncertainty.write_text(yaml.safe_dump({"draws": 4, "replications_per_draw": 1, "seed": 3, "assumptions": [
        {"path": "intake.no_show_prob", "range": {"low": 0.2, "high": 0.3}}]}))
    out = tmp_path / "out"
    sets = [x for o in short for x in ("--set", o)]
    result = CliRunner().invoke(main, ["size", str(baseline), "--target", "counselor_utilization_pct<=95",
                                       "--rooms", "2..3", "--counselors", "4..6", "--uncertainty", str(uncertainty),
                                       "-j", "1", "--out", str(out), *sets])
    assert result.exit_code == 0, result.output
    assert "the week its program template generates" in result.output
    doc = json.loads((out / "recommendation.json").read_text())
    assert doc["recommended"] is not None and doc["recommended"]["probability"] >= 0.8
    assert json.loads((out / "provenance.json").read_text())["scenario_overrides"] == short
