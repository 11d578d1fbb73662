"""The weekly monitor: closes each week at Monday 00:00 and appends one row to the time series.

Sessions and intake clinics count into the current `WeekTally` as they happen; at the week's
end the monitor lets the counselors deliver the individual sessions their caseloads asked for,
then records every stock and tally under its column name, and starts a new week.
"""

from __future__ import annotations

from collections import defaultdict
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
    """One row of the weekly series per week, up to the horizon."""

    def __init__(self, c: Clinic):
        self.c = c
        self.week = WeekTally()
        self.series: dict[str, list[float]] = defaultdict(list)
        cs = c.scenario.counselors
        # What each week's row needs, worked out once.
        self.individual_hours = [ph.individual_sessions_per_week * cs.individual_session_hours for ph in c.phases]
        self.room_names = [room.name for room in c.scenario.rooms]
        self.contracted_hours, self.other_duties_hours = cs.team_hours()
        # Column names, built once rather than every week.
        self.census_columns = [f"census_{ph.name}" for ph in c.phases]
        self.room_columns = [(f"room_hours_{name}", name) for name in self.room_names]
        self.activity_columns = [(f"counselor_hours_{activity}", activity) for activity in ACTIVITIES]

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
        row = self.row()
        series = self.series
        for name, value in row.items():
            series[name].append(value)
        self.week.reset()
        self.c.counselors.start_week(self.c.env._now)

    def row(self) -> dict[str, float]:
        """This week's values by column name (delivering the week's individual sessions on the way)."""
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
        row: dict[str, float] = {
            "week_end_days": c.env._now,
            "referrals_total": c.referrals_total,
            "intake_queue": c.intake.waiting(),
            "waitlist": c.waitlist.waiting(),
        }
        for column, count in zip(self.census_columns, c.census_by_phase, strict=True):
            row[column] = count
        row["census"] = len(c.in_treatment)
        c.seats.purge_aftercare_queue()
        row["aftercare_census"] = sum(len(g.roster) for g in c.seats.aftercare_groups)
        row["aftercare_queue"] = len(c.seats.aftercare_queue)
        row["room_hours"] = sum(rooms.values())
        for column, name in self.room_columns:
            row[column] = rooms.get(name, 0.0)
        week_hours = team.week_hours
        for column, activity in self.activity_columns:
            row[column] = week_hours[activity]
        row["counselor_hours_other_duties"] = self.other_duties_hours
        row["counselor_hours_contracted"] = self.contracted_hours
        row["counselor_overtime_hours"] = team.week_overtime
        row["individual_hours_demanded"] = sum(demand)
        row["individual_hours_delivered"] = delivered
        row["caseload_max"] = max(team.caseload, default=0)
        for name in WEEK_COUNTS:
            row[name] = getattr(w, name)
        row.update(c.tracks.week_row())  # per-track seat tallies, only when tracks are declared
        row.update(team.shift_row())  # per-shift hours, only when shifts are declared
        row.update(team.availability_row())  # staff at work, only with leave or turnover
        return row
