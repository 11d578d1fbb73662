"""The on-disk result store of a sweep: resumable after Ctrl-C or kill -9, never mixing experiments.

DIR/experiment.json describes the resolved experiment (every point's parameters, the base scenario,
seed, replications) with its SHA-256. DIR/points/<point_id>.json holds one point's KPIs, written
once all its replications are done (or with its error) via a temporary file and os.replace, so a
point file is either complete or absent whatever moment the process dies. A rerun skips the points
with a result and runs the rest; a folder holding another experiment is refused.

A point file is trusted only if it is the point the manifest describes: same id, parameters, seed
and replications 0..n-1, and its own `sha256` checks out. A copied, edited or truncated file is
set aside as not done (the reason is in `rejected`) and the point is run again.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..files import atomic_write_text, canonical_json, fingerprint, recover_leftovers

MANIFEST = "experiment.json"
POINTS = "points"


class StoreMismatch(Exception):
    """The folder holds something other than this experiment's results."""


def json_safe(x: Any) -> Any:
    """NaN/inf (an undefined KPI) as null, since JSON has no NaN."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    return x


class ResultStore:
    def __init__(self, folder: str | Path, manifest: dict | None = None):
        self.folder = Path(folder)
        self.points = self.folder / POINTS
        self.manifest = manifest
        self.rejected: dict[str, str] = {}  # point id -> why its file was not trusted

    def check(self, manifest: dict) -> None:
        """Raise StoreMismatch unless the folder is absent, empty, or holds this experiment (writes nothing)."""
        self.manifest = manifest
        path = self.folder / MANIFEST
        if path.exists():
            try:
                existing = json.loads(path.read_text(encoding="utf-8")).get("sha256")
            except (OSError, ValueError, AttributeError):
                existing = None
            if existing != manifest["sha256"]:
                raise StoreMismatch(
                    f"{self.folder} holds results of a different experiment (or different scenario, "
                    "parameters, seed or replications); choose another --out folder or delete it"
                )
        elif self.folder.exists() and any(self.folder.iterdir()):
            raise StoreMismatch(f"{self.folder} is not empty and holds no {MANIFEST}; choose another --out folder")

    def open(self, manifest: dict) -> None:
        """Start or resume: write the manifest, or check the one there has the same `sha256`."""
        self.check(manifest)
        path = self.folder / MANIFEST
        self.points.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            atomic_write_text(path, json.dumps(manifest, indent=2, allow_nan=False) + "\n")
        recover_leftovers(self.points)  # .part files of a process killed mid-write
        recover_leftovers(self.folder)

    def point_path(self, point_id: str) -> Path:
        return self.points / f"{point_id}.json"

    def load(self, point_id: str) -> dict | None:
        """The point's record, or None when absent or not this point's (see `rejected`)."""
        path = self.point_path(point_id)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            self.rejected[point_id] = f"not readable JSON ({err})"
            return None
        problem = self._mismatch(point_id, record)
        if problem:
            self.rejected[point_id] = problem
            return None
        self.rejected.pop(point_id, None)
        return record

    def _mismatch(self, point_id: str, record: Any) -> str | None:
        """Why `record` is not a result of point `point_id` of this experiment (None if it is)."""
        if not isinstance(record, dict):
            return "not a point record (expected a JSON object)"
        body = {k: v for k, v in record.items() if k != "sha256"}
        if record.get("sha256") != fingerprint(body):
            return "checksum does not match its contents (edited, copied or damaged)"
        if record.get("point_id") != point_id:
            return f"holds point {record.get('point_id')!r}, not {point_id!r}"
        reps = record.get("replications")
        if not isinstance(reps, list) or not all(isinstance(r, dict) and isinstance(r.get("kpis"), dict)
                                                 for r in reps):
            return "replications is not a list of {replication, kpis}"
        if self.manifest is None:
            return None
        expected = {p["point_id"]: p["params"] for p in self.manifest.get("points", [])}
        if point_id not in expected:
            return "no such point in this experiment"
        if canonical_json(json_safe(record.get("params"))) != canonical_json(json_safe(expected[point_id])):
            return "its parameters differ from the experiment's"
        if record.get("seed") != self.manifest.get("seed"):
            return f"seed {record.get('seed')!r} differs from the experiment's {self.manifest.get('seed')}"
        if record.get("error") is None and [r.get("replication") for r in reps] != list(
                range(self.manifest.get("replications", -1))):
            return "its replications are not 0..n-1 of the experiment's"
        return None

    def finished(self, point_ids: list[str]) -> set[str]:
        """Points with a result. Points recorded with an error are not finished: a rerun tries them again."""
        done = set()
        for pid in point_ids:
            record = self.load(pid)
            if record is not None and record.get("error") is None:
                done.add(pid)
        return done

    def save(self, record: dict) -> None:
        """Write the point file atomically, with the checksum `load` verifies."""
        body = json_safe({k: v for k, v in record.items() if k != "sha256"})
        body["sha256"] = fingerprint(body)
        atomic_write_text(self.point_path(record["point_id"]), json.dumps(body, allow_nan=False) + "\n")
        self.rejected.pop(record["point_id"], None)
