"""Which counselor posts are at work each week: planned leave, sick days, vacancies.

Worked out once a week (Monday 00:00) for every post, as the share of the post's week that is
available and a bitmask of the weekdays (0 = Monday) on which its holder is away:

- planned leave (vacation, training) is a rota: post i is away in week w when its running
  entitlement floor(w*k/52 + i/n) steps up, so each post takes exactly k whole weeks in any 52
  consecutive weeks (k an integer; on average k for any k), staggered so posts are not all away
  at once;
- sick days fall at random: each working day of a post that is not on leave is a sick day with
  probability sick_days_per_year / (52 x working days a week);
- turnover: a filled post's holder leaves after an exponential time (rate `departures_per_year`);
  the post is then empty for a drawn `vacancy_weeks`. A post empty at a week's start is empty all
  that week. Its patients stay on its caseload (colleagues cover them informally): the post
  delivers no individual sessions and runs no groups while empty, and takes on no new patients;
- ramp-up: for `ramp_up_weeks` after a post is refilled its new holder's caseload cap is
  `ramp_up_caseload_pct` of `max_caseload` (`caseload_caps`, worked out with the week).

Without leave and turnover nothing is drawn and every post is at work all the time, so a run is
exactly as before.
"""

from __future__ import annotations

import math

from ..scenario.availability_schema import WEEKS_PER_YEAR
from ..scenario.schema import Counselors
from ..scenario.staffing_schema import WEEKDAYS
from ..scenario.vocabulary import DAYS_PER_WEEK, DAYS_PER_YEAR
from .streams import RandomStreams

DAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
WHOLE_WEEK = 0b1111111


class StaffAvailability:
    """Per post and week: the share of the week available and the weekdays away."""

    def __init__(self, spec: Counselors, shift_of: list[int], streams: RandomStreams, start: float):
        """`shift_of`: each post's shift index (empty: no shifts); `start`: when departures start counting."""
        self.spec = spec
        n = spec.count
        self.n = n
        self.start = start
        self.workdays = [
            [DAY_INDEX[d] for d in (spec.shifts[shift_of[i]].days if shift_of else WEEKDAYS)] for i in range(n)
        ]
        leave = spec.leave
        self.planned_per_week = leave.planned_weeks_per_year / WEEKS_PER_YEAR if leave else 0.0
        self.sick = [
            (leave.sick_days_per_year / (WEEKS_PER_YEAR * len(days)) if leave and days else 0.0) for days in self.workdays
        ]
        self.sick_draw = streams.uniforms("staff_sick_days") if leave and leave.sick_days_per_year else None
        turnover = spec.turnover
        self.turnover = turnover if turnover is not None and turnover.departures_per_year > 0 else None
        self.departures = 0  # counted after `start`
        self.vacant_until = [0.0] * n  # days; a post is empty while now < vacant_until
        self.leaves_at = [math.inf] * n
        if self.turnover is not None:
            self.departure_draw = streams.exponentials("staff_departures")
            self.vacancy_draw = streams.sampler("staff_vacancy_weeks", self.turnover.vacancy_weeks)
            self.rate_per_day = self.turnover.departures_per_year / DAYS_PER_YEAR
            self.leaves_at = [self.departure_draw() / self.rate_per_day for _ in range(n)]
        self.on_leave = [False] * n
        self.vacant = [False] * n
        self.ramp_days = self.turnover.ramp_up_weeks * DAYS_PER_WEEK if self.turnover is not None else 0.0
        self.ramp_cap = (math.floor(spec.max_caseload * self.turnover.ramp_up_caseload_pct / 100)
                         if self.turnover is not None else spec.max_caseload)
        self.caseload_caps = [spec.max_caseload] * n  # this week's caseload cap per post (0: empty)

    def week(self, week_index: int, now: float) -> tuple[list[float], list[int]]:
        """(share of the week available, mask of weekdays away) per post, for the week starting `now`."""
        share = [1.0] * self.n
        away = [0] * self.n
        k = self.planned_per_week
        for i in range(self.n):
            self._turn_over(i, now)
            self.vacant[i] = now < self.vacant_until[i]
            if self.turnover is not None:
                ramping = self.vacant_until[i] > 0 and now < self.vacant_until[i] + self.ramp_days
                self.caseload_caps[i] = 0 if self.vacant[i] else self.ramp_cap if ramping else self.spec.max_caseload
            phase = i / self.n
            self.on_leave[i] = k > 0 and math.floor((week_index + 1) * k + phase) > math.floor(week_index * k + phase)
            if self.vacant[i] or self.on_leave[i]:
                share[i], away[i] = 0.0, WHOLE_WEEK
                continue
            p = self.sick[i]
            if self.sick_draw is not None and p > 0:
                days = self.workdays[i]
                sick = [d for d in days if self.sick_draw() < p]
                if sick:
                    share[i] = 1.0 - len(sick) / len(days)
                    for d in sick:
                        away[i] |= 1 << d
        return share, away

    def _turn_over(self, i: int, now: float) -> None:
        """Advance post i's holders and vacancies to `now`."""
        while self.turnover is not None and self.leaves_at[i] <= now:
            left = self.leaves_at[i]
            if left >= self.start:
                self.departures += 1
            refilled = left + self.vacancy_draw() * DAYS_PER_WEEK
            self.vacant_until[i] = refilled
            self.leaves_at[i] = refilled + self.departure_draw() / self.rate_per_day
