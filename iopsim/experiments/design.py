"""Experiment points: the full factorial grid of `values`, crossed with a sample of the `range`s.

Ranges are sampled by a Latin hypercube or a scrambled Sobol sequence (scipy.stats.qmc), laid out
as a fractional-factorial, Plackett-Burman or central-composite design (pyDOE3, in coded units
mapped onto each range), or read from a CSV file of points (design_file). Points come out in a
fixed order (grid in file order, first parameter slowest; the sample inside each grid cell), so their ids are stable and a resumed sweep finds the same points. Each grid cell
reuses the same sample of the ranges, so differences between cells are not confounded with
differences between samples. Sampled floats are rounded to 6 significant figures: the value in the
results table is then exactly the value that was simulated, and readable.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np

from .schema import SCREENING_DESIGNS, Experiment, Sampling, ValueRange

SIGNIFICANT = 6


def unit_sample(method: str, points: int, dims: int, seed: int) -> np.ndarray:
    """`points` x `dims` sample of [0, 1)^dims: Latin hypercube or scrambled Sobol (scipy.stats.qmc)."""
    from scipy.stats import qmc

    cls = qmc.LatinHypercube if method == "lhs" else qmc.Sobol
    try:
        sampler = cls(dims, rng=seed)
    except TypeError:  # scipy < 1.15 calls it seed
        sampler = cls(dims, seed=seed)
    return sampler.random(points)


def scale(u: float, r: ValueRange) -> float | int:
    """Map u in [0, 1) onto the range; whole numbers low..high get equal shares when `integer`."""
    if r.integer:
        return int(min(r.high, r.low + math.floor(u * (r.high - r.low + 1))))
    return round_significant(r.low + u * (r.high - r.low))


def round_significant(x: float, digits: int = SIGNIFICANT) -> float:
    return float(f"{x:.{digits}g}")


def design_points(e: Experiment, folder: Path | None = None) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Every point as ({path: value}, {path: where the value comes from}); `folder` holds a design file.

    `where` is a dotted location in the experiment file, or `design:LINE` for a row of a design file."""
    grid = e.grid_parameters()
    ranged = e.range_parameters()
    cells = itertools.product(*[[(j, v) for j, v in enumerate(p.values or [])] for _, p in grid])
    sample: list[tuple[str | None, list[float | int]]] = [(None, [])]
    if ranged:
        sample = range_sample(e, folder)
    out = []
    for cell in cells:
        for line, row in sample:
            params: dict[str, Any] = {}
            where: dict[str, str] = {}
            for (i, p), (j, v) in zip(grid, cell, strict=True):
                params[p.path], where[p.path] = v, f"parameters.{i}.values.{j}"
            for (i, p), v in zip(ranged, row, strict=True):
                params[p.path], where[p.path] = v, line or f"parameters.{i}.range"
            out.append((_in_file_order(e, params), where))
    return out


def range_sample(e: Experiment, folder: Path | None = None) -> list[tuple[str | None, list[float | int]]]:
    """The rows of values of the range parameters, each with where it comes from (None: the sampler)."""
    s = e.sampling
    assert s is not None  # check_for_sweep guarantees it
    ranges = [p.value_range for _, p in e.range_parameters()]
    if s.method == "file":
        from .design_file import read_design

        assert s.file is not None
        return [(f"design:{line}", row) for line, row in read_design((folder or Path()) / s.file, e)]
    if s.method in SCREENING_DESIGNS:
        coded = coded_design(s, len(ranges))
        return [(None, [from_coded(float(c), r) for c, r in zip(row, ranges, strict=True)]) for row in coded]
    assert s.points is not None
    u = unit_sample(s.method, s.points, len(ranges), s.seed)
    return [(None, [scale(float(u[k, d]), r) for d, r in enumerate(ranges)]) for k in range(u.shape[0])]


def coded_design(s: Sampling, factors: int) -> np.ndarray:
    """The pyDOE3 design in coded units (-1 = low, +1 = high) for `factors` ranges.

    pyDOE3 has no fraction of some resolutions for few factors (3 factors at resolution III, say); the
    full two-level factorial, of every resolution, is used then (`design_runs` records how many)."""
    import pyDOE3

    if s.method == "plackett-burman":
        return np.asarray(pyDOE3.pbdesign(factors), dtype=float)
    if s.method == "central-composite":
        face = {"faced": "ccf", "inscribed": "cci"}[s.face]
        return np.asarray(pyDOE3.ccdesign(factors, center=(s.center_points, 0), face=face), dtype=float)
    try:
        return np.asarray(pyDOE3.fracfact_by_res(factors, s.resolution), dtype=float)
    except ValueError:  # "design not possible": no smaller fraction of that resolution
        return np.asarray(pyDOE3.ff2n(factors), dtype=float)


def from_coded(c: float, r: ValueRange) -> float | int:
    """Coded -1..+1 onto low..high; an integer range takes the nearest whole number (halves round up)."""
    x = r.low + (min(1.0, max(-1.0, c)) + 1) / 2 * (r.high - r.low)
    if r.integer:
        return int(math.floor(x + 0.5 + 1e-9))
    return round_significant(x)


def _in_file_order(e: Experiment, params: dict[str, Any]) -> dict[str, Any]:
    return {p.path: params[p.path] for p in e.parameters if p.path in params}


def point_ids(n: int) -> list[str]:
    """p0000, p0001, ...: zero-padded so file names and table rows sort in point order."""
    width = max(4, len(str(n - 1)))
    return [f"p{i:0{width}d}" for i in range(n)]
