"""`iopsim timetable`: what a planner sees and what lands on disk."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from iopsim.cli import main
from iopsim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scenarios" / "template-example.yaml"
RURAL = ROOT / "scenarios" / "small-rural.yaml"
URBAN = ROOT / "scenarios" / "urban-evening-track.yaml"


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_prints_generated_week_and_room_use():
    result = invoke("timetable", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "generated from the program template" in result.output
    assert "early-evening-2" in result.output and "aftercare-1" in result.output
    room_a = next(line for line in result.output.splitlines() if line.startswith("Room A "))
    assert room_a.split() == ["Room", "A", "14", "34.5", "40", "86%"]


def test_csv_export_has_every_session_of_the_loaded_scenario(tmp_path):
    path = tmp_path / "week.csv"
    result = invoke("timetable", RURAL, "--csv", path)
    assert result.exit_code == 0, result.output
    with path.open() as f:
        rows = list(csv.DictReader(f))
    scenario = load_scenario(RURAL)
    assert len(rows) == len(scenario.timetable)
    assert {(r["group"], r["day"].lower(), r["start"], r["room"]) for r in rows} == {
        (x.group, x.day, x.start, x.room) for x in scenario.timetable
    }
    assert rows[0] == {"day": "Mon", "start": "18:00", "end": "21:00", "hours": "3", "room": "Group Room",
                       "group": "early-evening-1", "track": "evening", "serves": "early", "max_size": ""}


def test_out_writes_csv_and_chart(tmp_path):
    out = tmp_path / "tt"
    result = invoke("timetable", EXAMPLE, "--out", out, "--format", "png,svg")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["timetable.csv", "timetable.png", "timetable.svg"]
    assert (out / "timetable.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "early-day-1" in (out / "timetable.csv").read_text()


def test_template_that_does_not_fit_exits_2_with_file_line_and_writes_nothing(tmp_path):
    out = tmp_path / "tt"
    result = invoke("timetable", EXAMPLE, "--set", "rooms.0.available_hours_per_week=5", "--out", out)
    assert result.exit_code == 2
    assert "program.phases.early.1.groups: group 2 of 2 (early-evening-2) does not fit" in result.output
    assert not out.exists()


def test_validate_rejects_room_booked_past_its_hours():
    result = invoke("validate", URBAN, "--set", "rooms.4.available_hours_per_week=9")  # written by hand
    assert result.exit_code == 2
    assert ("rooms.4.available_hours_per_week: room 'Office 1' is booked 30 h/week by the timetable but "
            "available 9 h/week") in result.output
    result = invoke("validate", RURAL, "--set", "rooms.1.available_hours_per_week=9")  # generated
    assert result.exit_code == 2
    assert ("program.intake.1.groups: group 1 of 1 (intake-2) does not fit: no room is free at start 13:00 "
            "(Office: 3 of 9 available h/week left, 4 needed)") in result.output


def test_the_track_of_each_session_is_in_the_table_the_csv_and_the_chart(tmp_path):
    from iopsim.reports.timetable import TRACK_HATCHES, timetable_chart

    scenario = load_scenario(EXAMPLE)  # tracks day and evening
    result = invoke("timetable", EXAMPLE, "--csv", tmp_path / "week.csv")
    header = next(line for line in result.output.splitlines() if "Group" in line)
    assert header.split()[:7] == ["Day", "Start", "End", "Room", "Group", "Track", "Serves"]
    evening = next(line for line in result.output.splitlines() if "early-evening-2" in line)
    assert evening.split()[6] == "evening"  # Mon 18:00 21:00 Room B early-evening-2 evening early
    with (tmp_path / "week.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {(r["group"], r["track"]) for r in rows} == {(x.group, x.track or "") for x in scenario.timetable}
    fig = timetable_chart(scenario, "footer")
    bars = [p for p in fig.axes[0].patches if p.get_height() > 0]
    assert len(bars) == len(scenario.timetable)
    hatches = {(x.track, len(x.serves) > 1): p.get_hatch() for x, p in zip(scenario.timetable, bars, strict=True)}
    assert hatches[("day", False)] is None and hatches[("evening", False)] == TRACK_HATCHES[1]
    assert hatches[("evening", True)] == TRACK_HATCHES[1] + "//"  # evening and serving two phases
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "track: day (plain)" in labels and "track: evening" in labels


def test_no_track_column_when_no_session_has_a_track(tmp_path):
    from tests.scenario_texts import VALID, write

    output = invoke("timetable", write(tmp_path, VALID)).output
    header = next(line for line in output.splitlines() if "Group" in line)
    assert "Track" not in header and "Serves" in header
