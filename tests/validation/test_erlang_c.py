"""The intake stage as a plain M/M/c queue must reproduce the Erlang C mean wait.

Configured with Poisson referrals, exponential assessment times, c dedicated assessors always
available, no no-shows and everyone referred out after intake, the mean wait for assessment is
W_q = C(c, a) / (c mu - lambda), with a = lambda / mu (Erlang 1917; e.g. Gross & Harris,
Fundamentals of Queueing Theory, ch. 2).
"""

from __future__ import annotations

import math

import pytest

from iopsim.analysis.kpis import kpis
from iopsim.analysis.stats import mean_ci
from iopsim.model.clinic import simulate
from tests.factories import build, deterministic_dict


def erlang_c(c: int, a: float) -> float:
    """Probability an arrival has to wait in M/M/c with offered load a = lambda/mu (a < c)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mean_wait(c: int, arrivals_per_day: float, services_per_day: float) -> float:
    a = arrivals_per_day / services_per_day
    return erlang_c(c, a) / (c * services_per_day - arrivals_per_day)


def test_erlang_c_formula_on_known_values():
    # M/M/1: C = rho; M/M/2 with a = 1: C = 1/3 (textbook values)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)  # rho / (mu - lambda)


def queue_scenario(assessors: int, arrivals_per_week: float, service_hours: float, years: float):
    data = deterministic_dict()
    data["run"] = {"horizon_years": years, "warmup_weeks": 26, "replications": 1, "seed": 1}
    data["referrals"] = {"rate_per_week": arrivals_per_week}
    data["intake"] = {"mode": "dedicated_assessors", "assessors": assessors,
                      "assessment_hours": {"kind": "exponential", "mean": service_hours}, "no_show_prob": 0}
    data["eligibility"]["severity_mix"] = {"mild": 1, "moderate": 0, "severe": 0}
    return build(data)


@pytest.mark.parametrize(
    ("assessors", "utilisation", "years", "replications"),
    [(1, 0.5, 10, 8), (2, 0.75, 10, 8), (3, 0.9, 20, 12), (5, 0.9, 12, 10)],
)
def test_wait_for_assessment_matches_erlang_c(assessors, utilisation, years, replications):
    service_hours = 24.0  # one assessment a day per assessor: mu = 1 / day
    services_per_day = 24.0 / service_hours
    arrivals_per_day = utilisation * assessors * services_per_day
    scenario = queue_scenario(assessors, arrivals_per_day * 7, service_hours, years)
    waits = [kpis(simulate(scenario, seed=2026, replication=r))["wait_to_assessment_days_mean"]
             for r in range(replications)]
    est = mean_ci(waits)
    expected = mean_wait(assessors, arrivals_per_day, services_per_day)
    assert est.lo <= expected <= est.hi, (expected, est)
    assert est.half_width < 0.15 * expected  # the interval is narrow enough for the check to bite


def test_assessor_utilisation_matches_offered_load():
    scenario = queue_scenario(2, 0.75 * 2 * 7, 24.0, 8)
    result = simulate(scenario, seed=3)
    busy_days = result.stats["assessor_busy_hours"] / 24
    assert busy_days / (2 * result.horizon_days) == pytest.approx(0.75, rel=0.05)
