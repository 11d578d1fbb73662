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



dry_run_option = click.option(
    "--dry-run", is_flag=True,
    help="Say how many points and simulations this is and estimate the time from a short calibration run "
         "(a few points simulated once); write nothing.",
)


def _dry_run(loaded, raw_points, kind: str, jobs: int, dask: str | None) -> None:
    """Print the size of the experiment and its estimated time from a calibration run; exit 0."""
    from ..experiments.estimate import calibrate_sweep, duration_text, spread
    from ..scenario.loader import ScenarioError

    n, reps = len(raw_points), loaded.replications
    workers = max(1, jobs) if dask else worker_count(jobs)
    picked = spread(n)
    click.echo(f"{loaded.experiment.name} ({kind}, dry run): {n:,} points x {reps} replications = "
               f"{n * reps:,} simulations, seed {loaded.seed}, on {workers} worker{'s' if workers != 1 else ''}"
               + (f" of dask {dask}" if dask else "") + ".")
    click.echo(f"Calibrating: {len(picked)} point{'s' if len(picked) != 1 else ''} spread over the design, "
               "checked, simulated once each and tabulated in a temporary folder ...")
    try:
        est = calibrate_sweep(loaded, raw_points, reps, workers, kind.replace(" ", "-"))
    except ScenarioError as err:
        exit_with_problems(loaded.path, err)
    runs = ", ".join(f"{s:.2f}" for s in est.simulation_seconds)
    plain = sum(est.simulation_seconds) / len(est.simulation_seconds)
    click.echo(f"One simulation took {runs} s (mean {plain:.2f} s; {est.per_simulation:.2f} s for the design's "
               f"mean referrals); checking a point "
               f"{est.check_seconds * 1000:.0f} ms; the tables {est.output_seconds:.1f} s.")
    click.echo(f"Estimated time: {duration_text(est.seconds)} ({est.seconds:.1f} s: checking the points "
               f"{duration_text(est.checking_seconds)}, simulations {duration_text(est.simulating_seconds)} "
               f"on {plural(min(workers, est.simulations), 'worker')}, CPU time: assuming each has a core of this machine to "
               f"itself, "
               f"tables {duration_text(est.output_seconds)}). Nothing was run or written.")


def _dry_run_size(s, seed: int, candidates: tuple[int, int], replications: tuple[int, int], jobs: int,
                  what: str) -> None:
    """`size --dry-run`: the search's least and most work, timed by one calibration replication; exit 0.

    A search stops when the targets are decided, so its work is a range: the fewest candidates at
    --min-replications to the most at --max-replications."""
    from ..experiments.estimate import calibrate, duration_text

    workers = worker_count(jobs)
    est = calibrate(1, 1, workers, lambda i: s, seed)
    low, high = candidates[0] * replications[0], candidates[1] * replications[1]
    per = est.per_simulation / max(1, min(workers, replications[0]))
    click.echo(f"{s.name} (size, dry run): {what}; {candidates[0]:,} to {candidates[1]:,} candidates x "
               f"{replications[0]}-{replications[1]} replications = {low:,} to {high:,} simulations, seed {seed}, "
               f"on {workers} worker{'s' if workers != 1 else ''}.")
    click.echo(f"Calibration: one replication of the scenario as given took {est.per_simulation:.2f} s "
               "(candidates with more capacity take about as long).")
    click.echo(f"Estimated time: {duration_text(low * per)} to {duration_text(high * per)} "
               f"({low * per:.1f} to {high * per:.1f} s). Nothing was run or written.")
