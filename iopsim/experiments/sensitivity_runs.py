"""Sensitivity samples run as sweeps: the evaluator `sensitivity.run` calls, and the replication array.

The command line supplies how a plan is checked and run (its progress bars, refusals and Ctrl-C
handling) and how a finished run is reported; this module joins them into the function from a
sample's parameter matrix to the KPI array the analysis needs, so the sequence (plan, run, write
the tables, report, reshape) lives below the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import sweep as sw
from .sensitivity import points_from
from .store import ResultStore


def replication_array(results, kpis: Sequence[str], points: int, replications: int) -> np.ndarray:
    """results.csv rows (sorted by point, then replication) -> (points, KPIs, replications)."""
    values = results[list(kpis)].to_numpy(dtype=float)
    return values.reshape(points, replications, len(kpis)).transpose(0, 2, 1)


def sample_evaluator(
    loaded,
    out: Path,
    plan: Callable[[list[Any]], Any],
    run: Callable[[Any], tuple[Any, float]],
    report: Callable[[Any, Any, float, Any], None],
) -> Callable[[np.ndarray], np.ndarray]:
    """evaluate(V): the sample's points planned by `plan(raw_points)`, run into `out` by `run(plan)`
    (-> (result, seconds)), their tables written to `out` and passed to `report(result, plan, seconds,
    tables)`, then every point's replications as a (points, KPIs, replications) array."""
    e = loaded.experiment

    def evaluate(V: np.ndarray) -> np.ndarray:
        sample_plan = plan(points_from(e, V))
        result, seconds = run(sample_plan)
        tables = sw.tables(sample_plan, ResultStore(out, sample_plan.manifest))
        sw.write_tables(tables, out)
        report(result, sample_plan, seconds, tables)
        return replication_array(tables.results, e.kpis, len(sample_plan.points), sample_plan.replications)

    return evaluate
