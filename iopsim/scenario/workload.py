"""How much work a scenario asks for, known before anything runs.

Simulation time grows with the referrals simulated (each is a patient with events), so the expected
number of referrals per replication is the measure of a run's size. Commands compare it with limits
to show progress inside long replications and to ask for `--yes` before runs of hours.
"""

from __future__ import annotations

import math

from .calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, MONTH_LENGTHS
from .schema import Scenario

REFERRALS_PER_SECOND = 10_000
"""Rough simulation speed of one core under heavy load (measured: 2k-12k referrals/s); for estimates only."""
LONG_REPLICATION = 200_000
"""Expected referrals above which one replication takes long enough (~20 s) to show progress inside it."""
CONFIRM_ABOVE = 50_000_000
"""Expected referrals in one command above which it runs only with --yes (more than ~1.5 core-hours)."""


def expected_referrals(s: Scenario) -> float:
    """Mean new referrals in one replication: the rate integrated over the horizon, month by month,
    with seasonality and compound growth (thinning keeps exactly this mean). Readmissions come on top
    (about 4% more referrals in urban-evening-track); they depend on outcomes, known only by simulating."""
    ref = s.referrals
    rate_per_day = ref.rate_per_week / DAYS_PER_WEEK
    if rate_per_day == 0:
        return 0.0
    multipliers = ref.monthly_multipliers or [1.0] * 12
    season = sum(m * d for m, d in zip(multipliers, MONTH_LENGTHS, strict=True))  # one year's multiplier-days
    years = s.run.horizon_years
    whole = math.floor(years)
    growth = 1 + ref.growth_per_year_pct / 100
    # Growth compounds continuously: year k contributes growth**k on average over the year.
    if growth == 1:
        yearly = float(whole)
    else:
        log_g = math.log(growth)
        yearly = (growth**whole - 1) / log_g
    rest_days = (years - whole) * DAYS_PER_YEAR
    rest = growth**whole * _season_days(multipliers, rest_days)
    return rate_per_day * (season * yearly + rest)


def _season_days(multipliers: list[float], days: float) -> float:
    """Multiplier-days in the first `days` of a year."""
    total = 0.0
    for m, length in zip(multipliers, MONTH_LENGTHS, strict=True):
        if days <= 0:
            break
        total += m * min(days, length)
        days -= length
    return total


def describe(referrals: float) -> str:
    """'about 52 million referrals (~1.4 h on one core)'."""
    seconds = referrals / REFERRALS_PER_SECOND
    if seconds < 120:
        time_text = f"~{seconds:.0f} s"
    elif seconds < 2 * 3600:
        time_text = f"~{seconds / 60:.0f} min"
    else:
        time_text = f"~{seconds / 3600:.1f} h"
    if referrals >= 1e9:
        count = f"{referrals / 1e9:.3g} billion"
    elif referrals >= 1e6:
        count = f"{referrals / 1e6:.3g} million"
    else:
        count = f"{referrals:,.0f}"
    return f"about {count} referrals ({time_text} on one core)"
