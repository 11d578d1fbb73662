"""The loader must turn every mistake a planner can make into `file:line: path: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from iopsim.scenario.distributions import Fixed, Triangular
from iopsim.scenario.loader import (
    Problem,
    ScenarioError,
    apply_overrides,
    load_model,
    load_scenario,
    load_yaml,
    scenario_json_schema,
    validate_data,
)
from iopsim.scenario.schema import Referrals, Scenario

VALID = """\
name: test clinic
referrals:
  rate_per_week: 6
eligibility:
  severity_mix: {mild: 0.2, moderate: 0.4, severe: 0.4}
phases:
  - name: early
    duration_weeks: {kind: triangular, low: 4, mode: 6, high: 8}
    group_sessions_per_week: 2
    session_hours: 3
  - name: late
    duration_weeks: 8
    group_sessions_per_week: 1
    session_hours: 2
timetable:
  - {group: A, day: mon, start: "09:00", hours: 3, room: blue, serves: [early]}
  - {group: A, day: wed, start: "09:00", hours: 3, room: blue, serves: [early]}
  - {group: B, day: tue, start: "18:00", hours: 2, room: blue, serves: [late]}
  - {group: AC, day: thu, start: "18:00", hours: 1.5, room: green, serves: [aftercare]}
  - {group: clinic, day: fri, start: "09:00", hours: 4, room: green, serves: [intake]}
rooms:
  - {name: blue, seats: 12}
  - {name: green, seats: 12}
counselors:
  count: 3
"""


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle` (independent of the loader)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def problems_of(path: Path, overrides: tuple[str, ...] = ()) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return info.value.problems


def only_problem(path: Path, overrides: tuple[str, ...] = ()) -> Problem:
    problems = problems_of(path, overrides)
    assert len(problems) == 1, problems
    return problems[0]


# --------------------------------------------------------------------------- valid input


def test_valid_scenario_loads(tmp_path):
    s = load_scenario(write(tmp_path, VALID))
    assert isinstance(s, Scenario)
    assert s.phase_names() == ["early", "late"]
    assert s.phases[0].duration_weeks == Triangular(low=4, mode=6, high=8)
    assert s.phases[1].duration_weeks == Fixed(value=8)
    assert [x.room for x in s.timetable] == ["blue", "blue", "blue", "green", "green"]
    assert s.referrals.rate_per_week == 6


def test_lines_recorded_for_keys_and_items(tmp_path):
    data, lines = load_yaml(write(tmp_path, VALID))
    assert data["counselors"] == {"count": 3}
    assert lines[("phases", 1, "session_hours")] == line_of(VALID, "session_hours: 2")
    assert lines[("timetable", 3)] == line_of(VALID, "group: AC")
    assert lines[("referrals",)] == 2


def test_anchors_and_merge_keys_work_and_are_not_duplicates(tmp_path):
    text = "a: &base {x: 1, y: 2}\nb:\n  <<: *base\n  y: 3\nc: *base\n"
    data, lines = load_yaml(write(tmp_path, text))
    assert data == {"a": {"x": 1, "y": 2}, "b": {"x": 1, "y": 3}, "c": {"x": 1, "y": 2}}
    assert lines[("b", "y")] == 4
    assert lines[("b", "x")] == 1  # merged from the anchor's line


def test_clock_times_stay_text_instead_of_base_60_numbers(tmp_path):
    text = VALID.replace('start: "18:00"', "start: 18:00")
    assert load_scenario(write(tmp_path, text)).timetable[2].start == "18:00"


def test_json_schema_describes_scenario():
    schema = scenario_json_schema()
    assert {"phases", "rooms", "counselors"} <= set(schema["required"])
    assert {"timetable", "program"} <= set(schema["properties"])  # one of the two (checks.py)


# --------------------------------------------------------------------------- field problems


def test_unknown_key_suggests_close_name_at_its_line(tmp_path):
    text = edited("rate_per_week: 6", "rate_per_weak: 6")
    p = only_problem(write(tmp_path, text))
    assert p.path == "referrals.rate_per_weak"
    assert p.line == line_of(text, "rate_per_weak")
    assert p.message == "unknown field (typo?) did you mean 'rate_per_week'?"


def test_unknown_key_inside_distribution_suggests_its_fields(tmp_path):
    text = edited("low: 4, mode: 6", "low: 4, mode: 6, hihg: 9")
    p = only_problem(write(tmp_path, text))
    assert p.path == "phases.0.duration_weeks.hihg"
    assert "did you mean 'high'?" in p.message


def test_wrong_type(tmp_path):
    text = edited("count: 3", "count: three")
    p = only_problem(write(tmp_path, text))
    assert (p.path, p.line) == ("counselors.count", line_of(text, "count: three"))
    assert "expected a whole number" in p.message and "'three'" in p.message


def test_out_of_range(tmp_path):
    text = edited("{name: green, seats: 12}", "{name: green, seats: 0}")
    p = only_problem(write(tmp_path, text))
    assert (p.path, p.line) == ("rooms.1.seats", line_of(text, "seats: 0"))
    assert "greater than or equal to 1" in p.message


def test_literal_error_lists_the_choices(tmp_path):
    text = edited("day: tue", "day: tuesday")
    p = only_problem(write(tmp_path, text))
    assert p.path == "timetable.2.day"
    assert "Input should be 'mon', 'tue'" in p.message


def test_missing_required_field(tmp_path):
    text = edited("counselors:\n  count: 3\n", "")
    p = only_problem(write(tmp_path, text))
    assert (p.path, p.message) == ("counselors", "required field is missing")


def test_missing_field_in_list_item_points_at_item(tmp_path):
    text = edited("    group_sessions_per_week: 1\n", "")
    p = only_problem(write(tmp_path, text))
    assert (p.path, p.line) == ("phases.1.group_sessions_per_week", line_of(text, "name: late"))


def test_distribution_rule_error_has_clean_path(tmp_path):
    text = edited(
        "{kind: triangular, low: 4, mode: 6, high: 8}", "{kind: triangular, low: 5, mode: 2, high: 9}"
    )
    p = only_problem(write(tmp_path, text))
    assert (p.path, p.line) == ("phases.0.duration_weeks", line_of(text, "low: 5"))
    assert p.message == "need low <= mode <= high"


def test_distribution_field_error_drops_union_tag(tmp_path):
    text = edited(
        "{kind: triangular, low: 4, mode: 6, high: 8}", "{kind: triangular, low: 4, mode: x, high: 8}"
    )
    p = only_problem(write(tmp_path, text))
    assert p.path == "phases.0.duration_weeks.mode"


def test_negative_number_for_distribution_names_the_field(tmp_path):
    text = edited("duration_weeks: 8", "duration_weeks: -8")
    p = only_problem(write(tmp_path, text))
    assert (p.path, p.line) == ("phases.1.duration_weeks", line_of(text, "duration_weeks: -8"))
    assert "greater than or equal to 0" in p.message


def test_unknown_distribution_kind(tmp_path):
    text = edited("kind: triangular", "kind: weibull")
    p = only_problem(write(tmp_path, text))
    assert p.path == "phases.0.duration_weeks"
    assert "unknown kind 'weibull'" in p.message and "'triangular'" in p.message


def test_distribution_without_kind(tmp_path):
    text = edited("kind: triangular, ", "")
    p = only_problem(write(tmp_path, text))
    assert p.path == "phases.0.duration_weeks"
    assert "'kind' is missing" in p.message and "'fixed'" in p.message


def test_multiple_problems_reported_together_in_line_order(tmp_path):
    text = edited("count: 3", "count: -1").replace("rate_per_week: 6", "rate_per_week: lots")
    problems = problems_of(write(tmp_path, text))
    assert [p.path for p in problems] == ["referrals.rate_per_week", "counselors.count"]
    assert [p.line for p in problems] == [line_of(text, "lots"), line_of(text, "count: -1")]


# --------------------------------------------------------------------------- cross-field checks


def test_severity_mix_not_summing_to_one(tmp_path):
    text = edited("mild: 0.2", "mild: 0.3")
    p = only_problem(write(tmp_path, text))
    assert (p.path, p.line) == ("eligibility.severity_mix", line_of(text, "severity_mix"))
    assert "sum to 1" in p.message


def test_session_in_unknown_room(tmp_path):
    text = edited("room: green, serves: [aftercare]", "room: purple, serves: [aftercare]")
    p = only_problem(write(tmp_path, text))
    assert (p.path, p.line) == ("timetable.3.room", line_of(text, "purple"))
    assert "'purple'" in p.message


def test_phase_without_session(tmp_path):
    extra = (
        "  - name: maintenance\n    duration_weeks: 4\n    group_sessions_per_week: 1\n    session_hours: 1\n"
    )
    text = edited("timetable:\n", extra + "timetable:\n")
    p = only_problem(write(tmp_path, text))
    assert (p.path, p.line) == ("phases.2.name", line_of(text, "maintenance"))
    assert "no session" in p.message


def test_checks_are_optional_and_custom(tmp_path):
    data, lines = load_yaml(write(tmp_path, VALID))
    assert validate_data(data, Scenario, "f.yaml", lines).name == "test clinic"
    with pytest.raises(ScenarioError) as info:
        validate_data(data, Scenario, "f.yaml", lines, checks=lambda s: [("rooms.1.seats", "too many")])
    assert info.value.problems == [
        Problem("f.yaml", line_of(VALID, "green, seats"), "rooms.1.seats", "too many")
    ]


# --------------------------------------------------------------------------- file problems


def test_yaml_syntax_error_reports_its_line(tmp_path):
    text = edited("  rate_per_week: 6", "  rate_per_week: 6: 7")
    p = only_problem(write(tmp_path, text))
    assert p.line == line_of(text, "6: 7") and p.path == ""
    assert p.message.startswith("invalid YAML:")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\n---\nb: 2\n", 2),  # two documents
        ("? [a, b]\n: 1\n", 1),  # a list used as a key
        ("a: !!python/object:os.system x\n", 1),  # unsafe tag
        ("a:\n\tb: 1\n", 2),  # tab indentation
    ],
)
def test_yaml_that_safe_load_rejects(tmp_path, text, line):
    p = only_problem(write(tmp_path, text))
    assert p.line == line and p.message.startswith("invalid YAML:")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n# and another\n"])
def test_empty_file(tmp_path, text):
    p = only_problem(write(tmp_path, text))
    assert p.message == "file is empty"


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    p = only_problem(missing)
    assert (p.file, p.line, p.message) == (str(missing), None, "file not found")


def test_directory_instead_of_file(tmp_path):
    assert "directory" in only_problem(tmp_path).message


def test_top_level_must_be_mapping(tmp_path):
    p = only_problem(write(tmp_path, "- a\n- b\n"))
    assert "mapping" in p.message and p.line == 1


def test_duplicate_key_reports_second_occurrence(tmp_path):
    text = edited("    session_hours: 2\n", "    session_hours: 2\n    session_hours: 5\n")
    p = only_problem(write(tmp_path, text))
    assert (p.path, p.line) == ("phases.1", line_of(text, "session_hours: 5"))
    assert p.message == "duplicate key 'session_hours'"


# --------------------------------------------------------------------------- overrides


DATA = {"a": {"b": 1}, "items": [{"x": 1}, {"x": 2}], "n": 5}


@pytest.mark.parametrize(
    ("override", "path", "expected"),
    [
        ("n=3", ("n",), 3),
        ("n=0.5", ("n",), 0.5),
        ("a.b=true", ("a", "b"), True),
        ("a.b=[1, 2]", ("a", "b"), [1, 2]),
        ("a.b={kind: fixed, value: 4}", ("a", "b"), {"kind": "fixed", "value": 4}),
        ("a.new.deeper=x", ("a", "new", "deeper"), "x"),
        ("items.1.x=9", ("items", 1, "x"), 9),
        (" a.b = 10:30 ", ("a", "b"), "10:30"),
    ],
)
def test_apply_overrides(override, path, expected):
    result = apply_overrides(DATA, [override])
    node = result
    for part in path:
        node = node[part]
    assert node == expected
    assert DATA == {"a": {"b": 1}, "items": [{"x": 1}, {"x": 2}], "n": 5}  # input untouched


@pytest.mark.parametrize(
    ("override", "path", "words"),
    [
        ("items.2.x=1", "items.2.x", "past the end"),
        ("items.first.x=1", "items.first.x", "by number"),
        ("n.deeper=1", "n.deeper", "no fields"),
        ("a.b", "a.b", "PATH=VALUE"),
        ("=3", "", "malformed"),
        ("a..b=3", "a..b", "malformed"),
        ("a.b=[1,", "a.b", "not valid YAML"),
    ],
)
def test_bad_overrides(override, path, words):
    with pytest.raises(ScenarioError) as info:
        apply_overrides(DATA, [override])
    [p] = info.value.problems
    assert (p.file, p.line, p.path) == ("--set", None, path)
    assert words in p.message


def test_all_bad_overrides_reported_together():
    with pytest.raises(ScenarioError) as info:
        apply_overrides(DATA, ["nope", "items.7=1"])
    assert len(info.value.problems) == 2


def test_overrides_applied_when_loading(tmp_path):
    s = load_scenario(
        write(tmp_path, VALID),
        [
            "referrals.rate_per_week=12.5",
            "phases.0.duration_weeks=4",
            "intake.patience_days={kind: fixed, value: 10}",
        ],
    )
    assert s.referrals.rate_per_week == 12.5
    assert s.phases[0].duration_weeks == Fixed(value=4)
    assert s.intake.patience_days == Fixed(value=10)


def test_override_validation_error_blames_set(tmp_path):
    problems = problems_of(
        write(tmp_path, VALID), ("referrals.rate_per_week=-1", "intake.patience_days.kind=weibull")
    )
    assert {(p.file, p.line) for p in problems} == {("--set", None)}
    assert {p.path for p in problems} == {"referrals.rate_per_week", "intake.patience_days"}


def test_override_typo_blames_set_with_suggestion(tmp_path):
    p = only_problem(write(tmp_path, VALID), ("referrals.rate_per_weak=3",))
    assert (p.file, p.path) == ("--set", "referrals.rate_per_weak")
    assert "did you mean 'rate_per_week'?" in p.message


def test_check_problem_caused_by_override_mentions_it(tmp_path):
    text = VALID
    p = only_problem(write(tmp_path, text), ("eligibility.severity_mix.mild=0.5",))
    assert (p.path, p.line) == ("eligibility.severity_mix", line_of(text, "severity_mix"))
    assert p.message.endswith("(after --set eligibility.severity_mix.mild)")


def test_load_model_is_generic(tmp_path):
    path = write(tmp_path, "rate_per_week: 3\ngrowth_per_year_pct: -150\n", "referrals.yaml")
    with pytest.raises(ScenarioError) as info:
        load_model(path, Referrals)
    assert [(p.path, p.line) for p in info.value.problems] == [("growth_per_year_pct", 2)]
    assert load_model(path, Referrals, ["growth_per_year_pct=5"]).growth_per_year_pct == 5


# --------------------------------------------------------------------------- formatting


def test_problem_str_format():
    assert (
        str(Problem("file.yaml", 12, "referrals.rate_per_week", "bad"))
        == "file.yaml:12: referrals.rate_per_week: bad"
    )
    assert str(Problem("--set", None, "run.seed", "bad")) == "--set: run.seed: bad"
    assert str(Problem("file.yaml", None, "", "file not found")) == "file.yaml: file not found"


def test_scenario_error_str_is_one_problem_per_line():
    err = ScenarioError([Problem("f.yaml", 1, "a", "x"), Problem("f.yaml", 2, "b", "y")])
    assert str(err) == "f.yaml:1: a: x\nf.yaml:2: b: y"
