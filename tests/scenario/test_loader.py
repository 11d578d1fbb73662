"""The loader must turn every mistake a planner can make into `file:line: path: message`."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

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
from tests.scenario_texts import VALID, edited, line_of, write


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
    assert lines[("referrals",)] == line_of(VALID, "referrals:")


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


class Bad(NamedTuple):
    """VALID with `old` replaced by `new` has one problem, at `path` on the line holding `line_at`
    (None: line not checked), whose message equals `message` (a str) or holds each fragment (a tuple)."""

    old: str
    new: str
    path: str
    line_at: str | None
    message: str | tuple[str, ...]


_TRIANGULAR = "{kind: triangular, low: 4, mode: 6, high: 8}"
_MAINTENANCE = "  - name: maintenance\n    duration_weeks: 4\n    group_sessions_per_week: 1\n    session_hours: 1\n"

BAD = {
    # field problems
    "unknown_key_suggests_close_name_at_its_line": Bad(
        "rate_per_week: 6", "rate_per_weak: 6", "referrals.rate_per_weak", "rate_per_weak",
        "unknown field (typo?) did you mean 'rate_per_week'?",
    ),
    "unknown_key_inside_distribution_suggests_its_fields": Bad(
        "low: 4, mode: 6", "low: 4, mode: 6, hihg: 9", "phases.0.duration_weeks.hihg", None,
        ("did you mean 'high'?",),
    ),
    "wrong_type": Bad(
        "count: 3", "count: three", "counselors.count", "count: three", ("expected a whole number", "'three'"),
    ),
    "out_of_range": Bad(
        "{name: green, seats: 12}", "{name: green, seats: 0}", "rooms.1.seats", "seats: 0",
        ("must be at least 1 (got 0)",),
    ),
    "literal_error_lists_the_choices": Bad(
        "day: tue", "day: tuesday", "timetable.2.day", None, ("must be one of 'mon', 'tue'", "(got 'tuesday')"),
    ),
    "missing_required_field": Bad("counselors:\n  count: 3\n", "", "counselors", None, "required field is missing"),
    "missing_field_in_list_item_points_at_item": Bad(
        "    group_sessions_per_week: 1\n", "", "phases.1.group_sessions_per_week", "name: late", (),
    ),
    "distribution_rule_error_has_clean_path": Bad(
        _TRIANGULAR, "{kind: triangular, low: 5, mode: 2, high: 9}", "phases.0.duration_weeks", "low: 5",
        "need low <= mode <= high",
    ),
    "distribution_field_error_drops_union_tag": Bad(
        _TRIANGULAR, "{kind: triangular, low: 4, mode: x, high: 8}", "phases.0.duration_weeks.mode", None, (),
    ),
    "negative_number_for_distribution_names_the_field": Bad(
        "duration_weeks: 8", "duration_weeks: -8", "phases.1.duration_weeks", "duration_weeks: -8",
        ("must be at least 0 (got -8)",),
    ),
    "unknown_distribution_kind": Bad(
        "kind: triangular", "kind: weibull", "phases.0.duration_weeks", None,
        ("unknown kind 'weibull'", "'triangular'"),
    ),
    "distribution_without_kind": Bad(
        "kind: triangular, ", "", "phases.0.duration_weeks", None, ("'kind' is missing", "'fixed'"),
    ),
    # cross-field checks
    "severity_mix_not_summing_to_one": Bad(
        "mild: 0.2", "mild: 0.3", "eligibility.severity_mix", "severity_mix", ("sum to 1",),
    ),
    "session_in_unknown_room": Bad(
        "room: green, serves: [aftercare]", "room: purple, serves: [aftercare]", "timetable.3.room", "purple",
        ("'purple'",),
    ),
    "phase_without_session": Bad(
        "timetable:\n", _MAINTENANCE + "timetable:\n", "phases.2.name", "maintenance", ("no session",),
    ),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_one_problem_located_and_worded(tmp_path, case):
    text = edited(case.old, case.new)
    p = only_problem(write(tmp_path, text))
    assert p.path == case.path
    if case.line_at is not None:
        assert p.line == line_of(text, case.line_at)
    if isinstance(case.message, str):
        assert p.message == case.message
    for fragment in case.message if isinstance(case.message, tuple) else ():
        assert fragment in p.message


def test_multiple_problems_reported_together_in_line_order(tmp_path):
    text = edited("count: 3", "count: -1").replace("rate_per_week: 6", "rate_per_week: lots")
    problems = problems_of(write(tmp_path, text))
    assert [p.path for p in problems] == ["referrals.rate_per_week", "counselors.count"]
    assert [p.line for p in problems] == [line_of(text, "lots"), line_of(text, "count: -1")]


# --------------------------------------------------------------------------- cross-field checks


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
