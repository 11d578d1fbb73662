"""The one execution engine: run (scenario, seed, replications) tasks serially, on a process pool, or on dask.

`iopsim run` and every experiment (sweep, size, sensitivity) go through it, so they share its guarantees:
- results never depend on the backend or the number of workers: a task's replications run in order, and
  replication r of seed s draws from the streams of (s, r) whatever process runs it;
- a task whose evaluation raises comes back as an error result instead of an exception, so one bad task
  never stops or hides the others;
- pool workers leave Ctrl-C to the parent (which stops them at once and keeps what finished) and exit by
  themselves when the parent dies, even by kill -9;
- a worker that dies (killed, out of memory) costs no task a result: the tasks it took down are retried on
  a fresh pool, then alone, and only a task that kills its worker on its own is reported as failed.

The engine knows nothing of what a task computes: `evaluate(scenario, seed, replication)` is given by the
caller (KPIs only for experiments, whole replication outputs for `iopsim run`) and must be a module-level
function (or a functools.partial of one) so that workers can unpickle it.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .scenario.wording import plural

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from .scenario.schema import Scenario

Evaluate = Callable[["Scenario", int, int], Any]
"""(scenario, seed, replication) -> one replication's output."""

BATCHES_PER_WORKER = 4
"""Each dask batch takes at most 1/(BATCHES_PER_WORKER x workers) of the tasks still to batch (guided
self-scheduling): large batches first keep the scheduler's work small, and the last batches are single
tasks, so no worker is left running a large batch alone at the end."""


def guided_batches(tasks: Sequence[Task], workers: int) -> list[list[Task]]:
    """Tasks split in order into batches that shrink to single tasks (see BATCHES_PER_WORKER).

    With equal batches of two tasks, 15 points on 2 workers left one worker running the last batch
    alone: the dask path measured 6% slower than the pool, whose tail is a single task."""
    batches, i, n = [], 0, len(tasks)
    while i < n:
        size = max(1, math.ceil((n - i) / (BATCHES_PER_WORKER * max(1, workers))))
        batches.append(list(tasks[i:i + size]))
        i += size
    return batches

LOCAL_CLUSTER_SETTINGS = {
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.scheduler.work-stealing": False,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.disk": False,
    "distributed.worker.memory.monitor-interval": "1s",
}
"""How `--dask local` runs as fast as the process pool on the same cores (measured: the run phase of
24 ten-year replications on 2 workers went from 10-20% slower than the pool to equal).

- Each single-threaded worker holds one batch at a time and the rest wait in the scheduler's queue, so
  a worker that finishes takes the next batch at once, as in the pool; so nothing is left to steal, and
  work stealing (a balancing pass every 100 ms in the scheduler, which runs in this process and takes
  CPU from the two workers on two cores) is off. With the default saturation
  (1.1: two batches per worker) a batch could sit behind another on a busy worker while an idle worker
  waited for work stealing (seen: 1.4 s idle in a 10 s run).
- The background chores of a worker and its nanny wake less often: the statistical profiler (it samples
  the simulation's stack every 10 ms; nothing reads it), the event-loop tick check (20 ms), the system
  and disk monitor (500 ms, for a dashboard that is off) and the nanny's memory check (100 ms). Each
  wake-up takes the GIL from the simulation or a core from the other worker: together they made a
  replication cost about 7% more CPU in a dask worker than in a pool worker.
"""

CONNECT_SECONDS = 10.0
"""How long --dask ADDRESS may take to answer as a dask scheduler."""


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
    outputs: tuple[Any, ...] | None  # one per replication, in order; None on error
    error: str | None = None  # "ExceptionType: message"
    traceback: str | None = None


def run_task(task: Task, evaluate: Evaluate) -> TaskResult:
    """Run a task's replications in order; an exception becomes an error result."""
    try:
        rows = tuple(evaluate(task.scenario, task.seed, r) for r in task.replications)
    except Exception as exc:
        return TaskResult(task.key, task.replications, None, _describe(exc), traceback.format_exc())
    return TaskResult(task.key, task.replications, rows)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def run_batch(specs: Sequence[tuple[str, int, tuple[int, ...]]], scenarios: Sequence[Scenario],
              evaluate: Evaluate) -> list[TaskResult]:
    """Several tasks in one (a dask batch): (key, seed, replications) with their scenarios, run in order."""
    return [run_task(Task(key, scenario, seed, reps), evaluate)
            for (key, seed, reps), scenario in zip(specs, scenarios, strict=True)]


OnResult = Callable[[TaskResult], None]


class Executor:
    """Runs tasks and calls `on_result` in the calling thread as each one finishes (any order)."""

    workers = 1
    description = "serial"

    def __init__(self, evaluate: Evaluate):
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
    threading.Thread(target=_exit_with_parent, args=(parent, os.getppid()), daemon=True).start()


def _exit_with_parent(parent: int, ppid: int) -> None:
    """Poll twice a second: exit once we are reparented (the usual sign) or `parent` is gone."""
    while os.getppid() == ppid and _alive(parent):
        time.sleep(0.5)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PoolExecutor(Executor):
    """A ProcessPoolExecutor kept open across runs (sizing submits many small rounds)."""

    def __init__(self, jobs: int, evaluate: Evaluate):
        super().__init__(evaluate)
        self.workers = jobs
        self.description = f"process pool, {plural(jobs, 'worker')}"
        self._pool: ProcessPoolExecutor | None = None
        self._size = 0

    def _executor(self, workers: int) -> ProcessPoolExecutor:
        from concurrent.futures import ProcessPoolExecutor

        if self._pool is not None and self._size != workers:
            self.close()
        if self._pool is None:
            self._pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(os.getpid(),))
            self._size = workers
        return self._pool

    def run(self, tasks: Sequence[Task], on_result: OnResult) -> None:
        try:
            lost = self._round(tasks, on_result)
            if lost:  # a worker died, and with it the pool and every task it had not finished: retry them
                lost = self._round(lost, on_result)
            for task in lost:  # lost twice: run each alone, so that only a task that kills its worker fails
                self._round([task], on_result, alone=True)
        except BaseException:
            self._abort()
            raise

    def _round(self, tasks: Sequence[Task], on_result: OnResult, alone: bool = False) -> list[Task]:
        """Run tasks on the pool (of one worker if `alone`); return those lost to a dead worker.

        Alone, a lost task is not returned but reported as failed: it killed its worker by itself.
        """
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        pool = self._executor(1 if alone else self.workers)
        futures = {}
        lost: list[Task] = []
        for i, task in enumerate(tasks):
            try:
                futures[pool.submit(run_task, task, self.evaluate)] = task
            except BrokenProcessPool:  # it broke while we were still submitting
                lost += tasks[i:]
                break
        for future in as_completed(futures):
            task = futures[future]
            try:
                result = future.result()
            except BrokenProcessPool as exc:
                lost.append(task)
                if not alone:
                    continue
                result = TaskResult(task.key, task.replications, None,
                                    f"worker process died running this task alone (killed, or out of memory?): {exc}")
            except Exception as exc:  # e.g. a result that cannot be pickled
                result = TaskResult(task.key, task.replications, None, _describe(exc))
            on_result(result)
        if lost:
            self._discard()
        return [] if alone else lost

    def _discard(self) -> None:
        """Drop a broken pool (its workers are dead or exiting) so the next round starts a fresh one."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)  # returns at once: a broken pool has already ended its workers

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
    """Tasks on a dask.distributed cluster: an existing scheduler, or a LocalCluster started here.

    A LocalCluster keeps its scratch files in a temporary folder of its own, removed on close. On Linux
    its workers are forked, not spawned: a spawned worker imports iopsim, SimPy, numpy and pandas again
    (seconds on a loaded machine), which made `--dask local` slower than the process pool, which forks.
    """

    def __init__(self, address: str, jobs: int, evaluate: Evaluate):
        import dask
        from distributed import Client, LocalCluster

        super().__init__(evaluate)
        self._cluster = None
        self._scratch: str | None = None
        if address == "local":
            self._scratch = tempfile.mkdtemp(prefix="iopsim-dask-")
            settings = {"temporary-directory": self._scratch,  # each makes a dask-scratch-space there
                        **LOCAL_CLUSTER_SETTINGS}
            if sys.platform == "linux":  # forked workers start with iopsim imported, as the pool's do
                settings["distributed.worker.multiprocessing-method"] = "fork"
            try:
                with dask.config.set(settings):
                    self._cluster = LocalCluster(n_workers=jobs, processes=True, threads_per_worker=1,
                                                 dashboard_address=None, host="127.0.0.1",
                                                 local_directory=self._scratch)
                self.client = Client(self._cluster)
            except BaseException:
                self.close()
                raise
            self.workers = jobs
            self.description = f"dask LocalCluster, {plural(jobs, 'worker')}"
        else:
            check_scheduler(address)
            self.client = Client(address, timeout=f"{CONNECT_SECONDS:g}s")
            self.workers = max(1, sum(self.client.nthreads().values()))
            self.description = f"dask scheduler {address}, {plural(self.workers, 'thread')}"

    def run(self, tasks: Sequence[Task], on_result: OnResult) -> None:
        """Tasks in shrinking batches (guided_batches), each scenario sent to the cluster once.

        One dask task per engine task made the scheduler and the pickling of a scenario with every task
        cost more than the pool's pipes; a batch runs its tasks in order and returns their results together.
        """
        from distributed import as_completed

        tasks = list(tasks)
        shared = self._scatter(tasks)
        batches = guided_batches(tasks, self.workers)
        futures = {
            self.client.submit(run_batch, [(t.key, t.seed, t.replications) for t in batch],
                               [shared.get(id(t.scenario), t.scenario) for t in batch], self.evaluate, pure=False): batch
            for batch in batches
        }
        try:
            for future in as_completed(list(futures)):
                batch = futures[future]
                try:
                    results = future.result()
                except Exception as exc:  # a worker died or the batch could not be unpickled there
                    results = [TaskResult(t.key, t.replications, None, _describe(exc)) for t in batch]
                for result in results:
                    on_result(result)
        except BaseException:
            self.client.cancel(list(futures))
            raise

    def _scatter(self, tasks: Sequence[Task]) -> dict[int, Any]:
        """Scenarios that several tasks share, sent once to the cluster (id of the scenario -> its future)."""
        count: dict[int, int] = {}
        first: dict[int, Scenario] = {}
        for t in tasks:
            count[id(t.scenario)] = count.get(id(t.scenario), 0) + 1
            first.setdefault(id(t.scenario), t.scenario)
        repeated = [k for k, n in count.items() if n > 1]
        if not repeated:
            return {}
        futures = self.client.scatter([first[k] for k in repeated], hash=False)
        return dict(zip(repeated, futures, strict=True))

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)


def check_scheduler(address: str, seconds: float | None = None) -> None:
    """Raise TimeoutError, OSError or ValueError unless a dask scheduler answers at `address` in time.

    distributed's own Client(timeout=...) bounds the TCP connect but not the handshake that follows: a
    server of another protocol there (a web server, say) makes it wait forever, or read a few bytes of
    its reply as the length of the next message and try to allocate exabytes.
    """
    import asyncio  # here, not at the top: every `iopsim run` imports this module, few contact a scheduler

    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    seconds = CONNECT_SECONDS if seconds is None else seconds
    scheme, location = parse_address(address)  # a malformed address: ValueError saying what is wrong
    get_backend(scheme)
    if scheme in ("tcp", "tls", "ws", "wss"):
        parse_host_port(location)
    try:
        reply = asyncio.run(asyncio.wait_for(_identity(address, seconds), seconds))
    except (asyncio.TimeoutError, TimeoutError):
        raise TimeoutError(f"no dask scheduler answered within {seconds:g} s") from None
    except OSError:
        raise
    except Exception as exc:  # MemoryError, ValueError, ...: it read another protocol's bytes as dask's
        raise ValueError(f"the server there does not speak the dask protocol ({_describe(exc)})") from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise ValueError(f"the server there is not a dask scheduler (it answered {str(reply)[:80]!r})")


async def _identity(address: str, seconds: float) -> Any:
    from distributed.comm import connect

    comm = await connect(address, timeout=seconds)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def open_executor(jobs: int, evaluate: Evaluate, dask: str | None = None) -> Executor:
    """Serial for one job, a process pool for more, dask when an address (or 'local') is given."""
    if dask:
        return DaskExecutor(dask, max(1, jobs), evaluate)
    if jobs <= 1:
        return Executor(evaluate)
    return PoolExecutor(jobs, evaluate)
