"""`iopsim metamodel`: a polynomial and a Gaussian-process emulator of one KPI of a finished sweep."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import EXIT_BAD_INPUT, exit_with_problems, main, output_or_exit, overwrite_option, write_errors


@main.command()
@click.argument("sweep_dir", type=click.Path(path_type=Path))
@click.option("--kpi", required=True, help="The KPI to model, e.g. wait_to_admission_days_mean.")
@click.option("--predict", "points", type=click.Path(path_type=Path),
              help="CSV of new points (a column per parameter) to predict, with 95% intervals.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default SWEEP_DIR/metamodel-KPI).")
@click.option("--degree", type=click.IntRange(1, 4), default=2, show_default=True,
              help="Degree of the polynomial (with every interaction up to it).")
@click.option("--kernel", type=click.Choice(["matern", "rbf"]), default="matern", show_default=True,
              help="Gaussian-process kernel (Matern 5/2 or RBF, one length scale per parameter).")
@overwrite_option
def metamodel(sweep_dir: Path, kpi: str, points: Path | None, out: Path | None, degree: int, kernel: str,
              overwrite: bool) -> None:
    """Fit metamodels of KPI over the parameters of the sweep in SWEEP_DIR.

    Fits a polynomial with interactions and a Gaussian-process emulator to the point means, with the
    noise of common random numbers split into a shared level and each point's own noise;
    cross-validates both by point (R^2, RMSE, coverage of the 95% intervals); draws response profiles
    with 95% bands and a response surface; and with --predict writes predictions at new points.
    """
    from ..experiments import metamodel_study as study_mod
    from ..experiments.metamodel import MetamodelError
    from ..experiments.metamodel_data import load_sweep
    from ..experiments.metamodel_points import read_points
    from ..scenario.loader import ScenarioError

    try:
        data = load_sweep(sweep_dir, kpi)
    except ScenarioError as err:
        exit_with_problems(sweep_dir, err)
    new_points = None
    if points is not None:
        try:
            new_points = read_points(points, data)
        except ScenarioError as err:
            exit_with_problems(points, err)
    folder = output_or_exit(study_mod.choose_folder, out or sweep_dir / f"metamodel-{kpi}", overwrite)
    try:
        study = study_mod.fit_study(data, degree, kernel)
    except MetamodelError as err:
        click.echo(f"{sweep_dir}: {err}; nothing was written.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    predictions = None if new_points is None else study_mod.predict_points(study, new_points.table(), new_points.x)
    with write_errors():
        files = study_mod.write_study(study, folder, predictions)
    _print(study, predictions)
    click.echo(f"Written to {folder}/ ({', '.join(p.name for p in files)})")


def _print(study, predictions) -> None:
    from rich.console import Console
    from rich.table import Table

    data = study.data
    console = Console()
    shared = (f"; common random numbers: {data.crn_share():.0%} of a replication's noise is shared by every "
              "point (it moves the level, not the differences)" if data.common_random_numbers else
              "; independent streams per point")
    console.print(f"{data.kpi}: {len(data.y)} points x {int(data.replications.max())} replications over "
                  f"{', '.join(data.names)}{shared}")
    table = Table(title="Cross-validated by point (held-out point means)")
    for col in ("model", "R²", "RMSE", "95% coverage", "folds"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for name, cv in study.cv.items():
        mark = " (better)" if name == study.best and len(study.cv) > 1 else ""
        table.add_row(name.replace("_", " ") + mark, f"{cv.r2:.3f}", f"{cv.rmse:.4g}", f"{cv.coverage95:.0%}",
                      str(cv.folds))
    console.print(table)
    for name, why in study.skipped.items():
        console.print(f"{name.replace('_', ' ')} not fitted: {why}")
    outside = [r for r in (predictions["outside_sweep_range"] if predictions is not None else []) if r]
    if outside:
        console.print(f"{len(outside)} of {len(predictions)} points to predict lie outside the sweep's range "
                      "(column outside_sweep_range): those predictions extrapolate.")

