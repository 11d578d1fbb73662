"""Replications of a scenario, across processes, and the run folder they are written to.

Replication r of seed s always uses the random streams of (s, r), so results do not depend on
how many workers run them or in which order they finish. Workers get batches of replications
and ship back only KPIs and the compact weekly series.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .analysis.finance import SIGNED_KPIS
from .analysis.kpis import PatientTally, kpi_units, kpis
from .analysis.stats import mean_ci
from .files import fingerprint
from .model.clinic import simulate
from .model.records import phase_start_column
from .scenario.schema import Scenario
from .scenario.window import Window

PATIENT_COLUMNS = ("pid", "referred", "assessment_start", "waitlist_in", "admitted", "treatment_end",
                   "aftercare_start", "aftercare_end", "ended", "outcome", "aftercare_status", "relapses",
                   "relapses_detected", "detox_returner")


@dataclass
class ReplicationOutput:
    replication: int
    kpis: dict[str, float]
    series: dict[str, list[float]]
    events: list[tuple[int, float, str, str]] | None = None
    stats: dict[str, float] = field(default_factory=dict)
    slots: list[dict] = field(default_factory=list)
    patients: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class RunSet:
    """The replications of one scenario and seed, in replication order."""

    scenario: Scenario
    seed: int
    outputs: list[ReplicationOutput]
    complete: bool = True

    @property
    def replications(self) -> int:
        return len(self.outputs)

    def kpi_rows(self) -> list[dict[str, float]]:
        return [o.kpis for o in self.outputs]

    def summary(self) -> dict[str, dict]:
        return summarise(self.kpi_rows(), kpi_units(self.scenario))

    def kpi_frame(self):
        """KPIs as a pandas DataFrame, one row per replication (for notebooks)."""
        import pandas as pd

        return pd.DataFrame(self.kpi_rows(), index=pd.Index([o.replication for o in self.outputs], name="replication"))

    def summary_frame(self):
        import pandas as pd

        rows = [
            {"kpi": name, "mean": v["mean"], "ci95_low": v["ci95"][0], "ci95_high": v["ci95"][1], "unit": v["unit"]}
            for name, v in self.summary().items()
        ]
        return pd.DataFrame(rows).set_index("kpi")


def run_one(scenario: Scenario, seed: int, replication: int, record_events: bool = False,
            keep_patients: bool = True) -> ReplicationOutput:
    """One replication. Patients are tallied for the KPIs as they leave; `keep_patients=False`
    skips the per-patient table, so memory does not grow with the number of referrals."""
    window = Window.of(scenario)
    tally = PatientTally(window.start_days, window.end_days)
    result = simulate(scenario, seed, replication, record_events, tally.fold, keep_patients)
    patients = {}
    if keep_patients:
        patients = {name: result.records[name] for name in PATIENT_COLUMNS}
        for i, phase in enumerate(scenario.phases):  # when each phase was first entered
            patients[f"started_{phase.name}"] = result.records[phase_start_column(i)]
    return ReplicationOutput(replication, kpis(result, tally), result.series, result.events, result.stats,
                             result.slots, patients)


def _run_batch(scenario: Scenario, seed: int, replications: Sequence[int], record_events: bool,
               keep_patients: bool = True) -> list[ReplicationOutput]:
    return [run_one(scenario, seed, r, record_events, keep_patients) for r in replications]


def _batches(indices: Sequence[int], jobs: int) -> list[list[int]]:
    """Batches shrinking as the work runs out (guided self-scheduling): each takes a
    (4 x jobs)-th of what is left. Big early batches amortise start-up and transfer; the
    small last ones keep one worker from finishing a long batch while the others sit idle."""
    out = []
    start, n = 0, len(indices)
    while start < n:
        size = max(1, math.ceil((n - start) / (4 * jobs)))
        out.append(list(indices[start : start + size]))
        start += size
    return out


def run_replications(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    record_events: bool = False,
    on_progress: Callable[[int], None] | None = None,
    indices: Sequence[int] | None = None,
    keep_patients: bool = True,
) -> RunSet:
    """Run replications 0..n-1 (or the given indices); on Ctrl-C, return the finished ones marked incomplete."""
    seed = scenario.run.seed if seed is None else seed
    if indices is None:
        indices = range(scenario.run.replications if replications is None else replications)
    indices = list(indices)
    n = len(indices)
    done: dict[int, ReplicationOutput] = {}
    complete = True
    try:
        if jobs <= 1 or n <= 1:
            for r in indices:
                done[r] = run_one(scenario, seed, r, record_events, keep_patients)
                if on_progress:
                    on_progress(1)
        else:
            with ProcessPoolExecutor(max_workers=min(jobs, n)) as pool:
                futures = [pool.submit(_run_batch, scenario, seed, b, record_events, keep_patients) for b in _batches(indices, jobs)]
                try:
                    for future in as_completed(futures):
                        for out in future.result():
                            done[out.replication] = out
                        if on_progress:
                            on_progress(len(future.result()))
                except KeyboardInterrupt:
                    for f in futures:
                        f.cancel()
                    raise
    except KeyboardInterrupt:
        complete = False
    outputs = [done[r] for r in sorted(done)]
    return RunSet(scenario, seed, outputs, complete and len(outputs) == n)


def summarise(rows: Sequence[dict[str, float]], units: dict[str, str] | None = None) -> dict[str, dict]:
    """Mean and 95% t-interval of every KPI across replications (`units`: kpi_units(scenario);
    default the KPIs every run has)."""
    out = {}
    for name, unit in (units or kpi_units(None)).items():
        est = mean_ci([row[name] for row in rows])
        lo, hi = est.lo, est.hi
        if not math.isnan(lo) and name not in SIGNED_KPIS:  # counts, rates, times, shares, money: clip to their range
            lo = max(lo, 0.0)
            hi = min(hi, 100.0) if unit == "%" else hi
        out[name] = {"mean": _finite(est.mean), "ci95": [_finite(lo), _finite(hi)], "unit": unit}
    return out


def _finite(x: float) -> float | None:
    return None if x is None or math.isnan(x) or math.isinf(x) else float(x)


def scenario_sha256(scenario: Scenario) -> str:
    return fingerprint(scenario.model_dump(mode="json", by_alias=True))


def summary_document(run: RunSet) -> dict:
    return {
        "iopsim_version": __version__,
        "scenario": run.scenario.model_dump(mode="json", by_alias=True),
        "scenario_sha256": scenario_sha256(run.scenario),
        "seed": run.seed,
        "replications": run.replications,
        "complete": run.complete,
        "warmup_weeks": run.scenario.run.warmup_weeks,
        "horizon_years": run.scenario.run.horizon_years,
        "kpis": run.summary(),
    }


def default_out_dir(scenario_path: str | Path, seed: int) -> Path:
    return Path("runs") / f"{Path(scenario_path).stem}-{seed}"


def write_run_folder(run: RunSet, out_dir: str | Path) -> Path:
    """Write summary.json and CSVs into a temporary folder, then move it into place whole."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    try:
        _write_files(run, tmp)
        if out_dir.exists():
            out_dir.rename(old)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out_dir.exists():  # interrupted between the two renames
            old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return out_dir


def _write_files(run: RunSet, folder: Path) -> None:
    import pandas as pd

    (folder / "summary.json").write_text(json.dumps(summary_document(run), indent=2, allow_nan=False) + "\n")
    run.kpi_frame().to_csv(folder / "replications.csv", float_format="%.10g")
    frames = []
    for o in run.outputs:
        df = pd.DataFrame(o.series)
        df.insert(0, "week", range(1, len(df) + 1))
        df.insert(0, "replication", o.replication)
        frames.append(df)
    if frames:
        pd.concat(frames, ignore_index=True).to_csv(folder / "timeseries.csv", index=False, float_format="%.10g")
    pd.concat([pd.DataFrame(o.slots).assign(replication=o.replication) for o in run.outputs],
              ignore_index=True).to_csv(folder / "sessions.csv", index=False, float_format="%.10g")
    if any(o.patients for o in run.outputs):
        _patients_frame(run).to_csv(folder / "patients.csv.gz", index=False, float_format="%.6f",
                                    compression={"method": "gzip", "mtime": 0})
    if any(o.events is not None for o in run.outputs):
        with open(folder / "events.csv", "w") as f:
            f.write("patient_id,replication,time_days,event,phase\n")
            for o in run.outputs:
                for pid, t, event, phase in o.events or ():
                    f.write(f"{pid},{o.replication},{t:.6f},{event},{phase}\n")


def _patients_frame(run: RunSet):
    """One row per referral and replication: the times and end state charts are drawn from."""
    import pandas as pd

    from .model.records import AftercareStatus, Outcome

    frames = []
    for o in run.outputs:
        df = pd.DataFrame(o.patients)
        df["outcome"] = [Outcome(v).name.lower() for v in df["outcome"]]
        df["aftercare_status"] = [AftercareStatus(v).name.lower() for v in df["aftercare_status"]]
        df.insert(0, "replication", o.replication)
        frames.append(df.rename(columns={"pid": "patient_id"}))
    return pd.concat(frames, ignore_index=True)
