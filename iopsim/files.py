"""Files and folders written whole or not at all, output locations checked before any work.

Every output file goes through `atomic_write`: a temp file beside the target, flushed to disk, then
renamed over it, so a crash or Ctrl-C leaves the old file or the new one, never half. Output
folders go through `choose_output` (before simulating: is the place writable, is it ours to
replace?) and `write_output_dir` (build beside, then swap in). Temp names carry the writer's PID, so
the next run can tell the leftovers of a killed process from those of a live one and undo them
(`recover_leftovers`). New files and folders get the user's umask, like any other program's.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

MARKER = ".iopsim-output"  # in every output folder: says iopsim wrote it, and what kind of output it is
_OLD = re.compile(r"^\.(?P<name>.+)\.old-(?P<pid>\d+)$")
_TMP_DIR = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)$")
_PART = re.compile(r"^\..+\.(?P<pid>\d+)-[^.]+\.part$")
_TEMP_NAME_ROOM = 24  # longest addition a temp name makes to the output's name (".", ".tmp-" and a PID)


class OutputError(Exception):
    """An output location that cannot or must not be written; the message starts with the path."""

    def __init__(self, path: str | Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Call write(binary file) on a temp file next to path, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def canonical_json(data: Any) -> str:
    """One spelling of the same data: sorted keys, no spaces, no NaN."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def fingerprint(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


# --------------------------------------------------------------------------- leftovers of killed processes


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return pid > 0


def recover_leftovers(folder: str | Path) -> list[Path]:
    """Undo what a process killed while writing in `folder` left behind; returns what it touched.

    `.NAME.old-PID` of a dead PID: the previous NAME, moved aside just before the new one was moved
    in. If NAME is missing the process died between the two renames, so it is renamed back;
    otherwise the swap finished and it is deleted. `.NAME.tmp-PID` folders and `.NAME.PID-X.part`
    files of dead PIDs are unfinished outputs and are deleted.
    """
    folder = Path(folder)
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    touched = []
    for entry in entries:
        for pattern in (_OLD, _TMP_DIR, _PART):
            m = pattern.match(entry.name)
            if m is None or pid_alive(int(m["pid"])):
                continue
            target = folder / m["name"] if pattern is _OLD else None
            if target is not None and not target.exists() and not target.is_symlink():
                entry.rename(target)
                touched.append(target)
            elif entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
                touched.append(entry)
            else:
                entry.unlink(missing_ok=True)
                touched.append(entry)
            break
    return touched


# --------------------------------------------------------------------------- where outputs may go


def check_location(path: str | Path) -> Path:
    """Raise OutputError unless an output could be created at `path`; nothing is written.

    Refuses `.`, `..`, the working folder and its ancestors, a path under a regular file, a name
    too long for the file system and a folder that cannot be written. A symlink to a folder gives
    the folder it points to, so the link itself survives.
    """
    given = Path(path)
    if given.name in ("", ".", ".."):
        raise OutputError(given, "is the current or a parent folder; name a new folder for the output")
    resolved = given.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise OutputError(given, "is the working folder or contains it; name a new folder for the output")
    existing = resolved.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(given, f"{existing} is a file, not a folder")
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    too_long = [p for p in resolved.relative_to(existing).parts if len(os.fsencode(p)) > name_max]
    if too_long or len(os.fsencode(resolved.name)) + _TEMP_NAME_ROOM > name_max:
        raise OutputError(given, f"name is too long (at most {name_max - _TEMP_NAME_ROOM} bytes)")
    writable = resolved if resolved.is_dir() else existing
    if not os.access(writable, os.W_OK | os.X_OK):
        raise OutputError(given, f"cannot write in {writable} (read-only or permission denied)")
    return resolved if given.is_symlink() else given


def marker_kind(folder: Path) -> str | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def _state(folder: Path, kind: str, legacy: Callable[[Path], bool] | None) -> str:
    """'free' (absent or an empty folder), 'ours' (iopsim output of this kind) or why it is not ours."""
    if not folder.exists() and not folder.is_symlink():
        return "free"
    if not folder.is_dir():
        return "exists and is not a folder"
    found = marker_kind(folder)
    if found == kind or (found is None and legacy is not None and legacy(folder)):
        return "ours"
    if found is not None:
        return f"holds iopsim {found} output, not {kind} output"
    try:
        empty = not any(folder.iterdir())
    except OSError as err:
        return f"cannot be read ({err.strerror})"
    return "free" if empty else "is a folder iopsim did not write (it has files and no iopsim marker)"


def choose_output(path: str | Path, kind: str, overwrite: bool = False,
                  legacy: Callable[[Path], bool] | None = None) -> Path:
    """The folder to write a `kind` output to, checked before any work; raises OutputError.

    An absent or empty folder is used as is. A folder with our earlier output of the same kind
    is replaced only with `overwrite`; otherwise the first free NAME-2, NAME-3... is returned.
    Anything else is never replaced. `legacy(folder)` recognises outputs written before markers.
    Leftovers of killed writers beside it are recovered first.
    """
    folder = check_location(path)
    recover_leftovers(folder.parent)
    state = _state(folder, kind, legacy)
    if state == "free" or (state == "ours" and overwrite):
        return folder
    if state != "ours":
        raise OutputError(path, f"{state}; it is never replaced: choose another --out")
    for n in range(2, 10_000):
        candidate = folder.with_name(f"{folder.name}-{n}")
        if _state(candidate, kind, legacy) == "free":
            return candidate
    raise OutputError(path, "no free name left beside it; remove old outputs or use --overwrite")


def _between_renames() -> None:
    """Test hook: the moment the old folder is aside and the new one not yet in place."""


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())


def write_output_dir(path: str | Path, kind: str, build: Callable[[Path], object]) -> Path:
    """Build the output in `.NAME.tmp-PID` beside `path`, then swap it in recoverably.

    The old folder (if any) goes to `.NAME.old-PID`, the new one to NAME, then the old one is
    deleted. Ctrl-C or an error leaves the old folder in place; a kill -9 between the renames is
    undone by `recover_leftovers` on the next run. The caller decides (`choose_output`) that
    `path` may be replaced.
    """
    path = Path(path)
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(path, f"{parent} is a file, not a folder") from None
    pid = os.getpid()
    tmp = parent / f".{path.name}.tmp-{pid}"
    old = parent / f".{path.name}.old-{pid}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        build(tmp)
        atomic_write_text(tmp / MARKER, canonical_json({"kind": kind}) + "\n")
        _fsync_tree(tmp)
        moved_aside = path.exists() or path.is_symlink()
        if moved_aside:
            path.rename(old)
        _between_renames()
        tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if (old.exists() or old.is_symlink()) and not path.exists():
            old.rename(path)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    elif old.exists() or old.is_symlink():
        old.unlink()
    return path


def free_file_name(path: str | Path, overwrite: bool, ours: Callable[[Path], bool]) -> Path:
    """For single-file outputs: `path` if absent (or ours and `overwrite`), else NAME-2.EXT, ...;
    a file we did not write is never replaced (OutputError)."""
    given = Path(path)
    path = check_location(given)
    recover_leftovers(path.parent)
    if not path.exists():
        return path
    if path.is_dir() or not ours(path):
        raise OutputError(given, "exists and was not written by iopsim; it is never replaced: choose another name")
    if overwrite:
        return path
    for n in range(2, 10_000):
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise OutputError(given, "no free name left beside it; use --overwrite")


def describe_os_error(path: str | Path, err: OSError) -> str:
    """One line for a failed write: PATH: reason."""
    reason = err.strerror or str(err)
    if err.errno == errno.EROFS:
        reason = "read-only file system"
    return f"{err.filename or path}: {reason}"
