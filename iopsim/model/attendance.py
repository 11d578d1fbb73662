"""Who comes to the groups: non-starters, and each patient's own attendance propensity.

Attendance in the literature is clustered: some patients miss often, most rarely. With
`attendance.propensity_sd` > 0 each referral draws its own probability of attending a session
from a Beta distribution whose mean is `group_attendance_prob`; with 0 every patient has that
mean, exactly as independent draws per session, and no draw is made. A non-starter (share
`attendance.non_starter_prob`) is admitted, holds a seat and a caseload place, and attends
nothing until the program discharges them. Each purpose draws from its own stream.
"""

from __future__ import annotations

from itertools import chain

from ..scenario.distributions import BLOCK
from ..scenario.schema import Scenario
from .streams import Draw, RandomStreams


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
        self._draw_propensity: Draw | None = None
        if a.propensity_sd > 0 and 0 < self.mean < 1:
            alpha, beta = beta_parameters(self.mean, a.propensity_sd)
            rng = streams.generator("attendance_propensity")
            self._draw_propensity = chain.from_iterable(iter(lambda: rng.beta(alpha, beta, BLOCK).tolist(), None)).__next__
        self._non_starter = streams.uniforms("non_starter") if self.non_starter_prob > 0 else None

    def propensity(self) -> float:
        """A new referral's probability of attending each group session."""
        return self.mean if self._draw_propensity is None else self._draw_propensity()

    def is_non_starter(self) -> bool:
        return self._non_starter is not None and self._non_starter() < self.non_starter_prob
