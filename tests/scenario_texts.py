"""One small valid scenario file and the helpers to break it, shared by the loader's and the CLI's tests.

Tests find lines with `line_of` in their own (edited) text, never by number, so editing VALID moves
no expectation.
"""

from __future__ import annotations

from pathlib import Path

# A compact scenario that validates and runs in well under a second.
VALID = """\
name: test clinic
run:
  horizon_years: 1
  warmup_weeks: 4
  replications: 2
  seed: 11
referrals:
  rate_per_week: 6
eligibility:
  severity_mix: {mild: 0.2, moderate: 0.4, severe: 0.4}
relapse:
  policy: {repeat_phase: 0.5, step_back: 0.3, discharge: 0.2}
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


def edited(old: str, new: str) -> str:
    """VALID with the first `old` replaced by `new` (which must be there, or the test is stale)."""
    assert old in VALID, old
    return VALID.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle` (worked out independently of the loader)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
