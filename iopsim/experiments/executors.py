"""What experiments run on the execution engine (iopsim.execution): KPIs of (point, replications) tasks.

Workers receive a validated Scenario and return only KPI dicts (small), so a sweep of thousands of
points moves little data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from ..execution import Evaluate, Executor, Task
from ..execution import open_executor as _open_engine
from ..scenario.schema import Scenario


def simulate_kpis(scenario: Scenario, seed: int, replication: int) -> dict[str, float]:
    from ..runner import run_one

    return run_one(scenario, seed, replication, keep_patients=False).kpis  # KPIs only: no per-patient table


def make_tasks(
    points: Iterable[tuple[str, Scenario, Sequence[int]]], seed: int, workers: int,
    point_seeds: Mapping[str, int] | None = None, total: int | None = None,
) -> list[Task]:
    """One task per point, split into chunks only when there are too few points to keep the workers busy.

    Every point runs `seed` (common random numbers) unless `point_seeds` gives it a seed of its own.

    About four tasks per worker, as in the runner: enough for balance and a live progress bar, few
    enough that transfer and scheduling cost little next to a replication. `total`: the simulations of
    the whole run when `points` is one round of it (the chunks are sized for the whole).
    """
    points = [(key, s, list(reps)) for key, s, reps in points]
    total = sum(len(reps) for _, _, reps in points) if total is None else total
    chunk = max(1, math.ceil(total / (4 * max(1, workers))))
    return [
        Task(key, scenario, seed if point_seeds is None else point_seeds[key], tuple(reps[i : i + chunk]))
        for key, scenario, reps in points
        for i in range(0, len(reps), chunk)
    ]


def open_executor(jobs: int, dask: str | None = None, evaluate: Evaluate = simulate_kpis) -> Executor:
    """The engine's executor for `jobs` workers (or dask), evaluating KPIs unless told otherwise."""
    return _open_engine(jobs, evaluate, dask)
