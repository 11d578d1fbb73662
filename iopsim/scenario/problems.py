"""What every input reader reports: located problems, gathered into one error per load.

A planner edits these files by hand, so the goal is one readable list of `file:line: path: message`
problems per run, rather than a traceback or pydantic's nested error dump.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

Lines = dict[tuple, int]
"""{path tuple: 1-based line} for every key and list item of a YAML file."""

OVERRIDE_FILE = "--set"
"""Stands in for the file name when a problem comes from a command-line override."""


class Problem(NamedTuple):
    """One thing wrong with an input, located precisely enough to fix it without searching."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """Every problem found in one load, so the planner can fix them all in one pass."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(list(problems))
        self.problems: list[Problem] = list(problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def file_problem(source: str, message: str, line: int | None = None) -> ScenarioError:
    """An error about the file as a whole (or one line of it), not about a field."""
    return ScenarioError([Problem(source, line, "", message)])
