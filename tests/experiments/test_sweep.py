"""Sweeps: the same table whatever the backend, after a kill -9 and resume, and with failing points."""

from __future__ import annotations

import http.server
import json
import re
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from iopsim import execution
from iopsim.analysis.kpi_names import kpi_names
from iopsim.analysis.kpis import KPI_UNITS
from iopsim.cli import main
from iopsim.experiments import executors, sweep
from iopsim.experiments.resolve import load_experiment
from iopsim.experiments.store import ResultStore
from iopsim.scenario.wording import plural
from tests.processes import assert_gone, children

from .helpers import (
    GRID,
    explode_on_three_counselors,
    kill_worker_on_three_counselors,
    kill_worker_once,
    write_experiment,
)

# 24 points x 3 replications of a 2-year horizon: a few seconds, long enough to kill halfway.
KILL = """\
parameters:
  - path: counselors.count
    values: [3, 4, 5, 6]
  - path: referrals.rate_per_week
    range: {low: 7, high: 11}
sampling: {method: lhs, points: 6, seed: 1}
replications: 3
seed: 11
"""


def run_cli(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes()
            for name in ("results.csv", "summary.csv", "points.csv", "provenance.json", "codebook.csv")}


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> tuple[Path, Path]:
    """The small grid x LHS experiment, run serially: the reference every backend must match."""
    folder = tmp_path_factory.mktemp("grid")
    path = write_experiment(folder, GRID)
    result = run_cli("sweep", path, "--out", folder / "serial", "-j", "1")
    assert result.exit_code == 0, result.output
    return path, folder / "serial"


def test_tidy_table_one_row_per_point_and_replication(grid):
    path, out = grid
    results = pd.read_csv(out / "results.csv")
    base = load_experiment(path).scenario  # the baseline has finance: its money KPIs follow the fixed ones
    assert list(results.columns) == ["point_id", "counselors.count", "referrals.rate_per_week", "replication",
                                     *kpi_names(base)]
    assert list(kpi_names(base))[: len(KPI_UNITS)] == list(KPI_UNITS) and "total_cost_per_year" in results
    assert len(results) == 6 * 2
    assert list(results["point_id"]) == sorted(results["point_id"])
    assert list(results["replication"]) == [0, 1] * 6
    assert list(results["counselors.count"]) == [3] * 6 + [4] * 6
    # common random numbers: the same three referral rates in both staffing cells, same seed throughout
    rates = results["referrals.rate_per_week"]
    assert list(rates[:6]) == list(rates[6:])
    # the numbers are the simulation's: replication 1 of point p0004 rerun by hand
    plan = sweep.plan(load_experiment(path))
    point = plan.points[4]
    expected = executors.simulate_kpis(point.scenario, 7, 1)
    row = results[(results["point_id"] == point.point_id) & (results["replication"] == 1)].iloc[0]
    assert row["waitlist_mean"] == pytest.approx(expected["waitlist_mean"], rel=1e-9)
    parquet = pd.read_parquet(out / "results.parquet")
    pd.testing.assert_frame_equal(parquet, results, check_exact=False, check_dtype=False, rtol=1e-9)


def test_summary_is_long_one_row_per_point_and_kpi_with_its_ci_unit_and_n(grid):
    _, out = grid
    summary = pd.read_csv(out / "summary.csv")
    results = pd.read_csv(out / "results.csv")
    assert list(summary.columns) == ["point_id", "counselors.count", "referrals.rate_per_week", "kpi", "mean",
                                     "ci_low", "ci_high", "unit", "n"]
    # every KPI the points reported (the fixed ones first, then per track, per shift, money, staffing),
    # each once per point: the same KPIs as the columns of results.csv
    kpis = list(dict.fromkeys(summary["kpi"]))
    assert kpis == [c for c in results.columns if c not in ("point_id", "counselors.count",
                                                            "referrals.rate_per_week", "replication")]
    assert len(summary) == 6 * len(kpis)
    assert list(summary["kpi"][: len(KPI_UNITS)]) == list(KPI_UNITS)
    assert (summary.groupby("point_id")["kpi"].apply(list) == pd.Series({p: kpis for p in summary["point_id"]})).all()
    first = results[results["point_id"] == "p0000"]["census_mean"]
    row = summary[(summary["point_id"] == "p0000") & (summary["kpi"] == "census_mean")].iloc[0]
    assert row["mean"] == pytest.approx(first.mean())
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert row["unit"] == "patients" and row["n"] == 2
    assert not any(c.endswith("_mean_mean") for c in summary.columns)
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 6 and set(points["status"]) == {"ok"}


@pytest.mark.parametrize("backend", [
    pytest.param(["-j", "2"], id="process-pool"),
    pytest.param(["--dask", "local", "-j", "2"], id="dask-local", marks=pytest.mark.slow),
])
def test_every_backend_writes_the_same_bytes_and_leaves_no_temporary_files(grid, backend, tmp_path, monkeypatch):
    path, reference = grid
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # forget the cached one: read TMPDIR again
    result = run_cli("sweep", path, "--out", tmp_path / "out", *backend)
    assert result.exit_code == 0, result.output
    assert files(tmp_path / "out") == files(reference)
    assert list(temp.iterdir()) == []  # e.g. no dask-scratch-space left behind


@pytest.mark.slow
def test_a_dask_scheduler_at_an_address(grid, tmp_path):
    from distributed import LocalCluster

    path, reference = grid
    with LocalCluster(n_workers=1, processes=False, threads_per_worker=2, dashboard_address=None, protocol="tcp",
                      host="127.0.0.1", local_directory=str(tmp_path / "dask")) as cluster:
        result = run_cli("sweep", path, "--out", tmp_path / "out", "--dask", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    assert f"on dask scheduler {cluster.scheduler_address}, 2 threads" in " ".join(result.stderr.split())
    assert files(tmp_path / "out") == files(reference)


class _Silent(socketserver.BaseRequestHandler):
    """Reads what the client sends and never answers."""

    def handle(self) -> None:
        self.request.recv(1024)
        time.sleep(5)


class _BadRequest(_Silent):
    """Answers anything with an HTTP error, as most servers of another protocol would."""

    def handle(self) -> None:
        self.request.recv(1024)
        self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<h1>Bad Request</h1>")
        time.sleep(5)


class _QuietWebServer(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize(("handler", "problem"), [
    (_QuietWebServer, "(does not speak the dask protocol|no dask scheduler answered within 2 s)"),
    (_BadRequest, "the server there does not speak the dask protocol"),
    (_Silent, "no dask scheduler answered within 2 s"),
], ids=["web-server", "http-error", "silent"])
def test_a_server_that_is_not_a_dask_scheduler_is_refused_in_time(grid, tmp_path, monkeypatch, handler, problem):
    path, _ = grid
    monkeypatch.setattr(execution, "CONNECT_SECONDS", 2)
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        address = f"tcp://127.0.0.1:{server.server_address[1]}"
        start = time.monotonic()
        result = run_cli("sweep", path, "--out", tmp_path / "out", "--dask", address)
        seconds = time.monotonic() - start
        server.shutdown()
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"--dask {address}: cannot connect to the scheduler: ")
    assert re.search(problem, result.stderr)
    assert seconds < 30  # it used to wait forever; 2 s of timeout plus start-up on a busy machine
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_sweep_killed_with_sigkill_resumes_to_the_same_table(tmp_path):
    path = write_experiment(tmp_path, KILL, overrides={"run.horizon_years": 2})
    reference = run_cli("sweep", path, "--out", tmp_path / "whole", "-j", "2")
    assert reference.exit_code == 0, reference.output
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "iopsim.cli", "sweep", str(path), "--out", str(out), "-j", "2"]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        done = _wait_for_points(out / "points", proc)
        workers = children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    saved = _point_files(out / "points")
    assert 1 <= done <= len(saved) < 24, f"kill came too late to test resuming ({len(saved)} of 24 points)"
    assert not (out / "results.csv").exists()
    assert_gone(workers)  # the pool's workers notice their parent died and exit

    rerun = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{plural(len(saved), 'point')} already in" in " ".join(rerun.stderr.split())  # wrapped at 80 columns
    assert f"Ran {plural(24 - len(saved), 'point')} " in " ".join(rerun.stdout.split())
    assert files(out) == files(tmp_path / "whole")


def _point_files(folder: Path) -> list[Path]:
    return [p for p in folder.glob("p*.json")] if folder.exists() else []


def _wait_for_points(folder: Path, proc: subprocess.Popen, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = len(_point_files(folder))
        if n:
            return n
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "sweep ended early"
        time.sleep(0.01)
    raise AssertionError("no point finished in time")


def test_a_failing_point_is_recorded_reported_and_retried(grid, tmp_path):
    path, reference = grid  # the serial run of the same experiment is what the retried sweep must equal
    plan = sweep.plan(load_experiment(path))
    store = ResultStore(tmp_path / "out")
    with execution.PoolExecutor(2, explode_on_three_counselors) as pool:
        run = sweep.run(plan, store, pool)
    assert run.failed == ["p0000", "p0001", "p0002"]  # counselors.count = 3
    record = json.loads((tmp_path / "out" / "points" / "p0001.json").read_text())
    assert record["error"]["message"] == "RuntimeError: simulated failure"
    assert "explode_on_three_counselors" in record["error"]["traceback"]
    tables = sweep.tables(plan, store)
    assert [e[0] for e in tables.errors] == ["p0000", "p0001", "p0002"]
    assert list(tables.points["status"]) == ["error"] * 3 + ["ok"] * 3
    assert set(tables.results["point_id"]) == {"p0003", "p0004", "p0005"}

    # A rerun keeps the good points and retries the failed ones.
    calls = []
    with execution.Executor(executors.simulate_kpis) as serial:
        again = sweep.run(plan, store, serial, on_progress=calls.append)
    assert (again.skipped, again.ran, again.failed) == (3, 3, [])
    assert sum(calls) == 3 * 2
    sweep.write_tables(sweep.tables(plan, store), tmp_path / "out")
    assert files(tmp_path / "out") == files(reference)


def test_points_a_dying_worker_took_down_are_retried_on_a_fresh_pool(grid, tmp_path):
    """One worker killed from outside (OOM killer, kill -9) breaks the whole pool: every point it
    had not finished must be rerun, not reported as failed."""
    path, reference = grid
    plan = sweep.plan(load_experiment(path))
    store = ResultStore(tmp_path / "out")
    marker = tmp_path / "killed-once"
    with execution.PoolExecutor(2, partial(kill_worker_once, str(marker))) as pool:
        run = sweep.run(plan, store, pool)
    assert marker.exists()  # a worker really died
    assert (run.ran, run.failed) == (6, [])
    sweep.write_tables(sweep.tables(plan, store), tmp_path / "out")
    assert files(tmp_path / "out") == files(reference)


def test_only_the_point_that_kills_its_worker_fails(grid, tmp_path):
    path, reference = grid
    plan = sweep.plan(load_experiment(path))
    store = ResultStore(tmp_path / "out")
    with execution.PoolExecutor(2, kill_worker_on_three_counselors) as pool:
        run = sweep.run(plan, store, pool)
        assert run.failed == ["p0000", "p0001", "p0002"]  # counselors.count = 3
        record = json.loads((tmp_path / "out" / "points" / "p0001.json").read_text())
        assert record["error"]["message"].startswith("worker process died running this task alone")
        again = sweep.run(plan, store, pool)  # the pool recovers for the next run, as sizing needs
        assert (again.skipped, again.ran, again.failed) == (3, 3, ["p0000", "p0001", "p0002"])
    tables = sweep.tables(plan, store)
    assert list(tables.points["status"]) == ["error"] * 3 + ["ok"] * 3
    good = pd.read_csv(reference / "results.csv")
    good = good[good["counselors.count"] == 4].reset_index(drop=True)
    pd.testing.assert_frame_equal(tables.results.reset_index(drop=True), good, check_dtype=False, rtol=1e-9)


def test_the_command_reports_failed_points_and_exits_nonzero(tmp_path, monkeypatch):
    path = write_experiment(tmp_path, GRID)
    monkeypatch.setattr(executors, "open_executor",
                        lambda jobs, dask=None: execution.PoolExecutor(2, explode_on_three_counselors))
    result = run_cli("sweep", path, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "3 points failed" in result.stderr
    assert "p0002 (counselors.count=3, referrals.rate_per_week=" in result.stderr
    assert "RuntimeError: simulated failure" in result.stderr
    assert (tmp_path / "out" / "results.csv").exists()  # the good points are still written


def test_a_folder_of_another_experiment_is_refused(grid, tmp_path):
    path, out = grid
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    changed = write_experiment(tmp_path, GRID.replace("seed: 7", "seed: 8"))
    result = run_cli("sweep", changed, "--out", out, "-j", "1")
    assert result.exit_code == 2
    assert "holds results of a different experiment" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    result = run_cli("sweep", path, "--out", stranger, "-j", "1")
    assert result.exit_code == 2 and "holds no experiment.json" in result.stderr


def test_rerunning_a_finished_sweep_runs_nothing(grid):
    path, out = grid
    before = files(out)
    result = run_cli("sweep", path, "--out", out, "-j", "1")
    assert result.exit_code == 0
    assert "Ran 0 points" in result.output and "6 points were already done" in result.output
    assert files(out) == before



@pytest.mark.slow
def test_dask_batches_tasks_and_sends_a_shared_scenario_once_with_the_same_results(grid):
    """Chunks of one point share its scenario: it is scattered once, and every result is the serial one."""
    path, _ = grid
    point = sweep.plan(load_experiment(path)).points[0]
    scenario = point.scenario
    tasks = [execution.Task(f"t{r}", scenario, 7, (r,)) for r in range(4)]
    serial: dict = {}
    execution.Executor(executors.simulate_kpis).run(tasks, lambda res: serial.setdefault(res.key, res.outputs))
    with execution.DaskExecutor("local", 1, executors.simulate_kpis) as dask:
        assert set(dask._scatter(tasks)) == {id(scenario)}
        got: dict = {}
        dask.run(tasks, lambda res: got.setdefault(res.key, res.outputs))
    assert got == serial
