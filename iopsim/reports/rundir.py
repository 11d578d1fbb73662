"""A run folder written by `iopsim run`, loaded lazily for charts, comparisons and reports.

Only summary.json is read up front (it is small and says what the run was); the tables are read
on first use and kept, because several charts share them. The weekly series and the patients are
Parquet (timeseries.parquet, patients.parquet); run folders written before that hold them as
timeseries.csv and patients.csv.gz, and are read just the same. Every problem with the folder is a
RunDirError naming the folder, so the CLI can print it and exit 2.
"""

from __future__ import annotations

import json
import math
from functools import cached_property
from pathlib import Path

from ..scenario.calendar import DAYS_PER_YEAR
from ..scenario.window import Window

SUMMARY_KEYS = ("iopsim_version", "scenario", "seed", "replications", "warmup_weeks", "horizon_years", "kpis")
PATIENTS_FILE = "patients.parquet"
TIMESERIES_FILE = "timeseries.parquet"
LEGACY_FILES = {PATIENTS_FILE: "patients.csv.gz", TIMESERIES_FILE: "timeseries.csv"}  # older run folders
TREATMENT_OUTCOMES = ("graduated", "dropped_out", "relapse_discharge", "transferred")  # TEDS reasons for discharge
# Treatment ends counted under another reason (as TEDS counts them): step-ups are transfers, non-starters dropouts.
REASON_OF = {"stepped_up": "transferred", "non_starter": "dropped_out"}


class RunDirError(Exception):
    """A folder that is not a (complete, readable) run folder."""

    def __init__(self, folder: Path | str, problem: str):
        super().__init__(f"{folder}: {problem}")
        self.folder = Path(folder)


class RunDir:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        if not self.path.is_dir():
            raise RunDirError(self.path, "not a folder (expected a run folder written by `iopsim run`)")
        summary = self.path / "summary.json"
        if not summary.is_file():
            raise RunDirError(self.path, "not a run folder: summary.json is missing (write one with `iopsim run`)")
        try:
            self.summary = json.loads(summary.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise RunDirError(self.path, f"summary.json is not readable JSON ({err})") from None
        missing = [k for k in SUMMARY_KEYS if not isinstance(self.summary, dict) or k not in self.summary]
        if missing:
            raise RunDirError(self.path, f"summary.json lacks {', '.join(missing)}: not written by `iopsim run`?")
        problem = summary_problem(self.summary)
        if problem:
            raise RunDirError(self.path / "summary.json", f"{problem} (edited by hand? re-run `iopsim run`)")

    # --- what the run was ------------------------------------------------------------------------
    @property
    def scenario(self) -> dict:
        return self.summary["scenario"]

    @property
    def name(self) -> str:
        return str(self.scenario.get("name", self.path.name))

    @property
    def label(self) -> str:
        """Scenario name, or folder name when it is more specific (two runs of one scenario)."""
        return self.path.name if self.path.name and self.path.name != self.name else self.name

    @property
    def seed(self) -> int:
        return int(self.summary["seed"])

    @property
    def replications(self) -> int:
        return int(self.summary["replications"])

    @property
    def complete(self) -> bool:
        return bool(self.summary.get("complete", True))

    @property
    def version(self) -> str:
        return str(self.summary["iopsim_version"])

    @property
    def kpis(self) -> dict[str, dict]:
        return self.summary["kpis"]

    @cached_property
    def window(self) -> Window:
        """The observation window, as the model and the KPIs clip it."""
        return Window.of_lengths(float(self.summary["warmup_weeks"]), float(self.summary["horizon_years"]))

    @property
    def horizon_days(self) -> float:
        return self.window.end_days

    @property
    def warmup_days(self) -> float:
        return self.window.start_days

    @property
    def window_years(self) -> float:
        return self.window.years

    def footer(self) -> str:
        """The provenance line every chart carries."""
        reps = f"{self.replications} replication{'s' if self.replications != 1 else ''}"
        if not self.complete:
            reps += " (interrupted run)"
        return (f"Scenario: {self.name}  ·  {reps}  ·  seed {self.seed}  ·  "
                f"{_g(self.summary['horizon_years'])} years simulated, first {_g(self.summary['warmup_weeks'])} "
                f"weeks excluded as warm-up  ·  iopsim {self.version}")

    # --- the tables, read on first use -------------------------------------------------------------
    def _csv(self, name: str, **kwargs):
        import pandas as pd

        path = self._existing(name)
        try:
            return pd.read_csv(path, **kwargs)
        except (OSError, ValueError, EOFError) as err:  # pandas parser errors are ValueErrors
            raise RunDirError(self.path, f"{path.name} is not readable ({err})") from None

    def _table(self, name: str):
        """A Parquet table, or the CSV an older run folder holds in its place."""
        path = self._existing(name)
        if path.name != name:
            return self._csv(path.name)
        import pandas as pd

        try:
            return pd.read_parquet(path, engine="pyarrow")
        except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
            raise RunDirError(self.path, f"{name} is not readable ({err})") from None

    def _find(self, name: str) -> Path | None:
        """The file `name`, or the older file it replaced; None when neither is there."""
        for candidate in (name, LEGACY_FILES.get(name)):
            if candidate and (self.path / candidate).is_file():
                return self.path / candidate
        return None

    def _existing(self, name: str) -> Path:
        path = self._find(name)
        if path is None:
            raise RunDirError(self.path, f"{name} is missing: not a complete run folder (re-run `iopsim run`)")
        return path

    @cached_property
    def replication_kpis(self):
        """One row per replication, indexed by replication (replications.csv)."""
        return self._csv("replications.csv", index_col="replication").sort_index()

    @cached_property
    def timeseries(self):
        return self._table(TIMESERIES_FILE)

    @cached_property
    def sessions(self):
        return self._csv("sessions.csv", keep_default_na=False, na_values=[""])

    @cached_property
    def has_patients(self) -> bool:
        return self._find(PATIENTS_FILE) is not None

    @cached_property
    def patients(self):
        return self._table(PATIENTS_FILE)

    # --- derived views ------------------------------------------------------------------------------
    def window_weeks(self):
        """Boolean mask over timeseries rows: whole weeks starting at or after the warm-up (as KPIs)."""
        return self.window.week_counts(self.timeseries["week_end_days"])

    def within_window(self, column: str):
        """Boolean mask over patients: the step `column` happened inside [warm-up, horizon]."""
        t = self.patients[column]
        return (t >= self.warmup_days) & (t <= self.horizon_days)

    def weekly_band(self, columns: str | list[str]):
        """Mean across replications of a weekly series (sum of `columns`) with its 95% CI per week.

        Returns (years, mean, lo, hi) as numpy arrays; lo/hi are NaN with a single replication.
        """
        import numpy as np

        from ..analysis.stats import mean_ci

        ts = self.timeseries
        cols = [columns] if isinstance(columns, str) else list(columns)
        values = ts[cols].sum(axis=1).to_numpy(dtype=float)
        wide = _by_week(ts, values)
        estimates = [mean_ci(row) for row in wide.to_numpy()]
        years = wide.index.to_numpy(dtype=float) / DAYS_PER_YEAR
        return (years, np.array([e.mean for e in estimates]), np.array([e.lo for e in estimates]),
                np.array([e.hi for e in estimates]))

    def weekly_mean(self, column: str):
        """Mean across replications of one weekly series, as (years, values)."""
        ts = self.timeseries
        wide = _by_week(ts, ts[column].to_numpy(dtype=float))
        return wide.index.to_numpy(dtype=float) / DAYS_PER_YEAR, wide.mean(axis=1).to_numpy()

    def window_mean_per_week(self, column: str) -> float:
        """Mean weekly value of a series over the window weeks of every replication."""
        values = self.timeseries.loc[self.window_weeks(), column]
        return float(values.mean()) if len(values) else math.nan


def _by_week(ts, values):
    """week_end_days x replication table of `values`."""
    import pandas as pd

    frame = pd.DataFrame({"t": ts["week_end_days"].to_numpy(), "r": ts["replication"].to_numpy(), "v": values})
    return frame.pivot(index="t", columns="r", values="v").sort_index()


def _g(x) -> str:
    return f"{float(x):g}"


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x) -> bool:
    return (_is_int(x) or isinstance(x, float)) and math.isfinite(x)


def _is_list_of_named(x) -> bool:
    return isinstance(x, list) and all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in x)


_SUMMARY_TYPES = (  # (dotted path, test, what it should be): the fields plot, compare and report read
    ("iopsim_version", lambda x: isinstance(x, str), "a string"),
    ("seed", lambda x: _is_int(x) and x >= 0, "a whole number >= 0"),
    ("replications", lambda x: _is_int(x) and x >= 1, "a whole number >= 1"),
    ("complete", lambda x: isinstance(x, bool), "true or false"),
    ("warmup_weeks", lambda x: _is_number(x) and x >= 0, "a number >= 0"),
    ("horizon_years", lambda x: _is_number(x) and x > 0, "a number > 0"),
    ("scenario", lambda x: isinstance(x, dict), "a mapping"),
    ("scenario.name", lambda x: isinstance(x, str), "a string"),
    ("scenario.phases", _is_list_of_named, "a list of phases with names"),
    ("scenario.rooms", lambda x: _is_list_of_named(x) and all(_is_int(r.get("seats")) for r in x),
     "a list of rooms with names and seats"),
    ("scenario.counselors.count", _is_int, "a whole number"),
    ("scenario.groups.max_size", _is_int, "a whole number"),
    ("scenario.timetable", lambda x: isinstance(x, list) and all(isinstance(v, dict) for v in x), "a list of sessions"),
    ("kpis", lambda x: isinstance(x, dict) and all(isinstance(v, dict) for v in x.values()),
     "a mapping of KPI name to {mean, ci95, unit}"),
)


def _optional_number(x) -> bool:
    return x is None or _is_number(x)


def summary_problem(summary: dict) -> str | None:
    """The first field of summary.json whose type the reports cannot use, as `path: expected ...`."""
    for path, ok, what in _SUMMARY_TYPES:
        value, present = summary, True
        for part in path.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                present = False
        if not present:
            if path == "complete":  # older run folders lack it
                continue
            return f"{path}: missing"
        if not ok(value):
            return f"{path}: expected {what}, got {json.dumps(value)[:60]}"
    for name, v in summary["kpis"].items():
        ci = v.get("ci95")
        if not _optional_number(v.get("mean")):
            return f"kpis.{name}.mean: expected a number or null, got {json.dumps(v.get('mean'))[:60]}"
        if not (isinstance(ci, list) and len(ci) == 2 and all(_optional_number(c) for c in ci)):
            return f"kpis.{name}.ci95: expected [low, high] numbers or nulls, got {json.dumps(ci)[:60]}"
        if not isinstance(v.get("unit", ""), str):
            return f"kpis.{name}.unit: expected a string"
    return None
