"""`run_replications` on the execution engine: same results for any -j, Ctrl-C keeps what finished,
a failing replication is named, and no worker outlives its run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import iopsim.runner as runner
from iopsim.scenario.loader import load_scenario
from iopsim.scenario.schema import Scenario
from tests.processes import assert_gone, children, wait_for_children

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def short() -> Scenario:
    return load_scenario(BASELINE, ["run.horizon_years=1", "run.warmup_weeks=4"])


@pytest.fixture(scope="module")
def serial(short) -> runner.RunSet:
    return runner.run_replications(short, 6, seed=5, jobs=1)


def test_two_jobs_give_the_serial_results_in_replication_order_with_progress(short, serial):
    progress: list[int] = []
    run = runner.run_replications(short, 6, seed=5, jobs=2, on_progress=progress.append)
    assert run.complete and [o.replication for o in run.outputs] == list(range(6))
    assert run.kpi_rows() == serial.kpi_rows()
    assert [o.series for o in run.outputs] == [o.series for o in serial.outputs]
    assert sum(progress) == 6 and len(progress) > 1  # guided batches report as each one returns


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_returns_the_finished_replications_marked_incomplete(short, serial, jobs):
    before = set(children(os.getpid()))
    workers: list[int] = []

    def interrupt(k: int) -> None:  # Ctrl-C reaches the parent as the first batch comes back
        workers.extend(set(children(os.getpid())) - before)
        raise KeyboardInterrupt

    run = runner.run_replications(short, 6, seed=5, jobs=jobs, on_progress=interrupt)
    assert not run.complete
    assert 1 <= run.replications < 6
    finished = [o.replication for o in run.outputs]
    assert run.kpi_rows() == [serial.outputs[r].kpis for r in finished]
    assert len(workers) == (2 if jobs == 2 else 0)
    assert_gone(workers, timeout=5)  # stopped at once, not left to finish their batches


def fail_on_replication_two(scenario, seed, replication, record_events=False, keep_patients=True, on_patients=None):
    """Stands in for run_one (module-level, so pool workers can unpickle it)."""
    if replication == 2:
        raise ValueError("no such clinic")
    return runner.ReplicationOutput(replication, {}, {})


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_replication_is_named_with_its_traceback(short, monkeypatch, jobs):
    monkeypatch.setattr(runner, "run_one", fail_on_replication_two)
    with pytest.raises(runner.ReplicationError) as err:
        runner.run_replications(short, 4, seed=5, jobs=jobs)
    message = str(err.value)
    assert message.startswith(f"{short.name}, seed 5, replications ")
    assert "ValueError: no such clinic" in message
    assert 'in fail_on_replication_two\n    raise ValueError("no such clinic")' in message


def test_workers_exit_when_the_run_is_killed(tmp_path):
    """kill -9 gives the parent no chance to stop its pool: the workers must notice by themselves."""
    command = [sys.executable, "-m", "iopsim.cli", "run", str(BASELINE), "-n", "40", "-j", "2",
               "--out", str(tmp_path / "out")]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        workers = wait_for_children(proc, 2)
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert_gone(workers, timeout=5)
    assert not (tmp_path / "out").exists()


def test_dask_batches_shrink_to_single_tasks_and_keep_every_task_in_order():
    from iopsim.execution import BATCHES_PER_WORKER, Task, guided_batches

    tasks = [Task(f"p{i}", None, 1, (0,)) for i in range(256)]  # type: ignore[arg-type]
    batches = guided_batches(tasks, 2)
    assert [t for b in batches for t in b] == tasks
    sizes = [len(b) for b in batches]
    assert sizes[0] == 256 // (BATCHES_PER_WORKER * 2) and sizes == sorted(sizes, reverse=True)
    assert sizes[-4:] == [1, 1, 1, 1] and len(batches) < 64  # a short tail, and far fewer batches than tasks
    assert [len(b) for b in guided_batches(tasks[:15], 2)] == [2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]
