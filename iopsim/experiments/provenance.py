"""What a sweep, sizing or sensitivity folder records so a study built on it can be cited and redone.

One document, `provenance.json`, says what was run and with what: the experiment file and base
scenario as given (copied beside it, byte for byte, with their SHA-256), the design (method, seed,
N, grid values, ranges and integer flags), the seed and replications, and the versions of Python
and of every library the numbers depend on. `codebook.csv` says what each column of each table
means and in which unit. Parquet tables carry both as metadata (keys `iopsim.provenance` and
`iopsim.codebook`), so a table copied out of its folder still says where it came from.

Nothing here depends on when or where the work ran (no clock, host or executor), so the same
experiment writes the same bytes on a process pool, on dask or resumed after a crash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from ..files import atomic_write, atomic_write_text
from ..versions import versions
from .schema import GROUP_ROOMS, Experiment

PROVENANCE_FILE = "provenance.json"
CODEBOOK_FILE = "codebook.csv"
EXPERIMENT_COPY = "experiment.yaml"
SCENARIO_COPY = "scenario.yaml"
DESIGN_COPY = "design.csv"
UNCERTAINTY_COPY = "uncertainty.yaml"

def file_record(path: Path | None, copy_name: str) -> dict | None:
    if path is None:
        return None
    data = Path(path).read_bytes()
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "copy": copy_name, "bytes": len(data)}


def experiment_design(e: Experiment, kind: str, points: int, extra: dict | None = None,
                      design_file: Path | None = None) -> dict:
    """The design as a reader of a methods section needs it: how points were chosen, how many, from what."""
    grid = [{"parameter": f"parameters.{i}", "path": p.path, "values": p.values} for i, p in e.grid_parameters()]
    ranges = [{"parameter": f"parameters.{i}", "path": p.path, "low": p.value_range.low, "high": p.value_range.high,
               "integer": p.value_range.integer} for i, p in e.range_parameters()]
    if kind.startswith("sensitivity-"):
        s = e.sensitivity
        method: dict[str, Any] = {"method": kind.removeprefix("sensitivity-"), "samples": s.samples,
                                  "num_levels": s.num_levels, "bootstrap": s.bootstrap, "seed": s.seed}
    elif e.sampling is not None:
        method = _sampling_fields(e)
        if design_file is not None:
            method["file"] = file_record(design_file, DESIGN_COPY)
    else:
        method = {"method": "grid"}
    return {"kind": kind, **method, "points": points, "grid": grid, "ranges": ranges,
            "crossed": "grid cells x sample rows" if grid and ranges else None, **(extra or {})}


_FIELDS_OF = {"lhs": ("points", "seed"), "sobol": ("points", "seed"), "fractional-factorial": ("resolution",),
              "plackett-burman": (), "central-composite": ("center_points", "face"), "file": ()}


def _sampling_fields(e: Experiment) -> dict[str, Any]:
    """The sampling settings the method uses (a seed means nothing to a Plackett-Burman design)."""
    s = e.sampling
    assert s is not None
    fields = {"method": s.method, **{name: getattr(s, name) for name in _FIELDS_OF[s.method]}}
    if s.method in ("fractional-factorial", "plackett-burman", "central-composite"):
        fields["library"] = f"pyDOE3 {versions()['pyDOE3']}"
        fields["coding"] = "-1 = low, +1 = high; integer ranges take the nearest whole number"
    return fields


def document(kind: str, design: dict, seed: int, replications: int | list[int], experiment_file: Path | None,
             scenario_file: Path | None, previous: dict | None = None, overrides: Sequence[str] = (),
             uncertainty_file: Path | None = None) -> dict:
    """The provenance document; `previous` (the folder's earlier one) keeps the versions of earlier sessions.

    `overrides`: the command's `--set PATH=VALUE` options, in order: the copied scenario file plus these is
    what was simulated (a sizing folder without them could not be redone)."""
    now = versions()
    earlier = [] if previous is None else [previous.get("versions"), *previous.get("earlier_versions", [])]
    earlier = [v for i, v in enumerate(earlier) if isinstance(v, dict) and v != now and v not in earlier[:i]]
    return {
        "kind": kind,
        "experiment_file": file_record(experiment_file, EXPERIMENT_COPY),
        "scenario_file": file_record(scenario_file, SCENARIO_COPY),
        "scenario_overrides": list(overrides),
        **({"uncertainty_file": file_record(uncertainty_file, UNCERTAINTY_COPY)} if uncertainty_file else {}),
        "seed": seed,
        "replications": replications,
        "design": design,
        "versions": now,
        "earlier_versions": earlier,  # a resumed study: versions of the sessions that wrote earlier points
    }


def read_previous(folder: Path) -> dict | None:
    try:
        doc = json.loads((Path(folder) / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def write(folder: Path, doc: dict, codebook_rows: Sequence[dict], experiment_file: Path | None = None,
          scenario_file: Path | None = None, design_file: Path | None = None,
          uncertainty_file: Path | None = None) -> list[Path]:
    """provenance.json, codebook.csv and the copies of the files as given, each atomically."""
    folder = Path(folder)
    files = []
    for source, name in ((experiment_file, EXPERIMENT_COPY), (scenario_file, SCENARIO_COPY),
                         (design_file, DESIGN_COPY), (uncertainty_file, UNCERTAINTY_COPY)):
        if source is not None:
            files.append(atomic_write(folder / name, _writer(Path(source).read_bytes())))
    files.append(atomic_write_text(folder / PROVENANCE_FILE, json.dumps(doc, indent=2, allow_nan=False) + "\n"))
    files.append(atomic_write_text(folder / CODEBOOK_FILE, codebook_csv(codebook_rows)))
    return files


def _writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda f: f.write(data)


def codebook_csv(rows: Sequence[dict]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["file", "column", "meaning", "unit"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def parquet_metadata(doc: dict, codebook_rows: Sequence[dict], file: str) -> dict[bytes, bytes]:
    """Key-value metadata for a Parquet file: the provenance and the codebook rows of that file."""
    own = [r for r in codebook_rows if r["file"] == file]
    return {b"iopsim.provenance": json.dumps(doc, sort_keys=True).encode(),
            b"iopsim.codebook": json.dumps(own).encode()}


# --------------------------------------------------------------------------- the codebook

_UNIT_SUFFIXES = (("_hours_per_week", "hours per week"), ("_hours_per_year", "hours per year"), ("_per_week", "per week"), ("_per_year", "per year"), ("_prob", "probability (0-1)"),
                  ("_pct", "%"), ("_days", "days"), ("_weeks", "weeks"), ("_hours", "hours"), ("_years", "years"),
                  ("_minutes", "minutes"), ("_multiplier", "factor"), ("count", "count"), ("capacity", "patients"))


def parameter_unit(path: str) -> str:
    """The unit a scenario field's name spells (`rate_per_week`, `patience_days.mean`), or '' if none."""
    if path == GROUP_ROOMS:
        return "rooms"
    for part in reversed(path.split(".")):
        for suffix, unit in _UNIT_SUFFIXES:
            if part.endswith(suffix):
                return unit
    return ""


def parameter_rows(e: Experiment, file: str) -> list[dict]:
    rows = []
    for i, p in enumerate(e.parameters):
        if p.range is not None:
            how = f"range {p.range.low:g} to {p.range.high:g}" + (", whole numbers" if p.range.integer else "")
        else:
            how = f"{len(p.values or [])} values"
        what = "group rooms (copies of the timetable's group rooms)" if p.path == GROUP_ROOMS else f"`{p.path}`"
        rows.append({"file": file, "column": p.path,
                     "meaning": f"Experiment parameter parameters.{i}: the scenario's {what} at this point ({how})",
                     "unit": parameter_unit(p.path)})
    return rows


def kpi_rows(names: Iterable[str], file: str, units: dict[str, str] | None = None) -> list[dict]:
    from ..analysis.kpis import kpi_unit
    from ..reports.style import kpi_label

    return [{"file": file, "column": name, "meaning": f"KPI: {kpi_label(name)} (mean over the replication's "
             "observation window after the warm-up)", "unit": (units or {}).get(name) or kpi_unit(name)}
            for name in names]


POINT_ID = "Design point id (p0000, p0001, ...), in the order the design generates them"

SWEEP_COLUMNS = {
    "replication": ("Replication r of the point: it draws the random streams of (seed, r), the same at every "
                    "point (common random numbers)", ""),
    "kpi": ("KPI name (see the KPI rows of results.csv for its meaning)", ""),
    "mean": ("Mean of the KPI over the point's replications", "unit column"),
    "ci_low": ("Lower end of the 95% t confidence interval of the mean (clipped at 0; the upper end at 100 "
               "for shares, not for utilisations, which overtime takes past 100)", "unit column"),
    "ci_high": ("Upper end of the 95% t confidence interval of the mean", "unit column"),
    "unit": ("Unit of mean, ci_low and ci_high", ""),
    "n": ("Replications with a defined value of the KPI (the CI's sample size)", "replications"),
    "status": ("ok: every replication ran; error: a replication raised (see error); missing: not run yet", ""),
    "replications": ("Replications recorded for the point", "replications"),
    "error": ("The error of a failed point (ExceptionType: message)", ""),
    "scenario_sha256": ("SHA-256 of the point's fully resolved scenario (canonical JSON): equal hashes, equal "
                        "inputs", ""),
}


def sweep_codebook(e: Experiment, kpis: Sequence[str], parquet: bool = True,
                   units: dict[str, str] | None = None) -> list[dict]:
    """Every column of results.csv/.parquet, summary.csv and points.csv. `kpis`: the KPI columns of results
    (every KPI the points reported); `units`: their units where kpi_unit cannot tell (money)."""
    rows: list[dict] = []
    result_files = ["results.csv", "results.parquet"] if parquet else ["results.csv"]
    for file, columns in [*[(f, ["point_id", "params", "replication", "kpis"]) for f in result_files],
                          ("summary.csv", ["point_id", "params", "kpi", "mean", "ci_low", "ci_high", "unit", "n"]),
                          ("points.csv", ["point_id", "params", "status", "replications", "error",
                                          "scenario_sha256"])]:
        for column in columns:
            if column == "point_id":
                rows.append({"file": file, "column": column, "meaning": POINT_ID, "unit": ""})
            elif column == "params":
                rows += parameter_rows(e, file)
            elif column == "kpis":
                rows += kpi_rows(kpis, file, units)
            else:
                meaning, unit = SWEEP_COLUMNS[column]
                rows.append({"file": file, "column": column, "meaning": meaning, "unit": unit})
    return rows


# --------------------------------------------------------------------------- sizing folders

SIZING_COLUMNS = {
    "evaluated": ("Order in which the search evaluated the candidate (1 = first)", ""),
    "rooms": ("Group rooms of the candidate", "rooms"),
    "counselors": ("Counselors of the candidate", "count"),
    "cost": ("Cost the search minimises: money per year with a finance: section, otherwise counts x --cost-* "
             "(and lever hours at the counselor-hour rate)", "cost unit"),
    "net_per_year": ("Mean net per year (revenue less cost) over the candidate's replications", "currency per year"),
    "status": ("feasible / infeasible (a target missed at its 95% bound) / undecided / invalid / error", ""),
    "replications": ("Replications the candidate ran (more only while a target was undecided)", "replications"),
    "reason": ("Why the candidate is invalid, infeasible or failed", ""),
    "step": ("Search step (greedy additions, then removals)", ""),
    "change": ("The lever change that made this candidate from the previous one", ""),
    "binding": ("Resources binding at this candidate (see the bottleneck rule)", ""),
    "replication": ("Replication r of the candidate: the random streams of (seed, r), shared by every candidate",
                    ""),
    "scenario_sha256": SWEEP_COLUMNS["scenario_sha256"],
}


def column_rows(file: str, columns: Iterable[str], known: dict[str, tuple[str, str]],
                units: dict[str, str] | None = None) -> list[dict]:
    """Codebook rows for a table whose columns are known names, KPIs, `KPI_mean`/`_ci95_low`/`_ci95_high`,
    `TARGET verdict`, or scenario fields (levers, by dotted path). `units`: KPIs kpi_unit cannot know (money)."""
    from ..reports.style import kpi_label

    def unit(name: str) -> str | None:
        from ..analysis.kpis import kpi_unit

        if units and name in units:
            return units[name]
        try:
            return kpi_unit(name)
        except KeyError:
            return None

    rows = []
    for column in columns:
        base, _, stat = column.rpartition("_ci95_")
        if column in known:
            meaning, u = known[column]
        elif unit(column) is not None:
            meaning, u = f"KPI: {kpi_label(column)}", unit(column) or ""
        elif column.endswith(" verdict"):
            meaning, u = f"Whether the target {column.removesuffix(' verdict')} holds at its 95% bound", ""
        elif stat in ("low", "high") and unit(base) is not None:
            meaning = f"{'Lower' if stat == 'low' else 'Upper'} end of the 95% CI of the mean of {kpi_label(base)}"
            u = unit(base) or ""
        elif column.endswith("_mean") and unit(column.removesuffix("_mean")) is not None:
            meaning = f"Mean over replications of {kpi_label(column.removesuffix('_mean'))}"
            u = unit(column.removesuffix("_mean")) or ""
        else:
            meaning, u = f"Lever: the scenario field `{column}` at this candidate", parameter_unit(column)
        rows.append({"file": file, "column": column, "meaning": meaning, "unit": u})
    return rows


def write_sizing_provenance(folder: Path, scenario_file: Path, design: dict, seed: int,
                            replications: Sequence[int], tables: dict[str, Sequence[str]],
                            units: dict[str, str] | None = None, overrides: Sequence[str] = (),
                            uncertainty_file: Path | None = None,
                            columns: dict[str, tuple[str, str]] | None = None) -> list[Path]:
    """provenance.json, codebook.csv (for `tables`: file -> its columns) and scenario.yaml in a sizing folder
    (and uncertainty.yaml for `size --uncertainty`). `columns`: meanings of columns SIZING_COLUMNS lacks."""
    doc = document("sizing", design, seed, list(replications), None, scenario_file, overrides=overrides,
                   uncertainty_file=uncertainty_file)
    known = {**SIZING_COLUMNS, **(columns or {})}
    rows = [row for file, columns_ in tables.items() for row in column_rows(file, columns_, known, units)]
    return write(folder, doc, rows, None, scenario_file, uncertainty_file=uncertainty_file)


# --------------------------------------------------------------------------- sensitivity files

INDEX_COLUMNS = {
    "kpi": ("KPI the indices are of (its point means over replications are analysed)", ""),
    "parameter": ("Experiment parameter (a range), or 'A, B' for a second-order pair", ""),
    "S1": ("First-order Sobol (or RBD-FAST) index: share of the KPI's variance due to the parameter alone",
           "share (0-1)"),
    "S1_conf": ("Half-width of the bootstrap 95% CI of S1", "share (0-1)"),
    "ST": ("Total-effect Sobol index: share of variance involving the parameter, interactions included",
           "share (0-1)"),
    "ST_conf": ("Half-width of the bootstrap 95% CI of ST", "share (0-1)"),
    "S2": ("Second-order Sobol index of the pair", "share (0-1)"),
    "S2_conf": ("Half-width of the bootstrap 95% CI of S2", "share (0-1)"),
    "mu_star": ("Morris mu*: mean absolute elementary effect over the parameter's whole range", "KPI unit"),
    "mu_star_conf": ("Half-width of the bootstrap 95% CI of mu*", "KPI unit"),
    "sigma": ("Morris sigma: standard deviation of the elementary effects (interactions, non-linearity)",
              "KPI unit"),
    "mu": ("Morris mu: mean elementary effect (signed)", "KPI unit"),
    "pawn_median": ("PAWN: median Kolmogorov-Smirnov distance of the conditional KPI distributions", "0-1"),
    "pawn_max": ("PAWN: maximum Kolmogorov-Smirnov distance", "0-1"),
    "N": ("Base sample size (Sobol N, Morris trajectories)", "count"),
    "points": ("Design points simulated", "count"),
    "replications": ("Replications per point", "replications"),
    "bootstrap": ("Bootstrap resamples of the CIs", "count"),
    "seed": ("Seed of the sampler and bootstrap (the simulation's seed is in provenance.json)", ""),
    "check": ("Diagnostic check (see the README: sum S1 <= 1, S1 <= ST, negative indices, sum ST >= 1, "
              "convergence, noise share, integer levels)", ""),
    "ok": ("Whether the check passed", ""),
    "value": ("The checked quantity", ""),
    "message": ("What the check found, in words", ""),
}


def add_to_codebook(folder: Path, file: str, columns: Sequence[str]) -> None:
    """Describe a further table (indices-*.csv, diagnostics-*.csv) in the folder's codebook.csv."""
    import csv
    import io

    path = Path(folder) / CODEBOOK_FILE
    try:
        rows = [r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))) if r["file"] != file]
    except (OSError, KeyError):
        rows = []
    rows += [{"file": file, "column": c, "meaning": INDEX_COLUMNS.get(c, (c.replace("_", " "), ""))[0],
              "unit": INDEX_COLUMNS.get(c, ("", ""))[1]} for c in columns]
    atomic_write_text(path, codebook_csv(rows))
