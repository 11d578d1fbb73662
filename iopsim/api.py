"""The public Python API: scenarios, runs, sweeps, sensitivity and metamodels as pandas DataFrames.

Everything the command line does for a study, callable from a script or notebook, with the same
files on disk (so a study started in Python can be resumed, plotted or reported with the CLI, and
the other way round) and the same guarantees: results never depend on the number of workers,
finished points are never lost, and a sweep folder is resumed, never replaced.

    from iopsim import api

    scenario = api.load_scenario("scenarios/baseline.yaml", ["counselors.count=5"])
    runs = api.run(scenario, replications=10, jobs=2)
    runs.summary_frame()                                   # mean, 95% CI and unit per KPI

    study = api.sweep("experiments/staffing-grid.yaml", "runs/staffing-grid", jobs=2)
    study.summary, study.points                            # per point and KPI: mean, CI; per point: status
    indices = api.sensitivity("experiments/sensitivity.yaml", "runs/sens", method="sobol")
    indices.frame, indices.diagnostics                     # indices with CIs, and their checks
    model = api.metamodel("runs/staffing-grid", "wait_to_admission_days_mean")
    api.predict(model, {"counselors.count": [4.5], "referrals.rate_per_week": [10]})

Bad input raises `ScenarioError` (its `problems` are `FILE:LINE: path: message` lines, as the CLI
prints them); an output location that cannot be used raises `OutputError`; a sweep folder holding
another experiment raises `StoreMismatch`. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .analysis.stats import Estimate, mean_ci, paired_difference_ci
from .experiments.metamodel import MetamodelError
from .experiments.metamodel_study import Study as Metamodel
from .experiments.resolve import LoadedExperiment
from .experiments.sensitivity import Indices
from .experiments.store import StoreMismatch
from .files import OutputError
from .runner import RunSet
from .scenario.problems import ScenarioError
from .scenario.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Estimate", "mean_ci", "paired_difference_ci",
    "Indices", "LoadedExperiment", "Metamodel", "MetamodelError", "OutputError", "RunSet", "Scenario",
    "ScenarioError", "StoreMismatch", "SweepResult", "load_experiment", "load_scenario", "metamodel",
    "predict", "run", "sensitivity", "sweep",
]


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """A validated scenario, with `--set`-style overrides ("counselors.count=5"); raises ScenarioError."""
    from .scenario.loader import load_scenario as _load

    return _load(path, list(overrides))


def run(scenario: Scenario, replications: int | None = None, seed: int | None = None, jobs: int = 1) -> RunSet:
    """Replications 0..n-1 of `seed` (defaults: the scenario's `run:`), on `jobs` processes.

    `.kpi_frame()` is one row per replication, `.summary_frame()` the mean and 95% CI of every KPI.
    Write a run folder with the CLI (`iopsim run`) when you need the charts and reports.
    """
    from .runner import run_replications

    return run_replications(scenario, replications, seed, jobs)


def load_experiment(path: str | Path) -> LoadedExperiment:
    """An experiment file and its base scenario, validated; raises ScenarioError."""
    from .experiments.resolve import load_experiment as _load

    return _load(path)


@dataclass
class SweepResult:
    folder: Path
    results: pd.DataFrame  # one row per point and replication: point_id, parameters, replication, every KPI
    summary: pd.DataFrame  # long, as summary.csv: one row per point and KPI: parameters, kpi, mean, ci_low,
    # ci_high, unit, n (finished points only)
    errors: list[tuple[str, dict, str]]  # (point_id, parameters, message) of points that raised
    ran: int  # points simulated by this call
    skipped: int  # points already in the folder
    points: pd.DataFrame | None = None  # as points.csv: one row per point: parameters, status, replications,
    # error, scenario SHA-256

    def kpi(self, name: str) -> pd.DataFrame:
        """One row per finished point: point_id, parameters, mean, ci_low, ci_high and unit of the KPI."""
        part = self.summary[self.summary["kpi"] == name]
        if part.empty:
            raise KeyError(f"{name}: not in this sweep; it reports {', '.join(dict.fromkeys(self.summary['kpi']))}")
        return part.drop(columns=["kpi"]).reset_index(drop=True)


def _experiment(experiment: str | Path | LoadedExperiment) -> LoadedExperiment:
    return experiment if isinstance(experiment, LoadedExperiment) else load_experiment(experiment)


def sweep(experiment: str | Path | LoadedExperiment, out: str | Path, jobs: int = 1,
          dask: str | None = None) -> SweepResult:
    """Run every point of the experiment into `out` (resuming what is there) and return its tables.

    Writes what `iopsim sweep` writes (experiment.json, points/, results.csv/.parquet, summary.csv, points.csv).
    `dask` is a scheduler address or "local", as for `--dask`.
    """
    from .experiments import sweep as sw
    from .experiments.executors import open_executor
    from .experiments.store import ResultStore
    from .files import check_location

    loaded = _experiment(experiment)
    plan = sw.plan(loaded, sw.design(loaded))
    folder = check_location(out)
    store = ResultStore(folder, plan.manifest)
    store.check(plan.manifest)
    with open_executor(max(1, jobs), dask) as executor:
        done = sw.run(plan, store, executor)
    tables = sw.tables(plan, store)
    sw.write_tables(tables, folder)
    return SweepResult(folder, tables.results, tables.summary, tables.errors, done.ran, done.skipped, tables.points)


def sensitivity(experiment: str | Path | LoadedExperiment, out: str | Path, method: str = "sobol",
                jobs: int = 1, second_order: bool = False, sweep_dir: str | Path | None = None) -> Indices:
    """Sobol or Morris indices of the experiment's KPIs (a sample simulated into `out`, resumable), or
    RBD-FAST / PAWN from the finished points of the file's own sweep in `sweep_dir` (nothing simulated).

    `.frame` holds the indices with bootstrap 95% CIs, `.diagnostics` every check (sum S1 <= 1,
    S1 <= ST, convergence, noise share, ...) with `ok` and a message. Files are written as
    `iopsim sensitivity` writes them (a new indices-<method>[-k].csv each time).
    """
    from .experiments import sensitivity as sa
    from .experiments import sweep as sw
    from .experiments.executors import open_executor
    from .experiments.outputs import write_indices
    from .experiments.sensitivity_runs import replication_array, sample_evaluator
    from .experiments.store import ResultStore
    from .files import check_location

    loaded = _experiment(experiment)
    e = loaded.experiment
    problems = [loaded.problem(where, message) for where, message in sa.check_for_sensitivity(e, method)]
    if problems:
        raise ScenarioError(problems)
    problem = sa.problem_of(e)
    folder = check_location(out)
    if method in sa.GIVEN_DATA:
        if sweep_dir is None:
            raise ValueError(f"{method} analyses an existing sweep: give sweep_dir")
        plan = sw.plan(loaded)
        store = ResultStore(sweep_dir)
        store.check(plan.manifest)
        tables = sw.tables(plan, store)
        if tables.missing or tables.errors:
            raise ValueError(f"{sweep_dir}: {len(tables.missing) + len(tables.errors)} of {len(plan.points)} points "
                             "are missing or failed; finish the sweep first")
        X = tables.points[problem["names"]].to_numpy(dtype=float)  # one row per point, in the design's order
        Y = replication_array(tables.results, e.kpis, len(plan.points), plan.replications)
        indices = sa.analyse_given(problem, method, X, Y, e.kpis, e.sensitivity)
    else:
        kind = f"sensitivity-{method}{'2' if second_order else ''}"
        with open_executor(max(1, jobs)) as executor:
            def run_plan(p):
                return sw.run(p, ResultStore(folder, p.manifest), executor), 0.0

            evaluate = sample_evaluator(loaded, folder, lambda raw: sw.plan(loaded, raw, kind=kind), run_plan,
                                        lambda *_: None)
            indices = sa.run(problem, method, e.sensitivity, e.kpis, evaluate, second_order)
    write_indices(indices, loaded, folder)
    return indices


def metamodel(sweep_dir: str | Path, kpi: str, degree: int = 2, kernel: str = "matern",
              out: str | Path | None = None) -> Metamodel:
    """A polynomial (with interactions up to `degree`) and a Gaussian-process emulator of one KPI of a
    finished sweep, each cross-validated by point; see `iopsim metamodel --help` and docs/model.md.

    `.cv[name].r2 / .rmse / .coverage95` are the cross-validated scores, `.models[name]` the fitted
    models, `.data` the point means and their noise. With `out`, writes the folder `iopsim metamodel`
    writes (kind `metamodel`; an earlier one there is replaced).
    """
    from .experiments import metamodel_study
    from .experiments.metamodel_data import load_sweep

    study = metamodel_study.fit_study(load_sweep(sweep_dir, kpi), degree, kernel)
    if out is not None:
        metamodel_study.write_study(study, metamodel_study.choose_folder(Path(out), overwrite=True))
    return study


def predict(model: Metamodel, points: pd.DataFrame | Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Each model's expected KPI with its 95% interval at new points (a column per parameter of the
    metamodel; other columns are carried through), and which parameters lie outside the sweep."""
    import numpy as np
    import pandas as pd

    from .experiments.metamodel_study import predict_points

    table = pd.DataFrame(points)
    missing = [n for n in model.data.names if n not in table.columns]
    if missing:
        raise ValueError(f"points lack the metamodel's parameter(s) {', '.join(missing)}")
    x = table[model.data.names].to_numpy(dtype=float)
    if not np.isfinite(x).all():
        raise ValueError("points hold values that are not finite numbers")
    return predict_points(model, table, x)
