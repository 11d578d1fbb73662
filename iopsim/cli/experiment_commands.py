"""Commands on many scenario variants: sweep, size, sensitivity."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click

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
    set_option,
    worker_count,
    write_errors,
    yes_option,
)
from .common import load_or_exit as _load

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
    confirm_workload(f"{name}: {n} points x {loaded.replications} replications (at the base scenario's rate)",
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
    click.echo(f"{plan.name}: {len(plan.points)} points x {plan.replications} replications = "
               f"{plan.simulations} simulations, seed {plan.seed}, on {executor.description}"
               + (f"; {done} points already in {out}/ are skipped" if done else ""), err=True)
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


@main.command()
@experiment_argument
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Result folder (default runs/<experiment>); rerun with the same folder to resume.")
@jobs_option
@dask_option
@yes_option
def sweep(experiment: Path, out: Path | None, jobs: int, dask: str | None, yes: bool) -> None:
    """Run every point of an EXPERIMENT file: a grid of values and/or a LHS/Sobol sample of ranges.

    Each point runs the same replications and seed (common random numbers). Each finished point is
    saved at once, so a sweep stopped by Ctrl-C or a crash resumes where it stopped when the same
    command is run again. Writes results.csv/.parquet (one row per point and replication) and
    summary.csv (mean and 95% CI of every KPI per point).
    """
    from ..experiments import sweep as sw
    from ..experiments.store import ResultStore
    from ..scenario.loader import ScenarioError

    loaded = _load_experiment(experiment)
    try:
        plan = _plan(loaded, sw.design(loaded), "sweep", yes)
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
               + (skipped if result.skipped else "") + f". Results written to {out}/ ({', '.join(sw.RESULT_FILES)})")
    _report_errors(tables.errors)


def _report_errors(errors) -> None:
    if not errors:
        return
    click.echo(f"{len(errors)} point(s) failed; their errors are in the point files and summary.csv "
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


MAX_ROWS = 60


def _print_sweep(plan, tables) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{plan.name}: mean [95% CI] over {plan.replications} replications per point")
    table.add_column("point")
    for name in [*plan.params, *plan.kpis]:
        table.add_column(name, justify="right", overflow="fold")
    summary = tables.summary
    for _, row in summary.head(MAX_ROWS).iterrows():
        cells = [row["point_id"], *[str(row[p]) for p in plan.params]]
        if row["status"] != "ok":
            cells += [row["status"]] * len(plan.kpis)
        else:
            cells += [_ci_text(row[f"{k}_mean"], row[f"{k}_ci95_low"], row[f"{k}_ci95_high"]) for k in plan.kpis]
        table.add_row(*cells)
    console = Console()
    console.print(table)
    if len(summary) > MAX_ROWS:
        console.print(f"(first {MAX_ROWS} of {len(summary)} points; all are in summary.csv)")


# --------------------------------------------------------------------------- size


MAX_SIZING_COUNTS = 1_000
"""Most room or counselor counts one sizing considers; checked before the list is built."""


def _int_range(ctx, param, text: str) -> list[int]:
    """'2..15', '4' or '2,4,6' -> the counts; a BadParameter (exit 2) otherwise."""
    from ..scenario.schema import MAX_COUNT

    try:
        if ".." in text:
            a, b = (int(x) for x in text.split("..", 1))
            if b - a + 1 > MAX_SIZING_COUNTS:
                raise click.BadParameter(f"{text!r}: {b - a + 1} counts; at most {MAX_SIZING_COUNTS} per search")
            values = list(range(a, b + 1))
        else:
            values = sorted({int(x) for x in text.split(",")})
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected A..B, N or a,b,c (whole numbers)") from None
    if not values or min(values) < 0:
        raise click.BadParameter(f"{text!r}: needs at least one count, none negative")
    if max(values) > MAX_COUNT:
        raise click.BadParameter(f"{text!r}: counts go up to {MAX_COUNT}")
    return values


def _confirm_sizing(s, n_rooms: int, n_counselors: int, replications: int, exhaustive: bool, yes: bool) -> None:
    """The least work the search can do (a binary search of counselors per room count, at
    --min-replications), or every candidate with --exhaustive, judged before anything runs."""
    import math

    from ..scenario.workload import expected_referrals

    per_room = n_counselors if exhaustive else math.ceil(math.log2(n_counselors)) + 1
    candidates = n_rooms * per_room
    confirm_workload(f"{s.name}: at least {candidates} candidates x {replications} replications",
                     expected_referrals(s) * candidates * replications, yes)


def _rates(ctx, param, text: str | None) -> list[float] | None:
    """'6,8,10' or '6..14' (every whole rate) -> referral rates a week; a BadParameter (exit 2) otherwise."""
    if text is None:
        return None
    try:
        if ".." in text:
            a, b = (int(x) for x in text.split("..", 1))
            values = [float(r) for r in range(a, b + 1)]
        else:
            values = sorted({float(x) for x in text.split(",")})
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected A..B (whole numbers) or r1,r2,... (numbers)") from None
    if not values or len(values) > 100 or min(values) <= 0 or max(values) > 10_000:
        raise click.BadParameter(f"{text!r}: needs 1 to 100 rates, each above 0 and at most 10000")
    return values


def _targets(ctx, param, texts: tuple[str, ...]):
    from ..experiments.targets import parse_target

    out = []
    for text in texts:
        try:
            out.append(parse_target(text))
        except ValueError as exc:
            raise click.BadParameter(f"{text!r}: {exc}") from None
    return out


@main.command()
@scenario_argument
@click.option("--target", "targets", multiple=True, required=True, callback=_targets, metavar="KPI>=X|KPI<=X",
              help="A KPI target that must hold at its 95% confidence bound, e.g. "
                   "'admitted_within_14_days_pct>=90' (repeatable; all must hold).")
@click.option("--rooms", default="1..6", show_default=True, callback=_int_range, metavar="A..B",
              help="Group room counts to consider (also N or a,b,c).")
@click.option("--counselors", default="2..15", show_default=True, callback=_int_range, metavar="A..B",
              help="Counselor counts to consider.")
@click.option("--cost-room", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Cost of one group room (e.g. per year).")
@click.option("--cost-counselor", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Cost of one counselor (same unit as --cost-room).")
@click.option("--min-replications", type=click.IntRange(min=2), default=5, show_default=True,
              help="Replications every candidate starts with.")
@click.option("--max-replications", type=click.IntRange(min=2), default=40, show_default=True,
              help="Cap for candidates whose confidence interval straddles a target.")
@click.option("--seed", type=click.IntRange(min=0), help="Base seed (default: the scenario's run.seed).")
@click.option("--exhaustive", is_flag=True, help="Evaluate every candidate instead of searching (slower; full chart).")
@click.option("--objective", type=click.Choice(["cost", "net"]), default="cost", show_default=True,
              help="With a finance: section: the least total cost per year, or the most net per year.")
@click.option("--growth", callback=_rates, metavar="R1,R2,...|A..B",
              help="Program template only: referral rates a week to step through; says at which rate the program "
                   "stops meeting the targets and what to add then (and at each later rate).")
@set_option
@jobs_option
@dask_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default runs/<scenario>-size).")
@overwrite_option
@yes_option
def size(scenario: Path, targets, rooms: list[int], counselors: list[int], cost_room: float, cost_counselor: float,
         min_replications: int, max_replications: int, seed: int | None, exhaustive: bool, objective: str,
         growth: list[float] | None, overrides: tuple[str, ...], jobs: int, dask: str | None, out: Path | None,
         overwrite: bool, yes: bool) -> None:
    """Find the cheapest group rooms and counselors for which every --target holds.

    A target holds when its 95% confidence bound clears it (the lower bound for >=, the upper for
    <=). Candidates share random numbers (same seed and replications), start with
    --min-replications and double them only while a target is undecided. The search assumes more
    counselors never make the targets worse (true of waits, waitlists and workload), so it
    binary-searches counselors for each room count; --exhaustive checks every candidate instead.
    Cost = rooms x --cost-room + counselors x --cost-counselor; ties go to fewer rooms. With a
    finance: section the cost is money instead (the mean total cost per year: staff, rooms, other
    fixed costs; the --cost-* options are ignored), or, with --objective net, the candidate with
    the highest mean net per year (revenue less cost) wins.

    Rooms: the group rooms are the rooms holding phase or aftercare sessions. Fewer rooms than the
    scenario has keeps the first ones in `rooms:` and drops the others' sessions; more rooms adds
    copies of the group rooms in turn, each with all its group sessions at the same days and
    times under new group names (a whole extra track). A variant that fails the scenario checks
    (e.g. a phase left without a session) is listed as invalid, never run.

    A scenario with a program: template is sized over its levers instead (groups per block, intake
    clinics, counselors per shift, rooms), greedily where the bottleneck binds; the folder gets
    sizing.json and a runnable recommended.yaml. --growth R1,R2,... says at which referral rate the
    program stops meeting the targets and what to add (see the README).
    """
    from ..experiments.sizing import FEASIBLE, Sizer

    if min_replications > max_replications:
        raise click.BadParameter("must not exceed --max-replications", param_hint="--min-replications")
    s = _load(scenario, overrides)
    if objective == "net" and s.finance is None:
        raise click.BadParameter("net needs a finance: section in the scenario", param_hint="--objective")
    seed = s.run.seed if seed is None else seed
    from ..experiments.outputs import choose_sizing_folder

    out = output_or_exit(choose_sizing_folder, out or Path("runs") / f"{scenario.stem}-size", overwrite)
    if s.program is not None:
        _refuse_room_options(exhaustive, objective, dask)
    if growth and s.program is None:
        raise click.BadParameter("needs a scenario with a program: template (its levers are what grows)",
                                 param_hint="--growth")
    if growth:
        _size_growth(scenario, s, overrides, targets, seed, growth, cost_room, cost_counselor, min_replications,
                     max_replications, jobs, out, yes)
        return
    if s.program is not None:  # a program template: search its levers instead of copying rooms
        _size_levers(scenario, s, overrides, targets, seed, cost_room, cost_counselor, min_replications,
                     max_replications, jobs, out, yes)
        return
    _confirm_sizing(s, len(rooms), len(counselors), min_replications, exhaustive, yes)
    executor = _open_executor(jobs, dask)
    click.echo(f"{s.name}: sizing {len(rooms)} room counts x {len(counselors)} counselor counts, targets "
               f"{', '.join(map(str, targets))}; seed {seed}, {min_replications}-{max_replications} replications "
               f"per candidate, on {executor.description}", err=True)
    start = time.perf_counter()
    try:
        with executor, _counter(f"{s.name}: sizing") as advance:
            sizer = Sizer(s, targets, rooms, counselors, executor, seed, cost_room, cost_counselor,
                          min_replications, max_replications, on_progress=advance, objective=objective)
            result = sizer.solve(exhaustive)
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing written.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    seconds = time.perf_counter() - start
    from ..experiments.outputs import write_sizing

    with write_errors():
        files = write_sizing(result, sizer, s, scenario, out)
    _print_sizing(result, sizer)
    if result.best is None:
        _print_still_binding(sizer, result, jobs)
    click.echo(f"Ran {result.simulations} simulations for {len(result.candidates)} candidates in {seconds:.1f} s "
               f"(every candidate at {max_replications} replications would be {result.brute_force}). "
               f"Written to {out}/ ({', '.join(f.name for f in files)})")
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    errors = [c for c in result.candidates if c.status == "error"]
    for c in errors:
        click.echo(f"Error: {c.rooms} rooms, {c.counselors} counselors: {c.reason}", err=True)
    if result.best is None or result.best.status != FEASIBLE or errors:
        sys.exit(EXIT_POINT_FAILED)


def _refuse_room_options(exhaustive: bool, objective: str, dask: str | None) -> None:
    """Options of the rooms x counselors search that the lever search does not take: an error, not ignored."""
    ctx = click.get_current_context()
    for name in ("rooms", "counselors"):
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT:
            raise click.BadParameter("a program template is sized over its levers (groups, intake clinics, "
                                     "counselors, rooms; see the README), not over a list of counts",
                                     param_hint=f"--{name}")
    for flag, given in (("--exhaustive", exhaustive), ("--objective", objective != "cost"), ("--dask", dask)):
        if given:
            raise click.BadParameter("not available for a program template (its lever search runs locally, "
                                     "greedy, by cost)", param_hint=flag)


def _size_levers(path: Path, s, overrides, targets, seed: int, cost_room: float, cost_counselor: float,
                 min_replications: int, max_replications: int, jobs: int, out: Path, yes: bool) -> None:
    """`size` on a scenario with a program template: the greedy lever search (experiments/lever_search.py)."""
    from ..experiments.lever_outputs import write_lever_sizing
    from ..experiments.lever_search import MAX_STEPS, LeverSizer, binding_report
    from ..experiments.levers import find_levers
    from ..scenario.loader import apply_overrides, load_yaml
    from ..scenario.workload import expected_referrals

    data, _ = load_yaml(path)
    data = apply_overrides(data, list(overrides))
    levers = find_levers(data)
    candidates = 2 * MAX_STEPS + len(levers)  # a full greedy run and one pass of removals
    confirm_workload(f"{s.name}: up to about {candidates} candidates x {min_replications} replications",
                     expected_referrals(s) * candidates * min_replications, yes)
    click.echo(f"{s.name}: sizing the program template over {len(levers)} levers "
               f"({', '.join(lv.path for lv in levers)}), targets {', '.join(map(str, targets))}; seed {seed}, "
               f"{min_replications}-{max_replications} replications per candidate", err=True)
    start = time.perf_counter()
    try:
        with _counter(f"{s.name}: sizing") as advance:
            sizer = LeverSizer(data, levers, targets, seed, worker_count(jobs), cost_room, cost_counselor,
                               min_replications, max_replications, on_progress=advance)
            result = sizer.solve()
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing written.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    with write_errors():
        files = write_lever_sizing(result, sizer, s.name, path, out)
    for i, c in enumerate(result.candidates, 1):
        click.echo(f"{i:>3}. {c.step}: {c.status} ({c.replications} reps, cost {c.cost:.6g})"
                   + (f"; binding {', '.join(c.binding)}" if c.binding else "") + (f"; {_shorten(c.reason)}" if c.reason else ""))
    if result.invalid:
        click.echo(f"Skipped {sum(result.invalid.values())} invalid candidates: "
                   + "; ".join(f"{n} x {_shorten(r)}" for r, n in result.invalid.items()))
    best = result.best
    if best is None:
        click.echo("No candidate meets every target at the 95% confidence bound.")
        for line in binding_report(result):
            click.echo(line)
    else:
        click.echo(f"Recommended: {best.change} (cost {best.cost:.6g}, {best.replications} replications).")
    click.echo(f"Ran {result.simulations} simulations for {len(result.candidates)} candidates in "
               f"{time.perf_counter() - start:.1f} s. Written to {out}/ ({', '.join(f.name for f in files)})")
    if best is None or any(c.status == "error" for c in result.candidates):
        sys.exit(EXIT_POINT_FAILED)


def _size_growth(path: Path, s, overrides, targets, seed: int, rates: list[float], cost_room: float,
                 cost_counselor: float, min_replications: int, max_replications: int, jobs: int, out: Path,
                 yes: bool) -> None:
    """`size --growth`: the referral rate at which the program stops meeting the targets, and what to add."""
    from ..experiments.growth import STUCK, grow, growth_lines
    from ..experiments.lever_outputs import write_growth
    from ..experiments.lever_search import MAX_STEPS
    from ..scenario.loader import apply_overrides, load_yaml
    from ..scenario.workload import expected_referrals

    data, _ = load_yaml(path)
    data = apply_overrides(data, list(overrides))
    per_rate = MAX_STEPS // 3 + 1  # typically a few units a rate
    confirm_workload(f"{s.name}: {len(rates)} rates x about {per_rate} candidates x {min_replications} replications",
                     expected_referrals(s) * max(rates) / s.referrals.rate_per_week * len(rates) * per_rate
                     * min_replications, yes)
    start = time.perf_counter()
    try:
        with _counter(f"{s.name}: growth") as advance:
            steps, grown = grow(data, rates, targets, seed, worker_count(jobs), cost_room, cost_counselor,
                                min_replications, max_replications, on_progress=advance)
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing written.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    with write_errors():
        files = write_growth(steps, grown, targets, seed, path, out)
    for line in growth_lines(steps):
        click.echo(line)
    click.echo(f"Ran {sum(st.simulations for st in steps)} simulations in {time.perf_counter() - start:.1f} s. "
               f"Written to {out}/ ({', '.join(f.name for f in files)})")
    if steps and steps[-1].status == STUCK:
        sys.exit(EXIT_POINT_FAILED)


@contextmanager
def _counter(description: str):
    """Progress for a search of unknown length: simulations so far and the candidate being run."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), TextColumn("{task.completed} simulations"),
                  TextColumn("{task.fields[candidate]}"), TimeElapsedColumn(), console=Console(stderr=True),
                  transient=True) as progress:
        task = progress.add_task(description, total=None, candidate="")
        yield lambda k, label: progress.update(task, advance=k, candidate=label)


def _print_sizing(result, sizer) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..analysis.kpis import kpi_units
    from ..analysis.stats import summarise
    from ..reports.tables import format_money, format_value

    console = Console()
    finance = sizer.scenario.finance

    def cost_text(x: float) -> str:  # money in whole units; unit costs as given (4, 2.5), never e-notation
        return format_money(x) if finance or x == round(x) else format_value(x)

    cost_head = f"cost ({finance.currency}/yr)" if finance else "cost"
    table = Table(title="Candidates evaluated (in the order the search ran them)")
    for name in ("#", "rooms", "counselors", cost_head, *(["net (mean)"] if finance else []), "reps", "status"):
        table.add_column(name, justify="right" if name != "status" else "left")
    for t in sizer.targets:
        table.add_column(str(t), justify="right", overflow="fold")
    table.add_column("note", max_width=48)
    for i, c in enumerate(result.candidates, 1):
        cells = [str(i), str(c.rooms), str(c.counselors), cost_text(c.cost)]
        if finance:
            cells.append(format_money(c.net))
        cells += [str(c.replications), c.status]
        for t in sizer.targets:
            e = c.estimate(t.kpi) if c.rows else None
            cells.append(_ci_text(e.mean, e.lo, e.hi) if e else "")
        table.add_row(*cells, _shorten(c.reason))
    console.print(table)
    best = result.best
    if best is None:
        console.print("[bold red]No candidate in range meets every target at the 95% confidence bound.")
        return
    money = (f"cost {format_money(best.cost)} {finance.currency} a year, net {format_money(best.net)}"
             if finance else f"cost {cost_text(best.cost)}")
    console.print(f"[bold]Recommended: {best.rooms} group rooms and {best.counselors} counselors "
                  f"({money}), {best.replications} replications.")
    kpi_table = Table(title="Recommended configuration: KPIs, mean and 95% CI")
    kpi_table.add_column("KPI")
    kpi_table.add_column("mean [95% CI]", justify="right")
    kpi_table.add_column("unit")
    units = kpi_units(sizer.scenario)
    stats = summarise(best.rows, units)
    shown = list(dict.fromkeys([t.kpi for t in sizer.targets] + list(_SIZING_KPIS)
                               + (list(_SIZING_MONEY_KPIS) if finance else [])))
    for name in shown:
        v = stats[name]
        kpi_table.add_row(name, _ci_text(v["mean"], *v["ci95"]).replace("\n", " "), units[name])
    console.print(kpi_table)


def _print_still_binding(sizer, result, jobs: int) -> None:
    """Nothing met the targets: what still binds where the search came closest."""
    from ..analysis.bottleneck import sentence
    from ..experiments.binding import still_binding

    found = still_binding(sizer, result, worker_count(jobs))
    if found is None:
        return
    c = found.candidate
    click.echo(f"Closest candidate: {c.rooms} group rooms and {c.counselors} counselors ({found.replications} "
               f"replications). {sentence(found.bottleneck)}")


def _shorten(text: str, width: int = 90) -> str:
    """Long reasons (every problem of an invalid candidate) are cut here; candidates.csv has them whole."""
    return text if len(text) <= width else text[: width - 1] + "…"


_SIZING_MONEY_KPIS = ("total_cost_per_year", "revenue_per_year", "net_per_year", "cost_per_admission",
                      "break_even_census")
_SIZING_KPIS = ("admitted_within_14_days_pct", "wait_to_admission_days_mean", "waitlist_mean", "census_mean",
                "counselor_utilization_pct", "room_utilization_pct", "group_fill_pct", "sessions_cancelled_pct")


# --------------------------------------------------------------------------- sensitivity


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
def sensitivity(experiment: Path, method: str, second_order: bool, sweep_dir: Path | None, out: Path | None,
                jobs: int, dask: str | None, yes: bool) -> None:
    """Global sensitivity of the experiment's KPIs to its parameter ranges (SALib).

    Samples every `range` of EXPERIMENT (its `sensitivity:` section sets the sample size, Morris
    levels, bootstrap resamples and seed), runs each point as a resumable sweep with the same
    replications and seed, and analyses each point's mean of every KPI in `kpis:`. Integer ranges
    get every (A, B) level pairing equally often. Prints and plots the indices with bootstrap 95%
    confidence intervals, and checks them (sum S1 <= 1, S1 <= ST, no negative index, sum ST >= 1,
    convergence from N/2 to N, the share of simulation noise, integer levels against their variance
    share). Each analysis writes new indices-*.csv and diagnostics-*.csv files, never replacing old ones.
    """
    import numpy as np

    from ..experiments import sensitivity as sa
    from ..experiments import sweep as sw
    from ..experiments.store import ResultStore
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

    if method in sa.GIVEN_DATA:
        _sensitivity_from_sweep(experiment, loaded, method, sweep_dir or Path("runs") / experiment.stem, out)
        return
    out = out or Path("runs") / f"{experiment.stem}-{method}{'2' if second_order else ''}"
    output_or_exit(check_location, out)
    problem = sa.problem_of(e)
    for warning in sa.design_warnings(problem, method, e.sensitivity):
        click.echo(f"Warning: {warning}", err=True)

    def evaluate(V: np.ndarray) -> np.ndarray:
        try:
            plan = _plan(loaded, sa.points_from(e, V), f"sensitivity-{method}{'2' if second_order else ''}", yes)
        except ScenarioError as err:
            exit_with_problems(experiment, err)
        result, seconds = _run_plan(plan, out, jobs, dask, f"{method} sample")
        tables = sw.tables(plan, ResultStore(out, plan.manifest))
        sw.write_tables(tables, out)
        click.echo(_simulated_text(result, plan, seconds, out), err=True)
        _report_errors(tables.errors)  # indices need every point
        return _replication_array(tables.results, e.kpis, len(plan.points), plan.replications)

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
    X = tables.summary[problem["names"]].to_numpy(dtype=float)
    Y = _replication_array(tables.results, e.kpis, len(plan.points), plan.replications)
    click.echo(f"{method}: analysing the {len(plan.points)} points x {plan.replications} replications in "
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
    return (f"Simulated {result.ran} points x {plan.replications} replications in {seconds:.1f} s"
            + (f" ({result.skipped} more were already in {out}/)." if result.skipped else "."))


def _replication_array(results, kpis, points: int, replications: int):
    """results.csv rows (sorted by point, then replication) -> (points, KPIs, replications)."""
    values = results[list(kpis)].to_numpy(dtype=float)
    return values.reshape(points, replications, len(kpis)).transpose(0, 2, 1)


def _print_indices(indices, loaded) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..experiments.sensitivity import COLUMNS

    sobol = indices.method == "sobol"
    cols = COLUMNS[indices.method]
    titles = {"sobol": "Sobol indices", "morris": "Morris mu* and sigma: change in the KPI over each parameter's range",
              "rbd-fast": "RBD-FAST first-order indices",
              "pawn": "PAWN: median and maximum KS distance of conditional distributions"}
    console = Console()
    for kpi in loaded.experiment.kpis:
        if kpi in indices.skipped:
            console.print(f"{kpi}: no indices ({indices.skipped[kpi]})")
            continue
        part = indices.frame[indices.frame["kpi"] == kpi]
        table = Table(title=f"{kpi}: {titles[indices.method]} (± bootstrap 95% CI, N={indices.samples}, "
                            f"{indices.points} points x "
                            f"{indices.replications} replications)")
        table.add_column("parameter")
        for value, _ in cols:
            table.add_column(value, justify="right")
        conv = indices.convergence
        sizes = sorted(set(conv["N"])) if sobol and conv is not None and len(conv) else []
        for n in sizes[:-1]:
            table.add_column(f"ST at N={n}", justify="right")
        for _, row in part.iterrows():
            if "S2" in row and row["S2"] == row["S2"]:  # second-order rows have S2, not S1
                continue
            cells = [row["parameter"]]
            for value, conf in cols:
                cells.append(f"{row[value]:.3g}" + (f" ± {row[conf]:.2g}" if conf else ""))
            at = conv[(conv["kpi"] == kpi) & (conv["parameter"] == row["parameter"])].set_index("N") if sizes else None
            cells += [f"{at.loc[n, 'ST']:.3g}" for n in sizes[:-1]] if at is not None else []
            table.add_row(*cells)
        console.print(table)
        if "S2" in part:
            pairs = part[part["S2"].notna()]
            for _, row in pairs.iterrows():
                console.print(f"  S2({row['parameter']}) = {row['S2']:.3g} ± {row['S2_conf']:.2g}")


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
