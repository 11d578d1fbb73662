"""A scenario whose answers are known exactly: one referral a week, 4+4+4 weeks, no losses."""

from __future__ import annotations

import numpy as np
import pytest

from iopsim.analysis.kpis import kpis
from iopsim.model.clinic import simulate
from iopsim.model.records import Outcome
from tests.factories import build, deterministic_dict

WEEK = 7.0
YEAR = 365.0


@pytest.fixture(scope="module")
def result():
    return simulate(build(deterministic_dict()), seed=1)


def _admissions_in(start: float, end: float) -> int:
    """Referral k arrives (and is admitted at once) at 7k days, k = 1, 2, ..."""
    return sum(1 for k in range(1, 10_000) if start <= WEEK * k <= end)


def test_steady_census_is_exactly_twelve(result):
    k = kpis(result)
    assert k["census_mean"] == pytest.approx(12.0, abs=1e-9)
    census = np.asarray(result.series["census"])
    assert set(census[52:].tolist()) == {12}
    for name in ("census_first", "census_second", "census_third"):
        assert set(np.asarray(result.series[name])[52:].tolist()) == {4}


def test_flows_are_exact(result):
    k = kpis(result)
    start, end = result.warmup_days, result.horizon_days
    years = (end - start) / YEAR
    assert k["referrals_per_year"] == pytest.approx(_admissions_in(start, end) / years)
    assert k["admissions_per_year"] == pytest.approx(_admissions_in(start, end) / years)
    graduations = sum(1 for k_ in range(1, 10_000) if start <= WEEK * k_ + 84 <= end)
    r = result.records
    graduated_in_window = ((r["treatment_end"] >= start) & (r["treatment_end"] <= end)).sum()
    assert graduated_in_window == graduations
    assert graduations / years == pytest.approx(52.14, abs=0.3)  # about 52 graduates a year


def test_nobody_waits_and_everyone_graduates_in_84_days(result):
    k = kpis(result)
    assert k["wait_to_admission_days_mean"] == 0
    assert k["wait_to_assessment_days_mean"] == 0
    assert k["admitted_within_14_days_pct"] == 100
    assert k["waitlist_mean"] == 0 and k["waitlist_max"] == 0
    assert k["completion_rate_pct"] == 100
    assert k["dropout_rate_pct"] == 0 and k["relapse_discharge_rate_pct"] == 0
    assert k["length_of_stay_days_mean"] == pytest.approx(84)
    assert k["length_of_stay_days_median"] == pytest.approx(84)
    assert k["relapses_per_admission"] == 0


def test_outcomes_by_referral(result):
    r = result.records
    graduated = r["outcome"] == Outcome.GRADUATED
    in_system = r["outcome"] == Outcome.IN_SYSTEM
    assert graduated.sum() + in_system.sum() == len(r["outcome"])
    # the last 12 referrals (84 days) are still in treatment at the horizon
    assert in_system.sum() == sum(1 for k in range(1, 10_000) if result.horizon_days - 84 < WEEK * k < result.horizon_days)


def test_counselor_and_room_hours_are_exact(result):
    k = kpis(result)
    s = {name: np.asarray(v) for name, v in result.series.items()}
    after = slice(53, None)  # whole weeks after the one-year warm-up
    # three 3-hour sessions a week, 15 minutes of notes per group hour
    assert set(s["counselor_hours_group"][after].tolist()) == {9.0}
    assert np.allclose(s["counselor_hours_documentation"][after], 2.25)
    # 12 patients x 0.5 individual sessions a week x 1 hour
    assert np.allclose(s["counselor_hours_individual"][after], 6.0)
    assert k["room_utilization_pct"] == pytest.approx(100 * 9 / 30)
    assert k["counselor_utilization_pct"] == pytest.approx(100 * (9 + 2.25 + 6) / 40)
    assert k["group_fill_pct"] == pytest.approx(100 * 4 / 12)
    assert k["sessions_cancelled_pct"] == 0


def test_tests_and_attendance_are_counted(result):
    r = result.records
    done = r["outcome"] == Outcome.GRADUATED
    assert np.allclose(r["drug_tests"][done], 12.0)
    assert np.allclose(r["breathalyzers"][done], 12.0)
    assert set(r["sessions_attended"][done].tolist()) == {12}
    assert np.allclose(r["group_hours_attended"][done], 36.0)


def test_each_phase_start_is_recorded(result):
    r = result.records
    done = r["outcome"] == Outcome.GRADUATED
    for i, offset in enumerate((0, 28, 56)):
        assert np.allclose(r[f"phase_start_{i}"][done] - r["admitted"][done], offset)
    never = np.isnan(r["admitted"])
    assert np.isnan(r["phase_start_0"][never]).all()


def test_sessions_at_capacity_are_counted_per_slot():
    """Groups of exactly 4 seats hold the 4 patients each phase has at any time: every session is full."""
    data = deterministic_dict()
    data["groups"]["max_size"] = 4
    result = simulate(build(data), seed=1)
    for slot in result.slots:
        assert slot["full"] == slot["run"] > 40
    roomy = simulate(build(deterministic_dict()), seed=1)
    assert all(slot["full"] == 0 for slot in roomy.slots)
