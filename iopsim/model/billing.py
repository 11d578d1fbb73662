"""The units a program bills, counted only when the scenario has `finance:` (else nothing runs).

- Attended program days: per patient and calendar day, the group hours attended in treatment
  (not aftercare), kept by hours so that any payer's minimum (H0015: 3 hours) can be applied
  afterwards. The session walking its roster adds each attendee's hours to the patient's open
  day (`p.attend_day`, `p.day_hours`, in sessions.py: a comparison and an add per attendee); the
  day is closed into the tally here when the patient next attends on another day or leaves
  treatment.
- Patients in each phase: exact time averages (drug tests accrue per week in a phase).

Both cover the observation window: a day counts if it starts at or after the warm-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .meters import StockMeter

if TYPE_CHECKING:  # pragma: no cover
    from .pathway import Patient


HOURS_TOLERANCE = 1e-9


class BillableUnits:
    __slots__ = ("start", "days_by_hours", "phase_meters")

    def __init__(self, start: float, n_phases: int):
        self.start = start
        self.days_by_hours: dict[float, int] = {}  # hours attended that day -> patient-days
        self.phase_meters = [StockMeter(start) for _ in range(n_phases)]

    def close_day(self, p: Patient) -> None:
        """Count the patient's open day (if it lies in the window) and close it."""
        hours = p.day_hours
        if hours and p.attend_day >= self.start:
            by_hours = self.days_by_hours
            by_hours[hours] = by_hours.get(hours, 0) + 1
        p.day_hours = 0.0

    def days_with_at_least(self, hours: float) -> int:
        """Patient-days with at least `hours` of group (sums of session hours may be off by float noise)."""
        return sum(n for h, n in self.days_by_hours.items() if h >= hours - HOURS_TOLERANCE)
