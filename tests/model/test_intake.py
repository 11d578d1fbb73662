"""The intake desk: dedicated assessors and timetable intake clinics."""

from __future__ import annotations

import pytest

from iopsim.model.clinic import Clinic
from iopsim.model.patient import Patient
from iopsim.model.records import Outcome
from tests.factories import build, deterministic_dict


def arrive(c: Clinic, pid: int, log: list) -> Patient:
    p = Patient(pid, c.env.now)
    c.active[pid] = p
    c.intake.join(p, then=(lambda ev: log.append((ev.p.pid, c.env.now, ev.value)),))
    return p


def test_dedicated_assessors_see_the_queue_in_order_as_each_comes_free():
    c = Clinic(build(deterministic_dict(), intake__assessment_hours={"kind": "fixed", "value": 6}), seed=1)
    log: list = []
    for pid in range(3):
        arrive(c, pid, log)
    assert c.intake.free_assessors == 0 and len(c.intake.queue) == 2
    c.env.run(until=1.0)
    # One assessor, 6-hour assessments back to back: over at 6, 12 and 18 hours.
    assert log == [(0, 0.25, 0.0), (1, 0.5, 0.0), (2, 0.75, 0.0)]
    assert c.intake.assessor_busy_hours == 18.0


def test_an_intake_clinic_books_consecutive_appointments_from_the_queue():
    data = deterministic_dict()
    data["intake"] = {"mode": "timetable_slots", "appointment_hours": 2, "no_show_prob": 0,
                      "assessment_hours": {"kind": "fixed", "value": 1.5}}
    data["timetable"].append({"group": "intake", "day": "thu", "start": "08:00", "hours": 4, "room": "R",
                              "serves": ["intake"]})
    c = Clinic(build(data), seed=1)
    log: list = []
    for pid in range(3):
        arrive(c, pid, log)
    assert c.intake.hold_clinic(4.0, 1.0) == "run"  # two 2-hour appointments; the third waits
    now = 1.0
    assert [p.assessment_start for p in (c.active[0], c.active[1])] == [now, now + 2 / 24]
    assert len(c.intake.queue) == 1
    assert c.counselors.week_hours["intake"] == 3.0 and c.week.intake_appointments == 2
    c.env.run(until=1.5)
    assert [pid for pid, _, _ in log] == [0, 1]
    # Each woken when their assessment is over (counted from the clock's 0: the clinic's `now` is only an argument).
    assert [t for _, t, _ in log] == pytest.approx([1.5 / 24, 2 / 24 + 1.5 / 24])


def test_a_patient_who_misses_more_appointments_than_offered_is_closed():
    c = Clinic(build(deterministic_dict(), intake__no_show_prob=1, intake__max_rebookings=1,
                     intake__assessment_hours={"kind": "fixed", "value": 1}), seed=1)
    log: list = []
    arrive(c, 0, log)
    c.env.run(until=1.0)
    assert log == [] and 0 not in c.active
    assert c.records.to_numpy()["outcome"].tolist() == [Outcome.INTAKE_NO_SHOW]
    assert c.records.to_numpy()["no_shows"].tolist() == [2]
