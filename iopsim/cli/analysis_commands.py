"""Output-analysis commands: how long a warm-up (`warmup`), how many replications (`replications`),
and the validation write-up (`validate-model`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..scenario.wording import plural
from .common import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    jobs_option,
    load_or_exit,
    main,
    progress_bar,
    scenario_argument,
    seed_option,
    set_option,
    worker_count,
)


@main.command()
@scenario_argument
@set_option
@click.option("-n", "--replications", type=click.IntRange(min=2, max=1000), default=10, show_default=True)
@seed_option
@click.option("--window", "window_weeks", type=click.IntRange(min=1), default=8, show_default=True,
              help="Welch moving-average window, weeks.")
@jobs_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Welch plot (PNG/SVG/PDF; default runs/<scenario>-warmup.png).")
def warmup(scenario: Path, overrides, replications: int, seed: int | None, window_weeks: int, jobs: int,
           out: Path | None) -> None:
    """Suggest a warm-up: MSER-5 on the weekly census, waitlist and aftercare series, with Welch's plot."""
    from ..reports.runlength_charts import warmup_chart
    from ..reports.terminal import add_column, console, new_table
    from ..runlength import warmup_study

    s = load_or_exit(scenario, overrides)
    with progress_bar("warm-up study", replications) as advance:
        study = warmup_study(s, replications, seed, worker_count(jobs), window_weeks, on_progress=advance)
    table = new_table(f"{s.name}: MSER-5 truncation point per weekly series, in weeks "
                      f"({plural(study.replications, 'replication')} from empty, seed {study.seed})")
    add_column(table, "series")
    add_column(table, "median over replications (used)", right=True)
    add_column(table, "on the replication average", right=True)
    for name, weeks in study.median_truncation_weeks.items():
        table.add_row(name, str(weeks), str(study.truncation_weeks[name]))
    con = console()
    con.print(table)
    con.print()
    path = warmup_chart(study, out or Path("runs") / f"{scenario.stem}-warmup.png")
    for line in warmup_advice(study, s.run.warmup_weeks):
        con.print(line, markup=False)
    con.print(f"Welch plot: {path}", markup=False)


def warmup_advice(study, current_weeks: float) -> list[str]:
    """Which number to use and why, and what to write in the scenario."""
    medians = study.median_truncation_weeks
    slowest = max(medians, key=lambda name: medians[name])
    weeks = study.suggested_weeks
    lines = [f"Suggested warm-up: {plural(weeks, 'week')}. Use the largest of the per-series medians (the "
             f"\"used\" column): {slowest} settles last, so a warm-up that long covers every series. Each median "
             "is MSER-5 on single replications, rounded up to whole 5-week batches; the replication-average "
             "column is only a cross-check (a stock that fills to capacity can make it chase small late dips)."]
    if study.at_limit:
        lines.append(f"Caution: {plural(weeks, 'week')} is MSER's search limit (half the run), so the run is "
                     "too short to show where the start-up ends. Lengthen run.horizon_years and run warmup again.")
    elif current_weeks >= weeks:
        lines.append(f"The scenario's run.warmup_weeks ({current_weeks:g}) already covers it; keep it.")
    else:
        lines.append(f"The scenario has run.warmup_weeks: {current_weeks:g}. Put `warmup_weeks: {weeks}` under "
                     f"`run:` in the scenario (or try it with --set run.warmup_weeks={weeks}).")
    return lines


@main.command()
@scenario_argument
@set_option
@click.option("--kpi", "kpis", multiple=True, metavar="NAME",
              help="KPI to make precise (repeatable; default: wait_to_admission_days_mean, census_mean, "
                   "counselor_utilization_pct). Per-track and per-shift KPIs also as KPI:TRACK.")
@click.option("--precision", type=click.FloatRange(min=0, min_open=True), default=0.05, show_default=True,
              help="Target 95% CI half-width as a share of the mean.")
@click.option("--min", "min_replications", type=click.IntRange(min=2), default=3, show_default=True)
@click.option("--max", "max_replications", type=click.IntRange(min=2), default=200, show_default=True)
@click.option("--seed", type=click.IntRange(min=0))
@jobs_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="CI-narrowing plot (default runs/<scenario>-replications.png).")
def replications(scenario: Path, overrides, kpis, precision: float, min_replications: int, max_replications: int,
                 seed: int | None, jobs: int, out: Path | None) -> None:
    """How many replications: add them until every KPI's 95% CI is within the precision (CI method)."""
    from ..analysis.kpi_names import UnknownKpi, resolve_kpi
    from ..reports.runlength_charts import replications_chart
    from ..reports.tables import format_value
    from ..reports.terminal import add_column, console, new_table
    from ..runlength import replications_study

    s = load_or_exit(scenario, overrides)
    kpis = kpis or ("wait_to_admission_days_mean", "census_mean", "counselor_utilization_pct")
    try:  # per-track, per-shift and money KPIs depend on the scenario; KPI:TRACK spellings become names
        kpis = tuple(dict.fromkeys(resolve_kpi(k, s) for k in kpis))
    except UnknownKpi as exc:
        click.echo(f"--kpi: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if min_replications > max_replications:
        click.echo("--min must not exceed --max", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        with progress_bar("replications", None) as advance:
            study = replications_study(s, kpis, precision, seed, worker_count(jobs), min_replications,
                                       max_replications, on_progress=advance)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    r = study.result
    last = r.history[-1]
    table = new_table(f"{s.name}: 95% CI after {plural(r.replications_run, 'replication')} (seed {study.seed})")
    for col in ("KPI", "mean", "half-width", "% of mean"):
        add_column(table, col, right=col != "KPI")
    for k in r.kpis:
        est = last[k]
        table.add_row(k, format_value(est.mean), format_value(est.half_width), f"{100 * est.relative_precision:.1f}")
    con = console()
    con.print(table)
    path = replications_chart(study, out or Path("runs") / f"{scenario.stem}-replications.png")
    if r.reached:
        assert r.needed is not None  # set whenever the precision was reached
        con.print(f"Replications needed for ±{100 * precision:g}%: [bold]{r.needed}[/bold] "
                  f"(held for {r.replications_run - r.needed} more). Plot: {path}")
    else:
        con.print(f"[yellow]Not reached within {max_replications} replications "
                  f"(a KPI with a mean near 0 rarely meets a relative precision). Plot: {path}")
        sys.exit(1)


@main.command("validate-model")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path, readable=False), required=False)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("docs/validation.md"),
              show_default=True)
@click.option("-n", "--replications", type=click.IntRange(min=2, max=100_000),
              help="Replications (default: the scenario's run.replications).")
@jobs_option
def validate_model(scenario: Path | None, out: Path, replications: int | None, jobs: int) -> None:
    """Compare the baseline's outcome mix, stays and waits with published IOP figures (writes docs/validation.md)."""
    from rich.console import Console

    from ..validation import DEFAULT_SCENARIO
    from ..validation import validate_model as run_validation

    scenario = scenario or DEFAULT_SCENARIO
    load_or_exit(scenario)  # bad input: FILE:LINE errors, exit 2, nothing written
    with progress_bar("validation run", replications) as advance:
        path, rows = run_validation(scenario, out, replications, worker_count(jobs), on_progress=advance)
    console = Console()
    for r in rows:
        console.print(f"{r.benchmark.measure}: {r.estimate.mean:.3g} vs {r.benchmark.published} -> {r.verdict}")
    console.print(f"Written {path}")
