"""Every shipped scenario (scenarios/*.yaml) and the starter template load and run sensibly.

A short run (2 years, 10-week warm-up, 1 replication) is enough to catch a scenario that loads
but cannot work: nobody admitted, counselors booked beyond their hours, sessions cancelled wholesale.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import iopsim
from iopsim.runner import run_replications
from iopsim.scenario.loader import load_scenario
from iopsim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
STARTER = Path(iopsim.__file__).resolve().parent / "templates" / "starter.yaml"
SHORT_RUN = ["run.horizon_years=2", "run.warmup_weeks=10"]


def test_scenarios_are_found() -> None:
    names = {p.name for p in SCENARIOS}
    assert {"baseline.yaml", "small-rural.yaml", "urban-evening-track.yaml"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.phases and scenario.timetable


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_runs_with_plausible_kpis(path: Path) -> None:
    scenario = load_scenario(path, SHORT_RUN)
    assert scenario.run.horizon_years == 2
    run = run_replications(scenario, 1, 1, jobs=1)
    assert run.complete and run.replications == 1
    k = run.outputs[0].kpis
    assert math.isfinite(k["census_mean"]) and k["census_mean"] > 0
    assert math.isfinite(k["admissions_per_year"]) and k["admissions_per_year"] > 0
    assert k["counselor_utilization_pct"] <= 100
    assert k["sessions_cancelled_pct"] < 20


def test_starter_template_loads() -> None:
    scenario = load_scenario(STARTER)
    assert isinstance(scenario, Scenario)
