"""A design a researcher brings: a CSV file of points, checked like every other input.

The header names the parameters with a `range` (by their paths, in any order); each further row is
one point of the sample, crossed with any `values` grid like a Latin hypercube would be. Every
problem is reported as `FILE:LINE: column: message` (all of them, up to a limit), and nothing runs
unless the whole file is right: an unknown or missing column, a cell that is not a number, a
fraction for an integer range, or a value outside its declared range. The ranges stay the
experiment's record of the design space (provenance, sensitivity), so values outside them are
errors rather than silent extrapolation.
"""

from __future__ import annotations

import csv
import difflib
import math
from pathlib import Path

from ..scenario.loader import Problem, ScenarioError
from .schema import Experiment, Parameter

MAX_ROWS = 100_000
MAX_PROBLEMS = 20
MAX_BYTES = 50_000_000


def read_design(path: Path, e: Experiment) -> list[tuple[int, list[float | int]]]:
    """(line, values of the range parameters in file order) for every row; raises ScenarioError."""
    ranged = [p for _, p in e.range_parameters()]
    name = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScenarioError([Problem(name, None, "", f"larger than {MAX_BYTES // 1_000_000} MB")])
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError([Problem(name, None, "", f"cannot read the design file: {err}")]) from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ScenarioError([Problem(name, 1, "", "no header: the first line names the range parameters")])
    header = [cell.strip() for cell in rows[0]]
    problems = _check_header(name, header, ranged)
    if problems:
        raise ScenarioError(problems)
    column = {h: i for i, h in enumerate(header)}
    out: list[tuple[int, list[float | int]]] = []
    for line, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) != len(header):
            problems.append(Problem(name, line, "", f"{len(row)} cells, the header has {len(header)}"))
            continue
        values = []
        for p in ranged:
            value, problem = _cell(row[column[p.path]].strip(), p)
            if problem:
                problems.append(Problem(name, line, p.path, problem))
            values.append(value)
        out.append((line, values))
        if len(out) > MAX_ROWS:
            problems.append(Problem(name, line, "", f"more than {MAX_ROWS:,} points"))
            break
        if len(problems) >= MAX_PROBLEMS:
            break
    if not out and not problems:
        problems.append(Problem(name, 2, "", "no points: add a row of values under the header"))
    if problems:
        raise ScenarioError(problems)
    return out


def _check_header(name: str, header: list[str], ranged: list[Parameter]) -> list[Problem]:
    paths = [p.path for p in ranged]
    problems = []
    for i, h in enumerate(header):
        if h in header[:i]:
            problems.append(Problem(name, 1, h, "the column appears twice"))
        elif h not in paths:
            hint = difflib.get_close_matches(h, paths, n=1)
            problems.append(Problem(name, 1, h or f"column {i + 1}", "not a parameter with a `range` in the "
                                    f"experiment (those are {', '.join(paths)})"
                                    + (f"; did you mean {hint[0]!r}?" if hint else "")))
    for p in paths:
        if p not in header:
            problems.append(Problem(name, 1, p, "column missing: every parameter with a range needs a value in "
                                    "each row"))
    return problems


def _cell(text: str, p: Parameter) -> tuple[float | int, str | None]:
    r = p.value_range
    try:
        x = float(text)
    except ValueError:
        return math.nan, f"{text!r} is not a number" if text else "empty cell: every point needs a value"
    if not math.isfinite(x):
        return math.nan, f"{text!r} is not a finite number"
    if r.integer and x != int(x):
        return x, f"{text} is not a whole number (the range is integer: true)"
    if not r.low <= x <= r.high:
        return x, f"{text} is outside the range {r.low:g} to {r.high:g} the experiment declares"
    return (int(x) if r.integer else x), None
