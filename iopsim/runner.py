"""Replications of a scenario, across processes (reports/rundir_write.py writes them to a run folder).

Replication r of seed s always uses the random streams of (s, r), so results do not depend on
how many workers run them or in which order they finish. Workers get batches of replications
and ship back only KPIs and the compact weekly series.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .analysis.kpis import KPI_UNITS, PatientTally, kpis
from .analysis.stats import mean_ci
from .model.clinic import simulate
from .model.records import phase_start_column
from .scenario.schema import Scenario
from .scenario.window import Window

PATIENT_COLUMNS = ("pid", "referred", "assessment_start", "waitlist_in", "admitted", "treatment_end",
                   "aftercare_start", "aftercare_end", "ended", "outcome", "aftercare_status", "relapses",
                   "relapses_detected", "detox_returner")


@dataclass
class ReplicationOutput:
    replication: int
    kpis: dict[str, float]
    series: dict[str, list[float]]
    events: list[tuple[int, float, str, str]] | None = None
    stats: dict[str, float] = field(default_factory=dict)
    slots: list[dict] = field(default_factory=list)
    patients: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class RunSet:
    """The replications of one scenario and seed, in replication order."""

    scenario: Scenario
    seed: int
    outputs: list[ReplicationOutput]
    complete: bool = True

    @property
    def replications(self) -> int:
        return len(self.outputs)

    def kpi_rows(self) -> list[dict[str, float]]:
        return [o.kpis for o in self.outputs]

    def summary(self) -> dict[str, dict]:
        return summarise(self.kpi_rows())

    def kpi_frame(self):
        """KPIs as a pandas DataFrame, one row per replication (for notebooks)."""
        import pandas as pd

        return pd.DataFrame(self.kpi_rows(), index=pd.Index([o.replication for o in self.outputs], name="replication"))

    def summary_frame(self):
        import pandas as pd

        rows = [
            {"kpi": name, "mean": v["mean"], "ci95_low": v["ci95"][0], "ci95_high": v["ci95"][1], "unit": v["unit"]}
            for name, v in self.summary().items()
        ]
        return pd.DataFrame(rows).set_index("kpi")


def run_one(scenario: Scenario, seed: int, replication: int, record_events: bool = False,
            keep_patients: bool = True, on_patients: Callable[[int], None] | None = None) -> ReplicationOutput:
    """One replication. Patients are tallied for the KPIs as they leave; `keep_patients=False`
    skips the per-patient table, so memory does not grow with the number of referrals.
    `on_patients(k)` hears of every chunk of k finished patients: progress inside a long replication."""
    window = Window.of(scenario)
    tally = PatientTally(window.start_days, window.end_days)

    def fold_and_report(rows: dict[str, np.ndarray]) -> None:
        tally.fold(rows)
        if on_patients is not None:
            on_patients(len(rows["outcome"]))

    sink = tally.fold if on_patients is None else fold_and_report
    result = simulate(scenario, seed, replication, record_events, sink, keep_patients)
    patients = {}
    if keep_patients:
        patients = {name: result.records[name] for name in PATIENT_COLUMNS}
        for i, phase in enumerate(scenario.phases):  # when each phase was first entered
            patients[f"started_{phase.name}"] = result.records[phase_start_column(i)]
    return ReplicationOutput(replication, kpis(result, tally), result.series, result.events, result.stats,
                             result.slots, patients)


def _run_batch(scenario: Scenario, seed: int, replications: Sequence[int], record_events: bool,
               keep_patients: bool = True, patients_queue=None) -> list[ReplicationOutput]:
    on_patients = patients_queue.put if patients_queue is not None else None
    return [run_one(scenario, seed, r, record_events, keep_patients, on_patients) for r in replications]


def _batches(indices: Sequence[int], jobs: int) -> list[list[int]]:
    """Batches shrinking as the work runs out (guided self-scheduling): each takes a
    (4 x jobs)-th of what is left. Big early batches amortise start-up and transfer; the
    small last ones keep one worker from finishing a long batch while the others sit idle."""
    out = []
    start, n = 0, len(indices)
    while start < n:
        size = max(1, math.ceil((n - start) / (4 * jobs)))
        out.append(list(indices[start : start + size]))
        start += size
    return out


def run_replications(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    record_events: bool = False,
    on_progress: Callable[[int], None] | None = None,
    indices: Sequence[int] | None = None,
    keep_patients: bool = True,
    on_patients: Callable[[int], None] | None = None,
) -> RunSet:
    """Run replications 0..n-1 (or the given indices); on Ctrl-C, return the finished ones marked incomplete.

    `on_patients(k)`: k more patients finished, in any replication (progress inside long ones)."""
    seed = scenario.run.seed if seed is None else seed
    if indices is None:
        indices = range(scenario.run.replications if replications is None else replications)
    indices = list(indices)
    n = len(indices)
    done: dict[int, ReplicationOutput] = {}
    complete = True
    try:
        if jobs <= 1 or n <= 1:
            for r in indices:
                done[r] = run_one(scenario, seed, r, record_events, keep_patients, on_patients)
                if on_progress:
                    on_progress(1)
        else:
            with ProcessPoolExecutor(max_workers=min(jobs, n)) as pool, _patient_counts(on_patients) as queue:
                futures = [pool.submit(_run_batch, scenario, seed, b, record_events, keep_patients, queue)
                           for b in _batches(indices, jobs)]
                try:
                    for future in _as_completed_draining(futures, queue, on_patients):
                        for out in future.result():
                            done[out.replication] = out
                        if on_progress:
                            on_progress(len(future.result()))
                except KeyboardInterrupt:
                    for f in futures:
                        f.cancel()
                    raise
    except KeyboardInterrupt:
        complete = False
    outputs = [done[r] for r in sorted(done)]
    return RunSet(scenario, seed, outputs, complete and len(outputs) == n)


@contextmanager
def _patient_counts(on_patients: Callable[[int], None] | None):
    """A queue workers put their finished-patient counts on (None when nobody listens)."""
    if on_patients is None:
        yield None
        return
    import multiprocessing

    with multiprocessing.Manager() as manager:
        yield manager.Queue()


def _as_completed_draining(futures, queue, on_patients: Callable[[int], None] | None):
    """as_completed, handing the workers' patient counts to `on_patients` while waiting."""
    if queue is None or on_patients is None:
        yield from as_completed(futures)
        return
    pending = set(futures)
    while pending:
        finished, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
        while not queue.empty():
            on_patients(queue.get())
        yield from finished


def summarise(rows: Sequence[dict[str, float]]) -> dict[str, dict]:
    """Mean and 95% t-interval of every KPI across replications."""
    out = {}
    for name, unit in KPI_UNITS.items():
        est = mean_ci([row[name] for row in rows])
        lo, hi = est.lo, est.hi
        if not math.isnan(lo):  # every KPI is a count, rate, time or share: clip the interval to its range
            lo = max(lo, 0.0)
            hi = min(hi, 100.0) if unit == "%" else hi
        out[name] = {"mean": _finite(est.mean), "ci95": [_finite(lo), _finite(hi)], "unit": unit}
    return out


def _finite(x: float) -> float | None:
    return None if x is None or math.isnan(x) or math.isinf(x) else float(x)
