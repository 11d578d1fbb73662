"""Referrals: a Poisson stream (or one every 1/rate days) with seasonality and growth.

The rate varies with the month and grows year on year; arrivals of the varying rate are drawn by
thinning a stream at the peak rate (Lewis & Shedler 1979). One wake-up is pending at a time:
each arrival schedules the next before the patient takes their first step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import repeat

from ..scenario.calendar import month_index
from ..scenario.schema import Referrals as ReferralSpec
from ..scenario.vocabulary import DAYS_PER_WEEK, DAYS_PER_YEAR
from .scheduler import Scheduler, Wake
from .streams import RandomStreams, draws_of


class Referrals:
    def __init__(self, spec: ReferralSpec, horizon_days: float, streams: RandomStreams, scheduler: Scheduler,
                 arrive: Callable[[], None]):
        """`arrive()` is called at each referral's time."""
        self.horizon_days = horizon_days
        self.scheduler = scheduler
        self.arrive = arrive
        self.base_rate = spec.rate_per_week / DAYS_PER_WEEK
        self.months = spec.monthly_multipliers
        self.growth = 1 + spec.growth_per_year_pct / 100
        years = horizon_days / DAYS_PER_YEAR
        self.peak_rate = self.base_rate * (max(self.months) if self.months else 1.0) * max(1.0, self.growth**years)
        if self.peak_rate <= 0:
            return
        self.gap: Iterator[float]  # `next(self.gap)`: see streams.draws_of
        if spec.arrival_process == "fixed_interval":
            self.gap = repeat(1.0)  # every 1/rate, no thinning needed
        else:
            self.gap = draws_of(streams.exponentials("referral_gaps"))
        self.accept = streams.uniforms("referral_thinning")
        # With neither seasonality nor growth every candidate is accepted (u * peak < peak for
        # u < 1), so the thinning draws, used for nothing else, can be skipped.
        self.thinning = bool(self.months) or self.growth != 1.0
        self.candidate_t = 0.0
        self._on_referral = (self._arrives,)
        self._schedule_next()

    def rate_at(self, t: float) -> float:
        """Referrals per day at time t."""
        return self.base_rate * (self.months[month_index(t)] if self.months else 1.0) * self.growth ** (t / DAYS_PER_YEAR)

    def _schedule_next(self, ev: Wake | None = None) -> None:
        """Schedule the next referral, re-arming `ev` (the processed wake-up of this one) if given."""
        t = self.candidate_t
        while True:  # the next candidate, until one is accepted (all are, without thinning)
            t += next(self.gap) / self.peak_rate
            if t >= self.horizon_days:
                return
            if not self.thinning or self.accept() * self.peak_rate < self.rate_at(t):
                break
        self.candidate_t = t
        delay = t - self.scheduler.env._now
        if ev is None:
            self.scheduler.after(delay, self._on_referral)
        else:
            self.scheduler.again(ev, self._on_referral, delay)

    def _arrives(self, ev: Wake) -> None:
        self._schedule_next(ev)  # before the patient's first step, as a process would
        arrive = self.arrive  # a callable the instance holds: `self.arrive()` is a call 3.11 cannot specialise
        arrive()
