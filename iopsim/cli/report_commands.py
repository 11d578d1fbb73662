"""Commands on run folders: plot, compare, report.

matplotlib, pandas and Jinja2 are imported inside the commands, so `iopsim --help` stays fast.
A folder that is not a run folder is bad input: one line naming it on stderr, exit 2.
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ..scenario.wording import plural
from .common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, formats_option, main, output_or_exit, overwrite_option

run_dir_argument = click.argument("run_dirs", nargs=-1, required=True,
                                  type=click.Path(file_okay=False, path_type=Path), metavar="RUN_DIR...")


@contextmanager
def _run_dir_errors():
    """RunDirError, OutputError, a failed write -> message and exit 2; Ctrl-C -> exit 130 (files are
    written atomically, none is half-done)."""
    from ..files import OutputError, describe_os_error
    from ..reports.rundir import RunDirError

    try:
        yield
    except (RunDirError, OutputError) as err:
        click.echo(f"{err}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except OSError as err:
        click.echo(describe_os_error("output", err), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        click.echo("Interrupted; files already written are complete, the one in progress was not written.", err=True)
        sys.exit(EXIT_INTERRUPTED)


def _load(paths) -> list:
    from ..reports.rundir import RunDir

    return [RunDir(p) for p in paths]


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path), metavar="FOLDER")
@formats_option("Image formats, comma separated.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default FOLDER/charts).")
@click.option("--kpi", "kpis", multiple=True, metavar="NAME",
              help="Sweep folders: a KPI to chart (repeatable; default the headline KPIs the sweep reports).")
@overwrite_option
def plot(run_dir: Path, formats: list[str], out: Path | None, kpis: tuple[str, ...], overwrite: bool) -> None:
    """Draw the charts of a run, sweep or sizing folder (the kind is told from its files).

    A run folder: the standard charts (waitlist, census, waits, rooms, staff, flow, stays, groups).
    A sweep folder: one chart per KPI over the swept parameters (a line with its 95% CI band for one
    parameter, a heatmap for two on a grid, a panel per parameter otherwise). A sizing folder: the
    frontier, cost against each target KPI. Earlier charts are kept (these go to OUT-2...) unless
    --overwrite."""
    from ..reports.folders import RUN, SWEEP, folder_kind

    with _run_dir_errors():
        kind = folder_kind(run_dir)
        if kpis and kind != SWEEP:
            raise click.BadParameter(f"charts KPIs of sweep folders; {run_dir} is a {kind} folder", param_hint="--kpi")
        from ..reports.charts import choose_charts_folder

        if kind == RUN:
            (run,) = _load([run_dir])
            from ..reports.charts import write_charts

            out = output_or_exit(choose_charts_folder, out or run.path / "charts", overwrite)
            paths = write_charts(run, out, formats, overwrite=True)
        elif kind == SWEEP:
            from ..reports.sweep_charts import check_kpis, default_kpis, load_sweep, write_sweep_charts

            sweep = load_sweep(run_dir)
            chosen = check_kpis(sweep, kpis) if kpis else default_kpis(sweep)
            out = output_or_exit(choose_charts_folder, out or run_dir / "charts", overwrite)
            paths = write_sweep_charts(sweep, out, formats, chosen)
        else:
            from ..reports.sizing_charts import write_frontier

            out = output_or_exit(choose_charts_folder, out or run_dir / "charts", overwrite)
            paths = write_frontier(run_dir, out, formats)
    click.echo(f"Wrote {plural(len(paths), 'chart file')} to {paths[0].parent}/")
    if kind == RUN and not run.has_patients:
        click.echo("The wait, flow and length-of-stay charts need patients.parquet, which this run skipped "
                   "(--no-patients).")


@main.command()
@run_dir_argument
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for comparison.csv and the chart (default comparisons/A-vs-B).")
@formats_option("Chart formats, comma separated.")
@overwrite_option
def compare(run_dirs: tuple[Path, ...], out: Path | None, formats: list[str], overwrite: bool) -> None:
    """Compare run folders KPI by KPI: each against the first, with 95% CIs of the difference.

    Runs with the same seed and replications are paired by replication (common random numbers);
    otherwise Welch's interval is used. The table says which.
    """
    if len(run_dirs) < 2:
        raise click.UsageError("compare needs at least two run folders.")
    with _run_dir_errors():
        runs = _load(run_dirs)
        from ..files import choose_output, write_output_dir
        from ..reports.compare import compare_all, comparison_chart, comparison_frame
        from ..reports.style import save_figure

        default = Path("comparisons") / "-vs-".join(re.sub(r"[^\w.-]+", "-", r.label) for r in runs)
        out = output_or_exit(choose_output, out or default, "comparison", overwrite, _is_legacy_comparison)
        comparisons = compare_all(runs)
        for i, c in enumerate(comparisons, start=1):
            _print_comparison(c, chr(65 + i))

        def build(tmp: Path) -> None:
            (tmp / "comparison.csv").write_text(comparison_frame(comparisons).to_csv(index=False, float_format="%.10g"))
            save_figure(comparison_chart(runs, comparisons), tmp / "comparison", formats)

        write_output_dir(out, "comparison", build)
    click.echo(f"Comparison table and chart written to {out}/")


def _is_legacy_comparison(folder: Path) -> bool:
    return (folder / "comparison.csv").is_file()


def _print_comparison(c, letter_b: str) -> None:
    from ..reports.compare import change_text, difference_text
    from ..reports.terminal import add_column, console, new_table

    table = new_table(f"{letter_b}: {c.b.label} vs A: {c.a.label}; 95% CI of {letter_b}−A: {c.method}",
                      caption="bold: the interval excludes zero; differences of percentages in percentage points (pp)")
    add_column(table, "KPI")
    add_column(table, "A", right=True)
    add_column(table, letter_b, right=True)
    add_column(table, f"{letter_b}−A (95% CI)", right=True)
    add_column(table, "change", right=True)
    for r in c.rows:  # the unit goes with the name: one column fewer, more room for the name
        name = f"{r.label} [{r.unit}]" if r.unit else r.label
        table.add_row(name, r.a.text(short=True), r.b.text(short=True), difference_text(r).replace(" (", "\n(", 1),
                      change_text(r), style="bold" if r.diff.excludes_zero else None)
    out = console()
    out.print(table)
    for note in c.notes:
        out.print(f"[yellow]Note: {note}")


@main.command()
@run_dir_argument
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write (default RUN_DIR/report.html for one run, report.html for several).")
@click.option("--image-format", type=click.Choice(["svg", "png"]), default="svg", show_default=True,
              help="How charts are embedded: svg prints sharpest, png makes smaller files for some charts.")
@click.option("--kpi", "kpis", multiple=True, metavar="NAME",
              help="A sweep folder: a KPI to chart (repeatable; default the headline KPIs the sweep reports).")
@overwrite_option
def report(run_dirs: tuple[Path, ...], out: Path | None, image_format: str, kpis: tuple[str, ...],
           overwrite: bool) -> None:
    """Write one self-contained HTML report (charts embedded, no external requests, prints to PDF).

    With several run folders, it adds a comparison of each against the first. A sizing folder (of
    `iopsim size`) gets its own report: the recommendation, the frontier of candidates and what
    still binds. A sweep folder (of `iopsim sweep`) gets a chart per KPI over the swept parameters
    and the table of every point. An earlier report is kept (this one goes to NAME-2.html...) unless
    --overwrite; other files are never replaced.
    """
    from ..reports.folders import RUN, SIZING, SWEEP, folder_kind

    if len(run_dirs) == 1:
        with _run_dir_errors():
            kind = folder_kind(run_dirs[0])
        if kpis and kind != SWEEP:
            raise click.BadParameter(f"charts KPIs of sweep folders; {run_dirs[0]} is a {kind} folder",
                                     param_hint="--kpi")
        if kind == SIZING:  # recommendation, frontier, binding
            _sizing_report(run_dirs[0], out, image_format, overwrite)
            return
        if kind == SWEEP:
            _sweep_report(run_dirs[0], out, image_format, kpis, overwrite)
            return
        assert kind == RUN
    elif kpis:
        raise click.BadParameter("charts KPIs of one sweep folder", param_hint="--kpi")
    with _run_dir_errors():
        runs = _load(run_dirs)
        from ..files import free_file_name
        from ..reports.report import is_report, write_report

        out = out or (runs[0].path / "report.html" if len(runs) == 1 else Path("report.html"))
        out = output_or_exit(free_file_name, out, overwrite, is_report)
        path = write_report(runs, out, image_format)
    click.echo(f"Report written to {path}")


def _sizing_report(folder: Path, out: Path | None, image_format: str, overwrite: bool) -> None:
    from ..files import free_file_name
    from ..reports.report import is_report
    from ..reports.sizing_report import SizingFolderError, write_sizing_report

    out = output_or_exit(free_file_name, out or folder / "report.html", overwrite, is_report)
    with _run_dir_errors():
        try:
            path = write_sizing_report(folder, out, image_format)
        except SizingFolderError as err:
            click.echo(str(err), err=True)
            sys.exit(EXIT_BAD_INPUT)
    click.echo(f"Sizing report written to {path}")


def _sweep_report(folder: Path, out: Path | None, image_format: str, kpis: tuple[str, ...], overwrite: bool) -> None:
    from ..files import free_file_name
    from ..reports.report import is_report
    from ..reports.sweep_charts import check_kpis, default_kpis, load_sweep
    from ..reports.sweep_report import write_sweep_report

    with _run_dir_errors():
        sweep = load_sweep(folder)
        chosen = check_kpis(sweep, kpis) if kpis else default_kpis(sweep)
        out = output_or_exit(free_file_name, out or folder / "report.html", overwrite, is_report)
        path = write_sweep_report(sweep, out, chosen, image_format)
    click.echo(f"Sweep report written to {path}")
