"""How long a warm-up, and how many replications: the two questions asked before any study.

`warmup_study` runs replications with no warm-up and applies MSER-5 (White 1997; Hoad, Robinson &
Davies 2010) to the weekly stock series (census, waitlist, aftercare census), the stocks that
start empty and take longest to settle.
`replications_study` applies the sequential confidence-interval method to chosen KPIs.
Both only orchestrate: the statistics live in `analysis/`, the simulation in `model/`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .analysis.replications import ReplicationsResult, replications_needed
from .analysis.warmup import mser, suggest_warmup, welch_moving_average
from .runner import run_replications
from .scenario.schema import Scenario

WARMUP_SERIES = ("census", "waitlist", "aftercare_census")


@dataclass
class WarmupStudy:
    scenario: Scenario
    seed: int
    replications: int
    series: dict[str, np.ndarray]  # name -> replications x weeks
    truncation_weeks: dict[str, int]  # MSER-5 on each series' replication average
    median_truncation_weeks: dict[str, int]  # median of MSER-5 over single replications
    suggested_weeks: int
    search_limit_weeks: int  # MSER looks at most this far; a suggestion at the limit is not trustworthy
    window_weeks: int

    @property
    def at_limit(self) -> bool:
        return self.suggested_weeks >= self.search_limit_weeks

    def moving_averages(self) -> dict[str, np.ndarray]:
        return {name: welch_moving_average(values, self.window_weeks) for name, values in self.series.items()}


def warmup_study(scenario: Scenario, replications: int = 10, seed: int | None = None, jobs: int = 1,
                 window_weeks: int = 8, on_progress=None) -> WarmupStudy:
    """Run from empty with no warm-up and let MSER-5 say where the transient ends."""
    cold = scenario.model_copy(update={"run": scenario.run.model_copy(update={"warmup_weeks": 0.0})})
    run = run_replications(cold, replications, seed, jobs, on_progress=on_progress)
    series = {}
    for name in WARMUP_SERIES:
        rows = [np.asarray(o.series[name], dtype=float) for o in run.outputs]
        if rows and any(row.any() for row in rows):  # a stock that never fills says nothing
            series[name] = np.vstack(rows)
    if not series:
        raise ValueError("no patients reached treatment in any replication: nothing to analyse")
    averaged = suggest_warmup(series).per_series
    # A stock that fills up to a capacity (aftercare seats) is almost constant once full, so in the
    # replication average MSER can chase tiny late dips; the median over single replications is not
    # fooled by that, and is what the suggestion uses.
    median = {name: int(math.ceil(np.median([mser(row) for row in values]) / 5) * 5) for name, values in series.items()}
    n_weeks = next(iter(series.values())).shape[1]
    limit = int(0.5 * (n_weeks // 5)) * 5
    return WarmupStudy(scenario, run.seed, run.replications, series, dict(averaged), median,
                       max(median.values()), limit, window_weeks)


@dataclass
class ReplicationsStudy:
    scenario: Scenario
    seed: int
    result: ReplicationsResult


def replications_study(scenario: Scenario, kpis: Sequence[str], precision: float = 0.05, seed: int | None = None,
                       jobs: int = 1, min_replications: int = 3, max_replications: int = 200,
                       on_progress=None) -> ReplicationsStudy:
    """Add replications until every KPI's 95% CI half-width is within `precision` of its mean."""
    seed = scenario.run.seed if seed is None else seed

    def run_batch(indices: list[int]) -> list[dict[str, float]]:
        run = run_replications(scenario, seed=seed, jobs=jobs, indices=indices, on_progress=on_progress)
        if not run.complete:
            raise KeyboardInterrupt
        return run.kpi_rows()

    result = replications_needed(None, kpis, precision, min_replications, max_replications,
                                 run_batch=run_batch, batch_size=max(4, 2 * jobs))
    return ReplicationsStudy(scenario, seed, result)

