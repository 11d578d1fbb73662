"""Parameter sweeps: plan the points, run what the store lacks, build the tables from the store.

Every point runs replications 0..n-1 of the same seed (common random numbers), so two points differ
only by their parameters, not by luck, and no result depends on the worker that produced it. The
final tables are always built from the point files, sorted by point and replication, so a sweep
resumed after a crash writes the same bytes as one that never stopped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..analysis.kpis import KPI_UNITS, kpi_unit
from ..execution import Executor, TaskResult
from ..files import atomic_write, atomic_write_text, fingerprint
from ..scenario.loader import ScenarioError
from . import provenance
from .design import design_points, point_ids
from .executors import make_tasks
from .resolve import LoadedExperiment, Point, build_points
from .schema import Experiment
from .store import ResultStore

RESULT_FILES = ("results.csv", "results.parquet", "summary.csv")
PROVENANCE_FILES = (provenance.PROVENANCE_FILE, provenance.CODEBOOK_FILE, provenance.EXPERIMENT_COPY,
                    provenance.SCENARIO_COPY)
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
    design: dict = field(default_factory=dict)  # provenance.experiment_design: method, seed, N, ranges
    experiment: Experiment | None = None
    experiment_file: Path | None = None
    scenario_file: Path | None = None
    design_file: Path | None = None  # the CSV of points of a `method: file` design
    common_random_numbers: bool = True

    def point_seeds(self) -> dict[str, int] | None:
        """Each point's own seed when the experiment asks for independent streams (None: all run `seed`)."""
        if self.common_random_numbers:
            return None
        return {pt.point_id: independent_seed(self.seed, i) for i, pt in enumerate(self.points)}

    @property
    def simulations(self) -> int:
        return len(self.points) * self.replications


def design(loaded: LoadedExperiment) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """The experiment's own points (grid x sample), unvalidated: cheap, so their number is known
    before `plan` validates each. Raises ScenarioError if the file cannot be swept."""
    problems = [loaded.problem(where, message) for where, message in check_for_sweep(loaded.experiment)]
    design_file = loaded.design_file
    if design_file is not None and not design_file.is_file():
        problems.append(loaded.problem("sampling.file", f"design file not found: {design_file}"))
    if problems:
        raise ScenarioError(problems)
    return design_points(loaded.experiment, loaded.path.parent)


def plan(loaded: LoadedExperiment, raw_points: Sequence[tuple[dict[str, Any], dict[str, str]]] | None = None,
         kind: str = "sweep", on_point: Callable[[int], None] | None = None) -> SweepPlan:
    """Validate every point (raises ScenarioError) and describe the sweep for the store.

    `raw_points` defaults to the experiment's own design (grid x sample); sensitivity passes SALib's.
    """
    e = loaded.experiment
    raw = design(loaded) if raw_points is None else list(raw_points)
    points = build_points(loaded, raw, point_ids(len(raw)), on_point)
    result = SweepPlan(e.name, kind, points, [p.path for p in e.parameters], loaded.seed, loaded.replications,
                       list(e.kpis), experiment=e, experiment_file=loaded.path, scenario_file=loaded.scenario_path,
                       design_file=loaded.design_file, common_random_numbers=e.common_random_numbers)
    result.manifest = manifest(loaded, result)
    result.design = provenance.experiment_design(e, kind, len(points), design_file=loaded.design_file)
    return result


def independent_seed(seed: int, index: int) -> int:
    """The seed of point `index` with independent streams: a hash of (seed, index), never another point's."""
    import numpy as np

    return int(np.random.SeedSequence([seed, index]).generate_state(1, np.uint64)[0] >> 1)


def check_for_sweep(e: Experiment) -> list[tuple[str, str]]:
    """Ranges need a sample design to become sweep points."""
    ranged = e.range_parameters()
    if ranged and e.sampling is None:
        return [(f"parameters.{ranged[0][0]}.range",
                 "a range needs a `sampling:` section (method lhs, sobol, fractional-factorial, plackett-burman, "
                 "central-composite or file) for `iopsim sweep`")]
    return []


def manifest(loaded: LoadedExperiment, p: SweepPlan) -> dict:
    """What determines the results is hashed; names and paths are recorded but may change freely."""
    determined = {
        "iopsim_version": __version__,
        "base_scenario": loaded.scenario.model_dump(mode="json", by_alias=True),
        "seed": p.seed,
        "replications": p.replications,
        "points": [{"point_id": pt.point_id, "params": pt.params} for pt in p.points],
    }
    if not p.common_random_numbers:  # only then, so the hash of every earlier sweep stays as it was
        determined["common_random_numbers"] = False
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


POINTS_PER_ROUND = 256
"""Points whose scenarios are built and handed to the executor at a time (at least 16 per worker): the
client then holds a few hundred scenarios, not one per point of a design of tens of thousands."""


def run(p: SweepPlan, store: ResultStore, executor: Executor,
        on_progress: Callable[[int], None] | None = None) -> SweepRun:
    """Run every point the store lacks; each point file is written the moment its last chunk returns."""
    store.open(p.manifest)
    done = store.finished([pt.point_id for pt in p.points])
    todo = [pt for pt in p.points if pt.point_id not in done]
    reps = range(p.replications)
    seeds = p.point_seeds()
    failed: list[str] = []
    pending: dict[str, _Pending] = {}

    def on_result(res: TaskResult) -> None:
        acc = pending[res.key]
        if res.outputs is None:
            acc.error = acc.error or res
        else:
            acc.rows.update(zip(res.replications, res.outputs, strict=True))
        acc.chunks -= 1
        if acc.chunks == 0:
            store.save(_record(acc, p.seed, None if seeds is None else seeds[res.key]))
            del pending[res.key]
            if acc.error is not None:
                failed.append(res.key)
        if on_progress:
            on_progress(len(res.replications))

    size = max(POINTS_PER_ROUND, 16 * executor.workers)
    for start in range(0, len(todo), size):
        batch = todo[start:start + size]
        tasks = make_tasks(((pt.point_id, pt.scenario, reps) for pt in batch), p.seed, executor.workers,
                           seeds, total=len(todo) * p.replications)
        pending.update({pt.point_id: _Pending(pt, 0) for pt in batch})
        for t in tasks:
            pending[t.key].chunks += 1
        executor.run(tasks, on_result)
    return SweepRun(len(done), len(todo), sorted(failed))


def _record(acc: _Pending, seed: int, stream_seed: int | None = None) -> dict:
    error = None
    if acc.error is not None:
        error = {"message": acc.error.error, "replications": list(acc.error.replications),
                 "traceback": acc.error.traceback}
    record = {
        "point_id": acc.point.point_id,
        "params": acc.point.params,
        "seed": seed,
        "replications": [{"replication": r, "kpis": acc.rows[r]} for r in sorted(acc.rows)],
        "error": error,
        "scenario_sha256": acc.point.scenario_sha256,
    }
    if stream_seed is not None:  # independent streams: the seed this point actually ran
        record["stream_seed"] = stream_seed
    return record


# --------------------------------------------------------------------------- tables


@dataclass
class SweepTables:
    results: Any  # pandas DataFrame: one row per point x replication
    summary: Any  # long: one row per point and KPI with mean, 95% CI, unit and n
    errors: list[tuple[str, dict, str]]  # (point_id, params, message)
    missing: list[str]  # points with no file (interrupted)
    points: Any = None  # one row per point: parameters, status, replications, error, scenario SHA-256
    plan: SweepPlan | None = None  # what provenance.json and codebook.csv describe


def _cell(v: Any) -> Any:
    return v if v is None or isinstance(v, (bool, int, float, str)) else json.dumps(v, sort_keys=True)


def tables(p: SweepPlan, store: ResultStore) -> SweepTables:
    """results (point x replication, a column per KPI), summary (long: point x KPI with mean, CI, unit, n)
    and points (one row per point: status, replications, error, scenario SHA-256)."""
    import pandas as pd

    from ..analysis.kpi_names import kpi_names
    from ..analysis.stats import summarise

    rows, summary, points, errors, missing = [], [], [], [], []
    records = {pt.point_id: store.load(pt.point_id) for pt in p.points}
    names = _kpi_columns(records.values())
    known = kpi_names(p.points[0].scenario if p.points and p.points[0].loaded is not None else None)
    units = {name: known.get(name) or _unit(name) for name in names}  # money in the scenario's currency
    for pt in p.points:
        record = records[pt.point_id]
        params = {name: _cell(pt.params.get(name)) for name in p.params}
        status = {"point_id": pt.point_id, **params}
        if record is None:
            missing.append(pt.point_id)
            points.append({**status, "status": "missing", "replications": 0, "error": None,
                           "scenario_sha256": pt.scenario_sha256})
            continue
        sha = record.get("scenario_sha256") or pt.scenario_sha256
        kpi_rows = [{k: _nan(r["kpis"].get(k)) for k in names} for r in record["replications"]]
        if record.get("error"):
            errors.append((pt.point_id, pt.params, record["error"]["message"]))
            points.append({**status, "status": "error", "replications": len(kpi_rows),
                           "error": record["error"]["message"], "scenario_sha256": sha})
            continue
        for r, k in zip(record["replications"], kpi_rows, strict=True):
            rows.append({"point_id": pt.point_id, **params, "replication": r["replication"], **k})
        for name, s in summarise(kpi_rows, units).items():
            n = sum(1 for k in kpi_rows if math.isfinite(k[name]))
            summary.append({**status, "kpi": name, "mean": _nan(s["mean"]), "ci_low": _nan(s["ci95"][0]),
                            "ci_high": _nan(s["ci95"][1]), "unit": units[name], "n": n})
        points.append({**status, "status": "ok", "replications": len(kpi_rows), "error": None,
                       "scenario_sha256": sha})
    results = pd.DataFrame(rows, columns=["point_id", *p.params, "replication", *names])
    long = pd.DataFrame(summary, columns=["point_id", *p.params, *SUMMARY_COLUMNS])
    point_frame = pd.DataFrame(points, columns=["point_id", *p.params, *POINT_COLUMNS])
    return SweepTables(results, long, errors, missing, point_frame, p)


SUMMARY_COLUMNS = ("kpi", "mean", "ci_low", "ci_high", "unit", "n")
POINT_COLUMNS = ("status", "replications", "error", "scenario_sha256")


def wide_summary(summary, kpis: Sequence[str]):
    """The long summary as one row per point with `KPI mean`, `KPI ci_low`, `KPI ci_high` columns (for printing)."""
    part = summary[summary["kpi"].isin(list(kpis))]
    return part.pivot(index="point_id", columns="kpi", values=["mean", "ci_low", "ci_high"])


def _kpi_columns(records) -> list[str]:
    """The KPI columns: the fixed KPIs, then every per-track, per-shift and money KPI the points reported
    (in the order first met), so `kpis:` may name any of them."""
    names = dict.fromkeys(KPI_UNITS)
    for record in records:
        for rep in (record or {}).get("replications", []):
            names.update(dict.fromkeys(rep["kpis"]))
    return list(names)


def _unit(name: str) -> str:
    """A KPI's unit where the name tells it ('' for one it cannot: a money KPI of another currency)."""
    try:
        return kpi_unit(name)
    except KeyError:
        return ""


def _nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def write_tables(t: SweepTables, folder: Path) -> list[Path]:
    """results.csv, results.parquet, summary.csv, points.csv and (with the plan) provenance.json, codebook.csv
    and the experiment and scenario files as given; each replaced atomically."""
    folder = Path(folder)
    doc, codebook = _provenance(t, folder)
    atomic_write_text(folder / "results.csv", t.results.to_csv(index=False, float_format=FLOAT_FORMAT))
    atomic_write_text(folder / "summary.csv", t.summary.to_csv(index=False, float_format=FLOAT_FORMAT))
    written = [folder / name for name in RESULT_FILES]
    if t.points is not None:
        written.append(atomic_write_text(folder / "points.csv", t.points.to_csv(index=False, float_format=FLOAT_FORMAT)))
    metadata = provenance.parquet_metadata(doc, codebook, "results.parquet") if doc else {}
    _write_parquet(t.results, folder / "results.parquet", metadata)
    if doc is not None and t.plan is not None:
        written += provenance.write(folder, doc, codebook, t.plan.experiment_file, t.plan.scenario_file,
                                    t.plan.design_file)
    return written


def _provenance(t: SweepTables, folder: Path) -> tuple[dict | None, list[dict]]:
    """provenance.json's document and the codebook of every column the tables carry (every KPI the points
    reported, with the units summary.csv gives them)."""
    p = t.plan
    if p is None or p.experiment is None:
        return None, []
    doc = provenance.document(p.kind, p.design, p.seed, p.replications, p.experiment_file, p.scenario_file,
                              provenance.read_previous(folder))
    kpis = [c for c in t.results.columns if c not in ("point_id", *p.params, "replication")]
    units = {name: _unit(name) for name in kpis}
    if len(t.summary):
        units.update({str(k): str(u) for k, u in zip(t.summary["kpi"], t.summary["unit"], strict=True) if u == u})
    return doc, provenance.sweep_codebook(p.experiment, kpis, units=units)


def _write_parquet(frame, path: Path, metadata: dict[bytes, bytes] | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object:  # mixed-type parameter values: Parquet columns need one type
            frame[col] = frame[col].astype(str)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **(metadata or {})})
    atomic_write(path, lambda f: pq.write_table(table, f))
