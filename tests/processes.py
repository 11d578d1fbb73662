"""Watching the worker processes of a command from a test (Linux /proc; nothing found elsewhere)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    """PIDs whose parent is pid."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def wait_for_children(proc: subprocess.Popen, count: int, timeout: float = 60) -> list[int]:
    """The first `count` children of proc, once they have started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = children(proc.pid)
        if len(found) >= count:
            return found
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "the command ended early"
        time.sleep(0.05)
    raise AssertionError(f"{count} worker processes did not start in {timeout} s")


def assert_gone(pids: list[int], timeout: float = 5) -> None:
    """Every pid has exited within `timeout` seconds (the survivors are killed, then reported)."""
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        time.sleep(0.1)
    for p in alive:
        os.kill(p, signal.SIGKILL)
    assert not alive, f"orphaned workers still running: {alive}"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
