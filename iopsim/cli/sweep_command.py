"""`iopsim sweep`: every point of an experiment file, resumable, with a table of means and CIs."""

from __future__ import annotations

from pathlib import Path

import click

from ..scenario.wording import plural
from .common import echo, exit_with_problems, jobs_option, main, write_errors, yes_option
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
    skipped = f"; {plural(result.skipped, 'point')} {'was' if result.skipped == 1 else 'were'} already done"
    echo(f"Ran {plural(result.ran, 'point')} ({plural(result.ran * plan.replications, 'simulation')}) in "
         f"{seconds:.1f} s" + (skipped if result.skipped else "") + f". Results written to {out}/ "
         f"({', '.join(sw.RESULT_FILES)}, points.csv; {', '.join(sw.PROVENANCE_FILES)})")
    _report_errors(tables.errors)



MAX_ROWS = 60


def _print_sweep(plan, tables) -> None:
    from ..analysis.kpis import KPI_UNITS
    from ..experiments import sweep as sw
    from ..reports.style import kpi_label
    from ..reports.terminal import Column, console, folded_tables, path_header

    points = tables.points.head(MAX_ROWS)
    ok = points["status"] == "ok"
    wide = sw.wide_summary(tables.summary, plan.kpis)
    key = [Column("point", list(points["point_id"]), right=False),
           *(Column(path_header(p), [str(v) for v in points[p]]) for p in plan.params)]
    units = dict(zip(tables.summary["kpi"], tables.summary["unit"], strict=True))  # money: the scenario's currency
    values = []
    for k in plan.kpis:
        unit = units.get(k) if isinstance(units.get(k), str) else KPI_UNITS.get(k, "")
        cells = []
        for (_, row), good in zip(points.iterrows(), ok, strict=True):
            if not good:
                cells.append(row["status"])
                continue
            at = wide.loc[row["point_id"]]
            cells.append(_ci_text(at[("mean", k)], at[("ci_low", k)], at[("ci_high", k)]))
        values.append(Column(f"{kpi_label(k)} [{unit}]" if unit else kpi_label(k), cells))
    out = console()
    title = f"{plan.name}: mean [95% CI] over {plural(plan.replications, 'replication')} per point"
    for table in folded_tables(title, key, values, out.width):
        out.print()
        out.print(table)
    if len(tables.points) > MAX_ROWS:
        out.print(f"(first {MAX_ROWS} of {len(tables.points)} points; all are in summary.csv)")
