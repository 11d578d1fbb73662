"""Who comes to the groups: non-starters, and each patient's own attendance propensity.

Attendance in the literature is clustered: some patients miss often, most rarely. With
`attendance.propensity_sd` > 0 each referral draws its own probability of attending a session
from a Beta distribution whose mean is `group_attendance_prob`; with 0 every patient has that
mean, exactly as independent draws per session, and no draw is made. A non-starter (share
`attendance.non_starter_prob`) is admitted, holds a seat and a caseload place, and attends
nothing until the program discharges them. Each purpose draws from its own stream.

With `progression:` each person also has a pace (`pace`): a multiplier on every planned phase
length, lognormal (median 1) times (mean attendance / own propensity) ** exponent, capped.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from math import exp
from typing import TYPE_CHECKING

from ..scenario.distributions import BLOCK
from ..scenario.schema import Scenario
from .streams import RandomStreams, draws_of

if TYPE_CHECKING:  # pragma: no cover
    from .patient import Patient


def beta_parameters(mean: float, sd: float) -> tuple[float, float]:
    """Beta(a, b) with this mean and standard deviation (method of moments; needs sd² < mean(1-mean))."""
    k = mean * (1 - mean) / (sd * sd) - 1
    return mean * k, (1 - mean) * k


class AttendanceRules:
    def __init__(self, scenario: Scenario, streams: RandomStreams):
        a = scenario.attendance
        self.mean = a.group_attendance_prob
        self.non_starter_prob = a.non_starter_prob
        self.non_starter_discharge_days = a.non_starter_discharge_days
        # Draws as iterators (`next(...)`: see streams.draws_of), None where nothing is drawn.
        self._draw_propensity: Iterator[float] | None = None
        if a.propensity_sd > 0 and 0 < self.mean < 1:
            alpha, beta = beta_parameters(self.mean, a.propensity_sd)
            rng = streams.generator("attendance_propensity")
            self._draw_propensity = chain.from_iterable(iter(lambda: rng.beta(alpha, beta, BLOCK).tolist(), None))
        self._non_starter = draws_of(streams.uniforms("non_starter")) if self.non_starter_prob > 0 else None
        prog = scenario.progression
        self.pace_on = prog is not None and prog.is_on
        self.hazards_follow_pace = False
        if prog is not None and self.pace_on:
            self.pace_sd = prog.pace_sd
            self.pace_exponent = prog.attendance_pace_exponent
            self.attendance_paced = self.pace_exponent > 0 and self.mean > 0
            self.max_pace = prog.max_pace_multiplier
            self.min_propensity = self.mean / self.max_pace  # the pace is capped: so is a low propensity's effect
            self.hazards_follow_pace = prog.hazards_follow_pace
            self._pace_normal: Iterator[float] | None = None
            if prog.pace_sd > 0:
                pace_rng = streams.generator("pace")
                self._pace_normal = chain.from_iterable(iter(lambda: pace_rng.standard_normal(BLOCK).tolist(), None))

    def start_episode(self, p: Patient) -> None:
        """A referral's attendance: a new person draws their propensity (and pace), a returning one
        keeps theirs; every episode draws whether it is a non-starter. One call per referral.

        The pace (with `progression:` on) multiplies every planned phase length: lognormal, times
        (mean attendance / own propensity, floored) ** exponent, capped; 1 otherwise."""
        if p.propensity < 0.0:
            propensity = p.propensity = self.mean if self._draw_propensity is None else next(self._draw_propensity)
            if self.pace_on:  # max(propensity, floor) and min(pace, cap) below, without the calls
                pace = exp(self.pace_sd * next(self._pace_normal)) if self._pace_normal is not None else 1.0
                if self.attendance_paced:
                    floor = self.min_propensity
                    pace *= (self.mean / (floor if floor > propensity else propensity)) ** self.pace_exponent
                p.pace = self.max_pace if self.max_pace < pace else pace
        p.non_starter = self._non_starter is not None and next(self._non_starter) < self.non_starter_prob
        p.attend_prob = 0.0 if p.non_starter else p.propensity
