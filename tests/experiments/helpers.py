"""Tiny experiments for tests: short horizons so a sweep of a dozen points takes about a second."""

from __future__ import annotations

import textwrap
from pathlib import Path

from iopsim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"

SHORT = {"run.horizon_years": 1.5, "run.warmup_weeks": 8}


def write_experiment(folder: Path, body: str, name: str = "exp.yaml", overrides: dict | None = None) -> Path:
    """An experiment on the baseline with a short horizon; `body` holds parameters and the rest."""
    fixed = {**SHORT, **(overrides or {})}
    lines = "\n".join(f"  {k}: {v}" for k, v in fixed.items())
    text = f"name: test\nscenario: {BASELINE}\noverrides:\n{lines}\n" + textwrap.dedent(body)
    path = folder / name
    path.write_text(text)
    return path


GRID = """\
parameters:
  - path: counselors.count
    values: [3, 4]
  - path: referrals.rate_per_week
    range: {low: 7, high: 11}
sampling: {method: lhs, points: 3, seed: 2}
replications: 2
seed: 7
"""


def explode_on_three_counselors(scenario: Scenario, seed: int, replication: int) -> dict[str, float]:
    """An evaluator (importable by worker processes) whose simulation raises for one kind of point."""
    from iopsim.experiments.executors import simulate_kpis

    if scenario.counselors.count == 3 and replication == 1:
        raise RuntimeError("simulated failure")
    return simulate_kpis(scenario, seed, replication)


def kill_worker_on_three_counselors(scenario: Scenario, seed: int, replication: int) -> dict[str, float]:
    """An evaluator that kills its own worker process (as the OOM killer would) for one kind of point."""
    import os
    import signal

    if scenario.counselors.count == 3 and replication == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return _kpis(scenario, seed, replication)


def kill_worker_once(marker: str, scenario: Scenario, seed: int, replication: int) -> dict[str, float]:
    """An evaluator whose worker is killed from outside once (the first time a 4-counselor point runs);
    bind `marker`, a path that does not exist yet, with functools.partial."""
    import os
    import signal

    if scenario.counselors.count == 4 and not os.path.exists(marker):
        open(marker, "x").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return _kpis(scenario, seed, replication)


def _kpis(scenario: Scenario, seed: int, replication: int) -> dict[str, float]:
    from iopsim.experiments.executors import simulate_kpis

    return simulate_kpis(scenario, seed, replication)
