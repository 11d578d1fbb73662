"""Eligibility and the waitlist: turned away when full, detox returners first, admitted when possible."""

from __future__ import annotations

from iopsim.model.clinic import Clinic
from iopsim.model.patient import Patient
from iopsim.model.records import Outcome
from tests.factories import build, deterministic_dict


def waiting(c: Clinic, pid: int, detox_returner: int = 0) -> Patient:
    p = Patient(pid, c.env.now)
    p.detox_returner = detox_returner
    c.active[pid] = p
    c.waitlist.join(p, then=(lambda ev: None,))
    return p


def test_a_full_waitlist_turns_newcomers_away():
    # A caseload of one: the first patient is admitted, the second waits, the third finds it full.
    c = Clinic(build(deterministic_dict(), counselors__max_caseload=1, admission__waitlist_capacity=1), seed=1)
    first, second, third = (waiting(c, i) for i in range(3))
    assert first.in_treatment and first.admitted == 0.0
    assert list(c.waitlist.regular) == [second] and not second.in_treatment
    assert third.outcome == Outcome.REFERRED_OUT_WAITLIST_FULL and 2 not in c.active
    assert c.meters["waitlist"].count == 1


def test_detox_returners_go_first_and_are_admitted_when_a_place_frees_up():
    c = Clinic(build(deterministic_dict(), counselors__max_caseload=1, admission__detox_returners_first=True),
               seed=1)
    first = waiting(c, 0)
    regular = waiting(c, 1)
    returner = waiting(c, 2, detox_returner=1)
    assert list(c.waitlist.priority) == [returner] and list(c.waitlist.regular) == [regular]
    c.leave_treatment(first, Outcome.DROPPED_OUT)  # frees the counselor and the seat
    assert returner.in_treatment and not regular.in_treatment
    assert len(c.waitlist) == 1


def test_eligibility_follows_the_severity_mix_and_home():
    c = Clinic(build(deterministic_dict(), eligibility__severity_mix={"mild": 1, "moderate": 0, "severe": 0}),
               seed=1)
    assert c.eligibility.decide(Patient(0, 0.0)) == Outcome.REFERRED_OUT_MILD
    c = Clinic(build(deterministic_dict(), eligibility__unsupportive_home_prob=1), seed=1)
    assert c.eligibility.decide(Patient(0, 0.0)) == Outcome.REFERRED_OUT_HOME
    c = Clinic(build(deterministic_dict()), seed=1)
    assert c.eligibility.decide(Patient(0, 0.0)) is None and not c.eligibility.needs_detox()
