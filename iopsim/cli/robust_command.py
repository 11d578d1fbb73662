"""`iopsim size --uncertainty FILE`: the cheapest rooms and counselors meeting the targets with a
stated probability across draws of the file's assumptions (experiments/robust_sizing.py)."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import click

from .common import EXIT_INTERRUPTED, confirm_workload, exit_with_problems, write_errors
from .experiment_common import EXIT_POINT_FAILED


def load_uncertainty(path: Path, scenario):
    """The uncertainty file, checked against the scenario; every problem as FILE:LINE: path: message, exit 2."""
    from ..experiments.uncertainty import Uncertainty, check_against, check_uncertainty
    from ..scenario.loader import ScenarioError, load_yaml, validate_data

    try:
        data, lines = load_yaml(path)
        return validate_data(data, Uncertainty, str(path), lines,
                             lambda u: check_uncertainty(u) or check_against(u, scenario))
    except ScenarioError as err:
        exit_with_problems(path, err)


def size_under_uncertainty(scenario_path: Path, s, uncertainty_path: Path, probability: float, targets, rooms,
                           counselors, cost_room: float, cost_counselor: float, min_replications: int,
                           max_replications: int, seed: int, executor, out: Path, yes: bool, counter,
                           overrides: tuple[str, ...] = ()) -> None:
    from ..experiments import robust_sizing as robust
    from ..experiments.robust_outputs import write_robust
    from ..experiments.sizing import Sizer
    from ..experiments.uncertainty import draw_assumptions
    from ..scenario.workload import expected_referrals

    u = load_uncertainty(uncertainty_path, s)
    per_room = math.ceil(math.log2(max(len(counselors), 2))) + 1
    runs = len(rooms) * per_room * min_replications + u.candidates * u.draws * u.replications_per_draw
    confirm_workload(f"{s.name}: the nominal search and {u.candidates} candidates x {u.draws} draws x "
                     f"{u.replications_per_draw} replications", expected_referrals(s) * runs, yes)
    click.echo(f"{s.name}: sizing under {len(u.assumptions)} uncertain assumptions ({u.draws} draws, "
               f"{u.replications_per_draw} replications each), targets {', '.join(map(str, targets))}, required "
               f"probability {probability:.0%}; seed {seed}, on {executor.description}", err=True)
    start = time.perf_counter()
    try:
        with executor, counter(f"{s.name}: sizing under uncertainty") as advance:
            sizer = Sizer(s, targets, rooms, counselors, executor, seed, cost_room, cost_counselor,
                          min_replications, max_replications, on_progress=advance)
            nominal = sizer.solve()
            pool = robust.promising(nominal, rooms, counselors)
            draws = draw_assumptions(u, seed if u.seed is None else u.seed)
            result = robust.search(pool, sizer.cost, u.candidates, probability, lambda cands: robust.evaluate(
                cands, sizer.candidate_scenario, u, draws, targets, executor, seed, on_progress=advance))
            robust.recommend(result, probability, targets, u)
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing written.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    with write_errors():
        files = write_robust(result, u, nominal, sizer, targets, s.name, scenario_path, uncertainty_path, out,
                             overrides)
    for line in robust_lines(result, nominal):
        click.echo(line)
    click.echo(f"Ran {nominal.simulations + result.simulations} simulations in {time.perf_counter() - start:.1f} s. "
               f"Written to {out}/ ({', '.join(f.name for f in files)})")
    if result.best is None:
        sys.exit(EXIT_POINT_FAILED)


def robust_lines(result, nominal) -> list[str]:
    """What the planner reads: each candidate's probability, the recommendation, what it hinges on."""
    if nominal.best is None:
        return ["No candidate meets every target even with the assumptions as written; nothing to test "
                "under uncertainty (see candidates.csv)."]
    lines = [f"With the assumptions as written: {nominal.best.rooms} group rooms and {nominal.best.counselors} "
             "counselors.", f"Across {len(result.draws)} draws of the assumptions (the same draws for each):"]
    for c in result.candidates:
        if c.error:
            lines.append(f"  {c.rooms} rooms, {c.counselors} counselors: not evaluated ({c.error[:80]})")
            continue
        lo, hi = c.probability_ci95
        lines.append(f"  {c.rooms} rooms, {c.counselors} counselors (cost {c.cost:.6g}): meets every target in "
                     f"{sum(c.meets)} of {len(c.meets)} draws, P = {c.probability:.0%} [95% CI {lo:.0%}-{hi:.0%}]")
    best = result.best
    if best is None:
        lines.append(f"No candidate evaluated meets the targets with probability {result.probability:.0%}; "
                     "widen --counselors/--rooms or lower --probability.")
    else:
        lines.append(f"Recommended: {best.rooms} group rooms and {best.counselors} counselors, meeting every target "
                     f"with probability {best.probability:.0%} (required {result.probability:.0%}).")
    if result.sensitivity and result.about is not None:
        top = result.sensitivity[0]
        if not math.isnan(top.spearman):
            lines.append(f"Most sensitive to {top.path} (rank correlation with the worst target margin "
                         f"{top.spearman:+.2f}; P = {top.probability_low_half:.0%} in the lower half of its draws, "
                         f"{top.probability_high_half:.0%} in the upper half, for {result.about.rooms} rooms, "
                         f"{result.about.counselors} counselors).")
        for other in result.sensitivity[1:]:
            lines.append(f"  then {other.path}: {other.spearman:+.2f}")
    return lines
