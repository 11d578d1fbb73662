"""Issue 9, items 4-7: every bad value a clear `FILE:LINE: path: message` and exit 2, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from iopsim.analysis.kpis import kpis
from iopsim.cli import main
from iopsim.model.clinic import simulate
from tests.factories import build, deterministic_dict
from tests.scenario_texts import VALID, write

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def validate(*overrides: str) -> Result:
    args = ["validate", str(BASELINE)]
    for text in overrides:
        args += ["--set", text]
    return CliRunner().invoke(main, args)


def refused(*overrides: str) -> str:
    """The single problem line of a refused override (exit 2, no traceback)."""
    result = validate(*overrides)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if "nothing was run" not in line]
    assert lines, result.output
    return "\n".join(lines)


NON_FINITE = [
    "aftercare.patience_weeks=.inf",
    "referrals.rate_per_week=.inf",
    "referrals.rate_per_week=.nan",
    "referrals.growth_per_year_pct=.inf",
    "referrals.monthly_multipliers=[.inf, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
    "phases.0.duration_weeks={kind: empirical, values: [.nan, 1]}",
    "phases.0.duration_weeks={kind: empirical, values: [1, 2], weights: [.nan, 1]}",
    "phases.0.self_help_meetings_per_week=.inf",
    "counselors.documentation_minutes_per_group_hour=-.inf",
    "relapse.drug_test_window_days=.inf",
    "run.warmup_weeks=.inf",
]


@pytest.mark.parametrize("override", NON_FINITE)
def test_non_finite_numbers_are_refused(override):
    path = override.split("=")[0]
    message = refused(override)
    assert message.startswith(f"--set: {path}")
    assert "finite number" in message


HUGE = [
    ("referrals.rate_per_week=1e308", "referrals.rate_per_week", "must be at most 100000"),
    ("referrals.growth_per_year_pct=1e6", "referrals.growth_per_year_pct", "must be at most 100"),
    ("phases.0.duration_weeks={kind: lognormal, mean: 4, sd: 1e200}", "phases.0.duration_weeks.sd", "1000000"),
    ("phases.0.duration_weeks={kind: gamma, mean: 1e300, sd: 1e-300}", "phases.0.duration_weeks.mean", "1000000"),
    ("phases.0.duration_weeks={kind: gamma, mean: 10, sd: 1e-300}", "phases.0.duration_weeks", "kind: fixed"),
    ("phases.0.duration_weeks={kind: lognormal, mean: 1e-6, sd: 1e6}", "phases.0.duration_weeks", "at most 1000 x mean"),
    ("counselors.count=100000000", "counselors.count", "10000"),
    ("referrals.monthly_multipliers=[1e9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]", "referrals.monthly_multipliers", "100"),
]


@pytest.mark.parametrize(("override", "path", "hint"), HUGE)
def test_absurdly_large_numbers_are_refused(override, path, hint):
    message = refused(override)
    assert message.startswith(f"--set: {path}:")
    assert hint in message


def test_compound_growth_is_bounded_at_its_peak():
    message = refused("referrals.growth_per_year_pct=100", "run.horizon_years=100")
    assert message.startswith("--set: referrals.growth_per_year_pct:")
    assert "peak" in message


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("referrals.rate_per_week=off", "expected a number, got the boolean false"),
        ("counselors.count=yes", "expected a whole number, got the boolean true"),
        ("counselors.count=3.5", "expected a whole number, got 3.5"),
        ("referrals.rate_per_week='12'", "expected a number, got the text '12' (remove the quotes)"),
        ("aftercare.enabled=1", "expected true or false, got int 1"),
    ],
)
def test_numbers_and_booleans_are_strict(override, expected):
    assert expected in refused(override)


def test_an_int_where_a_float_is_expected_and_exponents_are_numbers():
    assert validate("referrals.rate_per_week=12", "phases.0.session_hours=3").exit_code == 0
    assert validate("referrals.rate_per_week=1e1").exit_code == 0


def test_numeric_names_are_text():
    result = validate("name=2026", "description=1.5")
    assert result.exit_code == 0, result.output


def test_warmup_must_leave_a_measured_window():
    message = refused("run.horizon_years=1", "run.warmup_weeks=200")
    assert message.startswith("--set: run.warmup_weeks:") and "at least 1 week" in message


@pytest.mark.parametrize("years", ["0.001", "0.01", "0.019"])
def test_horizons_under_a_week_are_refused(years):
    message = refused(f"run.horizon_years={years}", "run.warmup_weeks=0")
    assert message.startswith("--set: run.horizon_years:") and "at least 1 week" in message


def test_a_one_week_horizon_runs(tmp_path):
    result = CliRunner().invoke(main, [
        "run", str(BASELINE), "-n", "1", "-j", "1", "--out", str(tmp_path / "out"),
        "--set", "run.horizon_years=0.0192", "--set", "run.warmup_weeks=0",
    ])
    assert result.exit_code == 0, result.output


def test_session_max_size_below_min_size_is_refused(tmp_path):
    path = write(tmp_path, VALID)  # a hand-written timetable (the baseline's is generated from its template)
    result = CliRunner().invoke(main, ["validate", str(path), "--set", "timetable.0.max_size=2"])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0] == (
        "--set: timetable.0.max_size: max_size 2 is below groups.min_size 3, so this group could never run")


def test_every_bad_closure_date_is_reported(tmp_path):
    good = '  dates: ["01-01", "05-25", "07-04", "09-07", "11-26", "12-25"]'
    text = BASELINE.read_text()
    assert good in text
    path = tmp_path / "s.yaml"
    path.write_text(text.replace(good, '  dates: ["13-01", "12-25", "02-30"]'))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "closures.dates.0: date '13-01'" in result.output
    assert "closures.dates.2: date '02-30'" in result.output
    assert "closures.dates.1" not in result.output


def test_zero_waitlist_capacity_admits_whoever_finds_a_free_seat():
    """Capacity 0 means no waitlist: with free seats everyone is admitted, exactly as with no limit."""
    unlimited = kpis(simulate(build(deterministic_dict()), seed=1))
    no_waitlist = kpis(simulate(build(deterministic_dict(), admission__waitlist_capacity=0), seed=1))
    assert no_waitlist["census_mean"] == pytest.approx(unlimited["census_mean"]) == pytest.approx(12.0)


def test_zero_waitlist_capacity_turns_away_only_when_full():
    """Caseloads of 6 with one counselor: six are in treatment, the rest are referred elsewhere."""
    capped = build(deterministic_dict(), admission__waitlist_capacity=0, counselors__max_caseload=6)
    k = kpis(simulate(capped, seed=1))
    assert k["census_mean"] == pytest.approx(6.0, abs=0.5)
    assert k["waitlist_mean"] == 0
