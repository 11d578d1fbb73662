"""Each patient's own pace through the phases (`progression:`, issue 11: right-skewed stays), checked
on the deterministic scenario (12 weeks of phases, nobody relapses or waits) where the answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from iopsim.model.clinic import simulate
from iopsim.model.records import Outcome
from tests.factories import build, deterministic_dict
from tests.validation.invariants import check_records

PLANNED_DAYS = 12 * 7.0
ROOMY = {"groups__max_size": 500, "rooms": [{"name": "R", "seats": 500, "available_hours_per_week": 30}],
         "counselors__max_caseload": 1000, "counselors__count": 1}


def run(seed: int = 1, **changes):
    result = simulate(build(deterministic_dict(), **ROOMY, **changes), seed=seed)
    check_records(result)
    return result


def graduate_stays(result) -> np.ndarray:
    r = result.records
    done = r["outcome"] == Outcome.GRADUATED
    return r["treatment_end"][done] - r["admitted"][done]


def test_progression_switched_off_is_the_model_without_it():
    plain = run(attendance__group_attendance_prob=0.8, attendance__propensity_sd=0.2)
    zero = run(attendance__group_attendance_prob=0.8, attendance__propensity_sd=0.2,
               progression={"pace_sd": 0, "attendance_pace_exponent": 0})
    for name, column in plain.records.items():
        np.testing.assert_array_equal(column, zero.records[name], err_msg=name)


def test_a_lognormal_pace_stretches_every_stay_with_median_one():
    """Graduates' stays are 12 weeks x pace, pace lognormal with median 1 and sd of its log 0.5,
    capped at max_pace_multiplier: mean above median by about exp(0.5^2 / 2)."""
    stays = graduate_stays(run(seed=2, progression={"pace_sd": 0.5, "max_pace_multiplier": 3}))
    log_pace = np.log(stays / PLANNED_DAYS)
    assert stays.size > 200
    assert np.median(log_pace) == pytest.approx(0.0, abs=0.08)
    assert log_pace.std() == pytest.approx(0.5, rel=0.12)
    assert stays.max() <= 3 * PLANNED_DAYS + 1e-9 and stays.min() < PLANNED_DAYS
    assert stays.mean() / np.median(stays) == pytest.approx(np.exp(0.5**2 / 2), rel=0.06)


def test_patients_who_miss_sessions_take_longer_in_proportion():
    """Exponent 1, no lognormal spread: the stay is 12 weeks x mean attendance / own propensity, so a
    graduate's stay times their share of sessions attended averages 12 weeks x mean attendance."""
    result = run(seed=3, attendance__group_attendance_prob=0.7, attendance__propensity_sd=0.15,
                 progression={"attendance_pace_exponent": 1})
    r = result.records
    done = r["outcome"] == Outcome.GRADUATED
    stays = r["treatment_end"][done] - r["admitted"][done]
    share = r["sessions_attended"][done] / (r["sessions_attended"][done] + r["sessions_missed"][done])
    assert np.corrcoef(stays, share)[0, 1] < -0.5
    assert np.mean(stays * share) == pytest.approx(PLANNED_DAYS * 0.7, rel=0.08)


@pytest.mark.parametrize("pace_sd", [0.0, 0.8])
def test_risks_that_follow_pace_leave_the_outcome_mix_unchanged(pace_sd):
    """A weekly dropout risk of 5% in 12 weeks: 0.95^12 = 54% complete. Divided by the pace, the risk per
    phase is the same whatever the pace, so the share completing stays 54%."""
    result = run(seed=4, progression={"pace_sd": pace_sd, "max_pace_multiplier": 100},
                 **{f"phases__{i}__dropout_prob_per_week": 0.05 for i in range(3)})
    completed = (result.records["outcome"] == Outcome.GRADUATED).mean()
    assert completed == pytest.approx(0.95**12, abs=0.05)


def test_weekly_risks_that_ignore_pace_lose_more_slow_patients():
    steady = dict(progression={"pace_sd": 0.8, "hazards_follow_pace": False, "max_pace_multiplier": 100},
                  **{f"phases__{i}__dropout_prob_per_week": 0.05 for i in range(3)})
    result = run(seed=4, **steady)
    completed = graduate_stays(result)
    # slow patients face the weekly risk for longer: those who graduate are the faster ones
    assert np.median(completed) < 0.85 * PLANNED_DAYS
