"""Program template -> timetable: exact placements, and the invariants the model relies on."""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iopsim.scenario.checks import check_scenario
from iopsim.scenario.loader import ScenarioError, load_scenario
from iopsim.scenario.schema import DAYS, Scenario
from tests.factories import deterministic_dict

ROOT = Path(__file__).resolve().parents[2]


def template(program: dict[str, Any], rooms: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    """The factory's deterministic scenario with its hand-written timetable replaced by `program`."""
    data = deterministic_dict()
    del data["timetable"]
    data["program"] = program
    data["phases"][0]["group_sessions_per_week"] = 3  # "first": 3 x 3 h, "second"/"third": 1 x 3 h
    if rooms is not None:
        data["rooms"] = rooms
    data.update(changes)
    return data


def rows(s: Scenario) -> list[tuple[str, str, str, float, str, tuple[str, ...]]]:
    return [(x.group, x.day, x.start, x.hours, x.room, tuple(x.serves)) for x in s.timetable]


def week_spans(s: Scenario) -> dict[str, list[tuple[float, float]]]:
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for x in s.timetable:
        start = DAYS.index(x.day) * 24 + x.start_hours
        spans[x.room].append((start, start + x.hours))
    return spans


TWO_ROOMS = [
    {"name": "R", "seats": 12, "available_hours_per_week": 30},
    {"name": "S", "seats": 12, "available_hours_per_week": 30},
]


def test_exact_placement_parallel_groups_take_the_next_room_at_the_preferred_time():
    s = Scenario.model_validate(template({
        "phases": {
            "first": [{"track": "day", "days": ["mon", "wed", "fri"], "start": "09:00", "groups": 2}],
            "second": [{"days": ["tue"], "start": "09:00"}],
            "third": [{"days": ["tue"], "start": "09:00", "latest_start": "13:00"}],
        },
    }, rooms=TWO_ROOMS))
    assert rows(s) == [
        ("first-day-1", "mon", "09:00", 3, "R", ("first",)),
        ("first-day-1", "wed", "09:00", 3, "R", ("first",)),
        ("first-day-1", "fri", "09:00", 3, "R", ("first",)),
        ("first-day-2", "mon", "09:00", 3, "S", ("first",)),
        ("first-day-2", "wed", "09:00", 3, "S", ("first",)),
        ("first-day-2", "fri", "09:00", 3, "S", ("first",)),
        ("second-1", "tue", "09:00", 3, "R", ("second",)),
        ("third-1", "tue", "09:00", 3, "S", ("third",)),
    ]
    assert check_scenario(s) == []


def test_window_moves_a_group_later_when_the_only_room_is_taken():
    s = Scenario.model_validate(template({
        "phases": {
            "first": [{"days": ["mon", "wed", "fri"], "start": "09:00"}],
            "second": [{"days": ["mon"], "start": "10:00", "latest_start": "14:00"}],
            "third": [{"days": ["mon"], "start": "09:00", "latest_start": "20:00"}],
        },
    }))
    starts = {x.group: x.start for x in s.timetable}
    assert starts == {"first-1": "09:00", "second-1": "12:00", "third-1": "15:00"}
    assert check_scenario(s) == []


def test_room_hours_are_respected_and_push_groups_to_the_next_room():
    rooms = [{"name": "R", "seats": 12, "available_hours_per_week": 10},
             {"name": "S", "seats": 12, "available_hours_per_week": 30}]
    s = Scenario.model_validate(template({
        "phases": {
            "first": [{"days": ["mon", "wed", "fri"], "start": "09:00"}],  # 9 h: R, 1 h left
            "second": [{"days": ["tue"], "start": "09:00"}],               # 3 h: R too full -> S
            "third": [{"days": ["thu"], "start": "09:00", "rooms": ["R", "S"]}],
        },
    }, rooms=rooms))
    assert {x.group: x.room for x in s.timetable} == {"first-1": "R", "second-1": "S", "third-1": "S"}
    booked = Counter[str]()
    for x in s.timetable:
        booked[x.room] += x.hours
    assert booked == {"R": 9, "S": 6}
    assert check_scenario(s) == []


def test_template_that_does_not_fit_names_the_block_and_why():
    rooms = [{"name": "R", "seats": 12, "available_hours_per_week": 10}]
    s = Scenario.model_validate(template({
        "phases": {
            "first": [{"days": ["mon", "wed", "fri"], "start": "09:00", "groups": 2}],
            "second": [{"days": ["tue"], "start": "09:00"}],
            "third": [{"days": ["wed"], "start": "09:00"}],
        },
    }, rooms=rooms))
    assert check_scenario(s) == [
        ("program.phases.first.0.groups",
         "group 2 of 2 (first-2) does not fit: no room is free at start 09:00 "
         "(R: 1 of 10 available h/week left, 9 needed)"),
        ("program.phases.second.0.groups",
         "group 1 of 1 (second-1) does not fit: no room is free at start 09:00 "
         "(R: 1 of 10 available h/week left, 3 needed)"),
        ("program.phases.third.0.groups",
         "group 1 of 1 (third-1) does not fit: no room is free at start 09:00 "
         "(R: 1 of 10 available h/week left, 3 needed)"),
    ]


@pytest.mark.parametrize(("program", "path", "message"), [
    ({"phases": {"first": [{"days": ["mon"], "start": "09:00"}]}},
     "program.phases.first.0.days", "1 day(s) listed but phases.0.group_sessions_per_week is 3"),
    ({"phases": {"fourth": [{"days": ["mon"], "start": "09:00"}]}},
     "program.phases.fourth", "'fourth' is not a phase"),
    ({"phases": {"second": [{"days": ["mon"], "start": "09:00", "rooms": ["Nope"]}]}},
     "program.phases.second.0.rooms.0", "room 'Nope' does not exist"),
    ({"phases": {"second": [{"days": ["mon"], "start": "22:00"}]}},
     "program.phases.second.0.start", "runs past midnight"),
    ({"phases": {"second": [{"days": ["mon"], "start": "10:00", "latest_start": "09:00"}]}},
     "program.phases.second.0.latest_start", "is before start"),
    ({"phases": {"second": [{"days": ["mon"], "start": "10:00", "max_size": 20}]}},
     "program.phases.second.0.groups", "no room has the 20 seats"),
])
def test_block_problems(program, path, message):
    s = Scenario.model_validate(template(program))
    found = [p for p in check_scenario(s) if p[0] == path]
    assert found and message in found[0][1], check_scenario(s)


def test_hand_written_sessions_are_kept_and_avoided():
    data = template({"phases": {"second": [{"days": ["mon"], "start": "09:00", "latest_start": "18:00"}],
                                "third": [{"days": ["wed"], "start": "09:00"}]}})
    fixed = [{"group": "g1", "day": d, "start": "09:00", "hours": 3, "room": "R", "serves": ["first"]}
             for d in ("mon", "wed", "fri")]
    data["timetable"] = fixed
    data["rooms"] = TWO_ROOMS
    s = Scenario.model_validate(data)
    assert rows(s)[:3] == [("g1", d, "09:00", 3, "R", ("first",)) for d in ("mon", "wed", "fri")]
    assert rows(s)[3:] == [("second-1", "mon", "09:00", 3, "S", ("second",)),
                           ("third-1", "wed", "09:00", 3, "S", ("third",))]
    assert check_scenario(s) == []


def test_scenario_without_template_is_unchanged_and_dumps_as_before():
    data = deterministic_dict()
    s = Scenario.model_validate(data)
    assert [x.model_dump() for x in s.timetable] == [
        {**x, "max_size": None} for x in data["timetable"]
    ]
    assert "program" not in s.model_dump()


def test_dump_carries_the_generated_timetable_and_reloads_identically():
    s = Scenario.model_validate(template({"phases": {
        "first": [{"days": ["mon", "wed", "fri"], "start": "09:00"}],
        "second": [{"days": ["tue"], "start": "09:00"}],
        "third": [{"days": ["thu"], "start": "09:00"}],
    }}))
    dumped = s.model_dump(mode="json")
    assert "program" not in dumped
    again = Scenario.model_validate(dumped)
    assert again.timetable == s.timetable and again.program is None


def test_no_timetable_and_no_program_is_a_problem():
    data = deterministic_dict()
    del data["timetable"]
    assert check_scenario(Scenario.model_validate(data)) == [
        ("timetable", "no sessions: write a timetable or a program template")
    ]


def test_shipped_template_example_generates_a_valid_deterministic_week():
    path = ROOT / "scenarios" / "template-example.yaml"
    first, second = load_scenario(path), load_scenario(path)
    assert first.program is not None
    assert first.timetable == second.timetable
    assert check_scenario(first) == []
    groups = {x.group for x in first.timetable}
    assert {"early-day-1", "early-evening-1", "early-evening-2", "aftercare-1", "intake-1"} <= groups


def test_loader_reports_the_template_line(tmp_path):
    text = (ROOT / "scenarios" / "template-example.yaml").read_text()
    bad = text.replace('start: "18:00", groups: 2}', 'start: "18:00", groups: 3}')
    assert bad != text
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    line = next(i for i, ln in enumerate(bad.splitlines(), 1) if "groups: 3}" in ln)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    [problem] = err.value.problems
    assert (problem.line, problem.path) == (line, "program.phases.early.1.groups")
    assert "early-evening-3" in problem.message


def test_hand_written_timetable_over_room_hours_is_a_validate_error(tmp_path):
    text = (ROOT / "scenarios" / "urban-evening-track.yaml").read_text()  # its timetable is written by hand
    bad = text.replace("{name: Room B, seats: 14, available_hours_per_week: 40}",
                       "{name: Room B, seats: 14, available_hours_per_week: 5}")
    assert bad != text
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    line = next(i for i, ln in enumerate(bad.splitlines(), 1) if "available_hours_per_week: 5}" in ln)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert [(p.line, p.path, p.message) for p in err.value.problems] == [
        (line, "rooms.1.available_hours_per_week",
         "room 'Room B' is booked 18 h/week by the timetable but available 5 h/week"),
    ]


# --------------------------------------------------------------------------- invariants, any template

_day_sets = st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True)
_clock = st.sampled_from(["08:00", "09:00", "09:30", "13:00", "18:00"])


@st.composite
def _blocks(draw, n_days: int | None):
    days = draw(st.lists(st.sampled_from(DAYS), min_size=n_days, max_size=n_days, unique=True)) if n_days \
        else draw(_day_sets)
    block = {"days": days, "start": draw(_clock), "groups": draw(st.integers(1, 3))}
    if draw(st.booleans()):
        block["latest_start"] = "20:00"
    return block


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.lists(_blocks(3), min_size=1, max_size=2),
    second=st.lists(_blocks(1), min_size=1, max_size=2),
    third=st.lists(_blocks(1), min_size=1, max_size=2),
    hours=st.lists(st.sampled_from([6, 12, 20, 40]), min_size=2, max_size=2),
)
def test_any_template_either_fits_exactly_or_says_why(first, second, third, hours):
    rooms = [{"name": n, "seats": 12, "available_hours_per_week": h} for n, h in zip("RS", hours, strict=True)]
    program = {"phases": {"first": first, "second": second, "third": third}}
    s = Scenario.model_validate(template(copy.deepcopy(program), rooms=rooms))
    problems = check_scenario(s)
    if s.program_problems:
        assert problems and all(p[0].startswith("program.phases.") for p in problems)
        return
    assert problems == []
    # every group of every block exists, with exactly its phase's weekly dose
    per_group = Counter(x.group for x in s.timetable)
    expected = {"first": 3, "second": 1, "third": 1}
    for phase, blocks in program["phases"].items():
        n_groups = sum(b["groups"] for b in blocks)
        groups = {g for g in per_group if g.startswith(f"{phase}-")}
        assert len(groups) == n_groups
        assert all(per_group[g] == expected[phase] for g in groups)
    assert all(x.hours == 3 for x in s.timetable)
    # no two sessions share a room at the same time; no room over its hours
    for room, spans in week_spans(s).items():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), room
        limit = next(r["available_hours_per_week"] for r in rooms if r["name"] == room)
        assert sum(e - b for b, e in spans) <= limit


# --------------------------------------------------------------------------- joins


def test_a_phase_joins_another_phases_groups_on_its_days():
    s = Scenario.model_validate(template({
        "phases": {
            "first": [{"days": ["mon", "wed", "fri"], "start": "09:00"}],
            "second": [{"track": "am", "days": ["tue"], "start": "09:00"},
                       {"track": "pm", "days": ["tue"], "start": "18:00"}],
        },
        "joins": [{"phase": "third", "joins": "second", "track": "pm", "days": ["tue"]}],
    }))
    assert [(x.group, x.day, x.start, tuple(x.serves)) for x in s.timetable if x.group.startswith("second")] == [
        ("second-am-1", "tue", "09:00", ("second",)),
        ("second-pm-1", "tue", "18:00", ("second", "third")),
    ]
    assert check_scenario(s) == []


@pytest.mark.parametrize(("join", "path", "message"), [
    ({"phase": "third", "joins": "second", "days": ["wed"]}, "program.joins.0.days",
     "group second-1 does not meet on wed"),
    ({"phase": "third", "joins": "second", "days": ["tue", "wed"]}, "program.joins.0.days",
     "2 day(s) listed but phases.2.group_sessions_per_week is 1"),
    ({"phase": "third", "joins": "fourth", "days": ["tue"]}, "program.joins.0.joins", "'fourth' is not a phase"),
    ({"phase": "third", "joins": "third", "days": ["tue"]}, "program.joins.0.joins", "cannot join its own"),
    ({"phase": "third", "joins": "second", "track": "pm", "days": ["tue"]}, "program.joins.0.joins",
     "no groups of track 'pm' of phase 'second'"),
])
def test_join_problems(join, path, message):
    s = Scenario.model_validate(template({
        "phases": {"first": [{"days": ["mon", "wed", "fri"], "start": "09:00"}],
                   "second": [{"days": ["tue"], "start": "09:00"}]},
        "joins": [join],
    }))
    found = [p for p in check_scenario(s) if p[0] == path]
    assert found and message in found[0][1], check_scenario(s)


def test_join_needs_equal_session_hours():
    data = template({
        "phases": {"first": [{"days": ["mon", "wed", "fri"], "start": "09:00"}],
                   "second": [{"days": ["tue"], "start": "09:00"}]},
        "joins": [{"phase": "third", "joins": "second", "days": ["tue"]}],
    })
    data["phases"][2]["session_hours"] = 2
    assert check_scenario(Scenario.model_validate(data)) == [
        ("program.joins.0.joins", "phases.2.session_hours is 2 but phase 'second' meets 3 h (phases.1.session_hours)")
    ]


def test_validating_an_expanded_scenario_again_changes_nothing():
    s = load_scenario(ROOT / "scenarios" / "template-example.yaml")
    again = Scenario.model_validate(s)
    assert again.timetable == s.timetable and again.program_problems == ()
