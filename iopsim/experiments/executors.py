"""Run (point, replications) tasks serially, on a process pool, or on a dask.distributed cluster.

Every backend runs the same task function on the same tasks, and replication r of seed s draws from
the streams of (s, r) whatever worker runs it, so results never depend on the backend or the number
of jobs. Workers receive a validated Scenario and return only KPI dicts (small); a task whose
simulation raises comes back as an error result instead of an exception, so one bad point never
stops or hides the others.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..scenario.schema import Scenario

Evaluate = Callable[[Scenario, int, int], dict[str, float]]
"""(scenario, seed, replication) -> KPIs; module-level so workers can unpickle it."""


def simulate_kpis(scenario: Scenario, seed: int, replication: int) -> dict[str, float]:
    from ..runner import run_one

    return run_one(scenario, seed, replication, keep_patients=False).kpis  # KPIs only: no per-patient table


@dataclass(frozen=True)
class Task:
    key: str
    scenario: Scenario
    seed: int
    replications: tuple[int, ...]


@dataclass(frozen=True)
class TaskResult:
    key: str
    replications: tuple[int, ...]
    kpis: tuple[dict[str, float], ...] | None  # one per replication, in order; None on error
    error: str | None = None  # "ExceptionType: message"
    traceback: str | None = None


def run_task(task: Task, evaluate: Evaluate = simulate_kpis) -> TaskResult:
    """Run a task's replications in order; an exception becomes an error result."""
    try:
        rows = tuple(evaluate(task.scenario, task.seed, r) for r in task.replications)
    except Exception as exc:
        return TaskResult(task.key, task.replications, None, _describe(exc), traceback.format_exc())
    return TaskResult(task.key, task.replications, rows)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def make_tasks(
    points: Iterable[tuple[str, Scenario, Sequence[int]]], seed: int, workers: int
) -> list[Task]:
    """One task per point, split into chunks only when there are too few points to keep the workers busy.

    About four tasks per worker, as in the runner: enough for balance and a live progress bar, few
    enough that transfer and scheduling cost little next to a replication.
    """
    points = [(key, s, list(reps)) for key, s, reps in points]
    total = sum(len(reps) for _, _, reps in points)
    chunk = max(1, math.ceil(total / (4 * max(1, workers))))
    return [
        Task(key, scenario, seed, tuple(reps[i : i + chunk]))
        for key, scenario, reps in points
        for i in range(0, len(reps), chunk)
    ]


OnResult = Callable[[TaskResult], None]


class Executor:
    """Runs tasks and calls `on_result` in the calling thread as each one finishes (any order)."""

    workers = 1
    description = "serial"

    def __init__(self, evaluate: Evaluate = simulate_kpis):
        self.evaluate = evaluate

    def run(self, tasks: Sequence[Task], on_result: OnResult) -> None:
        for task in tasks:
            on_result(run_task(task, self.evaluate))

    def close(self) -> None:
        pass

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _init_worker(parent: int) -> None:
    """Leave Ctrl-C to the parent, and exit if the parent dies (kill -9 leaves no one to stop us)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


class PoolExecutor(Executor):
    """A ProcessPoolExecutor kept open across runs (sizing submits many small rounds)."""

    def __init__(self, jobs: int, evaluate: Evaluate = simulate_kpis):
        super().__init__(evaluate)
        self.workers = jobs
        self.description = f"process pool, {jobs} workers"
        self._pool = None

    def _executor(self):
        from concurrent.futures import ProcessPoolExecutor

        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, initializer=_init_worker, initargs=(os.getpid(),))
        return self._pool

    def run(self, tasks: Sequence[Task], on_result: OnResult) -> None:
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        pool = self._executor()
        futures = {pool.submit(run_task, t, self.evaluate): t for t in tasks}
        try:
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool as exc:  # a worker died (killed, out of memory): the pool is unusable
                    self._pool = None
                    result = TaskResult(task.key, task.replications, None, f"worker process died: {exc}")
                except Exception as exc:
                    result = TaskResult(task.key, task.replications, None, _describe(exc))
                on_result(result)
        except BaseException:
            self._abort()
            raise

    def _abort(self) -> None:
        """Stop now: cancel what has not started and end the workers rather than wait for them."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())  # no public way before Python 3.14
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            p.terminate()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class DaskExecutor(Executor):
    """Tasks on a dask.distributed cluster: an existing scheduler, or a LocalCluster started here."""

    def __init__(self, address: str, jobs: int, evaluate: Evaluate = simulate_kpis):
        from distributed import Client, LocalCluster

        super().__init__(evaluate)
        self._cluster = None
        if address == "local":
            self._cluster = LocalCluster(n_workers=jobs, processes=True, threads_per_worker=1,
                                         dashboard_address=None, host="127.0.0.1")
            self.client = Client(self._cluster)
            self.workers = jobs
            self.description = f"dask LocalCluster, {jobs} workers"
        else:
            self.client = Client(address, timeout="10s")
            self.workers = max(1, sum(self.client.nthreads().values()))
            self.description = f"dask scheduler {address}, {self.workers} threads"

    def run(self, tasks: Sequence[Task], on_result: OnResult) -> None:
        from distributed import as_completed

        futures = {self.client.submit(run_task, t, self.evaluate, pure=False): t for t in tasks}
        try:
            for future in as_completed(list(futures)):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # a worker died or the task could not be unpickled there
                    result = TaskResult(task.key, task.replications, None, _describe(exc))
                on_result(result)
        except BaseException:
            self.client.cancel(list(futures))
            raise

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def open_executor(jobs: int, dask: str | None = None, evaluate: Evaluate = simulate_kpis) -> Executor:
    """Serial for one job, a process pool for more, dask when an address (or 'local') is given."""
    if dask:
        return DaskExecutor(dask, max(1, jobs), evaluate)
    if jobs <= 1:
        return Executor(evaluate)
    return PoolExecutor(jobs, evaluate)
