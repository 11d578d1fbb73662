"""`iopsim size`: the cheapest rooms and counselors (or program-template levers) meeting KPI targets,
and with --growth the referral rate at which they stop meeting them."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..scenario.wording import plural
from .common import (
    EXIT_INTERRUPTED,
    confirm_workload,
    echo,
    jobs_option,
    main,
    output_or_exit,
    overwrite_option,
    scenario_argument,
    seed_option,
    set_option,
    worker_count,
    write_errors,
    yes_option,
)
from .common import load_or_exit as _load
from .experiment_common import EXIT_POINT_FAILED, _ci_text, _open_executor, dask_option, dry_run_option
from .size_template_command import cost_text, counter, size_growth, size_levers

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
    confirm_workload(f"{s.name}: at least {plural(candidates, 'candidate')} x {plural(replications, 'replication')}",
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
            out.append(parse_target(text, check_name=False))  # the KPI name once the scenario is read
        except ValueError as exc:
            raise click.BadParameter(f"{text!r}: {exc}") from None
    return out


@main.command()
@scenario_argument
@click.option("--target", "targets", multiple=True, required=True, callback=_targets, metavar="KPI>=X|KPI<=X",
              help="A KPI target that must hold at its 95% confidence bound, e.g. "
                   "'admitted_within_14_days_pct>=90' (repeatable; all must hold). Per-track and per-shift "
                   "KPIs as KPI:TRACK, e.g. 'wait_to_admission_days_mean:evening<=14'; money KPIs with finance:.")
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
@seed_option
@click.option("--exhaustive", is_flag=True, help="Evaluate every candidate instead of searching (slower; full chart).")
@click.option("--objective", type=click.Choice(["cost", "net"]), default="cost", show_default=True,
              help="With a finance: section: the least total cost per year, or the most net per year.")
@click.option("--growth", callback=_rates, metavar="R1,R2,...|A..B",
              help="Program template only: referral rates a week to step through; says at which rate the program "
                   "stops meeting the targets and what to add then (and at each later rate).")
@click.option("--uncertainty", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Uncertainty file (contestable assumptions with ranges): recommend the cheapest candidate meeting "
                   "every target with --probability across draws of them (see the README).")
@click.option("--probability", type=click.FloatRange(0, 1, min_open=True), default=0.8, show_default=True,
              help="With --uncertainty: the share of draws in which the recommendation must meet every target.")
@set_option
@jobs_option
@dask_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default runs/<scenario>-size).")
@overwrite_option
@yes_option
@dry_run_option
def size(scenario: Path, targets, rooms: list[int], counselors: list[int], cost_room: float, cost_counselor: float,
         min_replications: int, max_replications: int, seed: int | None, exhaustive: bool, objective: str,
         growth: list[float] | None, uncertainty: Path | None, probability: float, overrides: tuple[str, ...],
         jobs: int, dask: str | None, out: Path | None, overwrite: bool, yes: bool, dry_run: bool) -> None:
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
    targets = _resolve_targets(targets, s)
    if objective == "net" and s.finance is None:
        raise click.BadParameter("net needs a finance: section in the scenario", param_hint="--objective")
    seed = s.run.seed if seed is None else seed
    if s.program is not None and uncertainty is None:  # refused before a dry run too: it plans only what the real run would do
        _refuse_room_options(exhaustive, objective, dask)
    if growth and s.program is None:
        raise click.BadParameter("needs a scenario with a program: template (its levers are what grows)",
                                 param_hint="--growth")
    if dry_run:
        _size_dry_run(scenario, s, overrides, seed, rooms, counselors, min_replications, max_replications,
                      exhaustive, growth, jobs)
        return
    from ..experiments.outputs import choose_sizing_folder

    out = output_or_exit(choose_sizing_folder, out or Path("runs") / f"{scenario.stem}-size", overwrite)
    if uncertainty is not None:
        if growth or objective != "cost" or exhaustive:
            raise click.BadParameter("sizes rooms x counselors, without --growth, --exhaustive or --objective net",
                                     param_hint="--uncertainty")
        from .robust_command import size_under_uncertainty

        if s.program is not None:
            echo(f"{s.name}: sizing rooms x counselors of the week its program template generates "
                 f"({plural(len(s.timetable), 'session')}, written out as a timetable)", err=True)
            s = s.with_week_written_out()

        size_under_uncertainty(scenario, s, uncertainty, probability, targets, rooms, counselors, cost_room,
                               cost_counselor, min_replications, max_replications, seed, _open_executor(jobs, dask),
                               out, yes, counter, overrides)
        return
    if growth:
        size_growth(scenario, s, overrides, targets, seed, growth, cost_room, cost_counselor, min_replications,
                     max_replications, jobs, out, yes)
        return
    if s.program is not None:  # a program template: search its levers instead of copying rooms
        size_levers(scenario, s, overrides, targets, seed, cost_room, cost_counselor, min_replications,
                     max_replications, jobs, out, yes)
        return
    _confirm_sizing(s, len(rooms), len(counselors), min_replications, exhaustive, yes)
    executor = _open_executor(jobs, dask)
    echo(f"{s.name}: sizing {len(rooms)} room counts x {len(counselors)} counselor counts, targets "
               f"{', '.join(map(str, targets))}; seed {seed}, {min_replications}-{max_replications} replications "
               f"per candidate, on {executor.description}", err=True)
    start = time.perf_counter()
    try:
        with executor, counter(f"{s.name}: sizing") as advance:
            sizer = Sizer(s, targets, rooms, counselors, executor, seed, cost_room, cost_counselor,
                          min_replications, max_replications, on_progress=advance, objective=objective)
            result = sizer.solve(exhaustive)
    except KeyboardInterrupt:
        echo("Interrupted; nothing written.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    seconds = time.perf_counter() - start
    from ..experiments.outputs import write_sizing

    with write_errors():
        files = write_sizing(result, sizer, s, scenario, out, overrides)
    _print_sizing(result, sizer)
    if result.best is None:
        _print_still_binding(sizer, result, jobs)
    echo(f"Ran {plural(result.simulations, 'simulation')} for {plural(len(result.candidates), 'candidate')} in {seconds:.1f} s "
               f"(every candidate at {max_replications} replications would be {result.brute_force}). "
               f"Written to {out}/ ({', '.join(f.name for f in files)})")
    for warning in result.warnings:
        echo(f"Warning: {warning}", err=True)
    errors = [c for c in result.candidates if c.status == "error"]
    for c in errors:
        echo(f"Error: {plural(c.rooms, 'room')}, {plural(c.counselors, 'counselor')}: {c.reason}", err=True)
    if result.best is None or result.best.status != FEASIBLE or errors:
        sys.exit(EXIT_POINT_FAILED)


def _size_dry_run(path: Path, s, overrides, seed: int, rooms: list[int], counselors: list[int], min_reps: int,
                  max_reps: int, exhaustive: bool, growth: list[float] | None, jobs: int) -> None:
    """The candidates the search may evaluate (see _confirm_sizing and _size_levers), timed by calibration."""
    import math

    from .experiment_common import _dry_run_size

    if s.program is None:
        per_room = len(counselors) if exhaustive else math.ceil(math.log2(max(2, len(counselors)))) + 1
        bounds = (len(rooms) * per_room, len(rooms) * len(counselors))
        what = f"{len(rooms)} room counts x {len(counselors)} counselor counts"
    else:
        from ..experiments.lever_search import MAX_STEPS
        from ..experiments.levers import find_levers
        from ..scenario.loader import apply_overrides, load_yaml

        levers = find_levers(apply_overrides(load_yaml(path)[0], list(overrides)))
        rates = len(growth) if growth else 1
        bounds = (rates, rates * (2 * MAX_STEPS + len(levers)))
        what = f"{len(levers)} levers of the program template" + (f" at {rates} referral rates" if growth else "")
    _dry_run_size(s, seed, bounds, (min_reps, max_reps), jobs, what)


def _resolve_targets(targets, s):
    """Each --target on the KPI it names for this scenario (per-track, per-shift and money KPIs depend on
    it; KPI:TRACK spellings become KPI names); an unknown one is exit 2 with the nearest names."""
    from ..experiments.targets import resolve_target

    out = []
    for t in targets:
        try:
            out.append(resolve_target(t, s))
        except ValueError as exc:
            raise click.BadParameter(f"{str(t)!r}: {exc}", param_hint="--target") from None
    return out


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


def _print_sizing(result, sizer) -> None:
    from ..analysis.kpi_names import kpi_names
    from ..analysis.stats import summarise
    from ..experiments.sizing import SIZING_KPIS, SIZING_MONEY_KPIS
    from ..reports.style import kpi_label
    from ..reports.tables import format_money
    from ..reports.terminal import Column, console, folded_tables, kpi_table

    out = console()
    finance = sizer.scenario.finance

    def cost_of(x: float) -> str:
        return cost_text(x, finance is not None)

    candidates = result.candidates
    key = [Column("#", [str(i) for i in range(1, len(candidates) + 1)]),
           Column("rooms", [str(c.rooms) for c in candidates]),
           Column("counselors", [str(c.counselors) for c in candidates])]
    values = [Column(f"cost [{finance.currency}/yr]" if finance else "cost", [cost_of(c.cost) for c in candidates])]
    if finance:
        values.append(Column(f"net [{finance.currency}/yr]", [format_money(c.net) for c in candidates]))
    values += [Column("reps", [str(c.replications) for c in candidates]),
               Column("status", [c.status for c in candidates], right=False)]
    for t in sizer.targets:
        estimates = [c.estimate(t.kpi) if c.rows else None for c in candidates]
        values.append(Column(target_text(t, kpi_label), [_ci_text(e.mean, e.lo, e.hi) if e else "" for e in estimates]))
    for table in folded_tables("Candidates evaluated (in the order the search ran them)", key, values, out.width):
        out.print()
        out.print(table)
    for i, c in enumerate(candidates, 1):
        if c.reason:
            out.print(f"  {i}: {c.reason}", markup=False)
    best = result.best
    if best is None:
        out.print("[bold red]No candidate in range meets every target at the 95% confidence bound.")
        return
    money = (f"cost {format_money(best.cost)} {finance.currency} a year, net {format_money(best.net)}"
             if finance else f"cost {cost_of(best.cost)}")
    out.print(f"[bold]Recommended: {plural(best.rooms, 'group room')} and {plural(best.counselors, 'counselor')} "
              f"({money}), {plural(best.replications, 'replication')}.")
    units = kpi_names(sizer.scenario)
    stats = summarise(best.rows, units)
    shown = list(dict.fromkeys([t.kpi for t in sizer.targets] + list(SIZING_KPIS)
                               + (list(SIZING_MONEY_KPIS) if finance else [])))
    out.print()
    out.print(kpi_table("Recommended configuration: KPIs, mean and 95% CI", stats, names=shown))


def target_text(target, label) -> str:
    """'Admitted within 14 days of referral ≥ 90': a target in a planner's words, for a column head."""
    return f"{label(target.kpi)} {'≥' if target.at_least else '≤'} {target.threshold:g}"


def _print_still_binding(sizer, result, jobs: int) -> None:
    """Nothing met the targets: what still binds where the search came closest."""
    from ..analysis.bottleneck import sentence
    from ..experiments.binding import still_binding

    found = still_binding(sizer, result, worker_count(jobs))
    if found is None:
        return
    c = found.candidate
    echo(f"Closest candidate: {plural(c.rooms, 'group room')} and {plural(c.counselors, 'counselor')} "
         f"({plural(found.replications, 'replication')}). {sentence(found.bottleneck)}")
