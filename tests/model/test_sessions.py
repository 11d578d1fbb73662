"""Timetable slots: a group session walks its roster once; what became of each slot is tallied."""

from __future__ import annotations

from iopsim.model.clinic import Clinic
from iopsim.model.patient import Patient
from iopsim.model.sessions import IntakeClinic, TherapySession
from tests.factories import build, deterministic_dict

AFTER_WARMUP = 52 * 7 + 0.375  # a Monday 09:00 in the observation window


def seated(c: Clinic, group_index: int, phases: list[int]) -> list[Patient]:
    g = c.seats.groups[group_index]
    patients = []
    for pid, phase in enumerate(phases):
        p = Patient(pid, 0.0)
        p.in_treatment = True
        p.phase_index = phase
        p.attend_prob = 1.0  # as admission sets it (the scenario's attendance is certain)
        c.seats.sit(p, g)
        patients.append(p)
    return patients


def test_a_session_walks_only_the_patients_of_the_phases_it_serves():
    data = deterministic_dict()
    data["timetable"][0]["serves"] = ["first", "second"]
    data["timetable"][1]["serves"] = ["second"]
    c = Clinic(build(data), seed=1)
    session = c.slots[0]
    assert isinstance(session, TherapySession) and session.group.name == "g1"
    first, second = seated(c, 0, [0, 1])
    session.serves = frozenset({0})  # as if this slot served the first phase only
    session.meet(AFTER_WARMUP)
    assert (first.sessions_attended, second.sessions_attended) == (1, 0)
    assert first.group_hours_attended == 3
    assert session.tally["run"] == 1 and (session.attendees, session.enrolled) == (1, 1)
    assert c.week.sessions_run == 1 and c.week.room_hours["R"] == 3
    assert c.counselors.week_hours["group"] == 3


def test_too_few_patients_cancel_a_session_and_nobody_leaves_it_empty():
    c = Clinic(build(deterministic_dict(), groups__min_size=3), seed=1)
    session = c.slots[0]
    session.meet(AFTER_WARMUP)
    seated(c, 0, [0, 0])
    session.meet(AFTER_WARMUP + 7)
    assert session.tally["empty"] == 1 and session.tally["cancelled_small"] == 1 and session.tally["run"] == 0
    assert c.week.sessions_empty == 1 and c.week.sessions_cancelled_small == 1


def test_before_the_warm_up_a_session_counts_in_the_week_but_not_in_the_slot_tally():
    c = Clinic(build(deterministic_dict()), seed=1)
    session = c.slots[0]
    (p,) = seated(c, 0, [0])
    session.meet(0.375)
    assert p.sessions_attended == 1 and c.week.sessions_run == 1
    assert session.tally["run"] == 0 and session.attendees == 0


def test_a_full_group_counts_its_sessions_as_full():
    c = Clinic(build(deterministic_dict(), timetable__0__max_size=2), seed=1)
    session = c.slots[0]
    seated(c, 0, [0, 0])
    session.meet(AFTER_WARMUP)
    assert session.full == 1 and c.week.sessions_full == 1 and c.week.seat_capacity == 2


def test_billing_counts_a_patients_day_when_it_opens_and_moves_it_when_it_grows():
    data = deterministic_dict()
    data["timetable"].append({"group": "g1", "day": "mon", "start": "13:00", "hours": 3, "room": "R",
                              "serves": ["first"]})
    data["phases"][0]["group_sessions_per_week"] = 2
    c = Clinic(build(data), seed=1)
    c.billing = c.slots[0].billing = c.slots[-1].billing = _billing(c)
    morning, afternoon = c.slots[0], c.slots[-1]
    (p,) = seated(c, 0, [0])
    morning.meet(AFTER_WARMUP)
    afternoon.meet(AFTER_WARMUP + 4 / 24)
    assert (p.attend_day, p.day_hours) == (364, 6)
    assert c.billing.days_by_hours == {6: 1}  # counted at 3 hours in the morning, moved to 6
    morning.meet(AFTER_WARMUP + 7)
    assert c.billing.days_by_hours == {6: 1, 3: 1} and p.day_hours == 3


def test_intake_clinics_are_slots_of_their_own():
    data = deterministic_dict()
    data["intake"] = {"mode": "timetable_slots", "appointment_hours": 1, "no_show_prob": 0}
    data["timetable"].append({"group": "intake", "day": "thu", "start": "09:00", "hours": 2, "room": "R",
                              "serves": ["intake"]})
    c = Clinic(build(data), seed=1)
    clinic = c.slots[-1]
    assert isinstance(clinic, IntakeClinic)
    clinic.meet(AFTER_WARMUP)
    assert clinic.tally["empty"] == 1


def _billing(c: Clinic):
    from iopsim.model.billing import BillableUnits

    return BillableUnits(c.warmup_days, len(c.phases))
