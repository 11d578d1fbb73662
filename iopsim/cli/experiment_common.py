"""What the experiment commands (sweep, size, sensitivity) share: the experiment argument, --dask,
loading an experiment, opening an executor, planning and running a sweep plan, and printing errors."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..scenario.wording import plural
from .common import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    confirm_workload,
    echo,
    exit_with_problems,
    output_or_exit,
    progress_bar,
    worker_count,
    write_errors,
)

EXIT_POINT_FAILED = 1

experiment_argument = click.argument("experiment", type=click.Path(path_type=Path, readable=False))
dask_option = click.option(
    "--dask", metavar="ADDRESS|local",
    help="Run on a dask.distributed scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786; its workers need iopsim "
         "installed), or 'local' to start a LocalCluster of --jobs workers.",
)


def _load_experiment(path: Path):
    from ..experiments.resolve import load_experiment
    from ..scenario.loader import ScenarioError

    try:
        return load_experiment(path)
    except ScenarioError as err:
        exit_with_problems(path, err)


def _open_executor(jobs: int, dask: str | None):
    from ..experiments.executors import open_executor

    jobs = worker_count(jobs)
    try:
        return open_executor(jobs, dask)
    except (OSError, TimeoutError, ValueError) as exc:
        click.echo(f"--dask {dask}: cannot connect to the scheduler: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)


PLANNING_PROGRESS_ABOVE = 500
"""Points above which validating them (~15 ms each) gets a progress bar."""


def _plan(loaded, raw_points, kind: str, yes: bool):
    """Estimate the work of `raw_points` (refusing a huge one without --yes), then validate each point."""
    from ..experiments import sweep as sw
    from ..scenario.workload import expected_referrals

    n = len(raw_points)
    name = loaded.experiment.name
    per_point = expected_referrals(loaded.scenario) * loaded.replications
    confirm_workload(f"{name}: {plural(n, 'point')} x {plural(loaded.replications, 'replication')} (at the base scenario's rate)",
                     per_point * n, yes)
    if n <= PLANNING_PROGRESS_ABOVE:
        return sw.plan(loaded, raw_points, kind=kind)
    with progress_bar(f"{name}: checking points", n) as advance:
        return sw.plan(loaded, raw_points, kind=kind, on_point=advance)


def _run_plan(plan, out: Path, jobs: int, dask: str | None, what: str):
    """Run a sweep plan into `out` with a progress bar; handles refusal and Ctrl-C. Returns (run, seconds)."""
    from ..experiments import sweep as sw
    from ..experiments.store import ResultStore, StoreMismatch
    from ..files import check_location

    out = output_or_exit(check_location, out)
    store = ResultStore(out, plan.manifest)
    try:
        store.check(plan.manifest)  # before starting workers; nothing is written until they are up
    except StoreMismatch as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    done = len(store.finished([p.point_id for p in plan.points]))
    for point_id, problem in sorted(store.rejected.items()):
        click.echo(f"{store.point_path(point_id)}: {problem}; the point is run again.", err=True)
    executor = _open_executor(jobs, dask)
    echo(f"{plan.name}: {plural(len(plan.points), 'point')} x {plural(plan.replications, 'replication')} = "
         f"{plural(plan.simulations, 'simulation')}, seed {plan.seed}, on {executor.description}"
         + (f"; {plural(done, 'point')} already in {out}/ {'is' if done == 1 else 'are'} skipped" if done else ""),
         err=True)
    start = time.perf_counter()
    try:
        with executor, progress_bar(f"{plan.name}: {what}", plan.simulations, done * plan.replications) as advance:
            with write_errors():
                result = sw.run(plan, store, executor, advance)
    except KeyboardInterrupt:
        left = len(plan.points) - len(store.finished([p.point_id for p in plan.points]))
        click.echo(f"Interrupted: finished points are saved in {out}/; {left} left. "
                   "Run the same command again to resume.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    return result, time.perf_counter() - start



def _report_errors(errors) -> None:
    if not errors:
        return
    echo(f"{plural(len(errors), 'point')} failed; their errors are in the point files and summary.csv "
         "(rerun to retry them):", err=True)
    for pid, params, message in errors:
        where = ", ".join(f"{k}={v}" for k, v in params.items())
        click.echo(f"  {pid} ({where}): {message}", err=True)
    sys.exit(EXIT_POINT_FAILED)


def _ci_text(mean, lo, hi) -> str:
    import math

    from ..reports.tables import decimals_for, format_value

    d = decimals_for(mean)
    if lo is None or (isinstance(lo, float) and math.isnan(lo)):
        return format_value(mean, d)
    return f"{format_value(mean, d)}\n[{format_value(lo, d)} – {format_value(hi, d)}]"

