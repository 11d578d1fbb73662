"""Groups and the SeatBoard: capacities, moves between phases' groups, seats offered when freed."""

from __future__ import annotations

from iopsim.model.clinic import Clinic
from iopsim.model.patient import Patient
from tests.factories import build, deterministic_dict


def clinic(**changes) -> Clinic:
    return Clinic(build(deterministic_dict(), **changes), seed=1)


def in_treatment(pid: int) -> Patient:
    p = Patient(pid, 0.0)
    p.in_treatment = True
    return p


def test_a_groups_capacity_is_the_smallest_cap_of_its_sessions():
    data = deterministic_dict()
    data["phases"][0]["group_sessions_per_week"] = 2
    data["timetable"][0]["max_size"] = 10
    data["timetable"][1]["max_size"] = 5
    data["timetable"].append({"group": "g1", "day": "thu", "start": "09:00", "hours": 3, "room": "R",
                              "serves": ["first"], "max_size": 8})
    c = Clinic(build(data), seed=1)
    assert {g.name: g.capacity for g in c.seats.groups} == {"g1": 8, "g2": 5, "g3": 12}
    assert [g.phases for g in c.seats.groups] == [frozenset({0}), frozenset({1}), frozenset({2})]


def test_a_move_takes_a_free_seat_or_waits_in_the_old_one_until_a_seat_frees_up():
    c = clinic(timetable__1__max_size=1)
    g1, g2, _ = c.seats.groups
    p, q = in_treatment(0), in_treatment(1)
    c.seats.sit(p, g1)
    c.seats.sit(q, g1)
    then = (lambda ev: None,)
    assert c.seats.move(p, 1, then) is True
    assert p.group is g2 and list(g1.roster) == [1]
    assert c.seats.move(q, 1, then) is False  # g2's only seat is taken
    assert q.group is g1 and list(c.seats.transfer_queues[0][1]) == [q]
    assert q.wake is None
    c.seats.stand_up(p)  # p leaves: q gets the seat and is resumed into `then`
    assert q.group is g2 and list(g2.roster) == [1] and list(g1.roster) == []
    assert q.wake is not None and q.wake.callbacks == then and q.wake.value is True


def test_a_move_within_a_group_serving_both_phases_keeps_the_seat():
    data = deterministic_dict()
    data["timetable"][0]["serves"] = ["first", "second"]
    data["timetable"][1]["serves"] = ["third"]
    data["timetable"][2]["serves"] = ["third"]
    c = Clinic(build(data), seed=1)
    g1 = c.seats.groups[0]
    p = in_treatment(0)
    c.seats.sit(p, g1)
    assert c.seats.move(p, 1, (lambda ev: None,)) is True
    assert p.group is g1


def test_the_roomiest_group_gets_the_patient_first_in_timetable_order_on_ties():
    data = deterministic_dict()
    data["timetable"][1]["serves"] = ["first"]  # g1 and g2 both serve the first phase
    data["timetable"][2]["serves"] = ["second", "third"]
    c = Clinic(build(data), seed=1)
    g1, g2, _ = c.seats.groups
    assert c.seats.seat_for_phase(0) is g1
    c.seats.sit(in_treatment(0), g1)
    assert c.seats.seat_for_phase(0) is g2
