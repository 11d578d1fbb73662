"""The weekly timetable slots: group sessions that walk their rosters, and intake clinics.

Each timetable slot is one scheduled event a week (`Scheduler.every_week`) that walks its
group's roster: one event per scheduled session, never one per patient per session. A session
decides who is expected, whether it runs (enough patients, a counselor with the hours), and
who comes; a missed session may tip a patient into dropping out. Each slot tallies what became
of it after the warm-up (`sessions.csv`) and counts into the week's row of the series.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..scenario.schema import Session
from ..scenario.vocabulary import DAYS_PER_YEAR, MINUTES_PER_HOUR
from .streams import draws_of

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic
    from .groups import Group


SLOT_OUTCOMES = ("run", "closed", "empty", "cancelled_small", "cancelled_no_counselor")
_WEEK_COUNTER = {outcome: f"sessions_{outcome}" for outcome in SLOT_OUTCOMES}  # WeekTally field per outcome


class TimetableSlot:
    """A weekly slot of the timetable; tallies what became of it after the warm-up."""

    def __init__(self, c: Clinic, spec: Session):
        self.c = c
        self.spec = spec
        self.room = spec.room or ""  # "": online (virtual sessions book no room hours)
        self.tally = dict.fromkeys(SLOT_OUTCOMES, 0)
        self.room_hours = 0.0
        self.attendees = 0
        self.enrolled = 0
        self.full = 0  # sessions that ran with every seat of the group taken

    def _record(self, outcome: str, now: float, room_hours: float = 0.0, present: int = 0, enrolled: int = 0) -> None:
        c = self.c
        week = c.week
        if outcome == "run":
            week.sessions_run += 1
        else:
            name = _WEEK_COUNTER[outcome]
            setattr(week, name, getattr(week, name) + 1)
        week.room_hours[self.room] += room_hours
        if now >= c.warmup_days:
            self.tally[outcome] += 1
            self.room_hours += room_hours
            self.attendees += present
            self.enrolled += enrolled

    def summary(self) -> dict:
        spec = self.spec
        return {"group": spec.group, "day": spec.day, "start": spec.start, "hours": spec.hours, "room": spec.room,
                "serves": "+".join(spec.serves), **self.tally, "room_hours": self.room_hours,
                "attendees": self.attendees, "enrolled": self.enrolled, "full": self.full}


class TherapySession(TimetableSlot):
    """One weekly timetable slot of a treatment or aftercare group."""

    def __init__(self, c: Clinic, spec: Session, group: Group):
        super().__init__(c, spec)
        self.group = group
        self.hours = spec.hours
        self.serves = group.phases.intersection(
            i for i, name in enumerate(c.scenario.phase_names()) if name in spec.serves
        )
        self.documentation_hours = spec.hours * c.scenario.counselors.documentation_minutes_per_group_hour / MINUTES_PER_HOUR
        self.min_size = c.scenario.groups.min_size
        self.by_expected = c.scenario.groups.min_size_counts == "expected_attendees"
        # The same every week: worked out once.
        self.booked_hours = self.hours + self.documentation_hours
        self.room_hours_per_session = 0.0 if spec.room is None else spec.hours  # a virtual session takes no room
        self.on_shift = c.counselors.covering(spec.day, spec.start_hours, spec.hours, tuple(spec.serves))  # None: anyone
        self.count_for_track = c.tracks.count_session if c.tracks.declared and not group.is_aftercare else None
        self.drop_prob = 0.0 if group.is_aftercare else c.scenario.attendance.dropout_prob_per_missed_session
        self.billing = None if group.is_aftercare else c.billing  # program days count treatment groups only
        self.closed_days = c.closed_days
        self.attendance_draws = draws_of(c.attendance)

    def meet(self, now: float) -> None:
        """Walk the roster once: who is expected, whether the session runs, who comes."""
        c = self.c
        closed_days = self.closed_days
        if closed_days and int(now % DAYS_PER_YEAR) in closed_days:  # Clinic.is_closed, inlined
            self._record("closed", now)
            return
        g = self.group
        # Who is expected, and their expected attendance summed in roster order (as sum() would, in
        # one walk: a plain loop costs 40% fewer instructions than sum(map(attrgetter)) on slotted patients).
        expected_attendance = 0.0
        if g.is_aftercare:
            expected = list(g.roster.values())
            if self.by_expected:
                for p in expected:
                    expected_attendance += p.attend_prob
        else:
            serves = self.serves
            expected = []
            for p in g.roster.values():
                if p.phase_index in serves:
                    expected.append(p)
                    expected_attendance += p.attend_prob
        n = len(expected)
        if not n:
            self._record("empty", now)
            return
        if n < self.min_size or (self.by_expected and expected_attendance < self.min_size):
            self._record("cancelled_small", now)
            return
        counselors = c.counselors
        counselor = counselors.facilitator(now, self.booked_hours, self.on_shift)
        if counselor is None:
            self._record("cancelled_no_counselor", now)
            return
        counselors.book(counselor, now, "group", self.hours, self.documentation_hours)
        draws = self.attendance_draws
        drop_prob = self.drop_prob
        hours = self.hours
        absent = 0  # fewer than those present: counted instead of them
        billing = self.billing
        if billing is None:
            for p in expected:
                if next(draws) < p.attend_prob:  # the patient's own probability (attendance.py)
                    p.sessions_attended += 1
                    p.group_hours_attended += hours
                else:
                    absent += 1
                    p.sessions_missed += 1
                    if drop_prob and next(draws) < drop_prob:
                        c.pathway.drop_out(p)
            present = n - absent
        else:  # the same walk, also opening each attendee's billable day (billing.py)
            day = now // 1
            grown = 0
            for p in expected:
                if next(draws) < p.attend_prob:
                    p.sessions_attended += 1
                    p.group_hours_attended += hours
                    if p.attend_day != day:  # today's first session: opens the day, counted below
                        p.attend_day = day
                        p.day_hours = hours
                    else:
                        billing.grow_day(p, hours)
                        grown += 1
                else:
                    absent += 1
                    p.sessions_missed += 1
                    if drop_prob and next(draws) < drop_prob:
                        c.pathway.drop_out(p)
            present = n - absent
            opened = present - grown  # patients whose day opened with this session: their days, counted at once
            if opened and day >= billing.start:
                by_hours = billing.days_by_hours
                by_hours[hours] = by_hours.get(hours, 0) + opened
        week = c.week
        week.sessions_run += 1
        week.room_hours[self.room] += self.room_hours_per_session
        week.seat_capacity += g.capacity
        week.attendees += present
        week.enrolled += n
        full = len(g.roster) >= g.capacity
        if full:
            week.sessions_full += 1
        if now >= c.warmup_days:  # TimetableSlot._record("run", ...), written out
            self.tally["run"] += 1
            self.room_hours += self.room_hours_per_session
            self.attendees += present
            self.enrolled += n
            if full:
                self.full += 1
        if self.count_for_track is not None:
            self.count_for_track(g.track, g.capacity, present, n)


class IntakeClinic(TimetableSlot):
    """One weekly timetable slot in which a counselor sees intake appointments."""

    def __init__(self, c: Clinic, spec: Session):
        super().__init__(c, spec)
        self.on_shift = c.counselors.covering(spec.day, spec.start_hours, spec.hours, tuple(spec.serves))  # None: anyone

    def meet(self, now: float) -> None:
        c = self.c
        if c.closed_days and int(now % DAYS_PER_YEAR) in c.closed_days:  # Clinic.is_closed, inlined
            c.intake.clinic_closed(now)
            self._record("closed", now)
            return
        week_hours = c.counselors.week_hours
        before = week_hours["intake"]
        outcome = c.intake.hold_clinic(self.spec.hours, now, self.on_shift)
        self._record(outcome, now, week_hours["intake"] - before)  # the hours hold_clinic booked, if any
