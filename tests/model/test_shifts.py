"""Counselor shifts: a session needs a counselor whose shift covers it; hours and utilisation per shift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.model.staff import CounselorTeam
from iopsim.runner import run_one
from iopsim.scenario.checks import check_scenario
from iopsim.scenario.schema import Counselors, Scenario
from tests.factories import build, deterministic_dict

DAY = {"name": "day", "count": 1, "start": "08:00", "end": "17:00"}
EVENING = {"name": "evening", "count": 1, "start": "12:00", "end": "21:00", "contracted_hours_per_week": 10}


def with_shifts() -> dict[str, Any]:
    """The deterministic clinic with a day counselor (40 h, 8 of them other duties: 32 clinical) and a
    part-time evening one (10 h; other duties scaled to 2: 8 clinical). No individual sessions, so
    the only counselor work is the three weekly groups (3 h + 15 min documentation per hour = 3.75 h):
    - first  Mon 09:00-12:00: only the day shift covers it            -> day
    - second Tue 18:00-21:00: only the evening shift covers it        -> evening
    - third  Wed 13:00-16:00: both do; the one with most hours left   -> day (28.25 h left vs 4.25 h)
    so every week after the warm-up: day 7.5 h, evening 3.75 h.
    """
    d = deterministic_dict()
    for phase in d["phases"]:
        phase["individual_sessions_per_week"] = 0
    d["timetable"][1]["start"] = "18:00"
    d["timetable"][2]["start"] = "13:00"
    d["counselors"] = {"shifts": [dict(DAY), dict(EVENING)], "other_duties_hours_per_week": 8, "max_caseload": 24}
    return d


def test_counselor_hours_per_shift_are_exactly_as_worked_out_by_hand():
    scenario = build(with_shifts())
    assert scenario.counselors.count == 2  # left out: the shifts' counselors added up
    out = run_one(scenario, 1, 0)
    weeks = np.asarray(out.series["week_end_days"]) > 52 * 7  # weeks after the warm-up
    day = np.asarray(out.series["counselor_hours_shift_day"])[weeks]
    evening = np.asarray(out.series["counselor_hours_shift_evening"])[weeks]
    assert np.all(day == 7.5) and np.all(evening == 3.75)
    assert np.all(np.asarray(out.series["counselor_overtime_hours_shift_evening"]) == 0)
    k = out.kpis
    assert k["shift_day_counselor_utilization_pct"] == pytest.approx(100 * 7.5 / 32)
    assert k["shift_evening_counselor_utilization_pct"] == pytest.approx(100 * 3.75 / 8)
    assert k["counselor_utilization_pct"] == pytest.approx(100 * 11.25 / 40)
    assert k["shift_day_counselor_overtime_hours_per_week"] == 0.0
    assert k["sessions_cancelled_pct"] == 0.0


def test_an_evening_intake_clinic_is_run_by_the_evening_shift():
    d = with_shifts()
    d["intake"] = {"mode": "timetable_slots", "appointment_hours": 1, "assessment_hours": 1, "no_show_prob": 0}
    d["timetable"].append({"group": "clinic", "day": "thu", "start": "18:00", "hours": 2, "room": "R",
                           "serves": ["intake"]})
    out = run_one(build(d), 1, 0)
    weeks = np.asarray(out.series["week_end_days"]) > 52 * 7
    # The one referral a week is assessed (1 h) on Thursday evening, by the only counselor on shift then.
    assert np.all(np.asarray(out.series["counselor_hours_intake"])[weeks] == 1.0)
    assert np.all(np.asarray(out.series["counselor_hours_shift_evening"])[weeks] == 4.75)
    assert np.all(np.asarray(out.series["counselor_hours_shift_day"])[weeks] == 7.5)


def test_overtime_is_counted_on_the_shift_that_worked_it():
    d = with_shifts()
    d["counselors"]["shifts"][1]["contracted_hours_per_week"] = 3  # 3 h, 0.6 other duties: 2.4 clinical
    d["counselors"]["allow_overtime"] = True
    out = run_one(build(d), 1, 0)
    k = out.kpis
    assert k["shift_evening_counselor_overtime_hours_per_week"] == pytest.approx(3.75 - 2.4)
    assert k["shift_day_counselor_overtime_hours_per_week"] == 0.0
    assert k["counselor_overtime_hours_per_week"] == pytest.approx(3.75 - 2.4)


def test_without_overtime_a_session_nobody_on_shift_can_take_does_not_run():
    d = with_shifts()
    d["counselors"]["shifts"][1]["contracted_hours_per_week"] = 3  # 2.4 clinical h: too few for 3.75
    out = run_one(build(d), 1, 0)
    # The Tuesday evening group never runs although the day counselor has hours left: 1 in 3 sessions lost.
    assert out.kpis["sessions_cancelled_pct"] == pytest.approx(100 / 3)
    weeks = np.asarray(out.series["week_end_days"]) > 52 * 7
    assert np.all(np.asarray(out.series["counselor_hours_shift_evening"])[weeks] == 0)


def test_covering_and_facilitator_keep_to_the_shift():
    team = CounselorTeam(Counselors.model_validate({"shifts": [DAY, EVENING]}))
    assert team.covering("mon", 9, 3) == (0,) and team.covering("mon", 18, 3) == (1,)
    assert team.covering("wed", 13, 3) == (0, 1) and team.covering("sat", 9, 3) == ()
    assert team.covering("mon", 16, 3) == (1,)  # 16:00-19:00 runs past the day shift's 17:00
    assert team.clinical == [32.0, 8.0]
    assert team.facilitator(0.0, 3.0, (1,)) == 1  # the day counselor has more hours, but is off shift
    assert team.facilitator(0.0, 3.0, ()) is None
    plain = CounselorTeam(Counselors.model_validate({"count": 2}))
    assert plain.covering("sat", 23, 1) is None and plain.facilitator(0.0, 3.0) == 0


YAML = """\
name: shifts
phases:
  - {name: early, duration_weeks: 4, group_sessions_per_week: 1, session_hours: 3}
timetable:
  - {group: A, day: mon, start: "09:00", hours: 3, room: blue, serves: [early]}
  - {group: B, day: tue, start: "18:00", hours: 3, room: blue, serves: [early]}
  - {group: AC, day: thu, start: "13:00", hours: 1.5, room: blue, serves: [aftercare]}
  - {group: clinic, day: fri, start: "09:00", hours: 4, room: blue, serves: [intake]}
rooms:
  - {name: blue, seats: 12}
counselors:
  shifts:
    - {name: day, count: 2, start: "08:00", end: "17:00"}
"""


def test_a_session_outside_every_shift_is_a_validate_error_with_its_line(tmp_path: Path):
    path = tmp_path / "shifts.yaml"
    path.write_text(YAML)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    line = next(i for i, text in enumerate(YAML.splitlines(), 1) if "group: B" in text)
    assert result.stderr.splitlines()[0] == (
        f"{path}:{line}: timetable.1.start: group 'B' on tue 18:00-21:00 is outside every counselor shift "
        "(day: mon,tue,wed,thu,fri 08:00-17:00)"
    )
    path.write_text(YAML.replace('end: "17:00"', 'end: "21:00"'))
    assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == 0


def test_shift_counts_must_add_up_to_the_team(tmp_path: Path):
    path = tmp_path / "shifts.yaml"
    path.write_text(YAML.replace('end: "17:00"', 'end: "21:00"').replace("  shifts:", "  count: 3\n  shifts:"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "counselors.count: 3 counselors but the shifts add up to 2" in result.stderr


def test_a_generated_session_outside_every_shift_names_its_group():
    d = with_shifts()
    d["timetable"] = d["timetable"][:2]
    d["program"] = {"phases": {"third": [{"days": ["sat"], "start": "10:00"}]}}
    problems = check_scenario(Scenario.model_validate(d))
    assert problems == [("counselors.shifts", "generated group 'third-1' on sat 10:00-13:00 is outside every shift "
                                              "(day: mon,tue,wed,thu,fri 08:00-17:00; evening: mon,tue,wed,thu,fri "
                                              "12:00-21:00)")]
