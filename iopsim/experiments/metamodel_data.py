"""A finished sweep folder -> what a metamodel is fitted to: point means, their noise, and how it is shared.

A metamodel is fitted to the *point means* of one KPI, never to single replications: cross-validation
then holds out whole points (a point's replications never sit on both sides of a split), and the
noise of each mean is known from its replications.

Points of an `iopsim sweep` share random streams (common random numbers, CRN): replication r of every
point sees the same referrals and coin flips. Their errors are then correlated, and a model that
treats the point means as independent would mistake the shared part for signal. Replication r's
deviation from its point's mean is split into a part shared by every point (the mean deviation of
replication r across points, C_r) and the rest (E_pr). The shared part moves the whole surface up or
down together: it adds `common_variance / n` to the uncertainty of the level of every prediction, and
nothing to differences between points. The rest is independent between points and is each mean's
own noise (`noise_variance`, what a Gaussian process takes as its known noise). With independent
streams per point (`common_random_numbers: false`) there is no shared part and all of it is noise.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..analysis.kpis import KPI_UNITS
from ..scenario.problems import Problem, ScenarioError

RESULTS = "results.csv"
MANIFEST = "experiment.json"
MIN_POINTS = 3


@dataclass
class SweepData:
    """One KPI of a sweep, one row per point with a finite mean."""

    folder: Path
    kpi: str
    unit: str
    names: list[str]  # the parameters the metamodel uses (numeric, not constant)
    x: np.ndarray  # (points, parameters)
    y: np.ndarray  # point means
    point_ids: list[str]
    replications: np.ndarray  # finite replications per point
    noise_variance: np.ndarray  # variance of each point mean that is its own (independent between points)
    common_variance: float  # variance of a single replication's shared deviation (0 without CRN)
    common_random_numbers: bool
    experiment: str = ""
    constant: dict[str, float] = field(default_factory=dict)  # parameters with one value in the sweep

    @property
    def low(self) -> np.ndarray:
        return self.x.min(axis=0)

    @property
    def high(self) -> np.ndarray:
        return self.x.max(axis=0)

    @property
    def level_variance(self) -> float:
        """Variance the shared noise adds to the level of every predicted mean (common_variance / n)."""
        n = float(np.median(self.replications)) if len(self.replications) else 1.0
        return self.common_variance / n if n > 0 else 0.0

    def crn_share(self) -> float:
        """Share of a replication's deviation that every point shares (0 = independent, 1 = all shared)."""
        own = float(np.nanmean(self.noise_variance * self.replications)) if np.isfinite(self.noise_variance).any() else 0.0
        total = self.common_variance + own
        return self.common_variance / total if total > 0 else 0.0


def _problem(where: Path, message: str) -> ScenarioError:
    return ScenarioError([Problem(str(where), None, "", message)])


def load_sweep(folder: str | Path, kpi: str) -> SweepData:
    """Read RESULTS (and MANIFEST, when present) of a sweep folder; ScenarioError names what is wrong."""
    import pandas as pd

    folder = Path(folder)
    path = folder / RESULTS
    if not folder.is_dir():
        raise _problem(folder, "is not a folder; give the --out folder of a finished `iopsim sweep`")
    if not path.is_file():
        raise _problem(folder, f"has no {RESULTS}; run `iopsim sweep` into it to the end first")
    manifest = _read_manifest(folder / MANIFEST)
    try:
        frame = pd.read_csv(path)
    except (ValueError, OSError) as err:
        raise _problem(path, f"cannot be read as a results table ({err})") from None
    columns = list(frame.columns)
    if "point_id" not in columns or "replication" not in columns:
        raise _problem(path, "is not a sweep results table (it needs point_id and replication columns)")
    if kpi not in frame.columns:
        import difflib

        hint = difflib.get_close_matches(kpi, [c for c in columns if c in KPI_UNITS], n=1)
        raise _problem(path, f"no KPI {kpi!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""))
    params = columns[columns.index("point_id") + 1: columns.index("replication")]
    if not params:
        raise _problem(path, "has no parameter columns between point_id and replication")
    crn = bool(manifest.get("common_random_numbers", True))
    return _point_means(folder, frame, kpi, params, crn, str(manifest.get("experiment", "")))


def _read_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise _problem(path, f"cannot be read as JSON ({err})") from None
    return data if isinstance(data, dict) else {}


def _point_means(folder: Path, frame, kpi: str, params: list[str], crn: bool, experiment: str) -> SweepData:
    import pandas as pd

    numeric: dict[str, np.ndarray] = {}
    for name in params:
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = frame[name][values.isna()]
        if len(bad):
            raise _problem(folder / RESULTS, f"parameter {name!r} has values that are not numbers "
                           f"(e.g. {bad.iloc[0]!r}); a metamodel needs numeric parameters")
        numeric[name] = values.to_numpy(dtype=float)
    table = pd.DataFrame({"point_id": frame["point_id"], "replication": frame["replication"],
                          **numeric, "y": pd.to_numeric(frame[kpi], errors="coerce")})
    table = table[np.isfinite(table["y"])]
    wide = table.pivot_table(index="point_id", columns="replication", values="y", sort=True)
    wide = wide.reindex(pd.unique(table["point_id"]))  # the sweep's point order
    if len(wide) < MIN_POINTS:
        raise _problem(folder / RESULTS, f"KPI {kpi!r} has a value at {len(wide)} point(s); "
                       f"a metamodel needs at least {MIN_POINTS}")
    first = table.drop_duplicates("point_id").set_index("point_id").loc[wide.index]
    constant = {n: float(first[n].iloc[0]) for n in params if first[n].nunique() == 1}
    names = [n for n in params if n not in constant]
    if not names:
        raise _problem(folder / RESULTS, "every parameter has a single value; nothing to model")
    values = wide.to_numpy(dtype=float)
    counts = np.sum(np.isfinite(values), axis=1)
    means = np.nanmean(values, axis=1)
    deviations = values - means[:, None]
    common = 0.0
    if crn and values.shape[1] > 1:
        shared = np.nanmean(deviations, axis=0)  # C_r: replication r's deviation common to every point
        with np.errstate(invalid="ignore"):
            deviations = deviations - shared[None, :]
        common = _variance(shared)
    own = np.array([_variance(row) for row in deviations])
    if crn and values.shape[1] > 1:
        p = len(means)
        own = own * p / (p - 1)  # removing the shared part took 1 of p points' worth of freedom
        common = max(0.0, common - float(np.nanmean(own)) / p)  # C_r's variance includes own / p
    noise = np.where(counts > 1, own / np.maximum(counts, 1), np.nan)
    return SweepData(folder, kpi, KPI_UNITS.get(kpi, ""), names, first[names].to_numpy(dtype=float), means,
                     [str(i) for i in wide.index], counts, noise, common, crn, experiment, constant)


def _variance(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return math.nan
    return float(np.sum((finite - finite.mean()) ** 2) / (len(finite) - 1))
