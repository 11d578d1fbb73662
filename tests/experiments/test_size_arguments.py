"""Issue 9, items 8 and 14: `iopsim size` refuses impossible --rooms/--counselors and --target up front."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.experiments.targets import parse_target

# A hand-written timetable: --rooms/--counselors belong to its rooms x counselors search (a template is sized over levers).
HAND_WRITTEN = Path(__file__).resolve().parents[2] / "scenarios" / "urban-evening-track.yaml"


def size(*args: str):
    return CliRunner().invoke(main, ["size", str(HAND_WRITTEN), *args])


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--rooms", "1..100000000", "100000000 counts; at most 1000 per search"),
        ("--counselors", "1..5000", "5000 counts; at most 1000 per search"),
        ("--rooms", "20000", "counts go up to 10000"),
    ],
)
def test_huge_count_ranges_are_refused_before_they_are_built(option, value, message):
    start = time.perf_counter()
    result = size("--target", "admitted_within_14_days_pct>=90", option, value)
    assert result.exit_code == 2
    assert message in result.output
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("text", ["admitted_within_14_days_pct>=200", "group_fill_pct<=-5", "counselor_utilization_pct>=100.5"])
def test_percentage_targets_outside_0_100_are_refused(text):
    result = size("--target", text)
    assert result.exit_code == 2
    assert "is a percentage: the threshold must be within 0..100" in result.output


def test_percentage_targets_at_the_ends_are_accepted():
    assert parse_target("admitted_within_14_days_pct>=100").threshold == 100
    assert parse_target("sessions_cancelled_pct<=0").threshold == 0


def test_non_finite_targets_are_refused():
    with pytest.raises(ValueError, match="not a finite number"):
        parse_target("wait_to_admission_days_mean<=1e999")


def test_a_huge_exhaustive_search_is_refused_without_yes():
    start = time.perf_counter()
    result = size("--target", "admitted_within_14_days_pct>=90", "--rooms", "1..1000", "--counselors", "1..1000",
                  "--exhaustive")
    assert result.exit_code == 2
    assert "at least 1000000 candidates x 5 replications" in result.output and "Add --yes" in result.output
    assert time.perf_counter() - start < 10
