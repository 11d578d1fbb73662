"""The units a program bills, counted only when the scenario has `finance:` (else nothing runs).

- Attended program days: per patient and calendar day, the group hours attended in treatment
  (not aftercare), kept by hours so that any payer's minimum (H0015: 3 hours) can be applied
  afterwards. The session walking its roster adds each attendee's hours to the patient's open
  day; the day is closed when the patient next attends on another day or leaves treatment.
- Patients in each phase: exact time averages (drug tests accrue per week in a phase).

Both cover the observation window: a day counts if it starts at or after the warm-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .meters import StockMeter

if TYPE_CHECKING:  # pragma: no cover
    from .pathway import Patient


class BillableUnits:
    __slots__ = ("start", "days_by_hours", "phase_meters")

    def __init__(self, start: float, n_phases: int):
        self.start = start
        self.days_by_hours: dict[float, int] = {}  # hours attended that day -> patient-days
        self.phase_meters = [StockMeter(start) for _ in range(n_phases)]

    def attend(self, p: Patient, day: float, hours: float) -> None:
        """`p` attended `hours` of group on the day starting at `day` (whole days since the start)."""
        if p.attend_day == day:
            p.day_hours += hours
            return
        self.close_day(p)
        p.attend_day = day
        p.day_hours = hours

    def close_day(self, p: Patient) -> None:
        hours = p.day_hours
        if hours and p.attend_day >= self.start:
            key = round(hours, 6)  # 1.5 + 1.5 and 3 are one key
            self.days_by_hours[key] = self.days_by_hours.get(key, 0) + 1
        p.day_hours = 0.0

    def days_with_at_least(self, hours: float) -> int:
        return sum(n for h, n in self.days_by_hours.items() if h >= hours - 1e-9)
