"""Issue 9, item 8 (work): estimate a run before it starts, refuse huge ones without --yes, and
report progress inside long replications."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.model.clinic import simulate
from iopsim.runner import run_replications
from iopsim.scenario.loader import load_scenario
from iopsim.scenario.workload import CONFIRM_ABOVE, describe, expected_referrals
from tests.factories import build, deterministic_dict

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.mark.parametrize(
    "overrides",
    [
        ("run.horizon_years=2",),
        ("referrals.growth_per_year_pct=20", "run.horizon_years=3.5",
         "referrals.monthly_multipliers=[2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0.5]"),
    ],
)
def test_expected_referrals_match_the_simulation(overrides):
    # readmissions (returning patients, counted as referrals) are not part of the estimate: off here
    no_returns = tuple(f"readmission.{k}=0" for k in ("after_dropout_prob", "after_relapse_discharge_prob",
                                                       "after_aftercare_relapse_prob"))
    s = load_scenario(ROOT / "scenarios" / "urban-evening-track.yaml", [*overrides, *no_returns])
    counts = [len(simulate(s, 1, r).records["referred"]) for r in range(3)]
    expected = expected_referrals(s)
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / 3)  # Poisson: 4 standard errors


def test_fixed_interval_referrals_are_exact():
    s = build(deterministic_dict())
    assert expected_referrals(s) == pytest.approx(5 * 365 / 7)
    assert len(simulate(s, 1).records["referred"]) == int(5 * 365 / 7)


def test_describe_names_the_size_and_time():
    assert describe(52_000_000) == "about 52 million referrals (~87 min on one core)"
    assert describe(3_000) == "about 3,000 referrals (~0 s on one core)"
    assert describe(2e9) == "about 2 billion referrals (~55.6 h on one core)"


def test_a_huge_run_is_refused_without_yes_before_anything_runs(tmp_path):
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["run", str(BASELINE), "--set", "referrals.rate_per_week=100000",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "above the 50 million that run without asking. Add --yes" in result.output
    assert "about 1.04 billion referrals" in result.output
    assert not (tmp_path / "out").exists()
    assert time.perf_counter() - start < 10
    assert CONFIRM_ABOVE == 50_000_000


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_counts_every_finished_patient_inside_replications(jobs):
    s = load_scenario(BASELINE, ("referrals.rate_per_week=60", "run.horizon_years=1.5", "run.warmup_weeks=0"))
    heard: list[int] = []
    result = run_replications(s, 2, 7, jobs, on_patients=heard.append)
    finished = sum(len(o.patients["outcome"]) for o in result.outputs)
    assert len(heard) >= 2  # chunks of patients, not one call per replication
    assert sum(heard) == finished
    assert finished > 0.8 * 2 * expected_referrals(s)
