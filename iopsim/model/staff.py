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

Optional (issue 11), each off unless the scenario's `counselors` section asks for it: leave and
turnover take posts away for a week or some of its days (`availability.py`; an absent counselor
runs nothing and their week's hours shrink with the share of it they are away); `roles` keeps
some sessions to licensed counselors and takes clinical supervision out of both sides' hours;
`caseload_paperwork` adds notes and treatment plans per patient and admission, written at the
week's end before individual sessions (paperwork is always done: beyond a counselor's hours it is
overtime).
"""

from __future__ import annotations

import math

from ..scenario.schema import Counselors
from ..scenario.vocabulary import ACTIVITIES, HOURS_PER_DAY, MINUTES_PER_HOUR
from .availability import StaffAvailability
from .meters import CapacityMeter
from .streams import RandomStreams

INF = math.inf


class CounselorTeam:
    def __init__(self, spec: Counselors, start: float = 0.0, streams: RandomStreams | None = None):
        """`start`: when the caseload meter starts counting (the end of the warm-up); `streams`:
        where leave and turnover draw from (without them, or without leave and turnover in the
        scenario, every counselor is at work all the time)."""
        self.spec = spec
        self.size = spec.count
        self.clinical_hours_per_week = spec.contracted_hours_per_week - spec.other_duties_hours_per_week
        self.shift_of: list[int] = []  # each counselor's index in spec.shifts (empty: no shifts)
        clinical = [self.clinical_hours_per_week] * self.size
        self.contracted = [spec.contracted_hours_per_week] * self.size
        if spec.shifts:
            clinical = []
            self.contracted = []
            for k, shift in enumerate(spec.shifts):
                contracted, other = spec.shift_hours(shift)
                clinical += [contracted - other] * shift.count
                self.contracted += [contracted] * shift.count
                self.shift_of += [k] * shift.count
        roles = spec.roles
        self.licensed: frozenset[str] = frozenset(roles.licensed_only) if roles else frozenset()
        if roles is not None and roles.supervision_hours_per_week:
            clinical = supervised(clinical, roles.licensed, roles.supervision_hours_per_week)
        self.full_clinical = clinical  # clinical hours a week at full strength, per counselor
        self.availability = (StaffAvailability(spec, self.shift_of, streams, start)
                             if streams is not None and spec.has_absences else None)
        self.share = [1.0] * self.size  # share of this week each counselor is at work
        self.away = [0] * self.size  # weekdays away this week (bit 0: Monday)
        self.week_index = 0
        paperwork = spec.caseload_paperwork
        self.plan_hours = paperwork.treatment_plan_minutes_per_admission / MINUTES_PER_HOUR if paperwork else 0.0
        self.note_hours = paperwork.weekly_minutes_per_patient() / MINUTES_PER_HOUR if paperwork else 0.0
        self.pending_paperwork = [0.0] * self.size  # treatment plans of this week's admissions, hours
        self.week_sessions_overtime = 0  # scheduled sessions that ran (partly) on overtime
        if self.availability is not None:
            self.share, self.away = self.availability.week(0, 0.0)
            clinical = [h * a for h, a in zip(clinical, self.share, strict=True)]
        self.clinical = clinical  # clinical hours this week, per counselor
        self.caseload = [0] * self.size
        self.budget = list(clinical)  # hours left this week
        self.worked = [0.0] * self.size  # clinical hours spent this week, per counselor
        self.overtime = [0.0] * self.size
        self.busy_until = [0.0] * self.size  # days
        self.week_hours = dict.fromkeys(ACTIVITIES, 0.0)
        self.week_overtime = 0.0
        self.peak_caseload = 0
        self.caseload_meter = CapacityMeter(start, self.size)  # counselors with room
        self.max_caseload = spec.max_caseload
        self._caps_vary = self.availability is not None and self.availability.turnover is not None
        if self._caps_vary:
            self._meter_caseloads(0.0)
        self.allow_overtime = spec.allow_overtime
        # Hours worked per counselor and sessions run on overtime are read only by the per-shift and
        # staffing columns (shift_row, availability_row): `book` and `_spend` tally them only for those.
        self.tally_per_counselor = bool(spec.shifts) or self.availability is not None

    # --- caseload -------------------------------------------------------------------------
    def counselor_with_room(self) -> int | None:
        """The counselor with the smallest caseload below the cap (lowest index on ties). With turnover
        an empty post takes on nobody and a new hire's cap is lower while ramping up (this week's caps)."""
        best = None
        loads = self.caseload
        if self.availability is not None and self.availability.turnover is not None:
            caps = self.availability.caseload_caps
            for i, load in enumerate(loads):
                if load < caps[i] and (best is None or load < loads[best]):
                    best = i
            return best
        cap = self.max_caseload
        for i, load in enumerate(loads):
            if load < cap and (best is None or load < loads[best]):
                best = i
        return best

    def take_on(self, counselor: int, now: float) -> None:
        if self.plan_hours:
            self.pending_paperwork[counselor] += self.plan_hours
        load = self.caseload[counselor] = self.caseload[counselor] + 1
        if load > self.peak_caseload:
            self.peak_caseload = load
        if self._caps_vary:
            self._meter_caseloads(now)
        elif load == self.spec.max_caseload:
            self.caseload_meter.take(now)

    def release(self, counselor: int, now: float) -> None:
        if self._caps_vary:
            self.caseload[counselor] -= 1
            self._meter_caseloads(now)
            return
        if self.caseload[counselor] == self.spec.max_caseload:
            self.caseload_meter.give(now)
        self.caseload[counselor] -= 1

    def _meter_caseloads(self, now: float) -> None:
        """With turnover a post's cap changes (0 while empty, lower while its new holder ramps up): the
        meter counts the posts below this week's cap, so an empty post is not room for a patient."""
        assert self.availability is not None
        caps = self.availability.caseload_caps
        self.caseload_meter.set_free(now, sum(load < cap for load, cap in zip(self.caseload, caps, strict=True)))

    # --- hours ------------------------------------------------------------------------------
    def covering(self, day: str, start_hours: float, hours: float, serves: tuple[str, ...] = ()
                 ) -> tuple[int, ...] | None:
        """The counselors who may run a weekly slot serving `serves`: those whose shift covers it,
        and only licensed ones if any of `serves` is licensed-only (None: anyone)."""
        licensed_only = bool(self.licensed.intersection(serves))
        if not self.spec.shifts and not licensed_only:
            return None
        shifts = self.spec.shifts
        who = list(range(self.size))
        if shifts:
            who = [i for i, k in enumerate(self.shift_of) if shifts[k].covers(day, start_hours, hours)]
        if licensed_only:
            assert self.spec.roles is not None
            who = [i for i in who if i < self.spec.roles.licensed]
        return tuple(who)

    def facilitator(self, now_days: float, hours: float, who: tuple[int, ...] | None = None) -> int | None:
        """A counselor free now with `hours` left this week (most hours left first), among `who`
        (those on shift) when given."""
        budget = self.budget
        if who is None and self.availability is None and self.size:
            # Anyone may: the first counselor with most hours left, found in C, is the loop's answer
            # unless they are busy (usually the one busy has just spent hours, so has fewer left).
            most = max(budget)
            if most < hours - 1e-9 and not self.allow_overtime:
                return None
            first = budget.index(most)
            if self.busy_until[first] <= now_days + 1e-9:
                return first
        # Who is on shift or at work today, or the one with most hours left was busy: the full search.
        best = None
        free_at = now_days + 1e-9
        need = -INF if self.allow_overtime else hours - 1e-9
        busy = self.busy_until
        if self.availability is not None:  # leave and vacancies: skip whoever is away today
            today = 1 << (int(now_days) % 7)
            away = self.away
            who = tuple(i for i in (range(self.size) if who is None else who) if not away[i] & today)
        for i in range(self.size) if who is None else who:
            if busy[i] > free_at or budget[i] < need:
                continue
            if best is None or budget[i] > budget[best]:
                best = i
        return best

    def book(self, counselor: int, now_days: float, activity: str, hours: float, documentation: float = 0.0) -> None:
        """Spend the hours of a scheduled activity and of its documentation, blocking the counselor
        for both (two numbers rather than a dict walked per session)."""
        week_hours = self.week_hours
        week_hours[activity] += hours
        total = hours
        if documentation:  # adding 0.0 would change nothing
            week_hours["documentation"] += documentation
            total += documentation
        self.busy_until[counselor] = now_days + total / HOURS_PER_DAY
        if self.tally_per_counselor and self.budget[counselor] < total - 1e-9:
            self.week_sessions_overtime += 1
        self._spend(counselor, total)

    def _spend(self, counselor: int, hours: float) -> None:
        if self.tally_per_counselor:
            self.worked[counselor] += hours
        self.budget[counselor] -= hours
        if self.budget[counselor] < 0:
            self.week_overtime += -self.budget[counselor]
            self.overtime[counselor] += -self.budget[counselor]
            self.budget[counselor] = 0.0

    def deliver_individual_sessions(self, demand_hours: list[float]) -> float:
        """End of week: deliver each counselor's individual sessions from hours left; return delivered."""
        delivered_total = 0.0
        share = self.share
        for i, demand in enumerate(demand_hours):
            if not share[i]:  # away all week (leave or an empty post): no individual sessions
                continue
            delivered = demand if self.spec.allow_overtime else min(demand, self.budget[i])
            self._spend(i, delivered)
            delivered_total += delivered
        self.week_hours["individual"] += delivered_total
        return delivered_total

    def write_paperwork(self) -> float:
        """End of week, before individual sessions: notes and plan reviews for each caseload and
        this week's treatment plans. A counselor away all week has theirs written by whoever has
        most hours left. Returns the hours written."""
        if not self.note_hours and not self.plan_hours:
            return 0.0
        total = 0.0
        present = [i for i in range(self.size) if self.share[i] > 0]
        for i in range(self.size):
            hours = self.caseload[i] * self.note_hours + self.pending_paperwork[i]
            self.pending_paperwork[i] = 0.0
            if not hours:
                continue
            writer = i if self.share[i] > 0 else max(present, key=lambda j: self.budget[j], default=None)
            if writer is None:  # nobody at work all week: not written, so not counted
                continue
            self._spend(writer, hours)
            total += hours
        self.week_hours["documentation"] += total
        return total

    def start_week(self, now: float = 0.0) -> None:
        """A new week from `now` (days): who is at work, and everyone's hours."""
        self.week_index += 1
        if self.availability is not None:
            self.share, self.away = self.availability.week(self.week_index, now)
            self.clinical = [h * a for h, a in zip(self.full_clinical, self.share, strict=True)]
            if self._caps_vary:
                self._meter_caseloads(now)
        self.week_sessions_overtime = 0
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


    def availability_row(self) -> dict[str, float]:
        """This week's staffing by series column (empty without leave and turnover): FTEs at work,
        on leave and in empty posts (an FTE is counselors.contracted_hours_per_week), clinical
        hours available, sessions run on overtime."""
        availability = self.availability
        if availability is None:
            return {}
        full_time = self.spec.contracted_hours_per_week
        at_work = on_leave = vacant = 0.0
        for i, contracted in enumerate(self.contracted):
            fte = contracted / full_time
            if availability.vacant[i]:
                vacant += fte
            else:
                at_work += fte * self.share[i]
                on_leave += fte * (1.0 - self.share[i])
        return {"counselor_fte_at_work": at_work, "counselor_fte_on_leave": on_leave, "counselor_fte_vacant": vacant,
                "counselor_hours_available": sum(self.clinical),
                "sessions_covered_by_overtime": self.week_sessions_overtime}


    def availability_stats(self) -> dict[str, float]:
        """Departures after the warm-up (empty without leave and turnover)."""
        return {} if self.availability is None else {"counselor_departures": float(self.availability.departures)}


def supervised(clinical: list[float], licensed: int, hours: float) -> list[float]:
    """Clinical hours once each unlicensed counselor (index >= licensed) receives `hours` of
    supervision a week, given in equal shares by the licensed ones."""
    unlicensed = len(clinical) - licensed
    if not licensed or not unlicensed:
        return list(clinical)
    given = hours * unlicensed / licensed
    return [h - (given if i < licensed else hours) for i, h in enumerate(clinical)]


def shift_column(shift: str, field: str) -> str:
    """The weekly-series column of a per-shift total ("hours": clinical hours worked, "overtime_hours")."""
    return f"counselor_{field}_shift_{shift}"
