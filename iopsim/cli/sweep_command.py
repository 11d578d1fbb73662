"""`iopsim sweep`: every point of an experiment file, resumable, with a table of means and CIs."""

from __future__ import annotations

from pathlib import Path

import click

from .common import exit_with_problems, jobs_option, main, write_errors, yes_option
from .experiment_common import (
    _ci_text,
    _dry_run,
    _load_experiment,
    _plan,
    _report_errors,
    _run_plan,
    dask_option,
    dry_run_option,
    experiment_argument,
)


@main.command()
@experiment_argument
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Result folder (default runs/<experiment>); rerun with the same folder to resume.")
@jobs_option
@dask_option
@yes_option
@dry_run_option
def sweep(experiment: Path, out: Path | None, jobs: int, dask: str | None, yes: bool, dry_run: bool) -> None:
    """Run every point of an EXPERIMENT file: a grid of values and/or a LHS/Sobol sample of ranges.

    Each point runs the same replications and seed (common random numbers). Each finished point is
    saved at once, so a sweep stopped by Ctrl-C or a crash resumes where it stopped when the same
    command is run again. Writes results.csv/.parquet (one row per point and replication),
    summary.csv (one row per point and KPI: mean, 95% CI, unit, n), points.csv (status and scenario
    SHA-256 per point), and for citing the study provenance.json (design, seed, library versions),
    codebook.csv (every column's meaning and unit) and copies of the experiment and scenario files.
    """
    from ..experiments import sweep as sw
    from ..experiments.store import ResultStore
    from ..scenario.loader import ScenarioError

    loaded = _load_experiment(experiment)
    try:
        raw = sw.design(loaded)
        if dry_run:
            _dry_run(loaded, raw, "sweep", jobs, dask)
            return
        plan = _plan(loaded, raw, "sweep", yes)
    except ScenarioError as err:
        exit_with_problems(experiment, err)
    out = out or Path("runs") / experiment.stem
    result, seconds = _run_plan(plan, out, jobs, dask, "simulations")
    tables = sw.tables(plan, ResultStore(out, plan.manifest))
    with write_errors():
        sw.write_tables(tables, out)
    _print_sweep(plan, tables)
    skipped = f"; {result.skipped} point{'s were' if result.skipped != 1 else ' was'} already done"
    click.echo(f"Ran {result.ran} points ({result.ran * plan.replications} simulations) in {seconds:.1f} s"
               + (skipped if result.skipped else "") + f". Results written to {out}/ ({', '.join(sw.RESULT_FILES)}, points.csv; "
               f"{', '.join(sw.PROVENANCE_FILES)})")
    _report_errors(tables.errors)



MAX_ROWS = 60


def _print_sweep(plan, tables) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..experiments import sweep as sw

    table = Table(title=f"{plan.name}: mean [95% CI] over {plan.replications} replications per point")
    table.add_column("point")
    for name in [*plan.params, *plan.kpis]:
        table.add_column(name, justify="right", overflow="fold")
    points = tables.points
    wide = sw.wide_summary(tables.summary, plan.kpis)
    for _, row in points.head(MAX_ROWS).iterrows():
        cells = [row["point_id"], *[str(row[p]) for p in plan.params]]
        if row["status"] != "ok":
            cells += [row["status"]] * len(plan.kpis)
        else:
            at = wide.loc[row["point_id"]]
            cells += [_ci_text(at[("mean", k)], at[("ci_low", k)], at[("ci_high", k)]) for k in plan.kpis]
        table.add_row(*cells)
    console = Console()
    console.print(table)
    if len(points) > MAX_ROWS:
        console.print(f"(first {MAX_ROWS} of {len(points)} points; all are in summary.csv)")

