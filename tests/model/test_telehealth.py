"""Telehealth (issue 11 item 6): virtual groups need a counselor but no room; hybrid ones are not capped by seats."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from pydantic import ValidationError

from iopsim.analysis.kpis import kpis
from iopsim.model.clinic import simulate
from iopsim.reports.timetable import room_use, timetable_rows
from iopsim.scenario.checks import check_scenario
from iopsim.scenario.schema import Scenario
from tests.factories import build, deterministic_dict


def _virtual_first_group() -> dict:
    data = deterministic_dict()
    data["timetable"][0] = {k: v for k, v in data["timetable"][0].items() if k != "room"} | {"mode": "virtual"}
    return data


def test_a_virtual_group_runs_with_a_counselor_and_books_no_room():
    plain = simulate(build(deterministic_dict()), seed=1)
    online = simulate(build(_virtual_first_group()), seed=1)
    room_hours = np.asarray(online.series["room_hours"])[60:]
    assert set((np.asarray(plain.series["room_hours"])[60:] - room_hours).tolist()) == {3.0}  # g1's 3 h a week
    assert online.series["counselor_hours_group"] == plain.series["counselor_hours_group"]
    k_plain, k_online = kpis(plain), kpis(online)
    assert k_online["census_mean"] == k_plain["census_mean"]
    assert k_online["room_utilization_pct"] == pytest.approx(k_plain["room_utilization_pct"] * 6 / 9)
    slot = next(s for s in online.slots if s["group"] == "g1")
    assert slot["run"] > 0 and slot["room_hours"] == 0 and slot["room"] is None


def test_virtual_and_hybrid_sessions_are_validated():
    s = build(_virtual_first_group())
    assert "mode" not in s.model_dump()["timetable"][1] and s.model_dump()["timetable"][0]["mode"] == "virtual"
    assert "room" not in s.model_dump()["timetable"][0]
    assert Scenario.model_validate(s.model_dump()) == s
    rows = timetable_rows(s)
    assert any(r.room == "(online)" for r in rows)
    assert {u.room: u.booked_hours for u in room_use(s)} == {"R": 6.0}
    with pytest.raises(ValidationError, match="a virtual session needs no room"):
        Scenario.model_validate(_virtual_first_group() | {"timetable": [
            {**deterministic_dict()["timetable"][0], "mode": "virtual"}]})
    data = deterministic_dict()
    del data["timetable"][0]["room"]
    with pytest.raises(ValidationError, match="an in_person session needs a `room`"):
        Scenario.model_validate(data)
    small_room = deterministic_dict()
    small_room["rooms"][0]["seats"] = 4  # fewer seats than the group size of 12
    assert any("exceeds the 4 seats" in m for _, m in check_scenario(Scenario.model_validate(small_room)))
    for sess in small_room["timetable"]:
        sess["mode"] = "hybrid"  # the others join online
    assert check_scenario(Scenario.model_validate(small_room)) == []


def _ten_groups(virtual: int, rooms: int) -> dict:
    """One phase meeting once a week; ten groups, `virtual` of them online; rooms bookable 9 h a week each,
    so three 3-hour groups fit in a room."""
    data = deterministic_dict()
    data["phases"] = data["phases"][:1]
    del data["timetable"]
    window = {"days": ["mon"], "start": "08:00", "latest_start": "20:00"}
    blocks = [{**window, "groups": 10 - virtual}] + ([{**window, "groups": virtual, "mode": "virtual"}] if virtual else [])
    data["program"] = {"phases": {"first": blocks}}
    data["rooms"] = [{"name": f"Room {i + 1}", "seats": 12, "available_hours_per_week": 9} for i in range(rooms)]
    return data


def rooms_needed(virtual: int) -> int:
    """The fewest rooms the generated week fits in."""
    for rooms in range(1, 11):
        if not check_scenario(Scenario.model_validate(copy.deepcopy(_ten_groups(virtual, rooms)))):
            return rooms
    raise AssertionError("does not fit in 10 rooms")


def test_rooms_needed_fall_when_30_percent_of_groups_run_online():
    assert rooms_needed(0) == 4  # ten groups, three to a room
    assert rooms_needed(3) == 3  # seven in rooms
    s = Scenario.model_validate(_ten_groups(3, 3))
    assert sum(x.mode == "virtual" and x.room is None for x in s.timetable) == 3
    result = simulate(s.model_copy(update={"run": s.run.model_copy(update={"horizon_years": 2})}), seed=1)
    assert kpis(result)["census_mean"] > 0
