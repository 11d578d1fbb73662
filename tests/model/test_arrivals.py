"""Referrals: arrival times, seasonality and growth by thinning."""

from __future__ import annotations

import simpy

from iopsim.model.arrivals import Referrals
from iopsim.model.scheduler import Scheduler
from iopsim.model.streams import RandomStreams
from iopsim.scenario.schema import Referrals as ReferralSpec


def arrivals(horizon_days: float, **spec) -> tuple[Referrals, list[float]]:
    env = simpy.Environment()
    times: list[float] = []
    r = Referrals(ReferralSpec(**spec), horizon_days, RandomStreams(1, 0), Scheduler(env),
                  lambda: times.append(env.now))
    env.run()
    return r, times


def test_fixed_interval_arrivals_come_every_one_over_rate_until_the_horizon():
    _, times = arrivals(5.0, rate_per_week=7, arrival_process="fixed_interval")
    assert times == [1.0, 2.0, 3.0, 4.0]  # one a day; day 5 is the horizon itself


def test_months_without_referrals_are_thinned_out():
    # January to June at the full rate, July to December none: July starts on day 181.
    months = [1.0] * 6 + [0.0] * 6
    _, times = arrivals(730.0, rate_per_week=7, arrival_process="fixed_interval", monthly_multipliers=months)
    assert times == [float(t) for t in range(1, 730) if t % 365 < 181]


def test_rate_follows_the_month_and_compound_growth():
    months = [2.0] + [1.0] * 11
    r, _ = arrivals(0.0, rate_per_week=7, monthly_multipliers=months, growth_per_year_pct=10)
    assert r.rate_at(0.0) == 2.0  # January of year 1, per day
    assert r.rate_at(365.0 + 31.0) == 1.0 * 1.1 ** (396 / 365)  # February of year 2


def test_no_referrals_at_a_zero_rate():
    _, times = arrivals(100.0, rate_per_week=0)
    assert times == []
