"""Issue 12, item 2: per-track, per-shift and money KPIs are accepted wherever a KPI name is, from one
place (analysis/kpi_names.py) that knows the names a scenario's runs report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from iopsim.analysis.kpi_names import UnknownKpi, could_be_kpi, kpi_names, resolve_kpi
from iopsim.cli import main
from iopsim.experiments.targets import parse_target
from iopsim.runner import run_one
from iopsim.scenario.loader import load_scenario

REPO = Path(__file__).resolve().parents[2]
URBAN = REPO / "scenarios" / "urban-evening-track.yaml"  # tracks day and evening, no finance
BASELINE = REPO / "scenarios" / "baseline.yaml"  # finance, no tracks
SHORT = ["run.horizon_years=0.5", "run.warmup_weeks=4"]
SHIFTS = ["counselors.shifts=[{name: day, count: 5, start: '08:00', end: '17:00', days: [mon, tue, wed, thu, fri, sat]},"
          " {name: evening, count: 3, start: '12:00', end: '22:00', days: [mon, tue, wed, thu, fri, sat]}]"]


@pytest.mark.parametrize(("path", "overrides"), [(URBAN, SHIFTS), (BASELINE, [])])
def test_the_names_are_exactly_the_kpis_a_run_reports_in_their_order(path, overrides):
    scenario = load_scenario(path, [*SHORT, *overrides])
    row = run_one(scenario, 1, 0, keep_patients=False).kpis
    assert list(kpi_names(scenario)) == list(row)


def test_track_shift_and_money_names_and_their_colon_spellings():
    urban = load_scenario(URBAN, [*SHORT, *SHIFTS])
    assert resolve_kpi("wait_to_admission_days_mean:evening", urban) == "track_evening_wait_to_admission_days_mean"
    assert resolve_kpi("track_day_census_mean", urban) == "track_day_census_mean"
    assert resolve_kpi("counselor_utilization_pct:day", urban) == "shift_day_counselor_utilization_pct"
    assert kpi_names(urban)["shift_evening_counselor_overtime_hours_per_week"] == "h per week"
    baseline = load_scenario(BASELINE)
    assert resolve_kpi("total_cost_per_year", baseline) == "total_cost_per_year"
    assert kpi_names(baseline)["revenue_medicaid_per_year"] == "USD/yr"
    with pytest.raises(UnknownKpi, match="this scenario declares no tracks"):
        resolve_kpi("census_mean:evening", baseline)
    with pytest.raises(UnknownKpi, match="unknown KPI 'total_cost_per_year'"):
        resolve_kpi("total_cost_per_year", urban)  # no finance: section


def test_an_unknown_name_lists_the_nearest_and_how_tracks_are_spelled():
    urban = load_scenario(URBAN)
    with pytest.raises(UnknownKpi) as err:
        resolve_kpi("wait_to_admission_days:evening", urban)
    message = str(err.value)
    assert message.startswith("unknown KPI 'wait_to_admission_days:evening'; did you mean "
                              "'wait_to_admission_days_mean:evening'")
    assert "per track KPI:TRACK (tracks: day, evening;" in message


def test_names_that_no_scenario_reports_are_refused_before_any_scenario_is_read():
    assert could_be_kpi("track_night_census_mean") and could_be_kpi("census_mean:night")
    assert could_be_kpi("track_night_census")  # left to the exact check, which knows the tracks
    assert could_be_kpi("revenue_blue_cross_per_year") and could_be_kpi("net_per_year")
    assert not could_be_kpi("census") and not could_be_kpi("census:night") and not could_be_kpi("census_mean:")


def test_size_takes_a_per_track_target_and_refuses_an_unknown_one_with_near_names(tmp_path):
    assert parse_target("wait_to_admission_days_mean:evening<=20", load_scenario(URBAN)).kpi == \
        "track_evening_wait_to_admission_days_mean"
    res = CliRunner().invoke(main, ["size", str(URBAN), "--target", "wait_to_admision_days_mean:evening<=20",
                                    "--out", str(tmp_path / "s")])
    assert res.exit_code == 2
    assert "did you mean 'wait_to_admission_days_mean:evening'" in res.output
    assert not (tmp_path / "s").exists()


def test_replications_takes_a_per_track_kpi(tmp_path):
    res = CliRunner().invoke(main, ["replications", str(URBAN), *[x for o in SHORT for x in ("--set", o)],
                                    "--kpi", "census_mean:evening", "--min", "2", "--max", "3", "--precision", "0.5",
                                    "-j", "1", "--out", str(tmp_path / "ci.png")])
    assert res.exit_code in (0, 1), res.output  # 1: precision not reached; either way the KPI was understood
    assert "track_evening_census_mean" in res.output


def test_an_experiment_names_per_track_and_money_kpis_and_the_tables_carry_them(tmp_path):
    experiment = tmp_path / "exp.yaml"
    experiment.write_text(f"""\
name: tracks
scenario: {URBAN}
overrides: {{run.horizon_years: 0.5, run.warmup_weeks: 4}}
parameters:
  - path: counselors.count
    values: [8]
replications: 2
kpis: [wait_to_admission_days_mean:evening, track_day_census_mean]
""")
    res = CliRunner().invoke(main, ["sweep", str(experiment), "--out", str(tmp_path / "sweep"), "-j", "1"])
    assert res.exit_code == 0, res.output
    results = pd.read_csv(tmp_path / "sweep" / "results.csv")
    summary = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    assert "track_evening_wait_to_admission_days_mean" in results.columns
    day = summary[summary["kpi"] == "track_day_census_mean"]  # long: one row per point and KPI
    assert len(day) == 1 and day["ci_low"].notna().all() and day["unit"].iloc[0] == "patients"
    experiment.write_text(experiment.read_text().replace("track_day_census_mean", "track_day_census"))
    res = CliRunner().invoke(main, ["sweep", str(experiment), "--out", str(tmp_path / "sweep2"), "-j", "1"])
    assert res.exit_code == 2
    assert "kpis.1: unknown KPI 'track_day_census'; did you mean 'track_day_census_mean'" in res.output
