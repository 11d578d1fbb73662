"""Counselors: who is primary for whom (caseload), and where each week's hours go.

Hours are a weekly budget: contracted hours less other duties. Scheduled work (groups and
their documentation, intake appointments) is booked against it first, at the moment it runs;
individual sessions fit into whatever is left at the end of the week. Without overtime a
session that finds no counselor free with enough hours left does not run.
"""

from __future__ import annotations

import math

from ..scenario.schema import Counselors
from ..scenario.vocabulary import ACTIVITIES, HOURS_PER_DAY

INF = math.inf


class CounselorTeam:
    def __init__(self, spec: Counselors):
        self.spec = spec
        self.size = spec.count
        self.clinical_hours_per_week = spec.contracted_hours_per_week - spec.other_duties_hours_per_week
        self.caseload = [0] * self.size
        self.budget = [self.clinical_hours_per_week] * self.size  # hours left this week
        self.busy_until = [0.0] * self.size  # days
        self.week_hours = dict.fromkeys(ACTIVITIES, 0.0)
        self.week_overtime = 0.0
        self.peak_caseload = 0

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

    def take_on(self, counselor: int) -> None:
        self.caseload[counselor] += 1
        if self.caseload[counselor] > self.peak_caseload:
            self.peak_caseload = self.caseload[counselor]

    def release(self, counselor: int) -> None:
        self.caseload[counselor] -= 1

    # --- hours ------------------------------------------------------------------------------
    def facilitator(self, now_days: float, hours: float) -> int | None:
        """A counselor free now with `hours` left this week (most hours left first)."""
        best = None
        free_at = now_days + 1e-9
        need = -INF if self.spec.allow_overtime else hours - 1e-9
        budget = self.budget
        for i, busy_until in enumerate(self.busy_until):
            if busy_until > free_at or budget[i] < need:
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
        self.budget[counselor] -= hours
        if self.budget[counselor] < 0:
            self.week_overtime += -self.budget[counselor]
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
        self.budget = [self.clinical_hours_per_week] * self.size
        self.week_hours = dict.fromkeys(ACTIVITIES, 0.0)
        self.week_overtime = 0.0
