"""The simulation calendar: day 0 is Monday 1 January; years have 365 days (no leap years)."""

from __future__ import annotations

import bisect

DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.0
HOURS_PER_DAY = 24.0
MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
MONTH_STARTS = tuple(sum(MONTH_LENGTHS[:i]) for i in range(12))


def day_of_year(mm_dd: str) -> int:
    """'12-25' -> 358 (0-based day of the year); ValueError for anything else."""
    try:
        month_text, day_text = mm_dd.split("-")
        month, day = int(month_text), int(day_text)
    except ValueError:
        raise ValueError(f"date {mm_dd!r} is not MM-DD") from None
    if not 1 <= month <= 12 or not 1 <= day <= MONTH_LENGTHS[month - 1]:
        raise ValueError(f"date {mm_dd!r} is not a day of the year (MM-DD, no Feb 29)")
    return MONTH_STARTS[month - 1] + day - 1


def month_index(time_days: float) -> int:
    """0 for January ... 11 for December, for a simulation time in days."""
    return bisect.bisect_right(MONTH_STARTS, time_days % DAYS_PER_YEAR) - 1
