"""Writing the run folder that `rundir.RunDir` reads: summary.json, the CSVs, the event log.

The folder is built beside its target and swapped in whole (files.write_output_dir), and only
ever replaces an earlier run folder (files.choose_output): never a folder iopsim did not write.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .. import __version__
from ..files import choose_output, fingerprint, write_output_dir
from ..runner import RunSet
from .rundir import SUMMARY_KEYS

RUN_KIND = "run"


def scenario_sha256(scenario) -> str:
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
        "bottleneck": run.bottleneck(),
    }


def default_out_dir(scenario_path: str | Path, seed: int) -> Path:
    return Path("runs") / f"{Path(scenario_path).stem}-{seed}"


def is_legacy_run_folder(folder: Path) -> bool:
    """A run folder written before folders carried the iopsim marker: its summary.json has our keys."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and all(k in summary for k in SUMMARY_KEYS)


def choose_run_folder(out_dir: str | Path, overwrite: bool = False) -> Path:
    """Where a run goes: out_dir, or out_dir-2... when it holds a run and not `overwrite` (OutputError)."""
    return choose_output(out_dir, RUN_KIND, overwrite, is_legacy_run_folder)


def write_run_folder(run: RunSet, out_dir: str | Path, overwrite: bool = False) -> Path:
    """Write summary.json and the CSVs into a folder beside out_dir, then swap it in whole.

    Returns the folder written: out_dir, or the next free out_dir-N when out_dir holds an earlier
    run and `overwrite` is false (always so for an interrupted run, which never replaces another).
    """
    folder = choose_run_folder(out_dir, overwrite and run.complete)
    return write_output_dir(folder, RUN_KIND, lambda tmp: _write_files(run, tmp))


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
        _write_events(run, folder / "events.csv")


def _write_events(run: RunSet, path: Path) -> None:
    """The event log through a CSV writer: phase names may hold commas or quotes."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("patient_id", "replication", "time_days", "event", "phase"))
        for o in run.outputs:
            for pid, t, event, phase in o.events or ():
                writer.writerow((pid, o.replication, f"{t:.6f}", event, phase))


def _patients_frame(run: RunSet):
    """One row per referral and replication: the times and end state charts are drawn from."""
    import pandas as pd

    from ..model.records import AftercareStatus, Outcome

    frames = []
    for o in run.outputs:
        df = pd.DataFrame(o.patients)
        df["outcome"] = [Outcome(v).name.lower() for v in df["outcome"]]
        df["aftercare_status"] = [AftercareStatus(v).name.lower() for v in df["aftercare_status"]]
        if "track" in df:  # the track's name rather than its index
            df["track"] = [run.scenario.tracks[v].name for v in df["track"]]
        df.insert(0, "replication", o.replication)
        frames.append(df.rename(columns={"pid": "patient_id"}))
    return pd.concat(frames, ignore_index=True)
