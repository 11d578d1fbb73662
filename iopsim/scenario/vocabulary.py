"""Words the model, the analysis and the reports share, written once.

Time units come from the calendar (re-exported here so one import brings the whole vocabulary);
the rest are the program's own terms: where counselor hours go, the access target of the
14-day KPI, and how many seats a group has.
"""

from __future__ import annotations

from .calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, HOURS_PER_DAY

__all__ = [
    "ACCESS_TARGET_DAYS", "ACTIVITIES", "DAYS_PER_WEEK", "DAYS_PER_YEAR", "HOURS_PER_DAY", "MINUTES_PER_HOUR",
    "group_size_cap",
]

MINUTES_PER_HOUR = 60.0
# Where a counselor's clinical hours go, in the order of the weekly series and the charts.
ACTIVITIES = ("group", "documentation", "intake", "individual")
# Admitted within this many days of referral: the `admitted_within_14_days_pct` KPI.
ACCESS_TARGET_DAYS = 14.0


def group_size_cap(session_max_size: int | None, default_max_size: int, room_seats: int) -> int:
    """Seats a session offers: its own size limit (or the scenario's), no more than its room holds.

    A group with several sessions gets the smallest of its sessions' caps.
    """
    return min(session_max_size or default_max_size, room_seats)
