"""Staffing KPIs of one replication when counselors take leave or posts fall vacant.

Reported only when the scenario has `counselors.leave` or `counselors.turnover` (else a run's
KPIs are exactly as before). An FTE is `counselors.contracted_hours_per_week`; weekly figures are
averaged over the whole weeks after the warm-up, as the capacity KPIs are.

- `counselor_fte_funded`: the posts as written (counselors x contracted hours / full time);
- `counselor_fte_effective`: FTEs at work, after leave, sick days and empty posts;
- `counselor_fte_on_leave`, `counselor_fte_vacant`: where the rest went;
- `counselor_departures_per_year`: holders who left (hires needed to stand still);
- `counselor_posts_to_fund`: posts to fund so the effective FTE reaches the funded one,
  posts x funded / effective (round up to hire);
- `sessions_cancelled_no_counselor_pct`, `sessions_covered_by_overtime_pct`: of the scheduled
  group and intake sessions, those no counselor could run and those run (partly) on overtime.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..model.clinic import RunResult
    from ..scenario.schema import Scenario

# Units: "FTEs", not "FTE", which three capitals would make a currency (finance.is_money).
STAFFING_KPIS: dict[str, str] = {
    "counselor_fte_funded": "FTEs",
    "counselor_fte_effective": "FTEs",
    "counselor_fte_on_leave": "FTEs",
    "counselor_fte_vacant": "FTEs",
    "counselor_departures_per_year": "per year",
    "counselor_posts_to_fund": "posts",
    "sessions_cancelled_no_counselor_pct": "%",
    "sessions_covered_by_overtime_pct": "%",
}


def staffing_units(scenario: Scenario | None) -> dict[str, str]:
    if scenario is None or not scenario.counselors.has_absences:
        return {}
    return STAFFING_KPIS


def funded_fte(scenario: Scenario) -> float:
    c = scenario.counselors
    contracted, _ = c.team_hours()
    return contracted / c.contracted_hours_per_week


def staffing_kpis(result: RunResult, weeks: np.ndarray) -> dict[str, float]:
    """`weeks`: the mask of the weekly series' rows inside the observation window."""
    scenario = result.scenario
    if not scenario.counselors.has_absences:
        return {}
    s = {name: np.asarray(v, dtype=float)[weeks] for name, v in result.series.items()}
    n_weeks = int(weeks.sum())
    nan = math.nan

    def mean(name: str) -> float:
        return float(s[name].mean()) if n_weeks else nan

    funded = funded_fte(scenario)
    effective = mean("counselor_fte_at_work")
    posts = scenario.counselors.count
    scheduled = float((s["sessions_run"] + s["sessions_cancelled_small"] + s["sessions_cancelled_no_counselor"]).sum())
    years = result.window.years
    return {
        "counselor_fte_funded": funded,
        "counselor_fte_effective": effective,
        "counselor_fte_on_leave": mean("counselor_fte_on_leave"),
        "counselor_fte_vacant": mean("counselor_fte_vacant"),
        "counselor_departures_per_year": result.stats["counselor_departures"] / years if years > 0 else nan,
        "counselor_posts_to_fund": posts * funded / effective if effective > 0 else nan,
        "sessions_cancelled_no_counselor_pct": (100.0 * float(s["sessions_cancelled_no_counselor"].sum()) / scheduled
                                                if scheduled else nan),
        "sessions_covered_by_overtime_pct": (100.0 * float(s["sessions_covered_by_overtime"].sum()) / scheduled
                                             if scheduled else nan),
    }
