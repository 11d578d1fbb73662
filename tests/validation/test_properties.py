"""Property-based tests: random valid scenarios never break the model's invariants.

Hypothesis draws programs of every shape (1-4 phases, either intake mode, impatient patients,
closed waitlists, overtime or not, closures, aftercare on or off); every run must account for
each referral exactly once, keep times in pathway order and never exceed a capacity limit.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iopsim.analysis.kpis import kpis
from iopsim.model.clinic import Clinic
from tests.factories import build, deterministic_dict
from tests.validation.invariants import check_records, run_checking_capacity

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
prob = st.floats(0.0, 1.0)
small_prob = st.floats(0.0, 0.3)


@st.composite
def durations(draw):
    low = draw(st.floats(0.5, 6))
    return {"kind": "triangular", "low": low, "mode": low + draw(st.floats(0, 3)), "high": low + 3.5}


@st.composite
def scenarios(draw):
    data = deterministic_dict()
    n_phases = draw(st.integers(1, 4))
    phases, timetable, rooms = [], [], []
    max_size = draw(st.integers(2, 15))
    for i in range(n_phases):
        sessions = draw(st.integers(1, 3))
        hours = draw(st.sampled_from([1.5, 2, 3]))
        phases.append({
            "name": f"p{i}", "duration_weeks": draw(durations()), "group_sessions_per_week": sessions,
            "session_hours": hours, "self_help_meetings_per_week": draw(st.floats(0, 4)),
            "drug_tests_per_week": draw(st.floats(0, 3)), "breathalyzers_per_week": draw(st.floats(0, 2)),
            "individual_sessions_per_week": draw(st.floats(0, 1)),
            "relapse_prob_per_week": draw(small_prob), "dropout_prob_per_week": draw(small_prob),
        })
        rooms.append({"name": f"R{i}", "seats": max_size})
        for g in range(draw(st.integers(1, 2))):  # one or two groups per phase, morning and evening
            for d in range(sessions):
                timetable.append({"group": f"p{i}-g{g}", "day": DAYS[d * 2], "start": "09:00" if g == 0 else "18:00",
                                  "hours": hours, "room": f"R{i}", "serves": [f"p{i}"]})
    aftercare = draw(st.booleans())
    if aftercare:
        rooms.append({"name": "RA", "seats": max_size})
        timetable.append({"group": "ac", "day": "tue", "start": "12:00", "hours": 1.5, "room": "RA",
                          "serves": ["aftercare"]})
    slots = draw(st.booleans())
    if slots:
        rooms.append({"name": "RI", "seats": 2})
        for d in range(draw(st.integers(1, 5))):
            timetable.append({"group": "intake", "day": DAYS[d], "start": "13:00", "hours": 4, "room": "RI",
                              "serves": ["intake"]})
    patience = draw(st.sampled_from([None, {"kind": "exponential", "mean": 10}, 3]))
    mild = draw(st.floats(0, 0.5))
    moderate = draw(st.floats(0, 1 - mild))
    repeat = draw(prob)
    step_back = draw(st.floats(0, 1 - repeat))
    data.update({
        "run": {"horizon_years": 1, "warmup_weeks": 8, "replications": 1, "seed": 1},
        "referrals": {"rate_per_week": draw(st.floats(0.5, 15))},
        "intake": {"mode": "timetable_slots" if slots else "dedicated_assessors",
                   "assessors": draw(st.integers(1, 3)), "no_show_prob": draw(st.floats(0, 0.5)),
                   "max_rebookings": draw(st.integers(0, 2)),
                   "assessment_hours": {"kind": "uniform", "low": 0.5, "high": 2}, "patience_days": patience},
        "eligibility": {"severity_mix": {"mild": mild, "moderate": moderate, "severe": 1 - mild - moderate},
                        "unsupportive_home_prob": draw(small_prob), "needs_detox_prob": draw(small_prob),
                        "detox_return_prob": draw(prob), "detox_return_delay_days": draw(st.floats(0, 20))},
        "admission": {"patience_days": patience, "detox_returners_first": draw(st.booleans()),
                      "waitlist_capacity": draw(st.sampled_from([None, 0, 5]))},
        "phases": phases,
        "attendance": {"group_attendance_prob": draw(prob), "dropout_prob_per_missed_session": draw(small_prob),
                       "self_help_relapse_multiplier_per_meeting": draw(st.floats(0.5, 1.0))},
        "relapse": {"drug_test_sensitivity": draw(prob), "policy": {
            "repeat_phase": repeat, "step_back": step_back, "discharge": max(0.0, 1 - repeat - step_back)},
            "max_relapses_before_discharge": draw(st.integers(0, 3))},
        "aftercare": {"enabled": aftercare, "uptake_prob": draw(prob), "duration_weeks": draw(durations()),
                      "dropout_prob_per_week": draw(small_prob), "patience_weeks": draw(st.floats(0, 4))},
        "groups": {"min_size": draw(st.integers(0, min(3, max_size))), "max_size": max_size},
        "timetable": timetable,
        "rooms": rooms,
        "counselors": {"count": draw(st.integers(1, 5)), "max_caseload": draw(st.integers(1, 30)),
                       "contracted_hours_per_week": 40, "other_duties_hours_per_week": draw(st.floats(0, 30)),
                       "allow_overtime": draw(st.booleans())},
        "closures": {"dates": draw(st.lists(st.sampled_from(["01-01", "01-05", "02-14", "03-03", "07-04"]),
                                            unique=True))},
    })
    return build(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_scenarios_keep_every_invariant(scenario, seed):
    result = run_checking_capacity(Clinic(scenario, seed=seed))
    check_records(result)
    k = kpis(result)
    for name, value in k.items():
        assert math.isnan(value) or value >= 0, name
        if name.endswith("_pct") and name != "counselor_utilization_pct" and not math.isnan(value):
            assert value <= 100 + 1e-9, name
    if not scenario.counselors.allow_overtime:
        assert k["counselor_utilization_pct"] <= 100 + 1e-9 or math.isnan(k["counselor_utilization_pct"])
