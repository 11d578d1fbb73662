"""Money KPIs of one replication: the run's billable units and resource use priced by `finance:`.

Costs:
- staff: FTEs x (salary + benefits). Counselor FTEs are `counselors.count` x contracted hours /
  `finance.fte_hours_per_week`; supervisors and intake/admin staff are fixed FTEs plus FTEs per
  counselor FTE; dedicated intake assessors (intake.mode dedicated_assessors) are one FTE each at
  `finance.assessor` pay, when it is given (the budget table says when they are not costed). Paid
  whether busy or not, except that a counselor post left empty by turnover is not paid while it is
  empty (`vacancy_savings_per_year`: the average vacant FTE x cost per FTE), and counselor overtime
  is paid on top (`overtime_cost_per_year`: overtime hours x salary / (fte_hours_per_week x 52) x
  `finance.overtime_pay_multiplier`; no benefits on overtime, an assumption).
- rooms: a monthly cost per room, plus a cost per booked hour (group sessions and intake hours
  actually held, from the weekly series).
- other fixed costs per year.
Revenue, per payer, weighted by its share and less its denied share:
- attended program days that reach the payer's minimum group hours x its per-diem (H0015);
- individual sessions delivered x its session rate; urine drug tests x its test rate;
- attended aftercare group sessions x its aftercare rate (0 unless the payer pays for aftercare).

Flows are per year of the observation window; what the weekly series measures (booked room hours,
individual sessions) is per year of the whole weeks after the warm-up, as the capacity KPIs are.
The break-even census is the average census at which revenue would equal cost if revenue grew in
proportion to census and every cost stayed as it is: cost x census / revenue.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import numpy as np

from ..scenario.checks import AFTERCARE
from ..scenario.finance_schema import Finance
from ..scenario.vocabulary import DAYS_PER_WEEK, DAYS_PER_YEAR

if TYPE_CHECKING:  # pragma: no cover
    from ..model.clinic import RunResult
    from ..scenario.schema import Scenario

WEEKS_PER_YEAR = DAYS_PER_YEAR / DAYS_PER_WEEK
MONTHS_PER_YEAR = 12

# name -> unit, with {c} for the currency; the order is the order of tables and files.
FINANCE_KPIS: dict[str, str] = {
    "staff_cost_per_year": "{c}/yr",
    "vacancy_savings_per_year": "{c}/yr",
    "overtime_cost_per_year": "{c}/yr",
    "room_cost_per_year": "{c}/yr",
    "total_cost_per_year": "{c}/yr",
    "revenue_per_year": "{c}/yr",
    "net_per_year": "{c}/yr",
    "cost_per_admission": "{c}",
    "cost_per_completion": "{c}",
    "billable_days_per_year": "per year",
    "individual_sessions_per_year": "per year",
    "drug_tests_per_year": "per year",
    "break_even_census": "patients",
}
MONEY_UNITS = ("{c}/yr", "{c}")
SIGNED_KPIS = frozenset({"net_per_year"})  # may be negative: its interval is not clipped at zero


def payer_kpi(payer: str) -> str:
    """KPI name of one payer's revenue: 'revenue_medicaid_per_year'."""
    return f"revenue_{re.sub(r'[^a-z0-9]+', '_', payer.lower()).strip('_')}_per_year"


def finance_units(finance: Finance) -> dict[str, str]:
    """Every money KPI of this finance section -> its unit in its currency."""
    units = {name: unit.format(c=finance.currency) for name, unit in FINANCE_KPIS.items()}
    for payer in finance.payers:
        units[payer_kpi(payer.name)] = f"{finance.currency}/yr"
    return units


def is_money(unit: str) -> bool:
    """Whether a unit is an amount of money ('USD', 'EUR/yr'): printed without decimals."""
    return re.fullmatch(r"[A-Z]{3}(/yr)?", unit) is not None


# --- costs that follow from the scenario alone ---------------------------------------------------------
def counselor_fte(s: Scenario) -> float:
    assert s.finance is not None
    return s.counselors.count * s.counselors.contracted_hours_per_week / s.finance.fte_hours_per_week


def staff_lines(s: Scenario) -> list[tuple[str, float, float]]:
    """(role, FTEs, cost per FTE per year) of every paid role: the budget's personnel lines."""
    f = s.finance
    assert f is not None
    counselors = counselor_fte(s)
    lines = [("counselor", counselors, f.counselor.cost_per_fte)]
    for role, spec in (("supervisor", f.supervisor), ("intake/admin", f.intake_admin)):
        if spec is not None:
            lines.append((role, spec.fte + spec.fte_per_counselor * counselors, spec.cost_per_fte))
    if dedicated_assessors(s) and f.assessor is not None:
        lines.append((ASSESSOR_ROLE, float(s.intake.assessors), f.assessor.cost_per_fte))
    return lines


ASSESSOR_ROLE = "intake assessor"


def dedicated_assessors(s: Scenario) -> int:
    """How many dedicated intake assessors the scenario has (0 when counselors assess in intake clinics)."""
    return s.intake.assessors if s.intake.mode == "dedicated_assessors" else 0


def aftercare_sessions_attended(slots) -> float:
    """Attended aftercare group sessions (patient-sessions) after the warm-up, from the timetable slots' tallies."""
    return float(sum(slot["attendees"] for slot in slots if AFTERCARE in str(slot["serves"]).split("+")))


def staff_cost_per_year(s: Scenario) -> float:
    return sum(fte * cost for _, fte, cost in staff_lines(s))


def fixed_cost_per_year(s: Scenario) -> float:
    """Costs that do not depend on use: staff, monthly room costs, other fixed costs (a lower bound of the
    total). With turnover any counselor post may stand empty, and an empty post is not paid, so the
    counselors' pay is left out of the bound."""
    f = s.finance
    assert f is not None
    rooms = sum(f.room_rates(r.name)[0] for r in s.rooms) * MONTHS_PER_YEAR
    staff = staff_cost_per_year(s)
    if s.counselors.turnover is not None and s.counselors.turnover.departures_per_year > 0:
        staff -= counselor_fte(s) * f.counselor.cost_per_fte
    return staff + rooms + f.other_fixed_costs_per_year


def vacancy_savings_per_year(s: Scenario, vacant_fte_mean: float) -> float:
    """Pay not spent on counselor posts while they stand empty: k vacant weeks of one post in 52 save
    k/52 of that post's salary and benefits."""
    f = s.finance
    assert f is not None
    return vacant_fte_mean * f.counselor.cost_per_fte


def overtime_cost_per_year(s: Scenario, overtime_hours_per_week: float) -> float:
    """Counselor overtime pay: hours x hourly salary (salary / (fte_hours_per_week x 52)) x the overtime multiplier."""
    f = s.finance
    assert f is not None
    hourly = f.counselor.salary_per_year / (f.fte_hours_per_week * 52)
    return overtime_hours_per_week * WEEKS_PER_YEAR * hourly * f.overtime_pay_multiplier


# --- one replication ---------------------------------------------------------------------------------
def finance_kpis(result: RunResult, admissions_per_year: float, completions_per_year: float,
                 census_mean: float) -> dict[str, float]:
    """The money KPIs of one replication (the run must have had `finance:`, so billing was counted)."""
    s = result.scenario
    f = s.finance
    billing = result.billing
    assert f is not None and billing is not None
    years = result.window.years
    series = {name: np.asarray(v, dtype=float) for name, v in result.series.items()}
    weeks = result.window.week_counts(series.get("week_end_days", np.zeros(0)))
    series_years = int(weeks.sum()) * DAYS_PER_WEEK / DAYS_PER_YEAR

    def per_year(total: float, span: float) -> float:
        return total / span if span > 0 else math.nan

    room = 0.0
    for r in s.rooms:
        per_month, per_hour = f.room_rates(r.name)
        booked = float(series[f"room_hours_{r.name}"][weeks].sum()) if f"room_hours_{r.name}" in series else 0.0
        room += per_month * MONTHS_PER_YEAR + per_hour * per_year(booked, series_years)
    def weekly_mean(name: str) -> float:
        return float(series[name][weeks].mean()) if name in series and weeks.any() else 0.0

    vacancy = vacancy_savings_per_year(s, weekly_mean("counselor_fte_vacant"))
    overtime = overtime_cost_per_year(s, weekly_mean("counselor_overtime_hours"))
    staff = staff_cost_per_year(s) - vacancy + overtime
    total = staff + room + f.other_fixed_costs_per_year

    individual = per_year(float(series["individual_hours_delivered"][weeks].sum()), series_years) \
        / s.counselors.individual_session_hours
    tests = sum(meter.mean(result.window.end_days) * phase.drug_tests_per_week
                for meter, phase in zip(billing.phase_meters, s.phases, strict=True)) * WEEKS_PER_YEAR

    aftercare = per_year(aftercare_sessions_attended(result.slots), years)
    k: dict[str, float] = {}
    billable = revenue = 0.0
    for payer in f.payers:
        days = per_year(billing.days_with_at_least(payer.iop_day_min_hours), years)
        billed = (days * payer.iop_day_rate + individual * payer.individual_session_rate + tests * payer.drug_test_rate
                  + aftercare * payer.aftercare_session_rate)
        paid = payer.share * billed * (1 - payer.denied_pct / 100)
        k[payer_kpi(payer.name)] = paid
        billable += payer.share * days
        revenue += paid

    k = {
        "staff_cost_per_year": staff,
        "vacancy_savings_per_year": vacancy,
        "overtime_cost_per_year": overtime,
        "room_cost_per_year": room,
        "total_cost_per_year": total,
        "revenue_per_year": revenue,
        "net_per_year": revenue - total,
        "cost_per_admission": total / admissions_per_year if admissions_per_year > 0 else math.nan,
        "cost_per_completion": total / completions_per_year if completions_per_year > 0 else math.nan,
        "billable_days_per_year": billable if f.payers else math.nan,
        "individual_sessions_per_year": individual,
        "drug_tests_per_year": tests,
        "break_even_census": total * census_mean / revenue if revenue > 0 else math.nan,
        **k,
    }
    return k
