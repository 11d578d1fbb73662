"""Each step of the clinical pathway, checked on small scenarios with predictable answers."""

from __future__ import annotations

import numpy as np
import pytest

from iopsim.analysis.kpis import kpis
from iopsim.model.clinic import simulate
from iopsim.model.records import AftercareStatus, Outcome
from iopsim.scenario.calendar import DAYS_PER_YEAR, MONTH_STARTS
from tests.factories import build, deterministic_dict
from tests.validation.invariants import check_records


def run(seed: int = 1, events: bool = False, **changes):
    result = simulate(build(deterministic_dict(), **changes), seed=seed, record_events=events)
    check_records(result)
    return result


def outcomes(result) -> set[int]:
    return set(result.records["outcome"].tolist()) - {Outcome.IN_SYSTEM}


# --- eligibility -----------------------------------------------------------------------------
def test_mild_sud_is_referred_to_standard_outpatient():
    r = run(eligibility__severity_mix={"mild": 1, "moderate": 0, "severe": 0})
    assert outcomes(r) == {Outcome.REFERRED_OUT_MILD}
    assert np.isnan(r.records["admitted"]).all()


def test_unsupportive_home_is_referred_to_higher_care():
    r = run(eligibility__unsupportive_home_prob=1)
    assert outcomes(r) == {Outcome.REFERRED_OUT_HOME}
    assert kpis(r)["referred_out_home_per_year"] == pytest.approx(kpis(r)["referrals_per_year"], rel=0.02)


def test_detox_without_return_is_referred_out():
    r = run(eligibility__needs_detox_prob=1, eligibility__detox_return_prob=0)
    assert outcomes(r) == {Outcome.REFERRED_OUT_DETOX}


def test_detox_returners_come_back_after_the_delay():
    r = run(eligibility__needs_detox_prob=1, eligibility__detox_return_prob=1, eligibility__detox_return_delay_days=10)
    rec = r.records
    admitted = ~np.isnan(rec["admitted"])
    assert (rec["detox_returner"][admitted] == 1).all()
    assert np.allclose(rec["admitted"][admitted] - rec["referred"][admitted], 10.0)
    assert kpis(r)["admitted_within_14_days_pct"] == 100


# --- intake -----------------------------------------------------------------------------------
def test_no_shows_beyond_rebookings_close_the_referral():
    r = run(intake__no_show_prob=1, intake__max_rebookings=2)
    assert outcomes(r) == {Outcome.INTAKE_NO_SHOW}
    assert set(r.records["no_shows"].tolist()) <= {3} | {0, 1, 2}  # the last few may still be rebooked
    closed = r.records["outcome"] == Outcome.INTAKE_NO_SHOW
    assert (r.records["no_shows"][closed] == 3).all()


def test_intake_clinic_sees_at_most_its_appointments():
    """One 4-hour clinic a week with 2-hour appointments: 2 assessments a week for 3 referrals a week."""
    data = deterministic_dict()
    data["intake"] = {"mode": "timetable_slots", "appointment_hours": 2, "assessment_hours": 1.5, "no_show_prob": 0}
    data["referrals"]["rate_per_week"] = 3
    data["timetable"].append({"group": "intake", "day": "thu", "start": "13:00", "hours": 4, "room": "R",
                              "serves": ["intake"]})
    result = simulate(build(data), seed=1)
    rec = result.records
    started = rec["assessment_start"][~np.isnan(rec["assessment_start"])]
    weeks = np.floor(started / 7)
    assert np.bincount(weeks.astype(int)).max() == 2
    # appointments start at 13:00 and 15:00 on Thursdays
    offsets = np.round((started % 7) * 24, 6)
    assert set(offsets.tolist()) == {3 * 24 + 13.0, 3 * 24 + 15.0}
    assert kpis(result)["wait_to_assessment_days_mean"] > 100  # demand exceeds supply: the queue grows


def test_patience_for_intake_is_exact():
    data = deterministic_dict()
    data["intake"] = {"mode": "timetable_slots", "appointment_hours": 2, "no_show_prob": 0, "patience_days": 3}
    data["timetable"].append({"group": "intake", "day": "thu", "start": "13:00", "hours": 2, "room": "R",
                              "serves": ["intake"]})
    result = simulate(build(data), seed=1)
    rec = result.records
    reneged = rec["outcome"] == Outcome.RENEGED_INTAKE
    # referrals arrive Mondays 00:00; the Thursday clinic is 3.54 days away: everyone gives up at 3 days
    assert reneged.sum() == (~np.isnan(rec["ended"])).sum()
    assert np.allclose(rec["ended"][reneged] - rec["referred"][reneged], 3.0)


# --- admission --------------------------------------------------------------------------------
def test_closed_waitlist_refers_everyone_elsewhere():
    r = run(admission__waitlist_capacity=0, counselors__count=1, counselors__max_caseload=1)
    rec = r.records
    assert (rec["outcome"] == Outcome.REFERRED_OUT_WAITLIST_FULL).sum() > 200


def test_caseload_caps_census_and_patients_give_up_waiting():
    r = run(counselors__max_caseload=2, admission__patience_days=14)
    k = kpis(r)
    assert max(r.series["census"]) <= 2
    assert k["census_mean"] <= 2
    rec = r.records
    gave_up = rec["outcome"] == Outcome.RENEGED_WAITLIST
    assert gave_up.sum() > 100
    assert np.allclose(rec["waitlist_out"][gave_up] - rec["waitlist_in"][gave_up], 14.0)
    assert k["reneged_waitlist_per_year"] > 30


def test_detox_returners_jump_the_queue():
    changes = dict(counselors__max_caseload=12, eligibility__needs_detox_prob=0.5, referrals__rate_per_week=0.9,
                   referrals__arrival_process="poisson", eligibility__detox_return_prob=1,
                   eligibility__detox_return_delay_days=7, run__horizon_years=20)
    first = run(admission__detox_returners_first=True, **changes).records
    fifo = run(admission__detox_returners_first=False, **changes).records

    def waitlist_days(rec, returner):
        m = ~np.isnan(rec["admitted"]) & (rec["detox_returner"] == returner)
        return (rec["admitted"][m] - rec["waitlist_in"][m]).mean()

    assert waitlist_days(first, 1) < waitlist_days(fifo, 1)
    assert waitlist_days(first, 1) < waitlist_days(first, 0)


# --- treatment --------------------------------------------------------------------------------
def test_missed_sessions_can_tip_patients_into_dropout():
    r = run(attendance__group_attendance_prob=0, attendance__dropout_prob_per_missed_session=1)
    rec = r.records
    done = rec["outcome"] == Outcome.DROPPED_OUT
    assert done.sum() > 200 and outcomes(r) == {Outcome.DROPPED_OUT}
    # admitted Monday 00:00, first session Monday 09:00: they leave after it
    assert np.allclose(rec["treatment_end"][done] - rec["admitted"][done], 9 / 24)
    assert (rec["sessions_missed"][done] == 1).all()


def test_weekly_dropout_hazard_gives_geometric_survival():
    """Constant 10%/week dropout over a 12-week program: 0.9^12 = 28.2% complete."""
    phases = deterministic_dict()["phases"]
    for ph in phases:
        ph["dropout_prob_per_week"] = 0.1
    data = deterministic_dict()
    data["phases"] = phases
    data["referrals"] = {"rate_per_week": 20, "arrival_process": "fixed_interval"}
    data["run"]["horizon_years"] = 6
    data["groups"]["max_size"] = 300
    data["rooms"][0]["seats"] = 300
    data["counselors"]["max_caseload"] = 1000
    k = kpis(simulate(build(data), seed=2))
    assert k["completion_rate_pct"] == pytest.approx(100 * 0.9**12, abs=2.0)


def test_detected_relapse_with_discharge_policy_discharges():
    phases = deterministic_dict()["phases"]
    for ph in phases:
        ph.update(relapse_prob_per_week=1.0, drug_tests_per_week=7)
    r = run(phases=phases, relapse__drug_test_sensitivity=1,
            relapse__policy={"repeat_phase": 0, "step_back": 0, "discharge": 1})
    rec = r.records
    assert outcomes(r) == {Outcome.RELAPSE_DISCHARGE}
    ended = rec["outcome"] == Outcome.RELAPSE_DISCHARGE
    assert (rec["relapses_detected"][ended] == 1).all()


def test_undetected_relapses_are_counted_but_do_not_end_treatment():
    phases = deterministic_dict()["phases"]
    for ph in phases:
        ph.update(relapse_prob_per_week=0.3, drug_tests_per_week=0, breathalyzers_per_week=0)
    r = run(phases=phases)
    k = kpis(r)
    assert outcomes(r) == {Outcome.GRADUATED}
    assert k["detected_relapses_per_admission"] == 0
    # 12 weeks at a 30%/week hazard: -12 ln(0.7) = 4.28 relapses expected per patient
    assert k["relapses_per_admission"] == pytest.approx(-12 * np.log(0.7), rel=0.1)


def test_step_back_returns_to_the_previous_phase():
    phases = deterministic_dict()["phases"]
    phases[1].update(relapse_prob_per_week=0.5, drug_tests_per_week=7)
    r = run(events=True, phases=phases, relapse__drug_test_sensitivity=1, relapse__max_relapses_before_discharge=50,
            relapse__policy={"repeat_phase": 0, "step_back": 1, "discharge": 0})
    by_patient: dict[int, list[str]] = {}
    for pid, _t, event, phase in r.events:
        if event == "phase_start":
            by_patient.setdefault(pid, []).append(phase)
    stepped = [p for p in by_patient.values() if "second" in p and p.index("second") + 1 < len(p)
               and p[p.index("second") + 1] == "first"]
    assert len(stepped) > 50


def test_self_help_meetings_lower_relapse():
    def relapses(multiplier: float) -> float:
        phases = deterministic_dict()["phases"]
        for ph in phases:
            ph.update(relapse_prob_per_week=0.2, self_help_meetings_per_week=3, drug_tests_per_week=0,
                      breathalyzers_per_week=0)
        return kpis(run(phases=phases, attendance__self_help_relapse_multiplier_per_meeting=multiplier))[
            "relapses_per_admission"]

    assert relapses(0.5) < 0.5 * relapses(1.0)


# --- capacity -----------------------------------------------------------------------------------
def test_sessions_below_minimum_size_are_cancelled():
    k = kpis(run(groups__min_size=5))
    assert k["sessions_cancelled_pct"] == 100
    assert k["room_utilization_pct"] == 0


def test_counselor_hours_limit_sessions():
    """10 clinical hours a week cannot cover three 3-hour groups with notes (3 x 3.75 h)."""
    r = run(counselors__contracted_hours_per_week=10, counselors__other_duties_hours_per_week=0)
    k = kpis(r)
    assert k["sessions_cancelled_pct"] == pytest.approx(100 / 3, abs=0.5)
    assert k["counselor_overtime_hours_per_week"] == 0


def test_closures_stop_every_session():
    all_days = [f"{m:02d}-{d:02d}" for m, n in enumerate((31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), 1)
                for d in range(1, n + 1)]
    r = run(closures={"dates": all_days})
    assert sum(r.series["sessions_run"]) == 0
    assert sum(r.series["sessions_closed"]) > 0


# --- aftercare ------------------------------------------------------------------------------------
def _with_aftercare(**aftercare):
    data = deterministic_dict()
    data["aftercare"] = {"enabled": True, "uptake_prob": 1, "duration_weeks": 52, "dropout_prob_per_week": 0,
                         "relapse_prob_per_week": 0, **aftercare}
    data["timetable"].append({"group": "ac", "day": "thu", "start": "18:00", "hours": 1.5, "room": "R",
                              "serves": ["aftercare"]})
    data["run"]["horizon_years"] = 6
    return data


def test_aftercare_census_is_exactly_a_year_of_graduates():
    data = _with_aftercare()
    data["groups"]["max_size"] = 60
    data["rooms"][0]["seats"] = 60
    data["run"]["warmup_weeks"] = 104  # the first graduates fill aftercare for a year
    result = simulate(build(data), seed=1)
    check_records(result)
    k = kpis(result)
    assert k["aftercare_census_mean"] == pytest.approx(52.0, abs=1e-6)
    assert k["aftercare_uptake_pct"] == 100


def test_full_aftercare_group_turns_graduates_away_after_their_patience():
    data = _with_aftercare(patience_weeks=2)
    result = simulate(build(data), seed=1)
    check_records(result)
    status = result.records["aftercare_status"]
    assert (status == AftercareStatus.NO_SEAT).sum() > 100
    assert max(result.series["aftercare_census"]) == 12


# --- referrals ------------------------------------------------------------------------------------
def test_seasonality_puts_referrals_only_in_open_months():
    data = deterministic_dict()
    data["referrals"] = {"rate_per_week": 5, "monthly_multipliers": [0] * 11 + [1]}
    result = simulate(build(data), seed=3)
    day = result.records["referred"] % DAYS_PER_YEAR
    assert (day >= MONTH_STARTS[11]).all() and len(day) > 50


def test_growth_doubles_referrals_each_year():
    data = deterministic_dict()
    data["referrals"] = {"rate_per_week": 10, "growth_per_year_pct": 100}
    data["run"]["horizon_years"] = 3
    data["groups"]["max_size"] = 12
    result = simulate(build(data), seed=3)
    year = np.floor(result.records["referred"] / DAYS_PER_YEAR).astype(int)
    counts = np.bincount(year, minlength=3)
    assert counts[1] / counts[0] == pytest.approx(2.0, rel=0.15)
    assert counts[2] / counts[1] == pytest.approx(2.0, rel=0.15)
