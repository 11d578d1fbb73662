"""Sizing: the known answer, the same answer as brute force for less work, sequential replications."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from iopsim.analysis.stats import Estimate
from iopsim.cli import main
from iopsim.execution import Executor
from iopsim.experiments.executors import simulate_kpis
from iopsim.experiments.rooms import group_rooms
from iopsim.experiments.sizing import FEASIBLE, INFEASIBLE, INVALID, UNDECIDED, Sizer
from iopsim.experiments.targets import FAIL, PASS, UNSURE, Target, parse_target
from iopsim.scenario.loader import load_scenario
from tests.factories import build, deterministic_dict

from .helpers import BASELINE

ACCESS = parse_target("admitted_within_14_days_pct>=90")


def known_answer_dict() -> dict:
    """One referral a week, exactly 12 weeks of treatment: 12 patients in care. Each counselor is
    primary for at most 5, so 2 counselors (10 places) let the waitlist grow without end and 3
    (15) admit everyone the day they are assessed: the answer is exactly 3 counselors."""
    d = deterministic_dict()
    d["run"]["horizon_years"] = 3
    d["counselors"]["max_caseload"] = 5
    return d


@pytest.fixture(scope="module")
def known():
    return build(known_answer_dict())


def sizer(scenario, targets=(ACCESS,), rooms=(1, 2), counselors=range(1, 9), evaluate=None, **kw) -> Sizer:
    executor = Executor(simulate_kpis if evaluate is None else evaluate)
    return Sizer(scenario, list(targets), list(rooms), list(counselors), executor, seed=1, **kw)


def test_deterministic_demand_needs_exactly_three_counselors(known):
    result = sizer(known).solve()
    best = result.best
    assert (best.rooms, best.counselors, best.status) == (1, 3, FEASIBLE)
    assert best.estimate("admitted_within_14_days_pct").mean == 100.0
    status = {(c.rooms, c.counselors): c.status for c in result.candidates}
    assert status[(1, 2)] == INFEASIBLE  # the count just below is evaluated and clearly fails
    # top-first then binary search at 1 room (8, 4, 2, 3); at 2 rooms only 1 counselor is cheaper than 1+3
    assert list(status) == [(1, 8), (1, 4), (1, 2), (1, 3), (2, 1)]
    assert result.simulations == 5 * 5 < result.brute_force == 2 * 8 * 40
    exhaustive = sizer(known).solve(exhaustive=True)
    assert (exhaustive.best.rooms, exhaustive.best.counselors) == (1, 3)
    assert exhaustive.simulations == 16 * 5


def rooms_and_staff(scenario, seed, replication) -> dict[str, float]:
    """Access that a room (+15 points) or a counselor (+10) improves: 1 room needs 3 counselors, 2 rooms 1."""
    rooms = len(group_rooms(scenario))
    return {"admitted_within_14_days_pct": 52.0 + 15.0 * rooms + 10.0 * scenario.counselors.count}


@pytest.mark.parametrize("cost_room, answer", [(1.0, (2, 1)), (5.0, (1, 3))])
def test_costs_decide_between_rooms_and_counselors(known, cost_room, answer):
    result = sizer(known, rooms=(1, 2, 3), evaluate=rooms_and_staff, cost_room=cost_room).solve()
    assert (result.best.rooms, result.best.counselors) == answer


def test_search_matches_brute_force_on_the_stochastic_baseline_for_fewer_simulations():
    short = load_scenario(BASELINE, ["run.horizon_years=1.5", "run.warmup_weeks=8"])
    targets = [ACCESS, parse_target("waitlist_mean<=4")]
    kw = {"targets": targets, "rooms": (2, 3), "counselors": range(2, 7), "min_replications": 3,
          "max_replications": 12}
    search = sizer(short, **kw).solve()
    brute = sizer(short, **kw).solve(exhaustive=True)
    assert search.best is not None
    assert (search.best.rooms, search.best.counselors) == (brute.best.rooms, brute.best.counselors)
    assert search.simulations < brute.simulations
    assert search.best.rows == next(c.rows for c in brute.candidates if (c.rooms, c.counselors) ==
                                    (search.best.rooms, search.best.counselors))  # common random numbers


def noisy_access(scenario, seed, replication) -> dict[str, float]:
    """A KPI that rises 10 points per counselor, with replication noise (sd 3) shared by all candidates."""
    noise = 3.0 * np.random.default_rng(replication).standard_normal()
    return {"admitted_within_14_days_pct": 52.0 + 10.0 * scenario.counselors.count + noise}


def test_replications_are_added_only_near_the_boundary(known):
    result = sizer(known, rooms=(1,), evaluate=noisy_access, max_replications=40).solve()
    reps = {c.counselors: c.replications for c in result.candidates}
    assert result.best.counselors == 4  # mean 92: the first count above 90
    assert reps[8] == 5 and reps[2] == 5  # 132 and 72: decided at once
    assert reps[4] > 5  # 92 with sd 3: five replications cannot show it clears 90
    assert reps[3] == 5  # 82: clearly fails
    assert all(n in (5, 10, 20, 40) for n in reps.values())


def test_undecided_at_the_cap_is_not_recommended(known):
    target = parse_target("admitted_within_14_days_pct>=92")  # exactly the mean at 4 counselors
    result = sizer(known, targets=[target], rooms=(1,), evaluate=noisy_access, max_replications=20).solve()
    four = next(c for c in result.candidates if c.counselors == 4)
    assert (four.status, four.replications) == (UNDECIDED, 20)
    assert result.best.counselors == 5


def decreasing(scenario, seed, replication) -> dict[str, float]:
    return {"admitted_within_14_days_pct": 130.0 - 10.0 * scenario.counselors.count}


def test_a_target_that_worsens_with_staff_is_flagged(known):
    result = sizer(known, rooms=(1,), evaluate=decreasing).solve(exhaustive=True)
    assert result.warnings and "may not improve with staff" in result.warnings[0]


def test_invalid_candidates_are_recorded_with_the_reason():
    baseline = load_scenario(BASELINE, ["run.horizon_years=1", "run.warmup_weeks=4"])
    s = sizer(baseline, rooms=(1,), counselors=(0, 4), evaluate=decreasing)
    result = s.solve()
    [one] = result.candidates
    assert one.status == INVALID and "phase 'middle' has no session" in one.reason
    with pytest.raises(ValueError, match="counselors.count: the timetable needs at least one counselor"):
        s.candidate_scenario(2, 0)


@pytest.mark.parametrize("text, kpi, op, value", [
    ("admitted_within_14_days_pct>=90", "admitted_within_14_days_pct", ">=", 90.0),
    (" waitlist_mean <= 2.5 ", "waitlist_mean", "<=", 2.5),
])
def test_parse_target(text, kpi, op, value):
    assert parse_target(text) == Target(kpi, op, value)


@pytest.mark.parametrize("text, message", [
    ("waitlist_mean<2", "expected KPI>=NUMBER"),
    ("waitlist_men<=2", "did you mean 'waitlist_mean'"),
])
def test_bad_targets(text, message):
    with pytest.raises(ValueError, match=message):
        parse_target(text)


@pytest.mark.parametrize("op, lo, hi, verdict", [
    (">=", 90.5, 95, PASS), (">=", 85, 89.9, FAIL), (">=", 88, 92, UNSURE),
    ("<=", 1, 1.9, PASS), ("<=", 2.1, 3, FAIL), ("<=", 1.5, 2.5, UNSURE),
])
def test_verdict_uses_the_bound_on_the_targets_side(op, lo, hi, verdict):
    t = Target("x", op, 90.0 if op == ">=" else 2.0)
    assert t.verdict(Estimate((lo + hi) / 2, lo, hi, 5)) == verdict
    assert t.verdict(Estimate(math.nan, math.nan, math.nan, 0)) == FAIL


def test_size_command_end_to_end(tmp_path):
    path = tmp_path / "known.yaml"
    path.write_text(yaml.safe_dump(known_answer_dict()))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["size", str(path), "--target", "admitted_within_14_days_pct>=90",
                                       "--target", "waitlist_mean<=1", "--rooms", "1..2", "--counselors", "1..8",
                                       "-j", "1", "--out", str(out), "--set", "description=sized with an override"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Recommended: 1 group room and 3 counselors (cost 4), 5 replications." in result.output
    assert "Ran 25 simulations for 5 candidates" in result.output
    assert "every candidate at 40 replications would be 640" in result.output
    candidates = pd.read_csv(out / "candidates.csv")
    assert list(candidates[["rooms", "counselors"]].itertuples(index=False, name=None)) == [
        (1, 8), (1, 4), (1, 2), (1, 3), (2, 1)]
    assert (out / "frontier.png").stat().st_size > 10_000
    assert len(pd.read_csv(out / "replications.csv")) == 25
    # provenance: the scenario as given, the search, versions, a scenario hash per candidate, a codebook
    assert (out / "scenario.yaml").read_bytes() == path.read_bytes()
    doc = json.loads((out / "provenance.json").read_text())
    assert doc["kind"] == "sizing" and doc["design"]["counselors"] == list(range(1, 9)) and "numpy" in doc["versions"]
    assert doc["scenario_overrides"] == ["description=sized with an override"]  # the copy + these = what ran
    assert candidates["scenario_sha256"].str.len().eq(64).all() and candidates["scenario_sha256"].nunique() == 5
    codebook = pd.read_csv(out / "codebook.csv", keep_default_na=False)
    assert list(codebook[codebook["file"] == "candidates.csv"]["column"]) == list(candidates.columns)
    assert codebook.set_index(["file", "column"]).loc[("candidates.csv", "waitlist_mean_ci95_low"), "unit"] == "patients"


def test_size_command_exit_codes(tmp_path):
    path = tmp_path / "known.yaml"
    path.write_text(yaml.safe_dump(known_answer_dict()))
    bad = CliRunner().invoke(main, ["size", str(path), "--target", "waitlist_men<=1", "--out", str(tmp_path / "a")])
    assert bad.exit_code == 2 and "did you mean 'waitlist_mean'" in bad.output
    assert not (tmp_path / "a").exists()
    none = CliRunner().invoke(main, ["size", str(path), "--target", "admitted_within_14_days_pct>=90",
                                     "--rooms", "1", "--counselors", "1..2", "-j", "1", "--out", str(tmp_path / "b")])
    assert none.exit_code == 1
    assert "No candidate in range meets every target" in none.output


def intake_limited_dict() -> dict:
    """Two referrals a week but one 1-hour intake appointment a week: no room or counselor count helps."""
    d = deterministic_dict()
    d["run"]["horizon_years"] = 3
    d["referrals"]["rate_per_week"] = 2
    d["intake"] = {"mode": "timetable_slots", "appointment_hours": 1, "assessment_hours": 1, "no_show_prob": 0}
    d["timetable"].append({"group": "intake", "day": "mon", "start": "13:00", "hours": 1, "room": "R",
                           "serves": ["intake"]})
    return d


def test_when_nothing_meets_the_targets_the_closest_candidate_names_what_still_binds():
    from iopsim.experiments.binding import closest_candidate, still_binding

    s = sizer(build(intake_limited_dict()), rooms=(1,), counselors=(1, 2, 3))
    result = s.solve(exhaustive=True)
    assert result.best is None
    closest = closest_candidate(result)
    assert (closest.rooms, closest.counselors) == (1, 3)  # all fail the one target: the most capacity
    found = still_binding(s, result, replications=2)
    assert found.candidate is closest and found.replications == 2
    assert found.bottleneck["binding"] == ["intake"]


def test_closest_candidate_fails_fewest_targets():
    from iopsim.experiments.binding import closest_candidate
    from iopsim.experiments.sizing import Candidate, SizingResult

    fails_two = Candidate(2, 9, 11, INFEASIBLE, rows=[{}], verdicts={"a": FAIL, "b": FAIL})
    fails_one = Candidate(1, 2, 3, INFEASIBLE, rows=[{}], verdicts={"a": FAIL, "b": PASS})
    invalid = Candidate(3, 9, 12, INVALID)
    assert closest_candidate(SizingResult(None, [fails_two, fails_one, invalid], 0, 0, [])) is fails_one
    assert closest_candidate(SizingResult(None, [invalid], 0, 0, [])) is None


def test_size_command_says_what_still_binds_when_nothing_meets_the_targets(tmp_path):
    path = tmp_path / "intake.yaml"
    path.write_text(yaml.safe_dump(intake_limited_dict()))
    result = CliRunner().invoke(main, ["size", str(path), "--target", "admitted_within_14_days_pct>=90",
                                       "--rooms", "1", "--counselors", "1..2", "-j", "1", "--out", str(tmp_path / "o")],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "No candidate in range meets every target" in result.output
    assert "Closest candidate: 1 group room and 2 counselors (5 replications). Binding: intake (at capacity 100%" \
        in result.output
