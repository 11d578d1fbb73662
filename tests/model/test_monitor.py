"""The weekly monitor: one row per week, named columns, taken after everything at Monday 00:00."""

from __future__ import annotations

from iopsim.model.clinic import Clinic
from tests.factories import build, deterministic_dict


def first_two_weeks() -> dict[str, list[float]]:
    c = Clinic(build(deterministic_dict()), seed=1)
    c.env.run(until=15.0)
    return dict(c.monitor.series)


def test_columns_are_named_in_a_fixed_order():
    assert list(first_two_weeks()) == [
        "week_end_days", "referrals_total", "intake_queue", "waitlist",
        "census_first", "census_second", "census_third", "census",
        "aftercare_census", "aftercare_queue", "room_hours", "room_hours_R",
        "counselor_hours_group", "counselor_hours_documentation", "counselor_hours_intake",
        "counselor_hours_individual", "counselor_hours_other_duties", "counselor_hours_contracted",
        "counselor_overtime_hours", "individual_hours_demanded", "individual_hours_delivered", "caseload_max",
        "sessions_run", "sessions_empty", "sessions_cancelled_small", "sessions_cancelled_no_counselor",
        "sessions_closed", "sessions_full", "intake_appointments", "seat_capacity", "attendees", "enrolled",
    ]


def test_a_patient_admitted_at_the_week_end_is_counted_in_that_week():
    s = first_two_weeks()
    # Referral k arrives and is admitted at day 7k; the row at day 7 is taken after that.
    assert s["week_end_days"] == [7.0, 14.0]
    assert s["referrals_total"] == [1, 2]
    assert s["census"] == [1, 2] and s["census_first"] == [1, 2] and s["census_second"] == [0, 0]
    assert s["caseload_max"] == [1, 2]


def test_sessions_and_hours_are_tallied_per_week_and_reset():
    s = first_two_weeks()
    # Week 1: the three groups meet with nobody enrolled. Week 2: the first phase's group meets once,
    # 3 hours plus 15 minutes of notes per group hour, with its one patient among 12 seats.
    assert s["sessions_empty"] == [3, 2]
    assert s["sessions_run"] == [0, 1]
    assert s["room_hours"] == [0.0, 3.0] and s["room_hours_R"] == [0.0, 3.0]
    assert s["counselor_hours_group"] == [0.0, 3.0]
    assert s["counselor_hours_documentation"] == [0.0, 0.75]
    assert s["seat_capacity"] == [0, 12] and s["attendees"] == [0, 1] and s["enrolled"] == [0, 1]
    # Half an individual hour a week per patient in treatment, delivered from the hours left.
    assert s["individual_hours_demanded"] == [0.5, 1.0]
    assert s["individual_hours_delivered"] == [0.5, 1.0]
    assert s["counselor_hours_individual"] == [0.5, 1.0]
    assert s["counselor_hours_contracted"] == [40.0, 40.0]
