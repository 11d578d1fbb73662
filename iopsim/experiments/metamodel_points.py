"""New points for a metamodel to predict: a CSV a researcher writes, checked cell by cell.

The header names the metamodel's parameters (any order; the sweep's constant parameters and a
`point_id`/`label` column may be given too, and are carried through). Every problem is reported as
`FILE:LINE: column: message`, all of them at once, before anything is written.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..scenario.problems import Problem, ScenarioError
from .metamodel_data import SweepData

MAX_BYTES = 10_000_000
MAX_PROBLEMS = 20
LABELS = ("point_id", "label")


@dataclass
class NewPoints:
    columns: list[str]  # as given, in order
    rows: list[dict[str, str]]  # the cells as given (carried into the predictions table)
    x: np.ndarray  # (rows, metamodel parameters) in the metamodel's order

    def table(self):
        """The cells as given, as a DataFrame of strings (carried into the predictions table)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


def outside_range(data: SweepData, x: np.ndarray) -> list[str]:
    """Per row of x, the parameters outside the sweep's range ('' when none): predictions there extrapolate."""
    out = []
    for row in np.atleast_2d(x):
        names = [n for n, v, lo, hi in zip(data.names, row, data.low, data.high, strict=True)
                 if v < lo - 1e-9 * max(1.0, abs(lo)) or v > hi + 1e-9 * max(1.0, abs(hi))]
        out.append(" ".join(names))
    return out


def read_points(path: str | Path, data: SweepData) -> NewPoints:
    """Parse and check the CSV; raise ScenarioError listing every problem."""
    path = Path(path)
    source = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScenarioError([Problem(source, None, "", f"is larger than {MAX_BYTES // 1_000_000} MB")])
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError([Problem(source, None, "", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(source, None, "", "is a folder, not a CSV file")]) from None
    except UnicodeDecodeError as err:
        raise ScenarioError([Problem(source, None, "", f"is not UTF-8 text ({err.reason})")]) from None
    except OSError as err:
        raise ScenarioError([Problem(source, None, "", f"cannot be read ({err.strerror})")]) from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ScenarioError([Problem(source, 1, "", "is empty; the first line names the parameters")]) from None
    except csv.Error as err:
        raise ScenarioError([Problem(source, 1, "", f"not a CSV line ({err})")]) from None
    header = [h.strip() for h in header]
    problems = _check_header(source, header, data)
    if problems:
        raise ScenarioError(problems)
    rows, x = [], []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(Problem(source, line, "", f"has {len(row)} cells; the header has {len(header)}"))
                continue
            cells = dict(zip(header, (c.strip() for c in row), strict=True))
            values = [_number(source, line, name, cells[name], problems) for name in data.names]
            for name, constant in data.constant.items():
                if name in cells:
                    value = _number(source, line, name, cells[name], problems)
                    if not math.isnan(value) and value != constant:
                        problems.append(Problem(source, line, name, f"{value:g} differs from the sweep's only value "
                                                f"{constant:g}; the metamodel knows nothing about other values"))
            rows.append(cells)
            x.append(values)
            if len(problems) >= MAX_PROBLEMS:
                break
    except csv.Error as err:
        problems.append(Problem(source, reader.line_num, "", f"not a CSV line ({err})"))
    if not rows and not problems:
        problems.append(Problem(source, 2, "", "has no points below the header"))
    if problems:
        raise ScenarioError(problems[:MAX_PROBLEMS])
    return NewPoints(header, rows, np.array(x, dtype=float))


def _check_header(source: str, header: list[str], data: SweepData) -> list[Problem]:
    problems = []
    known = set(data.names) | set(data.constant) | set(LABELS)
    for name in data.names:
        if name not in header:
            problems.append(Problem(source, 1, name, f"missing column; the header needs every parameter of the "
                                    f"metamodel: {', '.join(data.names)}"))
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(source, 1, name, "column given twice"))
        seen.add(name)
        if name not in known:
            problems.append(Problem(source, 1, name, f"not a parameter of this sweep (its parameters: "
                                    f"{', '.join([*data.names, *data.constant])}; or use point_id/label)"))
    return problems


def _number(source: str, line: int, name: str, cell: str, problems: list[Problem]) -> float:
    try:
        value = float(cell)
    except ValueError:
        problems.append(Problem(source, line, name, f"{cell!r} is not a number" if cell else "empty cell"))
        return math.nan
    if not math.isfinite(value):
        problems.append(Problem(source, line, name, f"{cell!r} is not a finite number"))
        return math.nan
    return value
