"""Commands on one scenario: validate, schema, init, run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..scenario.wording import plural
from .common import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    confirm_workload,
    exit_with_problems,
    jobs_option,
    main,
    output_or_exit,
    overwrite_option,
    progress_bar,
    scenario_argument,
    seed_option,
    set_option,
    worker_count,
    write_errors,
    yes_option,
)
from .common import load_or_exit as _load


@main.command()
@scenario_argument
@set_option
def validate(scenario: Path, overrides: tuple[str, ...]) -> None:
    """Check a scenario (or experiment) file and report every problem with its line."""
    if _is_experiment(scenario):
        _validate_experiment(scenario, overrides)
        return
    s = _load(scenario, overrides)
    click.echo(f"{scenario}: OK ({plural(len(s.phases), 'phase')}, {plural(len(s.timetable), 'timetable session')}, "
               f"{plural(len(s.rooms), 'room')}, {plural(s.counselors.count, 'counselor')})")


def _is_experiment(path: Path) -> bool:
    """An experiment file names a base `scenario:` and `parameters:` (a scenario has neither)."""
    from ..scenario.loader import ScenarioError, load_yaml

    try:
        data, _ = load_yaml(path)
    except ScenarioError:
        return False  # the scenario loader reports it
    return isinstance(data.get("scenario"), str) and "parameters" in data


def _validate_experiment(path: Path, overrides: tuple[str, ...]) -> None:
    from ..experiments.resolve import load_experiment
    from ..scenario.loader import ScenarioError

    if overrides:
        click.echo(f"{path}: is an experiment file; --set applies to scenarios (use its `overrides:`)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        loaded = load_experiment(path)
    except ScenarioError as err:
        exit_with_problems(path, err)
    e = loaded.experiment
    click.echo(f"{path}: OK (experiment {e.name!r}: {plural(len(e.parameters), 'parameter')} on {loaded.scenario_path})")


@main.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor autocompletion)."""
    from ..scenario.loader import scenario_json_schema

    click.echo(json.dumps(scenario_json_schema(), indent=2))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default="my-iop.yaml")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path, force: bool) -> None:
    """Write a commented starter scenario to PATH (default my-iop.yaml)."""
    from importlib.resources import files

    from ..files import atomic_write_text, check_location

    if path.exists() and not force:
        click.echo(f"{path}: already exists; use --force to overwrite.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if path.is_dir():
        click.echo(f"{path}: is a folder; name a file for the scenario.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    output_or_exit(check_location, path)
    with write_errors():
        atomic_write_text(path, files("iopsim").joinpath("templates/starter.yaml").read_text())
    click.echo(f"Wrote {path}. Check it with: iopsim validate {path}")


@main.command()
@scenario_argument
@click.option("-n", "--replications", type=click.IntRange(min=1, max=100_000), help="Replications (default: the scenario's run.replications).")
@seed_option
@set_option
@jobs_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default runs/<scenario>-<seed>).")
@overwrite_option
@click.option("--events", is_flag=True, help="Also write events.csv, the full patient event log.")
@click.option("--no-patients", is_flag=True,
              help="Skip patients.parquet: memory then stays bounded on very long horizons (some charts need it).")
@click.option("--charts", is_flag=True, help="Also draw the standard charts into OUT/charts (as `iopsim plot`).")
@click.option("--all", "every_kpi", is_flag=True,
              help="Print every KPI by section, under the names --target and --kpi take (default: the headline).")
@yes_option
def run(scenario: Path, replications: int | None, seed: int | None, overrides: tuple[str, ...], jobs: int,
        out: Path | None, overwrite: bool, events: bool, no_patients: bool, charts: bool, every_kpi: bool,
        yes: bool) -> None:
    """Run replications of SCENARIO and print its KPIs with 95% confidence intervals.

    An earlier run at --out is kept (this one goes to OUT-2, OUT-3...) unless --overwrite; a folder
    iopsim did not write is never replaced. An interrupted run never replaces a finished one.
    """
    from rich.console import Console

    from ..reports.rundir_write import choose_run_folder, default_out_dir, write_run_folder
    from ..runner import run_replications
    from ..scenario.workload import LONG_REPLICATION, expected_referrals

    s = _load(scenario, overrides)
    n = replications or s.run.replications
    seed = s.run.seed if seed is None else seed
    s = s.model_copy(update={"run": s.run.model_copy(update={"replications": n, "seed": seed})})
    out = out or default_out_dir(scenario, seed)
    planned = output_or_exit(choose_run_folder, out, overwrite)  # before simulating
    console = Console(stderr=True)
    if planned != out:
        console.print(f"{out} holds an earlier run; this one goes to {planned} (--overwrite replaces it).")
    per_replication = expected_referrals(s)
    confirm_workload(f"{s.name}: {plural(n, 'replication')}", per_replication * n, yes)
    if per_replication > LONG_REPLICATION:  # count patients, so the bar moves inside each replication
        with progress_bar(f"{s.name}: patients", round(per_replication * n)) as advance:
            result = run_replications(s, n, seed, worker_count(jobs), events, keep_patients=not no_patients,
                                      on_patients=advance)
    else:
        with progress_bar(f"{s.name}: replications", n) as advance:
            result = run_replications(s, n, seed, worker_count(jobs), events, on_progress=advance,
                                      keep_patients=not no_patients)
    if not result.outputs:
        console.print("Interrupted before any replication finished; nothing written.")
        sys.exit(EXIT_INTERRUPTED)
    with write_errors():
        folder = write_run_folder(result, planned, overwrite,
                                  {"scenario_file": str(scenario), "overrides": list(overrides)})
    _print_summary(result, folder, every_kpi)
    if not result.complete:
        console.print(f"[yellow]Interrupted: {result.replications} of {n} replications finished and were written.")
        sys.exit(EXIT_INTERRUPTED)
    if charts:
        _draw_charts(folder, console)


def _draw_charts(folder: Path, console) -> None:
    from ..reports.charts import write_charts
    from ..reports.rundir import RunDir

    try:
        paths = write_charts(RunDir(folder), folder / "charts", ("png",))
    except KeyboardInterrupt:  # each chart file is written atomically: none is left half-written
        console.print("[yellow]Interrupted while drawing charts; the run folder is complete.")
        sys.exit(EXIT_INTERRUPTED)
    console.print(f"Charts written to {paths[0].parent}/")


def _print_summary(result, folder: Path, every: bool) -> None:
    from ..analysis.bottleneck import sentence as bottleneck_sentence
    from ..reports.terminal import console, headline_names, kpi_table

    summary = result.summary()
    title = (f"{result.scenario.name}: {plural(result.replications, 'replication')}, seed {result.seed} "
             f"(warm-up {result.scenario.run.warmup_weeks:g} weeks excluded)")
    out = console()
    out.print(kpi_table(title, summary, every))
    out.print()
    if not every:
        out.print(f"{len(headline_names(summary))} headline KPIs of {len(summary)}; --all prints every one "
                  "under its name (as --target and --kpi take it); all are in summary.json.", markup=False)
    out.print(bottleneck_sentence(result.bottleneck()), markup=False)
    out.print(f"Results written to {folder}/", markup=False)
