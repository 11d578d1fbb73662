"""The on-disk result store of a sweep: resumable after Ctrl-C or kill -9, never mixing experiments.

DIR/experiment.json describes the resolved experiment (every point's parameters, the base scenario,
seed, replications) with its SHA-256. DIR/points/<point_id>.json holds one point's KPIs, written
once all its replications are done (or with its error) via a temporary file and os.replace, so a
point file is either complete or absent whatever moment the process dies. A rerun skips the points
with a result and runs the rest; a folder holding another experiment is refused.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..files import atomic_write_text

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
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.points = self.folder / POINTS

    def check(self, manifest: dict) -> None:
        """Raise StoreMismatch unless the folder is absent, empty, or holds this experiment (writes nothing)."""
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
        for stale in self.points.glob(".*.tmp"):  # left by a process killed mid-write
            stale.unlink(missing_ok=True)

    def _path(self, point_id: str) -> Path:
        return self.points / f"{point_id}.json"

    def load(self, point_id: str) -> dict | None:
        try:
            return json.loads(self._path(point_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
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
        atomic_write_text(self._path(record["point_id"]), json.dumps(json_safe(record), allow_nan=False) + "\n")
