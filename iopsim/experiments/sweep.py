"""Parameter sweeps: plan the points, run what the store lacks, build the tables from the store.

Every point runs replications 0..n-1 of the same seed (common random numbers), so two points differ
only by their parameters, not by luck, and no result depends on the worker that produced it. The
final tables are always built from the point files, sorted by point and replication, so a sweep
resumed after a crash writes the same bytes as one that never stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..analysis.kpis import KPI_UNITS, kpi_unit
from ..execution import Executor, TaskResult
from ..files import atomic_write, atomic_write_text, fingerprint
from ..scenario.loader import ScenarioError
from .design import design_points, point_ids
from .executors import make_tasks
from .resolve import LoadedExperiment, Point, build_points
from .schema import Experiment
from .store import ResultStore

RESULT_FILES = ("results.csv", "results.parquet", "summary.csv")
FLOAT_FORMAT = "%.10g"


@dataclass
class SweepPlan:
    name: str
    kind: str
    points: list[Point]
    params: list[str]
    seed: int
    replications: int
    kpis: list[str]
    manifest: dict = field(default_factory=dict)

    @property
    def simulations(self) -> int:
        return len(self.points) * self.replications


def design(loaded: LoadedExperiment) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """The experiment's own points (grid x sample), unvalidated: cheap, so their number is known
    before `plan` validates each. Raises ScenarioError if the file cannot be swept."""
    problems = [loaded.problem(where, message) for where, message in check_for_sweep(loaded.experiment)]
    if problems:
        raise ScenarioError(problems)
    return design_points(loaded.experiment)


def plan(loaded: LoadedExperiment, raw_points: Sequence[tuple[dict[str, Any], dict[str, str]]] | None = None,
         kind: str = "sweep", on_point: Callable[[int], None] | None = None) -> SweepPlan:
    """Validate every point (raises ScenarioError) and describe the sweep for the store.

    `raw_points` defaults to the experiment's own design (grid x sample); sensitivity passes SALib's.
    """
    e = loaded.experiment
    raw = design(loaded) if raw_points is None else list(raw_points)
    points = build_points(loaded, raw, point_ids(len(raw)), on_point)
    result = SweepPlan(e.name, kind, points, [p.path for p in e.parameters], loaded.seed, loaded.replications,
                       list(e.kpis))
    result.manifest = _manifest(loaded, result)
    return result


def check_for_sweep(e: Experiment) -> list[tuple[str, str]]:
    """Ranges need a sample design to become sweep points."""
    ranged = e.range_parameters()
    if ranged and e.sampling is None:
        return [(f"parameters.{ranged[0][0]}.range",
                 "a range needs a `sampling:` section (method lhs or sobol, and points) for `iopsim sweep`")]
    return []


def _manifest(loaded: LoadedExperiment, p: SweepPlan) -> dict:
    """What determines the results is hashed; names and paths are recorded but may change freely."""
    determined = {
        "iopsim_version": __version__,
        "base_scenario": loaded.scenario.model_dump(mode="json", by_alias=True),
        "seed": p.seed,
        "replications": p.replications,
        "points": [{"point_id": pt.point_id, "params": pt.params} for pt in p.points],
    }
    return {"sha256": fingerprint(determined), "experiment": p.name, "kind": p.kind,
            "experiment_file": str(loaded.path), "scenario_file": str(loaded.scenario_path), **determined}


@dataclass
class _Pending:
    point: Point
    chunks: int
    rows: dict[int, dict[str, float]] = field(default_factory=dict)
    error: TaskResult | None = None


@dataclass
class SweepRun:
    skipped: int  # points already in the store
    ran: int  # points run now (with or without error)
    failed: list[str]


def run(p: SweepPlan, store: ResultStore, executor: Executor,
        on_progress: Callable[[int], None] | None = None) -> SweepRun:
    """Run every point the store lacks; each point file is written the moment its last chunk returns."""
    store.open(p.manifest)
    done = store.finished([pt.point_id for pt in p.points])
    todo = [pt for pt in p.points if pt.point_id not in done]
    reps = range(p.replications)
    tasks = make_tasks(((pt.point_id, pt.scenario, reps) for pt in todo), p.seed, executor.workers)
    pending = {pt.point_id: _Pending(pt, 0) for pt in todo}
    for t in tasks:
        pending[t.key].chunks += 1
    failed: list[str] = []

    def on_result(res: TaskResult) -> None:
        acc = pending[res.key]
        if res.outputs is None:
            acc.error = acc.error or res
        else:
            acc.rows.update(zip(res.replications, res.outputs, strict=True))
        acc.chunks -= 1
        if acc.chunks == 0:
            store.save(_record(acc, p.seed))
            if acc.error is not None:
                failed.append(res.key)
        if on_progress:
            on_progress(len(res.replications))

    executor.run(tasks, on_result)
    return SweepRun(len(done), len(todo), sorted(failed))


def _record(acc: _Pending, seed: int) -> dict:
    error = None
    if acc.error is not None:
        error = {"message": acc.error.error, "replications": list(acc.error.replications),
                 "traceback": acc.error.traceback}
    return {
        "point_id": acc.point.point_id,
        "params": acc.point.params,
        "seed": seed,
        "replications": [{"replication": r, "kpis": acc.rows[r]} for r in sorted(acc.rows)],
        "error": error,
    }


# --------------------------------------------------------------------------- tables


@dataclass
class SweepTables:
    results: Any  # pandas DataFrame: one row per point x replication
    summary: Any  # one row per point: status, mean and 95% CI of every KPI
    errors: list[tuple[str, dict, str]]  # (point_id, params, message)
    missing: list[str]  # points with no file (interrupted)


def _cell(v: Any) -> Any:
    return v if v is None or isinstance(v, (bool, int, float, str)) else json.dumps(v, sort_keys=True)


def tables(p: SweepPlan, store: ResultStore) -> SweepTables:
    import pandas as pd

    from ..analysis.stats import summarise

    rows, summary, errors, missing = [], [], [], []
    records = {pt.point_id: store.load(pt.point_id) for pt in p.points}
    names = _kpi_columns(records.values())
    units = {name: _unit(name) for name in names}
    for pt in p.points:
        record = records[pt.point_id]
        params = {name: _cell(pt.params.get(name)) for name in p.params}
        if record is None:
            missing.append(pt.point_id)
            summary.append({"point_id": pt.point_id, **params, "status": "missing", "replications": 0, "error": None})
            continue
        kpi_rows = [{k: _nan(r["kpis"].get(k)) for k in names} for r in record["replications"]]
        if record.get("error"):
            errors.append((pt.point_id, pt.params, record["error"]["message"]))
            summary.append({"point_id": pt.point_id, **params, "status": "error", "replications": len(kpi_rows),
                            "error": record["error"]["message"]})
            continue
        for r, k in zip(record["replications"], kpi_rows, strict=True):
            rows.append({"point_id": pt.point_id, **params, "replication": r["replication"], **k})
        stats = summarise(kpi_rows, units)
        row = {"point_id": pt.point_id, **params, "status": "ok", "replications": len(kpi_rows), "error": None}
        for name, s in stats.items():
            row[f"{name}_mean"] = _nan(s["mean"])
            row[f"{name}_ci95_low"], row[f"{name}_ci95_high"] = (_nan(x) for x in s["ci95"])
        summary.append(row)
    columns = ["point_id", *p.params, "replication", *names]
    results = pd.DataFrame(rows, columns=columns)
    return SweepTables(results, pd.DataFrame(summary), errors, missing)


def _kpi_columns(records) -> list[str]:
    """The KPI columns: the fixed KPIs, then every per-track, per-shift and money KPI the points reported
    (in the order first met), so `kpis:` may name any of them."""
    names = dict.fromkeys(KPI_UNITS)
    for record in records:
        for rep in (record or {}).get("replications", []):
            names.update(dict.fromkeys(rep["kpis"]))
    return list(names)


def _unit(name: str) -> str:
    """A KPI's unit where the name tells it; money KPIs' currency is the scenario's, not needed here
    (summary.csv has no unit column; the unit only bounds percentages' intervals)."""
    try:
        return kpi_unit(name)
    except KeyError:
        return ""


def _nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def write_tables(t: SweepTables, folder: Path) -> list[Path]:
    """results.csv, results.parquet and summary.csv, each replaced atomically."""
    folder = Path(folder)
    atomic_write_text(folder / "results.csv", t.results.to_csv(index=False, float_format=FLOAT_FORMAT))
    atomic_write_text(folder / "summary.csv", t.summary.to_csv(index=False, float_format=FLOAT_FORMAT))
    _write_parquet(t.results, folder / "results.parquet")
    return [folder / name for name in RESULT_FILES]


def _write_parquet(frame, path: Path) -> None:
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object:  # mixed-type parameter values: Parquet columns need one type
            frame[col] = frame[col].astype(str)
    atomic_write(path, lambda f: frame.to_parquet(f, index=False))
