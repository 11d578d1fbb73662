"""Messages in a planner's words where pydantic would speak of regular expressions and Python types:
each bad value, through the real loader, gives `FILE:LINE: dotted.path: message` a planner can act on."""

from __future__ import annotations

import pytest

from iopsim.scenario.loader import ScenarioError, load_scenario
from tests.scenario_texts import VALID, edited, line_of, write

FINANCE = "finance:\n  currency: {currency}\n  counselor: {{salary_per_year: 50000}}\n"
SHIFT = "counselors:\n  count: 3\n  shifts:\n    - {{name: day, count: 3, start: \"09:00\", end: {end}}}\n"


def problems(tmp_path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    return [str(p) for p in err.value.problems]


@pytest.mark.parametrize("old, new, path, message", [
    ('start: "09:00"', "start: 9am", "timetable.0.start", "must be HH:MM (24-hour), got '9am' (write '09:00')"),
    ('start: "09:00"', "start: 6.30pm", "timetable.0.start", "must be HH:MM (24-hour), got '6.30pm' (write '18:30')"),
    ('start: "09:00"', 'start: "9:00"', "timetable.0.start", "must be HH:MM (24-hour), got '9:00' (write '09:00')"),
    ('start: "09:00"', 'start: "25:00"', "timetable.0.start", "must be HH:MM (24-hour), got '25:00'"),
    ('start: "09:00"', "start: 9", "timetable.0.start", "expected text, got the number 9 (put it in quotes)"),
    ("rate_per_week: 6", "rate_per_week: -6", "referrals.rate_per_week", "must be at least 0 (got -6)"),
    ("horizon_years: 1", "horizon_years: 0", "run.horizon_years", "must be more than 0 (got 0)"),
    ("{mild: 0.2,", "{mild: 1.2,", "eligibility.severity_mix.mild", "must be at most 1 (got 1.2)"),
    ("day: tue", "day: tuesday", "timetable.2.day",
     "must be one of 'mon', 'tue', 'wed', 'thu', 'fri', 'sat' or 'sun' (got 'tuesday')"),
    ("name: test clinic", 'name: ""', "name", "must not be empty"),
])
def test_a_bad_value_is_named_in_words(tmp_path, old, new, path, message):
    text = edited(old, new)
    found = problems(tmp_path, text)
    assert any(p.endswith(f":{line_of(text, new)}: {path}: {message}") for p in found), found
    assert not any("pattern" in p or "Input should" in p or "String should" in p for p in found), found


def test_a_shift_end_may_be_midnight_and_says_so(tmp_path):
    text = VALID.replace("counselors:\n  count: 3\n", SHIFT.format(end='"25:00"'))
    (found,) = problems(tmp_path, text)
    assert found.endswith("counselors.shifts.0.end: must be HH:MM (24-hour; 24:00 for midnight), got '25:00'")


def test_a_currency_is_a_code_in_capitals(tmp_path):
    (found,) = problems(tmp_path, VALID + FINANCE.format(currency="usd"))
    assert found.endswith("finance.currency: must be a three-letter currency code in capitals (ISO 4217, e.g. USD, "
                          "EUR, GBP), got 'usd'")
