"""Replications of a scenario, across processes (reports/rundir_write.py writes them to a run folder).

Replication r of seed s always uses the random streams of (s, r), so results do not depend on
how many workers run them or in which order they finish. Workers (of the execution engine,
iopsim.execution) get batches of replications and ship back each one's KPIs, weekly series,
sessions and, unless told not to, its per-patient table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .analysis import bottleneck
from .analysis.kpis import PatientTally, kpi_units, kpis
from .analysis.stats import summarise
from .execution import Task, TaskResult, open_executor
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
    bottleneck: dict[str, dict[str, float]] = field(default_factory=dict)  # per resource (analysis/bottleneck.py)


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
        return summarise(self.kpi_rows(), kpi_units(self.scenario))

    def bottleneck(self) -> dict:
        """Which resources bind, with each resource's measures (mean and 95% CI over replications)."""
        return bottleneck.summarise([o.bottleneck for o in self.outputs], self.scenario)

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
        if "track" in result.records:  # index into scenario.tracks, only when tracks are declared
            patients["track"] = result.records["track"]
        if "prior_episodes" in result.records:  # episodes before this one, only with readmission
            patients["prior_episodes"] = result.records["prior_episodes"]
    return ReplicationOutput(replication, kpis(result, tally), result.series, result.events, result.stats,
                             result.slots, patients, bottleneck.measure(result))


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


class ReplicationError(RuntimeError):
    """A replication raised: the message names it and carries the traceback from where it ran."""


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
    """Run replications 0..n-1 (or the given indices) on the execution engine (iopsim.execution);
    on Ctrl-C, return the finished ones marked incomplete. One job runs them here, one at a time;
    more run guided batches on a process pool whose workers exit if this process dies.
    `on_patients(k)`: k more patients finished, in any replication (progress inside long ones)."""
    seed = scenario.run.seed if seed is None else seed
    if indices is None:
        indices = range(scenario.run.replications if replications is None else replications)
    indices = list(indices)
    n = len(indices)
    jobs = max(1, min(jobs, n))
    batches = [[r] for r in indices] if jobs == 1 else _batches(indices, jobs)
    tasks = [Task(f"replications {b[0]}-{b[-1]}", scenario, seed, tuple(b)) for b in batches]
    done: dict[int, ReplicationOutput] = {}

    def on_result(res: TaskResult) -> None:
        if res.outputs is None:
            raise ReplicationError(f"{scenario.name}, seed {seed}, {res.key}: {res.error}\n\n"
                                   f"Where it ran:\n{res.traceback or ''}")
        for out in res.outputs:
            done[out.replication] = out
        if on_progress:
            on_progress(len(res.outputs))

    complete = True
    try:
        with _patient_counts(on_patients, jobs) as count_patients:
            evaluate = partial(run_one, record_events=record_events, keep_patients=keep_patients,
                               on_patients=count_patients)
            with open_executor(jobs, evaluate) as executor:
                executor.run(tasks, on_result)
    except KeyboardInterrupt:
        complete = False
    outputs = [done[r] for r in sorted(done)]
    return RunSet(scenario, seed, outputs, complete and len(outputs) == n)


@contextmanager
def _patient_counts(on_patients: Callable[[int], None] | None, jobs: int):
    """Where replications report finished patients: `on_patients` itself when they run here; with
    worker processes, a queue that a thread here drains into `on_patients` while they run."""
    if on_patients is None or jobs == 1:
        yield on_patients
        return
    import multiprocessing
    import queue
    import threading

    with multiprocessing.Manager() as manager:
        counts = manager.Queue()
        stop = threading.Event()

        def drain() -> None:
            while True:
                try:
                    on_patients(counts.get(timeout=0.25))
                except queue.Empty:
                    if stop.is_set():
                        return
                except (EOFError, OSError):  # the manager is gone (Ctrl-C reached it too)
                    return

        thread = threading.Thread(target=drain, name="iopsim-patient-counts", daemon=True)
        thread.start()
        try:
            yield counts.put
        finally:
            stop.set()
            thread.join()
