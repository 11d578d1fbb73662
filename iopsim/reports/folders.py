"""Which kind of iopsim result a folder holds, told from its files, so `plot` and `report` take any of them."""

from __future__ import annotations

from pathlib import Path

from .rundir import RunDirError
from .sizing_report import SIZING_FILES, is_sizing_folder
from .sweep_charts import is_sweep_folder

RUN, SWEEP, SIZING = "run", "sweep", "sizing"


def folder_kind(path: Path) -> str:
    """RUN (summary.json), SWEEP (experiment.json), SIZING (recommendation.json or sizing.json);
    a RunDirError naming what each kind holds for anything else."""
    path = Path(path)
    if not path.is_dir():
        raise RunDirError(path, "no such folder" if not path.exists() else "is a file, not a result folder")
    if is_sizing_folder(path):
        return SIZING
    if is_sweep_folder(path):
        return SWEEP
    if (path / "summary.json").is_file() or (path / "summary.json").exists():
        return RUN
    raise RunDirError(path, "not an iopsim result folder: a run folder holds summary.json (iopsim run), a sweep "
                            f"folder experiment.json (iopsim sweep), a sizing folder {' or '.join(SIZING_FILES)} "
                            "(iopsim size)")
