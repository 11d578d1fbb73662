"""Experiment points: the full factorial grid of `values`, crossed with a sample of the `range`s.

Points come out in a fixed order (grid in file order, first parameter slowest; the sample inside
each grid cell), so their ids are stable and a resumed sweep finds the same points. Each grid cell
reuses the same sample of the ranges, so differences between cells are not confounded with
differences between samples. Sampled floats are rounded to 6 significant figures: the value in the
results table is then exactly the value that was simulated, and readable.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from .schema import Experiment, ValueRange

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


def design_points(e: Experiment) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Every point as ({path: value}, {path: where in the file the value comes from})."""
    grid = e.grid_parameters()
    ranged = e.range_parameters()
    cells = itertools.product(*[[(j, v) for j, v in enumerate(p.values or [])] for _, p in grid])
    sample: list[list[float | int]] = [[]]
    if ranged:
        assert e.sampling is not None  # check_experiment guarantees it
        u = unit_sample(e.sampling.method, e.sampling.points, len(ranged), e.sampling.seed)
        sample = [[scale(float(u[k, d]), p.value_range) for d, (_, p) in enumerate(ranged)] for k in range(u.shape[0])]
    out = []
    for cell in cells:
        for row in sample:
            params: dict[str, Any] = {}
            where: dict[str, str] = {}
            for (i, p), (j, v) in zip(grid, cell, strict=True):
                params[p.path], where[p.path] = v, f"parameters.{i}.values.{j}"
            for (i, p), v in zip(ranged, row, strict=True):
                params[p.path], where[p.path] = v, f"parameters.{i}.range"
            out.append((_in_file_order(e, params), where))
    return out


def _in_file_order(e: Experiment, params: dict[str, Any]) -> dict[str, Any]:
    return {p.path: params[p.path] for p in e.parameters if p.path in params}


def point_ids(n: int) -> list[str]:
    """p0000, p0001, ...: zero-padded so file names and table rows sort in point order."""
    width = max(4, len(str(n - 1)))
    return [f"p{i:0{width}d}" for i in range(n)]
