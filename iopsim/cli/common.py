"""The command group and what every command shares: options, loading, exit codes.

Heavy libraries (pandas, scipy, matplotlib, SimPy) are imported inside the commands that need
them, so `iopsim --help` and `iopsim validate` start fast.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from .. import __version__

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

scenario_argument = click.argument("scenario", type=click.Path(path_type=Path, readable=False))
jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True,
    help="Worker processes; 0 = one per CPU. Results are identical for any value.",
)
overwrite_option = click.option(
    "--overwrite", is_flag=True,
    help="Replace an earlier output of this command at --out (default: write beside it as NAME-2, NAME-3...).",
)
set_option = click.option(
    "--set", "overrides", multiple=True, metavar="PATH=VALUE",
    help="Override a scenario field, e.g. --set referrals.rate_per_week=12 (repeatable).",
)

seed_option = click.option("--seed", type=click.IntRange(min=0), help="Base seed (default: the scenario's run.seed).")


def _formats(ctx, param, value: str) -> list[str]:
    from ..reports.style import parse_formats  # light: no matplotlib import

    try:
        return parse_formats(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


def formats_option(help: str):
    """--format png,svg,pdf -> the list of image formats; `help` says what they are for."""
    return click.option("--format", "formats", default="png", show_default=True, callback=_formats,
                        metavar="png,svg,pdf", help=help)


def echo(text: str, err: bool = False) -> None:
    """click.echo for sentences: wrapped at spaces to the terminal's width (80 columns stay readable)."""
    from ..reports.terminal import echo as wrapped_echo

    wrapped_echo(text, err)


def worker_count(jobs: int) -> int:
    """--jobs 0 means one worker per CPU."""
    return jobs or os.cpu_count() or 1


@contextmanager
def progress_bar(description: str, total: int | None, completed: int = 0):
    """A rich progress bar with ETA on stderr (gone when done); yields advance(k). When stderr is not a
    terminal (a batch job's log), plain lines every 5% or minute instead (progress_lines)."""
    if not sys.stderr.isatty():
        from .progress_lines import ProgressLines

        lines = ProgressLines(description, total, completed)
        try:
            yield lines.advance
        finally:
            lines.close()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total, completed=completed)
        yield lambda k: progress.advance(task, k)


def output_or_exit(choose, *args, **kwargs):
    """Call a files.choose_* function; an OutputError is printed as PATH: problem, exit 2."""
    from ..files import OutputError

    try:
        return choose(*args, **kwargs)
    except OutputError as err:
        click.echo(f"{err}; nothing was run or written.", err=True)
        sys.exit(EXIT_BAD_INPUT)


@contextmanager
def write_errors():
    """A failed write (full disk, read-only file system) is one line and exit 2, not a traceback."""
    from ..files import OutputError, describe_os_error

    try:
        yield
    except OutputError as err:
        click.echo(str(err), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except OSError as err:
        click.echo(describe_os_error("output", err), err=True)
        sys.exit(EXIT_BAD_INPUT)


yes_option = click.option(
    "--yes", is_flag=True, help="Run even when the estimated work is very large (see the estimate it prints).",
)


def confirm_workload(what: str, referrals: float, yes: bool) -> None:
    """Refuse (exit 2) work above the confirmation limit unless --yes; say how big it is either way."""
    from ..scenario.workload import CONFIRM_ABOVE, LONG_REPLICATION, describe

    if referrals > CONFIRM_ABOVE and not yes:
        click.echo(f"{what}: {describe(referrals)}, above the {CONFIRM_ABOVE / 1e6:g} million that run without "
                   "asking. Add --yes to run it anyway, or shorten run.horizon_years, lower the rate or the "
                   "number of replications or points. Nothing was run.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if referrals > LONG_REPLICATION:
        click.echo(f"{what}: {describe(referrals)}.", err=True)


def load_or_exit(scenario_path: Path, overrides: tuple[str, ...] = ()):
    """Load and validate, or print every problem as FILE:LINE: path: message and exit 2."""
    from ..scenario.loader import ScenarioError, load_scenario

    try:
        return load_scenario(scenario_path, overrides)
    except ScenarioError as err:
        exit_with_problems(scenario_path, err)


def exit_with_problems(path: Path | str, err) -> None:
    for problem in err.problems:
        click.echo(str(problem), err=True)
    n = len(err.problems)
    click.echo(f"{path}: {n} problem{'s' if n != 1 else ''}; nothing was run or written.", err=True)
    sys.exit(EXIT_BAD_INPUT)


class _Group(click.Group):
    """Ctrl-C anywhere exits 130 (what shells expect of SIGINT), not click's "Aborted!" and 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("Interrupted; files already written are complete, none is half-written.", err=True)
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iopsim")
def main() -> None:
    """Simulate the capacity of an addiction-treatment Intensive Outpatient Program (IOP).

    Start with `iopsim init my-iop.yaml`, edit it, then `iopsim run my-iop.yaml`.
    """
