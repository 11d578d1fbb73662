"""Counselors: who is primary for whom (caseload), and where each week's hours go.

Hours are a weekly budget: contracted hours less other duties. Scheduled work (groups and
their documentation, intake appointments) is booked against it first, at the moment it runs;
individual sessions fit into whatever is left at the end of the week. Without overtime a
session that finds no counselor free with enough hours left does not run.

Caseloads are at capacity (`caseload_meter`, for the bottleneck diagnosis) while no counselor
has room for one more patient: metered only when a caseload reaches the cap or drops below it.

With `counselors.shifts`, counselors are numbered shift by shift; each has their shift's hours,
and a session may only go to a counselor whose shift covers it (`covering`, worked out once per
timetable slot, so the search per session stays a short loop).
"""

from __future__ import annotations

import math

from ..scenario.schema import Counselors
from ..scenario.vocabulary import ACTIVITIES, HOURS_PER_DAY
from .meters import CapacityMeter

INF = math.inf


class CounselorTeam:
    def __init__(self, spec: Counselors, start: float = 0.0):
        """`start`: when the caseload meter starts counting (the end of the warm-up)."""
        self.spec = spec
        self.size = spec.count
        self.clinical_hours_per_week = spec.contracted_hours_per_week - spec.other_duties_hours_per_week
        self.shift_of: list[int] = []  # each counselor's index in spec.shifts (empty: no shifts)
        clinical = [self.clinical_hours_per_week] * self.size
        if spec.shifts:
            clinical = []
            for k, shift in enumerate(spec.shifts):
                contracted, other = spec.shift_hours(shift)
                clinical += [contracted - other] * shift.count
                self.shift_of += [k] * shift.count
        self.clinical = clinical  # clinical hours a week, per counselor
        self.caseload = [0] * self.size
        self.budget = list(clinical)  # hours left this week
        self.worked = [0.0] * self.size  # clinical hours spent this week, per counselor
        self.overtime = [0.0] * self.size
        self.busy_until = [0.0] * self.size  # days
        self.week_hours = dict.fromkeys(ACTIVITIES, 0.0)
        self.week_overtime = 0.0
        self.peak_caseload = 0
        self.caseload_meter = CapacityMeter(start, self.size)  # counselors with room

    # --- caseload -------------------------------------------------------------------------
    def counselor_with_room(self) -> int | None:
        """The counselor with the smallest caseload below the cap (lowest index on ties)."""
        best = None
        cap = self.spec.max_caseload
        loads = self.caseload
        for i, load in enumerate(loads):
            if load < cap and (best is None or load < loads[best]):
                best = i
        return best

    def take_on(self, counselor: int, now: float) -> None:
        load = self.caseload[counselor] = self.caseload[counselor] + 1
        if load > self.peak_caseload:
            self.peak_caseload = load
        if load == self.spec.max_caseload:
            self.caseload_meter.take(now)

    def release(self, counselor: int, now: float) -> None:
        if self.caseload[counselor] == self.spec.max_caseload:
            self.caseload_meter.give(now)
        self.caseload[counselor] -= 1

    # --- hours ------------------------------------------------------------------------------
    def covering(self, day: str, start_hours: float, hours: float) -> tuple[int, ...] | None:
        """The counselors whose shift covers a weekly slot (None without shifts: anyone)."""
        if not self.spec.shifts:
            return None
        shifts = self.spec.shifts
        return tuple(i for i, k in enumerate(self.shift_of) if shifts[k].covers(day, start_hours, hours))

    def facilitator(self, now_days: float, hours: float, who: tuple[int, ...] | None = None) -> int | None:
        """A counselor free now with `hours` left this week (most hours left first), among `who`
        (those on shift) when given."""
        best = None
        free_at = now_days + 1e-9
        need = -INF if self.spec.allow_overtime else hours - 1e-9
        budget = self.budget
        busy = self.busy_until
        for i in range(self.size) if who is None else who:
            if busy[i] > free_at or budget[i] < need:
                continue
            if best is None or budget[i] > budget[best]:
                best = i
        return best

    def book(self, counselor: int, now_days: float, activity_hours: dict[str, float]) -> None:
        """Spend hours of a scheduled activity (blocking the counselor for its contact part)."""
        total = 0.0
        for activity, hours in activity_hours.items():
            self.week_hours[activity] += hours
            total += hours
        self.busy_until[counselor] = now_days + total / HOURS_PER_DAY
        self._spend(counselor, total)

    def _spend(self, counselor: int, hours: float) -> None:
        self.worked[counselor] += hours
        self.budget[counselor] -= hours
        if self.budget[counselor] < 0:
            self.week_overtime += -self.budget[counselor]
            self.overtime[counselor] += -self.budget[counselor]
            self.budget[counselor] = 0.0

    def deliver_individual_sessions(self, demand_hours: list[float]) -> float:
        """End of week: deliver each counselor's individual sessions from hours left; return delivered."""
        delivered_total = 0.0
        for i, demand in enumerate(demand_hours):
            delivered = demand if self.spec.allow_overtime else min(demand, self.budget[i])
            self._spend(i, delivered)
            delivered_total += delivered
        self.week_hours["individual"] += delivered_total
        return delivered_total

    def start_week(self) -> None:
        self.budget = list(self.clinical)
        self.worked = [0.0] * self.size
        self.overtime = [0.0] * self.size
        self.week_hours = dict.fromkeys(ACTIVITIES, 0.0)
        self.week_overtime = 0.0

    def shift_row(self) -> dict[str, float]:
        """This week's clinical and overtime hours per shift, by series column (empty without shifts)."""
        row: dict[str, float] = {}
        for k, shift in enumerate(self.spec.shifts):
            mine = [i for i, s in enumerate(self.shift_of) if s == k]
            row[shift_column(shift.name, "hours")] = sum(self.worked[i] for i in mine)
            row[shift_column(shift.name, "overtime_hours")] = sum(self.overtime[i] for i in mine)
        return row


def shift_column(shift: str, field: str) -> str:
    """The weekly-series column of a per-shift total ("hours": clinical hours worked, "overtime_hours")."""
    return f"counselor_{field}_shift_{shift}"
