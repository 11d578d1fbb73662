"""Bottleneck diagnosis: exact measures on deterministic clinics worked out by hand, and the rule.

The deterministic clinic (tests/factories.py): one referral every 7 days from day 7, assessed
and admitted at once, 4+4+4-week phases, one 12-seat group per phase, nobody lost. The window
is [364, 1825]: 208 whole weeks from a week start, then 5 days.
"""

from __future__ import annotations

import math

import pytest

from iopsim.analysis import bottleneck as bn
from iopsim.runner import RunSet, run_one
from tests.factories import build, deterministic_dict

START, END = 364.0, 1825.0
WINDOW = END - START
WEEKS, TAIL = 208, 5.0  # whole weeks in the window, then a 5-day tail
assert WEEKS * 7 + TAIL == WINDOW


def diagnose(data: dict, replications: int = 1) -> dict:
    scenario = build(data)
    run = RunSet(scenario, 1, [run_one(scenario, 1, r, keep_patients=False) for r in range(replications)])
    return run.bottleneck()


def per_replication(data: dict) -> dict[str, dict[str, float]]:
    return run_one(build(data), 1, 0, keep_patients=False).bottleneck


def half_of_each_week() -> float:
    """% of the window in the first 3.5 days of a week (the tail holds 3.5 of its 5 days too)."""
    return 100 * (WEEKS * 3.5 + 3.5) / WINDOW


# --- exact measures ---------------------------------------------------------------------------------
def test_ample_capacity_binds_nothing_and_measures_are_exact():
    block = diagnose(deterministic_dict())
    assert block["binding"] == ["none"]
    r = block["resources"]
    assert list(r) == ["intake", "seats:first", "seats:second", "seats:third", "caseload", "counselor_hours",
                       "room_hours"]
    for name in ("intake", "seats:first", "seats:second", "seats:third", "caseload", "counselor_hours"):
        assert r[name]["at_capacity_pct"] == 0.0, name
        assert r[name]["queue_mean"] == 0.0, name
    assert r["seats:first"]["capacity"] == 12
    assert r["caseload"]["capacity"] == 24
    assert r["room_hours"]["at_capacity_pct"] == pytest.approx(100 * 9 / 30)  # three 3-hour sessions in 30 h
    assert r["room_hours"]["free_hours_most"] == 21
    assert not any(e["binding"] for e in r.values())


def test_seats_full_half_of_every_week_exactly():
    """Phase 1 lasts 31.5 days in a 5-seat group: the patients of days 7k in (t-31.5, t] number 5
    in the first 3.5 days of each week (7n included, the one of 7(n-4) not yet gone) and 4 after."""
    data = deterministic_dict()
    data["phases"][0]["duration_weeks"] = 4.5
    data["timetable"][0]["max_size"] = 5
    m = per_replication(data)
    assert m["seats:first"]["at_capacity_pct"] == pytest.approx(half_of_each_week(), abs=1e-9)
    assert m["seats:first"]["queue_mean"] == 0.0  # a seat frees at 7n + 3.5, before the next referral
    assert m["seats:first"]["capacity"] == 5
    assert m["seats:second"]["at_capacity_pct"] == 0.0


def test_two_assessors_both_busy_half_of_every_week_exactly():
    """Assessments of 252 h (10.5 days) from days 7k: both assessors busy on [7n, 7n + 3.5)."""
    data = deterministic_dict()
    data["intake"].update(assessors=2, assessment_hours=252)
    m = per_replication(data)
    assert m["intake"]["at_capacity_pct"] == pytest.approx(half_of_each_week(), abs=1e-9)
    assert m["intake"]["queue_mean"] == 0.0
    assert m["intake"]["capacity"] == 2


def _intake_clinic(data: dict, hours: float) -> dict:
    """Two referrals a week (days 3.5k) and one Monday 13:00 intake clinic of 1-hour appointments."""
    data["referrals"]["rate_per_week"] = 2
    data["intake"] = {"mode": "timetable_slots", "appointment_hours": 1, "assessment_hours": 1, "no_show_prob": 0}
    data["timetable"].append({"group": "intake", "day": "mon", "start": "13:00", "hours": hours, "room": "R",
                              "serves": ["intake"]})
    data["counselors"]["max_caseload"] = 40
    return data


def test_intake_queue_in_front_of_a_weekly_clinic_exactly():
    """Per week from 7n: 2 wait until the clinic at 7n + 13 h, 1 for its second hour, none until
    the referral of 7n + 3.5, who waits with the one of 7n + 7. Everyone waiting is seen: no backlog."""
    m = per_replication(_intake_clinic(deterministic_dict(), hours=2))
    clinic, hour = 13 / 24, 1 / 24
    week = 2 * clinic + hour + 1 * 3.5
    tail = 2 * clinic + hour + 1 * (TAIL - 3.5)
    assert m["intake"]["queue_mean"] == pytest.approx((WEEKS * week + tail) / WINDOW, abs=1e-12)
    assert m["intake"]["at_capacity_pct"] == 0.0
    assert m["intake"]["capacity"] == 2  # appointments a week


# --- which resource binds ----------------------------------------------------------------------------
def test_intake_binds_when_its_clinic_is_too_small():
    block = diagnose(_intake_clinic(deterministic_dict(), hours=1))  # one appointment a week for two referrals
    assert block["binding"] == ["intake"]
    assert block["resources"]["intake"]["at_capacity_pct"] == 100.0  # a backlog from the first clinic on
    assert block["resources"]["intake"]["queue_mean"] > 50
    assert block["resources"]["seats:first"]["at_capacity_pct"] == 0.0


def test_seats_bind_when_the_first_phase_group_is_too_small():
    data = deterministic_dict()
    data["timetable"][0]["max_size"] = 3  # 3 seats for 4 weeks: 0.75 admissions a week for 1 referral
    block = diagnose(data)
    assert block["binding"] == ["seats:first"]
    r = block["resources"]["seats:first"]
    assert r["at_capacity_pct"] > 99 and r["queue_mean"] > 10
    assert block["resources"]["caseload"]["at_capacity_pct"] == 0.0


def test_room_hours_bind_with_the_seats_when_the_room_is_fully_booked():
    data = deterministic_dict()
    data["timetable"][0]["max_size"] = 3
    data["rooms"][0]["available_hours_per_week"] = 9  # exactly the three sessions: no room for a fourth group
    block = diagnose(data)
    assert block["binding"] == ["seats:first", "room_hours"]
    assert block["resources"]["room_hours"]["at_capacity_pct"] == 100.0


def test_caseload_binds_when_counselors_cannot_take_more_patients():
    data = deterministic_dict()
    data["counselors"]["max_caseload"] = 8  # 12 would be needed
    block = diagnose(data)
    assert block["binding"] == ["caseload"]
    assert block["resources"]["caseload"]["at_capacity_pct"] > 99
    assert block["resources"]["seats:first"]["at_capacity_pct"] == 0.0


def test_counselor_hours_bind_when_the_week_runs_out():
    """10 h a week: Monday's and Tuesday's groups (3.75 h with notes each) leave 2.5 h, too few for
    Wednesday's, and the individual sessions (6 h asked for) get those 2.5 h."""
    data = deterministic_dict()
    data["counselors"]["contracted_hours_per_week"] = 10
    block = diagnose(data)
    assert block["binding"] == ["counselor_hours"]
    r = block["resources"]["counselor_hours"]
    assert r["at_capacity_pct"] == 100.0
    # 3.5 individual hours short a week, and a 3-hour session cancelled every Wednesday in the window
    assert r["queue_mean"] == pytest.approx(3.5 + 3.0 * (WEEKS + 1) / (WINDOW / 7), rel=1e-12)


def test_aftercare_seats_bind_when_graduates_outnumber_them():
    data = deterministic_dict()
    data["aftercare"] = {"enabled": True, "uptake_prob": 1, "duration_weeks": 52, "dropout_prob_per_week": 0,
                         "relapse_prob_per_week": 0, "patience_weeks": 4}
    data["timetable"].append({"group": "ac", "day": "thu", "start": "09:00", "hours": 1.5, "room": "R",
                              "serves": ["aftercare"]})
    block = diagnose(data)
    assert block["binding"] == ["aftercare_seats"]
    r = block["resources"]["aftercare_seats"]
    assert r["at_capacity_pct"] > 99
    assert r["queue_mean"] == pytest.approx(4, abs=0.05)  # each graduate waits out their 4 weeks


def test_measures_carry_a_confidence_interval_across_replications():
    data = deterministic_dict()
    data["referrals"]["arrival_process"] = "poisson"
    block = diagnose(data, replications=3)
    e = block["resources"]["seats:first"]
    lo, hi = e["at_capacity_pct_ci95"]
    assert lo <= e["at_capacity_pct"] <= hi
    assert e["queue_unit"] == "patients" and e["waiting"]


# --- the rule ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("at", "queue", "binds"), [
    (50.0, 1.0, True), (49.9, 100.0, False), (100.0, 0.99, False), (None, 5.0, False),
])
def test_the_binding_thresholds(at, queue, binds):
    resources = {"seats:first": {"at_capacity_pct": at, "queue_mean": queue}}
    assert bn.binding_resources(resources) == (["seats:first"] if binds else [])


def test_binding_names_come_in_pathway_order():
    full = {"at_capacity_pct": 90.0, "queue_mean": 3.0}
    resources = {"caseload": full, "seats:a": full, "intake": full, "seats:b": full}
    assert bn.binding_resources(resources) == ["intake", "seats:a", "seats:b", "caseload"]


# --- in words ------------------------------------------------------------------------------------------
def test_labels_put_the_track_first():
    assert bn.label("seats:phase1:evening") == "evening phase1 seats"
    assert bn.label("seats:early") == "early seats"
    assert bn.label("caseload") == "counselor caseloads"
    assert bn.label("counselor_hours:evening") == "evening counselor hours"


def test_sentence_names_the_binding_resource_with_evidence_and_the_slack():
    block = {"binding": ["seats:phase1:evening"], "resources": {
        "intake": {"at_capacity_pct": 10.0, "queue_mean": 0.5},
        "seats:phase1:evening": {"at_capacity_pct": 97.0, "queue_mean": 23.0},
        "caseload": {"at_capacity_pct": 5.0, "queue_mean": 23.0},
        "counselor_hours": {"at_capacity_pct": 0.0, "queue_mean": 0.0},
    }}
    assert bn.sentence(block) == ("Binding: evening phase1 seats (at capacity 97% of the time, 23.0 patients "
                                  "waiting on average); intake, counselor caseloads and counselor hours have slack.")


def test_sentence_without_a_binding_resource_names_the_fullest():
    block = {"binding": ["none"], "resources": {
        "intake": {"at_capacity_pct": 10.0, "queue_mean": 0.5},
        "seats:early": {"at_capacity_pct": 40.0, "queue_mean": 0.3},
    }}
    text = bn.sentence(block)
    assert text.startswith("Binding: none")
    assert "the fullest is early seats (at capacity 40% of the time, 0.3 patients waiting on average)" in text


def test_a_run_without_time_after_the_warm_up_is_not_measured():
    # validate refuses such a scenario (run.warmup_weeks must leave a week); through the Python API it can
    # still be built without validation, and must then say "not measured" rather than fail
    valid = build(deterministic_dict())
    scenario = valid.model_copy(update={"run": valid.run.model_copy(update={"horizon_years": 0.5})})
    block = RunSet(scenario, 1, [run_one(scenario, 1, r, keep_patients=False) for r in range(2)]).bottleneck()
    assert block["binding"] == ["none"]
    assert all(e["queue_mean"] is None for e in block["resources"].values())
    assert block["resources"]["room_hours"]["at_capacity_pct"] == 30.0  # fixed by the timetable
    assert bn.sentence(block) == "Binding: not measured (no time after the warm-up)."
    assert bn._finite(math.nan) is None


def test_intervals_stay_inside_the_measures_range_and_capacity_has_its_unit():
    data = deterministic_dict()
    data["referrals"]["arrival_process"] = "poisson"
    data["timetable"][0]["max_size"] = 5
    block = diagnose(data, replications=2)
    for name, e in block["resources"].items():
        lo, hi = e["at_capacity_pct_ci95"]
        assert 0 <= lo <= hi <= 100, name
        assert e["queue_mean_ci95"][0] >= 0, name
    assert block["resources"]["intake"]["capacity_unit"] == "assessors"
    assert block["resources"]["seats:first"]["capacity_unit"] == "seats"
