"""The units a program bills, counted only when the scenario has `finance:` (else nothing runs).

- Attended program days: per patient and calendar day, the group hours attended in treatment
  (not aftercare), kept by hours so that any payer's minimum (H0015: 3 hours) can be applied
  afterwards. A day is counted when it opens, in one sum per session: the session walking its
  roster notes each attendee's open day (`p.attend_day`, `p.day_hours`) and adds the days it
  opened to `days_by_hours` (sessions.py). The day moves to its new total in the rare case that
  the patient attends another session the same day (`grow_day`). Counting a day when it closed,
  as before, took a dict update per attendee; every day is counted once either way, with the same
  total hours.
- Patients in each phase: exact time averages (drug tests accrue per week in a phase).

Both cover the observation window: a day counts if it starts at or after the warm-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .meters import StockMeter

if TYPE_CHECKING:  # pragma: no cover
    from .patient import Patient


HOURS_TOLERANCE = 1e-9


class BillableUnits:
    __slots__ = ("start", "days_by_hours", "phase_meters")

    def __init__(self, start: float, n_phases: int):
        self.start = start
        self.days_by_hours: dict[float, int] = {}  # hours attended that day -> patient-days
        self.phase_meters = [StockMeter(start) for _ in range(n_phases)]

    def grow_day(self, p: Patient, hours: float) -> None:
        """The patient attends another session of `hours` on their open day: move the day, counted
        when it opened, to its new total."""
        before = p.day_hours
        after = p.day_hours = before + hours
        if p.attend_day >= self.start:
            by_hours = self.days_by_hours
            left = by_hours[before] - 1
            if left:
                by_hours[before] = left
            else:
                del by_hours[before]
            by_hours[after] = by_hours.get(after, 0) + 1

    def close_day(self, p: Patient) -> None:
        """The patient leaves treatment: their open day (already counted) is closed, so that a
        session later that day would open a new one."""
        p.attend_day = -1.0
        p.day_hours = 0.0

    def days_with_at_least(self, hours: float) -> int:
        """Patient-days with at least `hours` of group (sums of session hours may be off by float noise)."""
        return sum(n for h, n in self.days_by_hours.items() if h >= hours - HOURS_TOLERANCE)
