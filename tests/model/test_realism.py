"""Relapse response, transfers, non-starters, attendance propensity, advancement criteria and
readmission, each checked on small scenarios whose answers are known exactly (or in distribution)."""

from __future__ import annotations

import numpy as np
import pytest

from iopsim.model.attendance import beta_parameters
from iopsim.model.clinic import simulate
from iopsim.model.records import AftercareStatus, Outcome
from tests.factories import build, deterministic_dict
from tests.validation.invariants import check_records

WEEK = 7.0


def run(seed: int = 1, events: bool = False, **changes):
    result = simulate(build(deterministic_dict(), **changes), seed=seed, record_events=events)
    check_records(result)
    return result


def ended(result, outcome: Outcome) -> np.ndarray:
    return result.records["outcome"] == outcome


def stays(result, outcome: Outcome) -> np.ndarray:
    r = result.records
    mask = ended(result, outcome)
    return r["treatment_end"][mask] - r["admitted"][mask]


def relapsing_phases(prob: float = 1.0) -> list[dict]:
    phases = deterministic_dict()["phases"]
    for ph in phases:
        ph.update(relapse_prob_per_week=prob, drug_tests_per_week=7)
    return phases


# --- relapse response and transfers ---------------------------------------------------------------
def test_step_up_policy_transfers_every_detected_relapse_to_a_higher_level():
    r = run(phases=relapsing_phases(), relapse__drug_test_sensitivity=1,
            relapse__policy={"repeat_phase": 0, "step_back": 0, "discharge": 0, "step_up": 1})
    treated = ~np.isnan(r.records["treatment_end"])
    assert set(r.records["outcome"][treated].tolist()) == {Outcome.STEPPED_UP}
    assert (r.records["relapses_detected"][treated] == 1).all()


def test_repeated_relapses_beyond_the_maximum_step_up_instead_of_discharge():
    r = run(phases=relapsing_phases(), relapse__drug_test_sensitivity=1, relapse__max_relapses_before_discharge=2,
            relapse__after_max_relapses="step_up",
            relapse__policy={"repeat_phase": 1, "step_back": 0, "discharge": 0})
    treated = ~np.isnan(r.records["treatment_end"])
    assert set(r.records["outcome"][treated].tolist()) == {Outcome.STEPPED_UP}
    assert (r.records["relapses_detected"][treated] == 3).all()  # two kept in treatment, the third steps up


def test_transfer_and_dropout_compete_in_proportion_to_their_hazards():
    phases = deterministic_dict()["phases"]
    for ph in phases:
        ph.update(dropout_prob_per_week=0.1, transfer_prob_per_week=0.2)
    r = run(phases=phases)
    transferred, dropped = ended(r, Outcome.TRANSFERRED).sum(), ended(r, Outcome.DROPPED_OUT).sum()
    share = np.log(0.8) / (np.log(0.8) + np.log(0.9))  # the transfer share of the summed hazard
    n = transferred + dropped
    assert n > 150
    assert transferred / n == pytest.approx(share, abs=3 * np.sqrt(share * (1 - share) / n))


def test_without_transfers_no_patient_is_transferred():
    phases = deterministic_dict()["phases"]
    for ph in phases:
        ph.update(dropout_prob_per_week=0.1)
    assert not ended(run(phases=phases), Outcome.TRANSFERRED).any()


# --- non-starters and attendance propensity --------------------------------------------------------
def test_non_starters_hold_their_seat_exactly_the_discharge_days_and_attend_nothing():
    r = run(attendance__non_starter_prob=1.0, attendance__non_starter_discharge_days=10)
    rec = r.records
    admitted = ~np.isnan(rec["treatment_end"])
    assert set(rec["outcome"][admitted].tolist()) == {Outcome.NON_STARTER}
    assert stays(r, Outcome.NON_STARTER) == pytest.approx(10.0, abs=1e-9)
    assert (rec["sessions_attended"] == 0).all()


def test_non_starter_share_is_the_probability():
    r = run(seed=3, attendance__non_starter_prob=0.25)
    treated = ~np.isnan(r.records["treatment_end"])
    n = int(treated.sum())
    share = ended(r, Outcome.NON_STARTER).sum() / n
    assert share == pytest.approx(0.25, abs=3 * np.sqrt(0.25 * 0.75 / n))


def test_beta_parameters_give_the_mean_and_spread():
    a, b = beta_parameters(0.85, 0.1)
    mean = a / (a + b)
    var = a * b / ((a + b) ** 2 * (a + b + 1))
    assert mean == pytest.approx(0.85) and np.sqrt(var) == pytest.approx(0.1)


def test_propensity_keeps_mean_attendance_and_makes_some_patients_miss_often():
    def attended_share(result) -> np.ndarray:
        rec = result.records
        done = ended(result, Outcome.GRADUATED)
        return rec["sessions_attended"][done] / (rec["sessions_attended"][done] + rec["sessions_missed"][done])

    same = attended_share(run(attendance__group_attendance_prob=0.7))
    spread = attended_share(run(attendance__group_attendance_prob=0.7, attendance__propensity_sd=0.2))
    assert same.mean() == pytest.approx(0.7, abs=0.02)
    assert spread.mean() == pytest.approx(0.7, abs=0.04)
    # 12 sessions each: binomial spread alone is sqrt(0.21/12) = 0.13; propensity adds 0.2
    assert spread.std() > 1.4 * same.std()


def test_propensity_sd_zero_is_the_model_without_propensity():
    plain = run(attendance__group_attendance_prob=0.6)
    zero = run(attendance__group_attendance_prob=0.6, attendance__propensity_sd=0.0)
    for name, column in plain.records.items():
        np.testing.assert_array_equal(column, zero.records[name], err_msg=name)


def test_expected_attendees_cancel_sessions_enrolment_would_run():
    # 4 enrolled per phase group at 50% attendance: 2 expected, below a minimum of 3
    enrolled = run(attendance__group_attendance_prob=0.5, groups__min_size=3)
    expected = run(attendance__group_attendance_prob=0.5, groups__min_size=3,
                   groups__min_size_counts="expected_attendees")
    assert sum(s["cancelled_small"] for s in enrolled.slots) == 0
    assert sum(s["run"] for s in expected.slots) == 0 and sum(s["cancelled_small"] for s in expected.slots) > 0


# --- criteria-based advancement --------------------------------------------------------------------
def test_attendance_criterion_extends_every_phase_by_its_maximum():
    phases = deterministic_dict()["phases"]
    for ph in phases:
        ph["advancement"] = {"min_attendance_pct": 50, "extension_weeks": 1, "max_extensions": 2}
    r = run(phases=phases, attendance__group_attendance_prob=0.0)
    assert stays(r, Outcome.GRADUATED) == pytest.approx(3 * (4 + 2) * WEEK, abs=1e-9)


def test_criteria_met_leave_the_stay_unchanged():
    phases = deterministic_dict()["phases"]
    for ph in phases:
        ph["advancement"] = {"min_attendance_pct": 100, "negative_test_weeks": 2, "extension_weeks": 1}
    assert stays(run(phases=phases), Outcome.GRADUATED) == pytest.approx(12 * WEEK, abs=1e-9)


def test_negative_test_weeks_hold_a_patient_until_clean_long_enough():
    phases = deterministic_dict()["phases"]
    phases[0]["advancement"] = {"negative_test_weeks": 6, "extension_weeks": 1, "max_extensions": 5}
    # no relapses: clean since admission, so phase 1 (4 weeks) is extended twice, to 6 weeks
    assert stays(run(phases=phases), Outcome.GRADUATED) == pytest.approx(14 * WEEK, abs=1e-9)


# --- readmission ----------------------------------------------------------------------------------
def test_without_readmission_no_episode_column_and_no_returns():
    r = run(attendance__non_starter_prob=1.0)
    assert "prior_episodes" not in r.records


def test_every_non_starter_returns_after_the_delay_with_one_more_episode():
    r = run(events=True, attendance__non_starter_prob=0.5, attendance__non_starter_discharge_days=7,
            readmission__after_dropout_prob=1.0, readmission__delay_days=30)
    rec = r.records
    returned = rec["prior_episodes"] > 0
    assert returned.any()
    first_time = ~returned & ~np.isnan(rec["treatment_end"]) & (rec["outcome"] == Outcome.NON_STARTER)
    # every first-time non-starter who left at least 30 days before the end came back exactly 30 days later
    left = np.sort(rec["ended"][first_time])
    left = left[left + 30 < r.horizon_days]
    back = np.sort(rec["referred"][returned & (rec["prior_episodes"] == 1)])
    np.testing.assert_allclose(back[:len(left)], left + 30, atol=1e-9)
    assert rec["prior_episodes"].max() >= 2  # some returned more than once


def test_aftercare_relapse_can_send_a_graduate_back_to_treatment():
    data = deterministic_dict()
    data["aftercare"] = {"enabled": True, "uptake_prob": 1, "duration_weeks": 52, "dropout_prob_per_week": 0,
                         "relapse_prob_per_week": 0.5, "patience_weeks": 4}
    data["timetable"].append({"group": "ac", "day": "thu", "start": "09:00", "hours": 1.5, "room": "R",
                              "serves": ["aftercare"], "max_size": 12})
    r = simulate(build(data, readmission__after_aftercare_relapse_prob=1.0, readmission__delay_days=14), seed=1)
    check_records(r)
    rec = r.records
    assert (rec["aftercare_status"] == AftercareStatus.RELAPSED_RETURNED).sum() > 10
    assert (rec["prior_episodes"] > 0).sum() > 10


# --- KPIs of these mechanisms -------------------------------------------------------------------
def test_length_of_stay_by_reason_is_exact_on_a_deterministic_scenario():
    from iopsim.analysis.kpis import kpis

    k = kpis(run(attendance__non_starter_prob=0.5, attendance__non_starter_discharge_days=10))
    assert k["length_of_stay_days_median_graduated"] == pytest.approx(12 * WEEK)
    assert k["length_of_stay_days_mean_graduated"] == pytest.approx(12 * WEEK)
    assert k["length_of_stay_days_median_dropped_out"] == pytest.approx(10.0)  # non-starters count as dropped out
    assert k["non_starter_rate_pct"] + k["completion_rate_pct"] == pytest.approx(100.0)
    assert np.isnan(k["length_of_stay_days_median_transferred"]) and k["transfer_rate_pct"] == 0


def test_readmission_kpis_count_admissions_with_prior_episodes():
    from iopsim.analysis.kpis import kpis

    plain = kpis(run(attendance__non_starter_prob=0.5))
    assert plain["readmissions_per_year"] == 0 and plain["readmission_share_pct"] == 0
    result = run(attendance__non_starter_prob=0.5, readmission__after_dropout_prob=1.0, readmission__delay_days=30)
    k = kpis(result)
    rec = result.records
    admitted = (rec["admitted"] >= result.warmup_days) & (rec["admitted"] <= result.horizon_days)
    again = admitted & (rec["prior_episodes"] > 0)
    assert k["readmission_share_pct"] == pytest.approx(100 * again.sum() / admitted.sum())
    assert k["readmissions_per_year"] == pytest.approx(again.sum() / result.window.years)
    assert k["readmission_share_pct"] > 20
