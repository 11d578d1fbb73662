"""`iopsim sensitivity`: global sensitivity indices (SALib) of an experiment's KPIs, from a sample run
as a resumable sweep (sobol, morris) or from the points of an existing sweep (rbd-fast, pawn)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..scenario.wording import plural
from .common import (
    EXIT_BAD_INPUT,
    exit_with_problems,
    jobs_option,
    main,
    output_or_exit,
    write_errors,
    yes_option,
)
from .experiment_common import (
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
@click.option("--method", type=click.Choice(["sobol", "morris", "rbd-fast", "pawn"]), default="sobol",
              show_default=True,
              help="sobol: first-order and total indices (Saltelli sampling); morris: mu* and sigma screening; "
                   "rbd-fast (S1) and pawn (KS distances): from the points "
                   "of an existing `iopsim sweep` of the same file, without new simulations.")
@click.option("--second-order", is_flag=True,
              help="Sobol only: also the second-order (pairwise interaction) indices; N x (2D + 2) points.")
@click.option("--sweep", "sweep_dir", type=click.Path(file_okay=False, path_type=Path),
              help="rbd-fast/pawn: the `iopsim sweep` result folder to analyse (default runs/<experiment>).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Result folder (default runs/<experiment>-<method>, or the --sweep folder for rbd-fast/pawn); "
                   "rerun with the same folder to resume.")
@jobs_option
@dask_option
@yes_option
@dry_run_option
def sensitivity(experiment: Path, method: str, second_order: bool, sweep_dir: Path | None, out: Path | None,
                jobs: int, dask: str | None, yes: bool, dry_run: bool) -> None:
    """Global sensitivity of the experiment's KPIs to its parameter ranges (SALib).

    Samples every `range` of EXPERIMENT (its `sensitivity:` section sets the sample size, Morris
    levels, bootstrap resamples and seed), runs each point as a resumable sweep with the same
    replications and seed, and analyses each point's mean of every KPI in `kpis:`. Integer ranges
    get every (A, B) level pairing equally often. Prints and plots the indices with bootstrap 95%
    confidence intervals, and checks them (sum S1 <= 1, S1 <= ST, no negative index, sum ST >= 1,
    convergence from N/2 to N, the share of simulation noise, integer levels against their variance
    share). Each analysis writes new indices-*.csv and diagnostics-*.csv files, never replacing old ones.
    """
    from ..experiments import sensitivity as sa
    from ..experiments.sensitivity_runs import sample_evaluator
    from ..scenario.loader import ScenarioError

    if second_order and method != "sobol":
        raise click.BadParameter("needs --method sobol", param_hint="--second-order")
    if sweep_dir is not None and method not in sa.GIVEN_DATA:
        raise click.BadParameter(f"only for {', '.join(sa.GIVEN_DATA)} (sobol and morris run their own sample)",
                                 param_hint="--sweep")
    loaded = _load_experiment(experiment)
    e = loaded.experiment
    problems = [loaded.problem(where, message) for where, message in sa.check_for_sensitivity(e, method)]
    if problems:
        exit_with_problems(experiment, ScenarioError(problems))
    from ..files import check_location

    if dry_run:
        if method in sa.GIVEN_DATA:
            click.echo(f"{method} analyses the points of an existing sweep: nothing to simulate.")
            return
        from ..experiments.sensitivity_design import points_from, sample, values_of

        problem = sa.problem_of(e)
        raw = points_from(e, values_of(problem, sample(problem, method, e.sensitivity, second_order)))
        _dry_run(loaded, raw, f"sensitivity {method}", jobs, dask)
        return
    if method in sa.GIVEN_DATA:
        _sensitivity_from_sweep(experiment, loaded, method, sweep_dir or Path("runs") / experiment.stem, out)
        return
    out = out or Path("runs") / f"{experiment.stem}-{method}{'2' if second_order else ''}"
    output_or_exit(check_location, out)
    problem = sa.problem_of(e)
    for warning in sa.design_warnings(problem, method, e.sensitivity):
        click.echo(f"Warning: {warning}", err=True)

    def plan(raw_points):
        try:
            return _plan(loaded, raw_points, f"sensitivity-{method}{'2' if second_order else ''}", yes)
        except ScenarioError as err:
            exit_with_problems(experiment, err)

    def report(result, sample_plan, seconds: float, tables) -> None:
        click.echo(_simulated_text(result, sample_plan, seconds, out), err=True)
        _report_errors(tables.errors)  # indices need every point

    def run(sample_plan):
        return _run_plan(sample_plan, out, jobs, dask, f"{method} sample")

    evaluate = sample_evaluator(loaded, out, plan, run, report)
    indices = sa.run(problem, method, e.sensitivity, e.kpis, evaluate, second_order)
    from ..experiments.outputs import write_indices

    with write_errors():
        files = write_indices(indices, loaded, out)
    _print_indices(indices, loaded)
    _print_diagnostics(indices)
    click.echo(f"Indices written to {', '.join(str(f) for f in files)}", err=True)


def _sensitivity_from_sweep(experiment: Path, loaded, method: str, folder: Path, out: Path | None) -> None:
    """Indices from the finished points of this experiment's own sweep; nothing is simulated."""
    from ..experiments import sensitivity as sa
    from ..experiments import sweep as sw
    from ..experiments.outputs import write_indices
    from ..experiments.sensitivity_runs import replication_array
    from ..experiments.store import ResultStore, StoreMismatch
    from ..scenario.loader import ScenarioError

    try:
        plan = sw.plan(loaded)
    except ScenarioError as err:
        exit_with_problems(experiment, err)
    store = ResultStore(folder)
    try:
        store.check(plan.manifest)
    except StoreMismatch as exc:
        click.echo(f"--sweep {folder}: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    missing = len(plan.points) - len(store.finished([p.point_id for p in plan.points]))
    if missing:
        click.echo(f"--sweep {folder}: {missing} of {len(plan.points)} points of this experiment's sweep are not "
                   f"there; run `iopsim sweep {experiment} --out {folder}` first.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    tables = sw.tables(plan, store)
    _report_errors(tables.errors)
    e = loaded.experiment
    problem = sa.problem_of(e)
    X = tables.points[problem["names"]].to_numpy(dtype=float)
    Y = replication_array(tables.results, e.kpis, len(plan.points), plan.replications)
    click.echo(f"{method}: analysing the {plural(len(plan.points), 'point')} x {plural(plan.replications, 'replication')} in "
               f"{folder}/; nothing simulated.", err=True)
    indices = sa.analyse_given(problem, method, X, Y, e.kpis, e.sensitivity)
    with write_errors():
        files = write_indices(indices, loaded, out or folder)
    _print_indices(indices, loaded)
    _print_diagnostics(indices)
    click.echo(f"Indices written to {', '.join(str(f) for f in files)}", err=True)


def _simulated_text(result, plan, seconds: float, out: Path) -> str:
    if not result.ran:
        return f"All {len(plan.points)} points were already in {out}/: nothing simulated, re-analysing them."
    return (f"Simulated {plural(result.ran, 'point')} x {plural(plan.replications, 'replication')} in {seconds:.1f} s"
            + (f" ({result.skipped} more were already in {out}/)." if result.skipped else "."))


def _print_indices(indices, loaded) -> None:
    from ..experiments.sensitivity import COLUMNS
    from ..reports.terminal import add_column, console, new_table

    sobol = indices.method == "sobol"
    cols = COLUMNS[indices.method]
    titles = {"sobol": "Sobol indices", "morris": "Morris mu* and sigma: change in the KPI over each parameter's range",
              "rbd-fast": "RBD-FAST first-order indices",
              "pawn": "PAWN: median and maximum KS distance of conditional distributions"}
    out = console()
    for kpi in loaded.experiment.kpis:
        if kpi in indices.skipped:
            out.print(f"{kpi}: no indices ({indices.skipped[kpi]})", markup=False)
            continue
        part = indices.frame[indices.frame["kpi"] == kpi]
        table = new_table(f"{kpi}: {titles[indices.method]} (± bootstrap 95% CI, N={indices.samples}, "
                          f"{plural(indices.points, 'point')} x {plural(indices.replications, 'replication')})")
        add_column(table, "parameter")
        for value, _ in cols:
            add_column(table, value, right=True)
        conv = indices.convergence
        sizes = sorted(set(conv["N"])) if sobol and conv is not None and len(conv) else []
        for n in sizes[:-1]:
            add_column(table, f"ST at N={n}", right=True)
        for _, row in part.iterrows():
            if "S2" in row and row["S2"] == row["S2"]:  # second-order rows have S2, not S1
                continue
            cells = [row["parameter"]]
            for value, conf in cols:
                cells.append(f"{row[value]:.3g}" + (f" ± {row[conf]:.2g}" if conf else ""))
            at = conv[(conv["kpi"] == kpi) & (conv["parameter"] == row["parameter"])].set_index("N") if sizes else None
            cells += [f"{at.loc[n, 'ST']:.3g}" for n in sizes[:-1]] if at is not None else []
            table.add_row(*cells)
        out.print()
        out.print(table)
        if "S2" in part:
            pairs = part[part["S2"].notna()]
            for _, row in pairs.iterrows():
                out.print(f"  S2({row['parameter']}) = {row['S2']:.3g} ± {row['S2_conf']:.2g}", markup=False)


def _print_diagnostics(indices) -> None:
    """Every failed check; a one-line all-clear (with the noise share) per KPI otherwise."""
    from rich.console import Console

    console = Console(stderr=True)
    diags = indices.diagnostics
    diags = diags[diags["check"] != "design"]  # design warnings were printed before the run
    for kpi, part in diags.groupby("kpi", sort=False):
        failed = part[~part["ok"].astype(bool)]
        noise = part[part["check"] == "noise_share"]["message"]
        if not len(failed):
            console.print(f"{kpi}: all {len(part)} checks passed ({noise.iloc[0]})", highlight=False)
        for _, row in failed.iterrows():
            console.print(f"[yellow]{kpi}: check {row['check']} failed:[/] {row['message']}", highlight=False)
