"""Staff availability (issue 11): leave, turnover, roles and caseload paperwork, with exact answers."""

from __future__ import annotations

import numpy as np
import pytest

from iopsim.analysis.kpis import KPI_UNITS, kpis
from iopsim.model.clinic import simulate
from iopsim.model.staff import CounselorTeam, supervised
from iopsim.scenario.checks import check_scenario
from iopsim.scenario.schema import Counselors, Scenario
from tests.factories import build, deterministic_dict

CLINICAL = 40.0  # the deterministic scenario's counselors have no other duties


def _run(**changes):
    return simulate(build(deterministic_dict(), **changes), seed=3)


def _weekly(result, name: str) -> np.ndarray:
    return np.asarray(result.series[name], dtype=float)


def test_leave_and_turnover_of_zero_change_nothing():
    """The mechanisms switched on at zero: every KPI, patient and series value as without them."""
    plain = _run(counselors__count=2)
    zero = _run(counselors__count=2, counselors__leave={"vacation_weeks_per_year": 0},
                counselors__turnover={"departures_per_year": 0})
    k_plain, k_zero = kpis(plain), kpis(zero)
    assert {name: k_zero[name] for name in k_plain} == pytest.approx(k_plain, nan_ok=True)
    assert set(k_zero) - set(k_plain) == {"counselor_fte_funded", "counselor_fte_effective", "counselor_fte_on_leave",
                                          "counselor_fte_vacant", "counselor_departures_per_year",
                                          "counselor_posts_to_fund", "sessions_cancelled_no_counselor_pct",
                                          "sessions_covered_by_overtime_pct"}
    for name, column in plain.records.items():
        np.testing.assert_array_equal(column, zero.records[name])
    for name, values in plain.series.items():
        assert zero.series[name] == values, name
    assert k_zero["counselor_fte_effective"] == 2.0 and k_zero["counselor_posts_to_fund"] == 2.0


@pytest.mark.parametrize("weeks", [1, 4, 6])
def test_leave_of_k_weeks_takes_exactly_k_52nds_of_the_hours(weeks):
    """Over any 52 consecutive weeks each counselor is away exactly k whole weeks (the rota)."""
    n = 3
    r = _run(counselors__count=n, counselors__leave={"vacation_weeks_per_year": weeks - 1,
                                                      "training_weeks_per_year": 1})
    available = _weekly(r, "counselor_hours_available")
    for first in (0, 52, 100):
        year = available[first:first + 52]
        assert year.sum() == pytest.approx(n * CLINICAL * 52 * (1 - weeks / 52), abs=1e-9)
    fte = _weekly(r, "counselor_fte_at_work")[:52]
    assert fte.mean() == pytest.approx(n * (1 - weeks / 52), abs=1e-12)
    # staggered: never more than one of the three away in the same week at these rates
    assert (fte >= n - 1).all()


def test_one_counselor_on_leave_cancels_their_sessions_and_individual_sessions():
    r = _run(counselors__leave={"vacation_weeks_per_year": 4})
    k = kpis(r)
    away = _weekly(r, "counselor_fte_at_work") == 0
    cancelled = _weekly(r, "sessions_cancelled_no_counselor")
    assert set(cancelled[away].tolist()) == {3.0} and set(cancelled[~away].tolist()) == {0.0}
    assert (_weekly(r, "individual_hours_delivered")[away] == 0).all()
    assert k["sessions_cancelled_no_counselor_pct"] == pytest.approx(100 * away[52:-1].mean(), abs=2.0)
    assert k["counselor_posts_to_fund"] == pytest.approx(1 / (1 - 4 / 52), rel=0.02)


def test_a_colleague_covers_on_overtime():
    """Two counselors with 8 h a week share three 3.75-h sessions (group and notes) within their hours;
    when one is away the other runs the third on overtime."""
    r = _run(counselors__count=2, counselors__contracted_hours_per_week=8, counselors__allow_overtime=True,
             counselors__leave={"vacation_weeks_per_year": 8})
    away = (_weekly(r, "counselor_fte_at_work") < 2 - 1e-9)[52:]
    covered = _weekly(r, "sessions_covered_by_overtime")[52:]
    assert away.any() and set(covered[away].tolist()) == {1.0} and set(covered[~away].tolist()) == {0.0}
    assert (_weekly(r, "sessions_cancelled_no_counselor") == 0).all()
    assert kpis(r)["sessions_covered_by_overtime_pct"] > 0


def test_turnover_gives_the_renewal_share_of_empty_posts():
    """Holders leave at 1 a year and posts stay empty 13 weeks: a post is empty 91/(365+91) of the time."""
    n = 20
    r = simulate(build(deterministic_dict(), run__horizon_years=30, counselors__count=n,
                       counselors__turnover={"departures_per_year": 1.0, "vacancy_weeks": 13}), seed=11)
    k = kpis(r)
    empty_share = 91 / (365 + 91)
    assert k["counselor_fte_vacant"] == pytest.approx(n * empty_share, rel=0.08)
    assert k["counselor_fte_effective"] == pytest.approx(n * (1 - empty_share), rel=0.03)
    assert k["counselor_departures_per_year"] == pytest.approx(n * (1 - empty_share), rel=0.08)
    assert k["counselor_posts_to_fund"] == pytest.approx(n / (1 - empty_share), rel=0.03)


def test_sick_days_take_their_share_of_working_days():
    n = 10
    r = simulate(build(deterministic_dict(), run__horizon_years=10, counselors__count=n,
                       counselors__leave={"sick_days_per_year": 13}), seed=5)
    k = kpis(r)
    assert k["counselor_fte_on_leave"] == pytest.approx(n * 13 / 260, rel=0.06)
    assert k["counselor_fte_vacant"] == 0


def test_caseload_paperwork_adds_notes_reviews_and_plans_exactly():
    """Census 12 and one admission a week: 12 x (30 + 60/4) min + 60 min = 10 h more documentation a week."""
    plain = _run()
    paper = _run(counselors__caseload_paperwork={"note_minutes_per_patient_per_week": 30, "plan_review_minutes": 60,
                                                 "plan_review_every_weeks": 4,
                                                 "treatment_plan_minutes_per_admission": 60})
    extra = _weekly(paper, "counselor_hours_documentation") - _weekly(plain, "counselor_hours_documentation")
    assert set(np.round(extra[60:-1], 9).tolist()) == {10.0}


def test_licensed_only_sessions_go_to_licensed_counselors_and_supervision_costs_both():
    spec = Counselors(count=3, other_duties_hours_per_week=8,
                      roles={"licensed": 1, "licensed_only": ["intake", "first"], "supervision_hours_per_week": 2})
    team = CounselorTeam(spec)
    assert team.covering("mon", 9, 3, ("first",)) == (0,)
    assert team.covering("mon", 9, 3, ("second",)) is None
    assert team.clinical == [32 - 4, 30, 30]  # the licensed one gives 2 h to each of two
    assert supervised([10.0, 10.0], 2, 1.0) == [10.0, 10.0]
    r = _run(counselors__count=2, counselors__roles={"licensed": 1, "licensed_only": ["first"]},
             counselors__leave={"vacation_weeks_per_year": 4})
    slots = {s["group"]: s for s in r.slots}
    assert slots["g1"]["cancelled_no_counselor"] > 0  # the one licensed counselor's leave weeks
    assert slots["g2"]["cancelled_no_counselor"] == 0  # anyone may run the others


def test_roles_and_leave_are_checked_with_their_paths():
    data = deterministic_dict()
    data["counselors"]["roles"] = {"licensed": 3, "licensed_only": ["firts"]}
    data["counselors"]["leave"] = {"vacation_weeks_per_year": 20, "training_weeks_per_year": 20,
                                   "sick_days_per_year": 150}
    problems = dict(check_scenario(Scenario.model_validate(data)))
    assert "only 1 on staff" in problems["counselors.roles.licensed"]
    assert "unknown 'firts'" in problems["counselors.roles.licensed_only.0"]
    assert "70 weeks" in problems["counselors.leave"]


def test_staffing_kpis_stay_out_of_the_fixed_contract():
    assert "counselor_fte_effective" not in KPI_UNITS


def test_utilization_is_measured_against_the_hours_of_those_at_work():
    """Two counselors, 4 weeks' leave each: the groups are covered, over 48/52 of the hours (the absent
    counselor's individual sessions are not: theirs are missed that week)."""
    plain = kpis(_run(counselors__count=2))
    r = _run(counselors__count=2, counselors__leave={"vacation_weeks_per_year": 4})
    leave = kpis(r)
    w = r.window.week_counts(_weekly(r, "week_end_days"))
    worked = sum(_weekly(r, f"counselor_hours_{a}")[w].sum() for a in ("group", "documentation", "intake", "individual"))
    assert leave["counselor_utilization_pct"] == pytest.approx(100 * worked / _weekly(r, "counselor_hours_available")[w].sum())
    assert leave["counselor_utilization_pct"] > plain["counselor_utilization_pct"]
    supervised_team = build(deterministic_dict(), counselors__count=2,
                            counselors__roles={"licensed": 1, "supervision_hours_per_week": 4})
    k = kpis(simulate(supervised_team, seed=3))
    assert k["counselor_utilization_pct"] == pytest.approx(plain["counselor_utilization_pct"] * 80 / 72, rel=1e-9)
