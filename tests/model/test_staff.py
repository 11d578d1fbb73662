"""CounselorTeam: caseloads, hours booked against the weekly budget, overtime."""

from __future__ import annotations

import pytest

from iopsim.model.staff import CounselorTeam
from iopsim.scenario.schema import Counselors


def team(**changes) -> CounselorTeam:
    spec = {"count": 3, "contracted_hours_per_week": 40, "other_duties_hours_per_week": 8, "max_caseload": 2}
    return CounselorTeam(Counselors(**{**spec, **changes}))


def test_new_patients_go_to_the_smallest_caseload_below_the_cap():
    t = team()
    picks = []
    for _ in range(6):
        i = t.counselor_with_room()
        assert i is not None
        picks.append(i)
        t.take_on(i, 0.0)
    assert picks == [0, 1, 2, 0, 1, 2]
    assert t.counselor_with_room() is None  # all at the cap of 2
    assert t.peak_caseload == 2
    t.release(1, 0.0)
    assert t.counselor_with_room() == 1


def test_caseloads_are_at_capacity_while_no_counselor_has_room():
    t = team(count=2)
    t.caseload_meter.start = 0.0
    for i, day in ((0, 1.0), (1, 2.0), (0, 3.0), (1, 4.0)):  # all at the cap of 2 from day 4
        t.take_on(i, day)
    t.release(0, 7.0)
    t.take_on(0, 8.0)
    assert t.caseload_meter.share(10.0) == pytest.approx((3 + 2) / 10, abs=1e-12)


def test_booking_spends_the_budget_and_blocks_the_counselor():
    t = team()
    assert t.budget == [32.0, 32.0, 32.0]  # 40 contracted less 8 other duties
    t.book(0, 1.0, "group", 3.0, 0.75)
    assert t.budget[0] == 28.25
    assert t.busy_until[0] == pytest.approx(1.0 + 3.75 / 24)
    assert t.week_hours == {"group": 3.0, "documentation": 0.75, "intake": 0.0, "individual": 0.0}
    assert t.facilitator(1.0, 3.0) == 1  # 0 is busy; 1 and 2 tie, the first wins
    assert t.facilitator(1.2, 3.0) == 1  # 0 is free again but has fewer hours left
    assert t.facilitator(1.2, 32.5) is None  # nobody has that much left, and no overtime


def test_individual_sessions_fit_into_what_is_left_without_overtime():
    t = team()
    t.book(0, 0.0, "group", 30.0)  # 2 h left
    delivered = t.deliver_individual_sessions([5.0, 40.0, 1.0])
    assert delivered == 2.0 + 32.0 + 1.0
    assert t.week_hours["individual"] == 35.0
    assert t.budget == [0.0, 0.0, 31.0]
    assert t.week_overtime == 0.0
    t.start_week()
    assert t.budget == [32.0, 32.0, 32.0] and t.week_hours["individual"] == 0.0


def test_overtime_is_counted_when_allowed():
    t = team(allow_overtime=True)
    t.book(0, 0.0, "group", 40.0)
    assert t.week_overtime == 8.0 and t.budget[0] == 0.0
    assert t.facilitator(1.0, 100.0) == 1  # with overtime anyone free will do: most hours left first
    assert t.deliver_individual_sessions([2.0, 0.0, 0.0]) == 2.0
    assert t.week_overtime == 10.0
