"""Staffing money and capacity under turnover and leave (issue 11 item 3), with exact answers:
an empty post is not paid and takes on no patients, overtime is priced, a new hire ramps up."""

from __future__ import annotations

import numpy as np
import pytest

from iopsim.analysis.finance import (
    WEEKS_PER_YEAR,
    counselor_fte,
    fixed_cost_per_year,
    overtime_cost_per_year,
    staff_cost_per_year,
    vacancy_savings_per_year,
)
from iopsim.analysis.kpis import kpis
from iopsim.model.clinic import simulate
from iopsim.model.staff import CounselorTeam
from iopsim.model.streams import RandomStreams
from iopsim.scenario.schema import Counselors
from tests.factories import build, deterministic_dict

SALARY, BENEFITS_PCT = 52_000.0, 25.0
COST_PER_FTE = SALARY * (1 + BENEFITS_PCT / 100)
WEEK = 7.0


def _finance(**extra) -> dict:
    return {"counselor": {"salary_per_year": SALARY, "benefits_pct": BENEFITS_PCT}, **extra}


def _scenario(**changes):
    return build(deterministic_dict(), finance=_finance(), **changes)


def _window_mean(result, name: str) -> float:
    weeks = result.window.week_counts(np.asarray(result.series["week_end_days"], dtype=float))
    return float(np.asarray(result.series[name], dtype=float)[weeks].mean())


@pytest.mark.parametrize("vacant_weeks", [0, 1, 4, 13])
def test_k_vacant_weeks_of_a_post_save_exactly_k_52nds_of_its_pay(vacant_weeks):
    s = _scenario(counselors__count=3)
    assert vacancy_savings_per_year(s, vacant_weeks / 52) == pytest.approx(vacant_weeks / 52 * COST_PER_FTE, rel=1e-12)


def test_a_run_with_turnover_pays_only_the_filled_posts():
    """staff cost = funded pay - average vacant FTE x cost per FTE + overtime pay, from the run's own series."""
    s = _scenario(counselors__count=3, counselors__turnover={"departures_per_year": 2, "vacancy_weeks": 8})
    r = simulate(s, seed=5)
    k = kpis(r)
    vacant = _window_mean(r, "counselor_fte_vacant")
    assert vacant > 0.1  # two departures a post a year, 8 weeks empty each: about a quarter of the posts
    assert k["vacancy_savings_per_year"] == pytest.approx(vacant * COST_PER_FTE, rel=1e-12)
    assert k["staff_cost_per_year"] == pytest.approx(
        staff_cost_per_year(s) - vacant * COST_PER_FTE + k["overtime_cost_per_year"], rel=1e-12)
    assert k["staff_cost_per_year"] < staff_cost_per_year(s)
    # the cost known before simulating stays a lower bound of the total (sizing prunes by it)
    assert fixed_cost_per_year(s) <= k["total_cost_per_year"]
    assert fixed_cost_per_year(s) == pytest.approx(staff_cost_per_year(s) - counselor_fte(s) * COST_PER_FTE)


def test_without_turnover_nothing_is_saved_and_nothing_changes():
    s = _scenario(counselors__count=2)
    k = kpis(simulate(s, seed=5))
    assert k["vacancy_savings_per_year"] == 0.0 and k["overtime_cost_per_year"] == 0.0
    assert k["staff_cost_per_year"] == pytest.approx(staff_cost_per_year(s), rel=1e-12)


@pytest.mark.parametrize("multiplier", [0.0, 1.0, 1.5])
def test_overtime_is_paid_hours_times_hourly_salary_times_the_multiplier(multiplier):
    """Two counselors of 8 h a week; when one is on leave the other covers a session on overtime."""
    s = build(deterministic_dict(), finance=_finance(overtime_pay_multiplier=multiplier), counselors__count=2,
              counselors__contracted_hours_per_week=8, counselors__allow_overtime=True,
              counselors__leave={"vacation_weeks_per_year": 8})
    r = simulate(s, seed=3)
    k = kpis(r)
    hours = _window_mean(r, "counselor_overtime_hours")
    assert hours > 0
    hourly = SALARY / (40 * 52)
    assert k["overtime_cost_per_year"] == pytest.approx(hours * WEEKS_PER_YEAR * hourly * multiplier, rel=1e-12)
    assert overtime_cost_per_year(s, 2.0) == pytest.approx(2.0 * 365 / 7 * hourly * multiplier, rel=1e-12)
    assert k["staff_cost_per_year"] == pytest.approx(staff_cost_per_year(s) + k["overtime_cost_per_year"], rel=1e-12)


def _team(ramp_weeks: float = 0.0, ramp_pct: float = 50.0) -> CounselorTeam:
    spec = Counselors(count=2, max_caseload=10, other_duties_hours_per_week=0,
                      turnover={"departures_per_year": 0.001, "vacancy_weeks": {"kind": "fixed", "value": 4},
                                "ramp_up_weeks": ramp_weeks, "ramp_up_caseload_pct": ramp_pct})
    team = CounselorTeam(spec, streams=RandomStreams(1, 0))
    assert team.availability is not None
    team.availability.leaves_at = [float("inf")] * 2  # no departures but the ones the test makes
    return team


def _make_vacant(team: CounselorTeam, post: int, until: float) -> None:
    assert team.availability is not None
    team.availability.vacant_until[post] = until


def test_an_empty_post_takes_on_no_new_patients():
    team = _team()
    _make_vacant(team, 0, until=4 * WEEK)
    team.start_week(WEEK)
    assert team.availability is not None and team.availability.vacant[0]
    assert [team.counselor_with_room() for _ in range(1)] == [1]  # equal loads: post 0 would come first
    for _ in range(10):
        who = team.counselor_with_room()
        assert who == 1
        team.take_on(who, WEEK)
    assert team.counselor_with_room() is None  # the empty post's 10 places are not available
    # ... nor does the bottleneck diagnosis count them: caseloads are at capacity from then on
    meter = team.caseload_meter
    meter.start = 0.0
    assert meter.free == 0
    team.start_week(4 * WEEK)  # refilled
    assert team.counselor_with_room() == 0 and meter.free == 1
    assert meter.full_time == pytest.approx(3 * WEEK)  # full from the 10th patient (week 1) to the refill (week 4)


@pytest.mark.parametrize("ramp_weeks, ramp_pct, cap", [(4, 50, 5), (2, 30, 3), (6, 0, 0)])
def test_a_new_hire_carries_a_reduced_caseload_for_the_ramp_up_weeks(ramp_weeks, ramp_pct, cap):
    team = _team(ramp_weeks, ramp_pct)
    _make_vacant(team, 0, until=2 * WEEK)
    for _ in range(10):
        team.take_on(1, 0.0)  # the other post is full
    team.start_week(2 * WEEK)  # the new hire starts
    taken = 0
    while team.counselor_with_room() == 0:
        team.take_on(0, 2 * WEEK)
        taken += 1
    assert taken == cap
    team.start_week((2 + ramp_weeks - 1) * WEEK)  # still ramping up
    assert team.counselor_with_room() is None
    team.start_week((2 + ramp_weeks) * WEEK)  # ramp-up over: the full cap of 10
    assert team.counselor_with_room() == 0 and team.caseload[0] == cap
