"""The room-scaling rule: fewer rooms drop their groups, more rooms copy whole tracks; invalid is refused."""

from __future__ import annotations

import pytest

from iopsim.experiments.rooms import RoomScalingError, group_rooms, with_group_rooms
from iopsim.scenario.checks import check_scenario
from iopsim.scenario.loader import load_scenario

from .helpers import BASELINE


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


def sessions(s, room):
    return [(x.group, x.day, x.start, x.hours, tuple(x.serves)) for x in s.timetable if x.room == room]


def test_group_rooms_leave_out_intake_only_rooms(baseline):
    assert group_rooms(baseline) == ["Room A", "Room B"]


def test_same_count_is_the_scenario_itself(baseline):
    assert with_group_rooms(baseline, 2) is baseline


def test_more_rooms_copy_the_group_rooms_in_turn_with_every_group_session(baseline):
    s = with_group_rooms(baseline, 5)
    assert [r.name for r in s.rooms] == ["Room A", "Room B", "Office", "Room A #2", "Room B #2", "Room A #3"]
    assert group_rooms(s) == ["Room A", "Room B", "Room A #2", "Room B #2", "Room A #3"]
    for copy, original, n in (("Room A #2", "Room A", 2), ("Room B #2", "Room B", 2), ("Room A #3", "Room A", 3)):
        assert [(g.removesuffix(f" #{n}"), *rest) for g, *rest in sessions(s, copy)] == sessions(baseline, original)
        assert next(r.seats for r in s.rooms if r.name == copy) == next(r.seats for r in baseline.rooms if r.name == original)
    assert sessions(s, "Office") == sessions(baseline, "Office")  # intake is not scaled
    assert check_scenario(s) == []
    # Room A holds 5 groups (two phase-1 tracks, three aftercare), Room B 3: copies add 5 + 3 + 5
    assert len({x.group for x in s.timetable}) == len({x.group for x in baseline.timetable}) + 5 + 3 + 5


def test_fewer_rooms_drop_the_groups_of_the_others_and_must_stay_valid(baseline):
    with pytest.raises(RoomScalingError) as err:
        with_group_rooms(baseline, 1)
    assert ("phases.1.name", "phase 'middle' has no session in the timetable") in err.value.problems
    with pytest.raises(RoomScalingError):
        with_group_rooms(baseline, 0)


def test_fewer_rooms_keep_a_dropped_room_that_still_holds_intake(baseline):
    # Move the intake clinic into Room B, then cut to Room A: Room B stays for intake only.
    data = baseline.model_dump(mode="json", by_alias=True)
    for x in data["timetable"]:
        if "intake" in x["serves"]:
            x["room"] = "Room B"
        elif x["room"] == "Room B":
            x["room"] = "Room A"
            x["start"] = {"18:00": "06:00", "09:00": "13:00"}.get(x["start"], x["start"])
            x["day"] = {"tue": "sat", "thu": "sun"}.get(x["day"], x["day"])
    from iopsim.scenario.schema import Scenario

    two = Scenario.model_validate(data)
    assert check_scenario(two) == [], check_scenario(two)
    assert group_rooms(two) == ["Room A"]
    three = with_group_rooms(two, 2)
    one = with_group_rooms(three, 1)
    assert [r.name for r in one.rooms] == [r.name for r in two.rooms]
    assert one.timetable == two.timetable
