"""The budget of a run with `finance:`, laid out as a grant's budget justification reads.

Personnel (FTE x salary and benefits = cost), rooms (monthly cost and booked hours x rate), other
fixed costs, revenue by payer, and the totals. Lines that follow from the scenario alone are
exact; lines that depend on the simulation (booked hours, revenue, totals) are means across
replications, the totals and revenue with the 95% confidence intervals of their KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.finance import (
    ASSESSOR_ROLE,
    MONTHS_PER_YEAR,
    WEEKS_PER_YEAR,
    dedicated_assessors,
    payer_kpi,
    staff_lines,
)
from ..scenario.schema import Scenario
from .rundir import RunDir
from .tables import format_money, format_value


@dataclass(frozen=True)
class BudgetLine:
    item: str
    basis: str  # how the amount is worked out, in words and numbers
    amount: str  # per year, in the currency
    ci: str = ""  # 95% CI where the amount is a simulated mean
    total: bool = False


@dataclass(frozen=True)
class Budget:
    currency: str
    sections: list[tuple[str, list[BudgetLine]]]


def _kpi_line(run: RunDir, name: str, item: str, basis: str, total: bool = False) -> BudgetLine:
    v = run.kpis.get(name) or {}
    lo, hi = (v.get("ci95") or [None, None])[:2]
    ci = "" if lo is None or hi is None else f"{format_money(lo)} – {format_money(hi)}"
    return BudgetLine(item, basis, format_money(v.get("mean")), ci, total)


def _pay_note(role: str) -> str:
    return ", one FTE per dedicated assessor" if role == ASSESSOR_ROLE else ""


def aftercare_sessions_per_year(run: RunDir) -> float:
    """Attended aftercare group sessions a year (patient-sessions after the warm-up, mean of replications)."""
    from ..analysis.finance import aftercare_sessions_attended

    slots = run.sessions.to_dict("records")
    years = run.window_years * run.replications
    return aftercare_sessions_attended(slots) / years if years > 0 else float("nan")


def budget(run: RunDir) -> Budget | None:
    """The run's budget, or None if its scenario has no `finance:` section."""
    if not run.scenario.get("finance"):
        return None
    s = Scenario.model_validate(run.scenario)
    f = s.finance
    assert f is not None
    c = f.currency

    staff = [BudgetLine(role.capitalize(), f"{format_value(fte)} FTE x {format_money(cost)} {c} "
                        f"(salary + benefits){_pay_note(role)}", format_money(fte * cost))
             for role, fte, cost in staff_lines(s)]
    if dedicated_assessors(s) and f.assessor is None:  # said, not silently left out
        staff.append(BudgetLine(ASSESSOR_ROLE.capitalize(), f"{dedicated_assessors(s)} dedicated assessors: not "
                                "costed (give finance.assessor to price them)", "–"))
    if "vacancy_savings_per_year" in run.kpis and (run.kpis["vacancy_savings_per_year"].get("mean") or 0) > 0:
        staff.append(_kpi_line(run, "vacancy_savings_per_year", "Less: counselor posts standing empty",
                               "average vacant FTE x cost per FTE (not paid while empty)"))
    if "overtime_cost_per_year" in run.kpis and (run.kpis["overtime_cost_per_year"].get("mean") or 0) > 0:
        staff.append(_kpi_line(run, "overtime_cost_per_year", "Counselor overtime",
                               f"overtime h x salary / ({format_value(f.fte_hours_per_week)} h x 52) x "
                               f"{format_value(f.overtime_pay_multiplier)}"))
    staff.append(_kpi_line(run, "staff_cost_per_year", "Personnel total", "", total=True))

    rooms = []
    for r in s.rooms:
        per_month, per_hour = f.room_rates(r.name)
        booked = run.window_mean_per_week(f"room_hours_{r.name}") * WEEKS_PER_YEAR
        parts = []
        if per_month:
            parts.append(f"{format_money(per_month)} {c} a month x {MONTHS_PER_YEAR}")
        if per_hour:
            parts.append(f"{format_value(booked)} booked h a year x {format_value(per_hour)} {c}")
        amount = per_month * MONTHS_PER_YEAR + per_hour * booked
        rooms.append(BudgetLine(r.name, " + ".join(parts) or "no cost", format_money(amount)))
    rooms.append(_kpi_line(run, "room_cost_per_year", "Rooms total", "", total=True))

    other = [BudgetLine("Other fixed costs", "", format_money(f.other_fixed_costs_per_year)),
             _kpi_line(run, "total_cost_per_year", "Total cost", "", total=True)]

    aftercare = aftercare_sessions_per_year(run)
    revenue = [
        _kpi_line(run, payer_kpi(p.name), p.name,
                  f"{format_value(100 * p.share)}% of patients; {format_money(p.iop_day_rate)} {c} a program day of "
                  f"{format_value(p.iop_day_min_hours)}+ h, {format_money(p.individual_session_rate)} an individual "
                  f"session, {format_money(p.drug_test_rate)} a drug test, "
                  + (f"{format_money(p.aftercare_session_rate)} an aftercare session ({format_value(aftercare)} "
                     "attended a year, all payers)" if p.aftercare_session_rate else "aftercare not billed")
                  + f"; {format_value(p.denied_pct)}% denied")
        for p in f.payers
    ]
    revenue.append(_kpi_line(run, "revenue_per_year", "Revenue total", "", total=True))
    revenue.append(_kpi_line(run, "net_per_year", "Net (revenue - cost)", "", total=True))
    return Budget(c, [("Personnel", staff), ("Rooms", rooms), ("Other costs", other), ("Revenue", revenue)])
