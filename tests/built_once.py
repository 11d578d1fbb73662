"""Expensive test inputs (simulated run folders, rendered reports) built once per test session, not once
per pytest-xdist worker: the first worker to ask builds under an exclusive lock, the others wait and read.

The shared folder is the session's own (xdist's per-worker base temp folders share a parent that is new
for every session), so nothing is reused from an earlier session; without xdist it is the base temp folder.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "built-once"
    root.mkdir(exist_ok=True)
    return root


def folder(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """The folder `name`, made by build(path) the first time any worker asks for it.

    A build that raised leaves no completion mark: the next caller removes what it left and builds again.
    """
    root = _shared_root(tmp_path_factory)
    target, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this worker dies
        if not done.exists():
            shutil.rmtree(target, ignore_errors=True)
            build(target)
            done.touch()
    return target


def text(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[], str]) -> str:
    """The string build() returns, computed by the first worker that asks and read back by the others."""
    path = folder(tmp_path_factory, name, lambda p: (p.mkdir(), (p / "text").write_text(build(), encoding="utf-8")))
    return (path / "text").read_text(encoding="utf-8")
