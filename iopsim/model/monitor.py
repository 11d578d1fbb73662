"""The weekly monitor: closes each week at Monday 00:00 and appends one row to the time series.

Sessions and intake clinics count into the current `WeekTally` as they happen; at the week's
end the monitor lets the counselors deliver the individual sessions their caseloads asked for,
then records every stock and tally under its column name, and starts a new week.
"""

from __future__ import annotations

from collections import defaultdict
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

from ..scenario.vocabulary import ACTIVITIES, DAYS_PER_WEEK
from .scheduler import LAST_AT_INSTANT, Wake

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic


class WeekTally:
    """What happened in the current week (reset every Monday 00:00)."""

    __slots__ = (
        "sessions_run", "sessions_empty", "sessions_cancelled_small", "sessions_cancelled_no_counselor",
        "sessions_closed", "sessions_full", "intake_appointments",
        "seat_capacity", "attendees", "enrolled", "room_hours",
    )

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sessions_run = self.sessions_empty = self.sessions_cancelled_small = 0
        self.sessions_cancelled_no_counselor = self.sessions_closed = self.sessions_full = 0
        self.intake_appointments = 0
        self.seat_capacity = self.attendees = self.enrolled = 0
        self.room_hours: defaultdict[str, float] = defaultdict(float)


WEEK_COUNTS = tuple(name for name in WeekTally.__slots__ if name != "room_hours")  # series columns


class WeeklyMonitor:
    """One row of the weekly series per week, up to the horizon.

    A week's row is one list of values in column order, kept as it is; the rows become columns
    (`series`) once, at the end of the run, rather than each value being appended to its column
    by name every week.
    """

    def __init__(self, c: Clinic):
        self.c = c
        self.week = WeekTally()
        self.rows: list[list[float]] = []
        cs = c.scenario.counselors
        # What each week's row needs, worked out once.
        self.individual_hours = [ph.individual_sessions_per_week * cs.individual_session_hours for ph in c.phases]
        self.room_names = [room.name for room in c.scenario.rooms]
        self.contracted_hours, self.other_duties_hours = cs.team_hours()
        self.activity_hours = itemgetter(*ACTIVITIES)  # a week's hours per activity, in column order
        self.week_counts = attrgetter(*WEEK_COUNTS)
        # The columns, in the order of a row's values (then those of tracks, shifts and staff
        # availability, named by the first row).
        self.fixed_columns = [
            "week_end_days", "referrals_total", "intake_queue", "waitlist",
            *(f"census_{ph.name}" for ph in c.phases), "census", "aftercare_census", "aftercare_queue",
            "room_hours", *(f"room_hours_{name}" for name in self.room_names),
            *(f"counselor_hours_{activity}" for activity in ACTIVITIES),
            "counselor_hours_other_duties", "counselor_hours_contracted", "counselor_overtime_hours",
            "individual_hours_demanded", "individual_hours_delivered", "caseload_max", *WEEK_COUNTS,
        ]
        self.columns: list[str] | None = None

    @property
    def series(self) -> dict[str, list[float]]:
        """The weekly series by column name (the rows so far, turned into columns)."""
        if self.columns is None:
            return {}
        return {name: list(values) for name, values in zip(self.columns, zip(*self.rows, strict=True), strict=True)}

    def start(self) -> None:
        """The first week's end. The row is taken after everything else due at that instant (a
        lower priority than SimPy's own), so a patient leaving and another arriving at 00:00 are
        both counted."""
        self.week_end = DAYS_PER_WEEK
        self._on_week_end = (self._week_ends,)
        if self.week_end <= self.c.horizon_days + 1e-9:
            self.c.scheduler.after(self.week_end - self.c.env._now, self._on_week_end, priority=LAST_AT_INSTANT)

    def _week_ends(self, ev: Wake) -> None:
        self.close_week()
        self.week_end += DAYS_PER_WEEK
        if self.week_end <= self.c.horizon_days + 1e-9:
            self.c.scheduler.again(ev, self._on_week_end, self.week_end - self.c.env._now, LAST_AT_INSTANT)

    def close_week(self) -> None:
        self.rows.append(self.row())
        self.week.reset()
        self.c.counselors.start_week(self.c.env._now)

    def row(self) -> list[float]:
        """This week's values in column order (delivering the week's individual sessions on the way)."""
        c = self.c
        team = c.counselors
        individual_hours = self.individual_hours
        demand = [0.0] * team.size
        for p in c.in_treatment.values():
            demand[p.counselor] += individual_hours[p.phase_index]
        team.write_paperwork()  # caseload notes and plans first: they are not optional
        delivered = team.deliver_individual_sessions(demand)
        w = self.week
        rooms = w.room_hours
        row: list[float] = [c.env._now, c.referrals_total, c.intake.waiting(), c.waitlist.waiting(),
                            *c.census_by_phase, len(c.in_treatment)]
        seats = c.seats
        seats.purge_aftercare_queue()
        row += (sum(len(g.roster) for g in seats.aftercare_groups), len(seats.aftercare_queue), sum(rooms.values()))
        row += [rooms.get(name, 0.0) for name in self.room_names]
        row += self.activity_hours(team.week_hours)
        row += (self.other_duties_hours, self.contracted_hours, team.week_overtime, sum(demand), delivered,
                max(team.caseload, default=0))
        row += self.week_counts(w)
        extra = c.tracks.week_row()  # per-track seat tallies, only when tracks are declared
        extra.update(team.shift_row())  # per-shift hours, only when shifts are declared
        extra.update(team.availability_row())  # staff at work, only with leave or turnover
        row += extra.values()
        if self.columns is None:
            self.columns = self.fixed_columns + list(extra)
            assert len(set(self.columns)) == len(self.columns) == len(row), "weekly columns must be distinct"
        return row
