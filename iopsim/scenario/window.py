"""The observation window: what of a run counts towards its results.

A run simulates [0, horizon]; the first `warmup_weeks` (clipped to the horizon) fill the empty
program and are excluded. The model, the KPIs, the run folders and the validation all read
the window from here, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .calendar import DAYS_PER_WEEK, DAYS_PER_YEAR

WEEK_TOLERANCE_DAYS = 1e-9  # week ends are sums of 7.0s: allow for rounding when comparing


@dataclass(frozen=True)
class Window:
    """[start_days, end_days]: from the end of the warm-up to the horizon, in days."""

    start_days: float
    end_days: float

    @classmethod
    def of_lengths(cls, warmup_weeks: float, horizon_years: float) -> Window:
        end = horizon_years * DAYS_PER_YEAR
        return cls(min(warmup_weeks * DAYS_PER_WEEK, end), end)

    @classmethod
    def of(cls, scenario: Any) -> Window:
        """The window of a Scenario (anything with `run.warmup_weeks` and `run.horizon_years`)."""
        return cls.of_lengths(scenario.run.warmup_weeks, scenario.run.horizon_years)

    @property
    def days(self) -> float:
        return self.end_days - self.start_days

    @property
    def years(self) -> float:
        return (self.end_days - self.start_days) / DAYS_PER_YEAR

    @property
    def weeks(self) -> float:
        return (self.end_days - self.start_days) / DAYS_PER_WEEK

    def week_counts(self, week_end_days):
        """Whether the week ending at `week_end_days` (a number or an array) lies wholly inside."""
        return week_end_days - DAYS_PER_WEEK >= self.start_days - WEEK_TOLERANCE_DAYS
