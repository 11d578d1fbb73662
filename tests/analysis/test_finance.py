"""Money KPIs of the deterministic scenario, worked out by hand, and what `finance:` checks.

The deterministic scenario (tests/factories.py): one admission a week at Monday 00:00, phases of
exactly 4 weeks, so 4 patients in each of 3 phases at every session; one 3-hour session a week per
phase (Mon, Tue, Wed 09:00), everyone attends; a 52-week warm-up in a 5-year run.
"""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from iopsim.analysis.finance import fixed_cost_per_year, payer_kpi, staff_lines
from iopsim.analysis.kpis import KPI_UNITS, kpi_units, kpis
from iopsim.model.clinic import simulate
from iopsim.runner import run_replications
from iopsim.scenario.checks import check_scenario
from iopsim.scenario.schema import Scenario
from tests.factories import build, deterministic_dict

YEAR, WEEK = 365.0, 7.0
WARMUP, HORIZON = 52 * WEEK, 5 * YEAR
WINDOW_YEARS = (HORIZON - WARMUP) / YEAR
WEEKS_PER_YEAR = YEAR / WEEK


def finance() -> dict:
    return {
        "counselor": {"salary_per_year": 50_000, "benefits_pct": 30},
        "supervisor": {"salary_per_year": 70_000, "benefits_pct": 25, "fte": 0.1, "fte_per_counselor": 0.1},
        "room_cost_per_month": 1_000,
        "room_cost_per_booked_hour": 20,
        "other_fixed_costs_per_year": 10_000,
        "payers": [
            {"name": "Medicaid", "share": 0.6, "iop_day_rate": 150, "iop_day_min_hours": 3,
             "individual_session_rate": 80, "drug_test_rate": 20, "denied_pct": 10},
            {"name": "Commercial", "share": 0.4, "iop_day_rate": 300, "iop_day_min_hours": 4,
             "individual_session_rate": 120},
        ],
    }


def priced(data: dict | None = None, **fin) -> Scenario:
    data = data or deterministic_dict()
    data["finance"] = {**finance(), **fin}
    return build(data)


def _sessions_in_window(day_offset: float) -> int:
    """Weekly sessions at 7k + day_offset (+ 09:00) inside [warm-up, horizon]."""
    return sum(1 for k in range(0, 400) if WARMUP <= WEEK * k + day_offset + 0.375 <= HORIZON)


@pytest.fixture(scope="module")
def money():
    return kpis(simulate(priced(), seed=1))


def test_costs_by_hand(money):
    staff = 1 * 50_000 * 1.30 + (0.1 + 0.1 * 1) * 70_000 * 1.25  # 65,000 + 17,500
    room = 12 * 1_000 + 20 * 9 * WEEKS_PER_YEAR  # 9 booked hours a week
    assert money["staff_cost_per_year"] == pytest.approx(82_500)
    assert money["staff_cost_per_year"] == pytest.approx(staff)
    assert money["room_cost_per_year"] == pytest.approx(room)
    assert money["total_cost_per_year"] == pytest.approx(staff + room + 10_000)
    assert money["total_cost_per_year"] == pytest.approx(113_885.714, abs=1e-3)


def test_billable_units_by_hand(money):
    days = 4 * sum(_sessions_in_window(d) for d in (0, 1, 2))  # 4 attendees, one 3-hour day each
    assert days == 2508
    # Medicaid (60%) bills 3-hour days; Commercial (40%) needs 4 hours, so none of these days.
    assert money["billable_days_per_year"] == pytest.approx(0.6 * days / WINDOW_YEARS)
    assert money["individual_sessions_per_year"] == pytest.approx(12 * 0.5 * WEEKS_PER_YEAR)
    assert money["drug_tests_per_year"] == pytest.approx(12 * 1 * WEEKS_PER_YEAR)


def test_revenue_by_hand(money):
    days = 2508 / WINDOW_YEARS
    individual, tests = 6 * WEEKS_PER_YEAR, 12 * WEEKS_PER_YEAR
    medicaid = 0.6 * 0.9 * (150 * days + 80 * individual + 20 * tests)
    commercial = 0.4 * 1.0 * (120 * individual)
    assert money[payer_kpi("Medicaid")] == pytest.approx(medicaid)
    assert money[payer_kpi("Commercial")] == pytest.approx(commercial)
    assert money["revenue_per_year"] == pytest.approx(medicaid + commercial)
    assert money["revenue_per_year"] == pytest.approx(86_042.52, abs=0.01)
    assert money["net_per_year"] == pytest.approx(medicaid + commercial - money["total_cost_per_year"])
    assert money["net_per_year"] < 0


def test_per_patient_and_break_even(money):
    total = money["total_cost_per_year"]
    assert money["cost_per_admission"] == pytest.approx(total / money["admissions_per_year"])
    # everyone graduates: graduations in the window are admissions 84 days earlier
    graduates = sum(1 for k in range(1, 400) if WARMUP <= WEEK * k + 84 <= HORIZON) / WINDOW_YEARS
    assert money["cost_per_completion"] == pytest.approx(total / graduates)
    assert money["break_even_census"] == pytest.approx(12 * total / money["revenue_per_year"])


def test_a_day_is_its_hours_across_sessions():
    """Two 1.5-hour sessions on the same day make one 3-hour day: billable at a 3-hour minimum, not at 3.5."""
    data = deterministic_dict()
    data["phases"][0].update(group_sessions_per_week=2, session_hours=1.5)
    data["timetable"][0] = {"group": "g1", "day": "mon", "start": "09:00", "hours": 1.5, "room": "R",
                            "serves": ["first"]}
    data["timetable"].append({"group": "g1", "day": "mon", "start": "13:00", "hours": 1.5, "room": "R",
                              "serves": ["first"]})
    payers = [{"name": "Medicaid", "share": 1.0, "iop_day_rate": 100, "iop_day_min_hours": 3}]
    result = simulate(priced(data, payers=payers), seed=1)
    assert result.billing is not None
    assert result.billing.days_by_hours == {3.0: 2508}
    stricter = [{**payers[0], "iop_day_min_hours": 3.5}]
    k = kpis(simulate(priced(data, payers=stricter), seed=1))
    assert k["billable_days_per_year"] == 0 and k["revenue_per_year"] == 0
    assert math.isnan(k["break_even_census"])


def test_no_finance_no_money_kpis_and_same_results():
    plain = simulate(build(deterministic_dict()), seed=1)
    with_money = simulate(priced(), seed=1)
    assert plain.billing is None
    assert list(kpis(plain)) == list(KPI_UNITS)
    assert {n: kpis(with_money)[n] for n in KPI_UNITS} == kpis(plain)
    assert plain.series == with_money.series and plain.slots == with_money.slots
    assert "finance" not in build(deterministic_dict()).model_dump(mode="json")  # fingerprints unchanged


def test_units_and_summary_keep_negative_net():
    s = priced()
    units = kpi_units(s)
    assert units["total_cost_per_year"] == "USD/yr" and units["cost_per_admission"] == "USD"
    assert kpi_units(priced(currency="EUR"))["net_per_year"] == "EUR/yr"
    summary = run_replications(s, replications=2).summary()
    assert summary["net_per_year"]["mean"] < 0
    assert summary["net_per_year"]["ci95"][0] < 0  # a loss is not clipped to zero
    assert summary[payer_kpi("Medicaid")]["unit"] == "USD/yr"


def test_budget_lines():
    s = priced()
    assert staff_lines(s) == [("counselor", 1.0, 65_000.0), ("supervisor", pytest.approx(0.2), 87_500.0)]
    assert fixed_cost_per_year(s) == pytest.approx(82_500 + 12_000 + 10_000)


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"payers": [{"name": "A", "share": 0.5}]}, "finance.payers", "sum to 1"),
    ({"rooms": [{"room": "Nowhere", "cost_per_month": 1}]}, "finance.rooms.0.room", "unknown room"),
])
def test_checks_name_the_field(change, path, words):
    data = deterministic_dict()
    data["finance"] = {**finance(), **change}
    problems = check_scenario(Scenario.model_validate(data))
    assert [p for p, _ in problems] == [path]
    assert words in problems[0][1]


@pytest.mark.parametrize("change", [
    {"currency": "dollars"},
    {"counselor": {"salary_per_year": -1}},
    {"counselor": {"salary_per_year": float("inf")}},
    {"other_fixed_costs_per_year": "60k"},
    {"payers": [{"name": "A", "share": 0.5}, {"name": "A", "share": 0.5}]},
    {"payers": [{"name": "A", "share": 1, "denied_pct": 120}]},
])
def test_bad_values_are_refused(change):
    data = deterministic_dict()
    data["finance"] = {**finance(), **change}
    with pytest.raises(ValidationError):
        Scenario.model_validate(data)


# --- assessors and aftercare: the lines a budget justification asks about ------------------------------
def test_dedicated_assessors_are_paid_when_their_pay_is_given():
    """The deterministic scenario assesses with one dedicated assessor: priced, it is one more FTE."""
    s = priced(assessor={"salary_per_year": 40_000, "benefits_pct": 25})
    assert staff_lines(s)[-1] == ("intake assessor", 1.0, 50_000.0)
    assert kpis(simulate(s, seed=1))["staff_cost_per_year"] == pytest.approx(82_500 + 50_000)
    assert [role for role, _, _ in staff_lines(priced())] == ["counselor", "supervisor"]  # not priced: not costed


def test_attended_aftercare_sessions_bring_their_rate():
    """An aftercare rate adds share x rate x attended aftercare sessions a year x (1 - denied), nothing else."""
    from pathlib import Path

    from iopsim.analysis.finance import aftercare_sessions_attended
    from iopsim.runner import run_one
    from iopsim.scenario.loader import load_scenario

    baseline = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
    short = ["run.horizon_years=1.5", "run.warmup_weeks=10"]
    plain = run_one(load_scenario(baseline, short), seed=3, replication=0)
    billed_scenario = load_scenario(baseline, [*short, "finance.payers.0.aftercare_session_rate=50"])
    billed = run_one(billed_scenario, seed=3, replication=0)
    payer = billed_scenario.finance.payers[0]
    years = billed_scenario.run.horizon_years - billed_scenario.run.warmup_weeks * 7 / 365
    sessions = aftercare_sessions_attended(billed.slots) / years
    assert sessions > 100  # the baseline's aftercare groups ran
    extra = payer.share * 50 * sessions * (1 - payer.denied_pct / 100)
    medicaid = payer_kpi(payer.name)
    assert billed.kpis[medicaid] - plain.kpis[medicaid] == pytest.approx(extra, rel=1e-9)
    assert billed.kpis["revenue_per_year"] - plain.kpis["revenue_per_year"] == pytest.approx(extra, rel=1e-9)
    assert billed.kpis["total_cost_per_year"] == plain.kpis["total_cost_per_year"]
