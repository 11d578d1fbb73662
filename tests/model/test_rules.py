"""PathwayRules: hazards, the self-help dose-response, test detection and the relapse response."""

from __future__ import annotations

import math

import pytest

from iopsim.model.rules import PathwayRules, weekly_hazard_to_rate_per_day
from iopsim.model.streams import RandomStreams
from tests.factories import build, deterministic_dict


def rules(**changes) -> PathwayRules:
    return PathwayRules(build(deterministic_dict(), **changes), RandomStreams(5, 0))


def test_a_weekly_probability_becomes_the_hazard_that_gives_it_within_seven_days():
    rate = weekly_hazard_to_rate_per_day(0.5)
    assert rate == pytest.approx(math.log(2) / 7)
    assert 1 - math.exp(-7 * rate) == pytest.approx(0.5)
    assert weekly_hazard_to_rate_per_day(0.0) == 0.0


def test_each_self_help_meeting_multiplies_the_relapse_risk():
    r = rules(phases__0__relapse_prob_per_week=0.4, attendance__self_help_relapse_multiplier_per_meeting=0.5)
    assert r.relapse_rate_per_day(0, 2.0) == pytest.approx(-math.log(0.9) / 7)  # 0.4 x 0.5^2 = 0.1
    assert r.relapse_rate_per_day(0, 0.0) == pytest.approx(-math.log(0.6) / 7)
    assert r.relapse_rate_per_day(1, 2.0) == 0.0  # phase 2 has no relapse risk


def test_a_perfect_daily_test_finds_a_relapse_at_the_first_test():
    r = rules(phases__0__drug_tests_per_week=7, phases__0__breathalyzers_per_week=0,
              relapse__drug_test_sensitivity=1.0, relapse__drug_test_window_days=3.0)
    offset = RandomStreams(5, 0).uniforms("relapse_detection")()
    assert r.detection_delay_days(0) == offset  # the first test, spaced a day apart


def test_no_test_or_a_window_shorter_than_the_first_test_finds_nothing():
    untested = rules(phases__0__drug_tests_per_week=0, phases__0__breathalyzers_per_week=0)
    assert untested.detection_delay_days(0) == math.inf
    blind = rules(phases__0__breathalyzers_per_week=0, relapse__drug_test_window_days=0.0)
    assert blind.detection_delay_days(0) == math.inf  # the first test comes after the window


@pytest.mark.parametrize("policy, response", [
    ({"repeat_phase": 1, "step_back": 0, "discharge": 0}, "repeat_phase"),
    ({"repeat_phase": 0, "step_back": 1, "discharge": 0}, "step_back"),
    ({"repeat_phase": 0, "step_back": 0, "discharge": 1}, "discharge"),
])
def test_the_relapse_policy_decides_the_response(policy, response):
    r = rules(relapse__policy=policy)
    assert {r.relapse_response() for _ in range(20)} == {response}


def test_aftercare_uptake_follows_its_probability():
    assert not rules(aftercare__uptake_prob=0).takes_up_aftercare()
    assert rules(aftercare__uptake_prob=1).takes_up_aftercare()
