"""Performance bounds that do not depend on the machine (timings live in benchmarks/run.py).

Scheduler events per referral are deterministic for a scenario and seed, and they are what a
run's cost is made of: a change that makes patients wake up more often shows up here. The
CLI's start-up is kept fast by importing pandas, scipy and matplotlib only in the commands that
need them; a stray top-level import shows up here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iopsim.model.clinic import simulate
from iopsim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

# Measured 7.01 for the baseline (10 years, seed 20261127, replication 0; 7.94 before session 5,
# when a kept intake appointment still woke the patient twice): one event per referral, assessment
# end, admission and phase end, a few for relapses and aftercare, and the 19 weekly timetable slots
# (about 2 per referral). The bound leaves ~20% for model changes; the per-patient-process model this
# replaced needed 9.93.
MAX_EVENTS_PER_REFERRAL = 8.5
HEAVY = ("pandas", "scipy", "matplotlib")


def test_baseline_scheduler_events_per_referral_stay_bounded():
    scenario = load_scenario(BASELINE, ["run.horizon_years=10"])
    result = simulate(scenario, seed=20261127, replication=0)
    referrals = len(result.records["pid"])
    assert referrals > 4000
    assert result.stats["scheduler_events"] / referrals < MAX_EVENTS_PER_REFERRAL


def _heavy_modules_after(code: str, modules: tuple[str, ...] = ()) -> list[str]:
    """The HEAVY packages (any of their modules) and the given `modules` imported after `code`."""
    probe = (
        "import sys, json\n"
        f"{code}\n"
        f"print(json.dumps(sorted(({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))"
        f" | (set(sys.modules) & set({modules!r})))))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [None, ["--help"], ["validate", str(BASELINE)], ["validate", str(BASELINE), "--set", "referrals.rate_per_week=12"]],
    ids=["import", "help", "validate", "validate-set"],
)
def test_cli_start_up_imports_no_heavy_libraries(args):
    code = "import iopsim.cli"
    if args is not None:
        code += (
            "\nfrom click.testing import CliRunner\n"
            f"r = CliRunner().invoke(iopsim.cli.main, {args!r})\n"
            "assert r.exit_code == 0, r.output"
        )
    assert _heavy_modules_after(code) == []


def test_a_run_writes_its_folder_without_pandas_scipy_or_matplotlib(tmp_path):
    """`iopsim run` (simulation, KPIs, 95% intervals, Parquet tables) needs none of them: importing scipy
    for the t quantile alone cost about half a 10-year replication. Nor pyarrow.compute (about 50 ms),
    which `Array.take` would import to write outcome names."""
    args = ["run", str(BASELINE), "-n", "2", "--set", "run.horizon_years=1", "--set", "run.warmup_weeks=4",
            "--out", str(tmp_path / "run")]
    code = ("import iopsim.cli\nfrom click.testing import CliRunner\n"
            f"r = CliRunner().invoke(iopsim.cli.main, {args!r})\nassert r.exit_code == 0, r.output")
    assert _heavy_modules_after(code, ("pyarrow.compute",)) == []
