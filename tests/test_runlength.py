"""The warm-up and replications studies, through the CLI and the Python API."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.runlength import replications_study, warmup_study
from iopsim.scenario.loader import load_scenario

BASELINE = "scenarios/baseline.yaml"
SHORT = ["--set", "run.horizon_years=4"]


def test_warmup_study_finds_the_aftercare_transient():
    scenario = load_scenario(BASELINE, ["run.horizon_years=6"])
    study = warmup_study(scenario, replications=4, seed=1)
    assert set(study.series) == {"census", "waitlist", "aftercare_census"}
    assert study.series["census"].shape == (4, int(6 * 365 // 7))
    # aftercare fills over about a year (52-week stays), the treatment census in a few months
    assert 26 <= study.median_truncation_weeks["aftercare_census"] <= 104
    assert study.median_truncation_weeks["census"] < study.median_truncation_weeks["aftercare_census"]
    assert study.suggested_weeks == max(study.median_truncation_weeks.values())
    assert set(study.truncation_weeks) == set(study.median_truncation_weeks)
    assert not study.at_limit
    averages = study.moving_averages()
    assert np.isfinite(averages["census"]).all()


def test_warmup_command_prints_and_plots(tmp_path):
    out = tmp_path / "welch.png"
    result = CliRunner().invoke(main, ["warmup", BASELINE, *SHORT, "-n", "3", "-j", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Suggested warm-up" in result.stdout and "aftercare_census" in result.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_replications_study_meets_the_precision():
    scenario = load_scenario(BASELINE, ["run.horizon_years=3"])
    # 4% needs 8 replications here (2% needed about four times as many, for the same check)
    study = replications_study(scenario, ["census_mean"], precision=0.04, seed=1, max_replications=30)
    r = study.result
    assert r.reached and r.needed is not None and r.needed > 3
    assert r.history[r.needed - 3]["census_mean"].relative_precision <= 0.04


def test_replications_command(tmp_path):
    out = tmp_path / "ci.png"
    result = CliRunner().invoke(main, ["replications", BASELINE, *SHORT, "--kpi", "census_mean", "--precision",
                                       "0.05", "-j", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Replications needed" in result.stdout
    assert out.stat().st_size > 1000


def test_replications_command_rejects_unknown_kpi():
    result = CliRunner().invoke(main, ["replications", BASELINE, "--kpi", "nope"])
    assert result.exit_code == 2
    assert "unknown KPI 'nope'" in result.stderr


def test_unreachable_precision_exits_non_zero(tmp_path):
    # two years: a 0.1% precision is out of reach of six replications of any length
    result = CliRunner().invoke(main, ["replications", BASELINE, "--set", "run.horizon_years=2", "--kpi",
                                       "wait_to_admission_days_mean", "--precision", "0.001", "--max", "6", "-j", "1",
                                       "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 1
    assert "Not reached within 6 replications" in result.stdout
