"""`iopsim size` on a program template: the greedy lever search, and with --growth the referral rate at
which the program stops meeting the targets (what to add at each rate)."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path

from ..scenario.wording import plural
from .common import EXIT_INTERRUPTED, confirm_workload, echo, worker_count, write_errors
from .experiment_common import EXIT_POINT_FAILED


def size_levers(path: Path, s, overrides, targets, seed: int, cost_room: float, cost_counselor: float,
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
    confirm_workload(f"{s.name}: up to about {plural(candidates, 'candidate')} x {plural(min_replications, 'replication')}",
                     expected_referrals(s) * candidates * min_replications, yes)
    echo(f"{s.name}: sizing the program template over {plural(len(levers), 'lever')} "
               f"({', '.join(lv.path for lv in levers)}), targets {', '.join(map(str, targets))}; seed {seed}, "
               f"{min_replications}-{max_replications} replications per candidate", err=True)
    start = time.perf_counter()
    try:
        with counter(f"{s.name}: sizing") as advance:
            sizer = LeverSizer(data, levers, targets, seed, worker_count(jobs), cost_room, cost_counselor,
                               min_replications, max_replications, on_progress=advance)
            result = sizer.solve()
    except KeyboardInterrupt:
        echo("Interrupted; nothing written.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    with write_errors():
        files = write_lever_sizing(result, sizer, s.name, path, out, overrides)
    data_has_finance = s.finance is not None
    for i, c in enumerate(result.candidates, 1):
        echo(f"{i:>3}. {c.step}: {c.status} ({plural(c.replications, 'replication')}, cost {cost_text(c.cost, data_has_finance)})"
                   + (f"; binding {', '.join(c.binding)}" if c.binding else "") + (f"; {shorten(c.reason)}" if c.reason else ""))
    if result.invalid:
        echo(f"Skipped {plural(sum(result.invalid.values()), 'invalid candidate')}: "
                   + "; ".join(f"{n} x {shorten(r)}" for r, n in result.invalid.items()))
    best = result.best
    if best is None:
        echo("No candidate meets every target at the 95% confidence bound.")
        for line in binding_report(result):
            echo(line)
    else:
        echo(f"Recommended: {best.change} (cost {cost_text(best.cost, data_has_finance)}, {plural(best.replications, 'replication')}).")
    echo(f"Ran {plural(result.simulations, 'simulation')} for {plural(len(result.candidates), 'candidate')} in "
               f"{time.perf_counter() - start:.1f} s. Written to {out}/ ({', '.join(f.name for f in files)})")
    if best is None or any(c.status == "error" for c in result.candidates):
        sys.exit(EXIT_POINT_FAILED)


def cost_text(x: float, money: bool) -> str:
    """Money in whole units with thousands separators; unit costs as given (4, 2.5); never e-notation."""
    from ..reports.tables import format_money

    return format_money(x) if money else f"{x:,.3f}".rstrip("0").rstrip(".")


def size_growth(path: Path, s, overrides, targets, seed: int, rates: list[float], cost_room: float,
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
        with counter(f"{s.name}: growth") as advance:
            steps, grown = grow(data, rates, targets, seed, worker_count(jobs), cost_room, cost_counselor,
                                min_replications, max_replications, on_progress=advance)
    except KeyboardInterrupt:
        echo("Interrupted; nothing written.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    with write_errors():
        files = write_growth(steps, grown, targets, seed, path, out,
                             [min_replications, max_replications], overrides)
    for line in growth_lines(steps):
        echo(line)
    echo(f"Ran {plural(sum(st.simulations for st in steps), 'simulation')} in {time.perf_counter() - start:.1f} s. "
               f"Written to {out}/ ({', '.join(f.name for f in files)})")
    if steps and steps[-1].status == STUCK:
        sys.exit(EXIT_POINT_FAILED)


@contextmanager
def counter(description: str):
    """Progress for a search of unknown length: simulations so far and the candidate being run."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), TextColumn("{task.completed} simulations"),
                  TextColumn("{task.fields[candidate]}"), TimeElapsedColumn(), console=Console(stderr=True),
                  transient=True) as progress:
        task = progress.add_task(description, total=None, candidate="")
        yield lambda k, label: progress.update(task, advance=k, candidate=label)


def shorten(text: str) -> str:
    """An invalid candidate's first problem and how many more (candidates.csv has them all), never cut mid-word."""
    problems = text.split("; ")
    if len(problems) <= 2:
        return text
    return f"{problems[0]}; and {len(problems) - 1} more problems (all in candidates.csv)"
