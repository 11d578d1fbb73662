"""Sensitivity designs: the sample SALib's estimators need, with whole-number inputs dealt evenly.

Saltelli's estimators compare rows of two independent matrices A and B that differ in one input. A
quasi-random sequence cut into equal-width bins can pair an integer input's A and B levels in only
some of the combinations (with 6 inputs and N=64, 8 of the 16 for 4 levels), which biases the
indices badly. So integer columns are not taken from the sequence: their (A, B) level pairs are dealt
out evenly (every combination equally often, each level in A and in B equally often) in shuffled
order, independently of the other columns, and separately in the first N/4, the next N/4 and the
last N/2 rows so that the convergence checks at N/4 and N/2 are balanced too. A sample too small to
hold every combination is flagged (`design_warnings`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .design import round_significant, scale
from .schema import Experiment, SensitivitySettings, ValueRange


def salib_problem(problem: dict) -> dict:
    """The keys SALib reads (ours also carries `levels`)."""
    return {k: problem[k] for k in ("num_vars", "names", "bounds")}


def problem_of(e: Experiment) -> dict:
    """SALib's problem definition from the experiment's ranged parameters, in file order.

    `levels` (ignored by SALib) gives the number of whole numbers of an integer range, 0 otherwise.
    """
    ranged = [p for _, p in e.range_parameters()]
    return {"num_vars": len(ranged), "names": [p.path for p in ranged],
            "bounds": [[p.value_range.low, p.value_range.high] for p in ranged],
            "levels": [_levels(p.value_range) for p in ranged]}


def _power_of_two(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def _levels(r: ValueRange) -> int:
    return int(r.high - r.low) + 1 if r.integer else 0


def levels_of(problem: dict) -> list[int]:
    return list(problem.get("levels") or [0] * problem["num_vars"])


def design_warnings(problem: dict, method: str, settings: SensitivitySettings) -> list[str]:
    """Integer inputs with too many levels for the sample size (or, for Morris, the grid)."""
    out = []
    n = settings.samples
    for name, levels in zip(problem["names"], levels_of(problem), strict=True):
        if not levels:
            continue
        if method == "sobol" and n < levels**2:
            out.append(f"{name}: {levels} levels make {levels**2} (A, B) level combinations but samples is {n}; "
                       f"the indices are biased: use samples >= {_power_of_two(levels**2)}.")
        elif method == "sobol" and n < 4 * levels**2:
            out.append(f"{name}: the N/4 convergence check ({n // 4} rows) cannot hold all {levels**2} level "
                       f"combinations; use samples >= {_power_of_two(4 * levels**2)} for a balanced check.")
        if method == "morris" and settings.num_levels != levels:
            out.append(f"{name}: Morris num_levels is {settings.num_levels} but the range has {levels} whole numbers; "
                       f"some steps do not change the value and mu* is distorted (set num_levels: {levels}).")
    return out


def sample(problem: dict, method: str, settings: SensitivitySettings, second_order: bool = False) -> np.ndarray:
    """SALib's sample of the ranges; for Sobol, integer columns hold evenly paired whole numbers."""
    if method == "sobol":
        return saltelli_sample(problem, settings.samples, settings.seed, second_order)
    from SALib.sample import morris

    return morris.sample(salib_problem(problem), settings.samples, num_levels=settings.num_levels, seed=settings.seed)


def saltelli_sample(problem: dict, n: int, seed: int, second_order: bool = False) -> np.ndarray:
    """Rows in SALib's order per base row i: A_i, AB_i (one per input), [BA_i per input], B_i.

    A and B are the two halves of one scrambled Sobol sequence of 2D dimensions, except integer
    inputs, whose (A, B) levels come from `balanced_pairs` (see the module docstring).
    """
    from .design import unit_sample

    d = problem["num_vars"]
    base = unit_sample("sobol", n, 2 * d, seed)
    a, b = base[:, :d].copy(), base[:, d:].copy()
    rng = np.random.default_rng([seed, 14])
    for j, levels in enumerate(levels_of(problem)):
        if levels:
            pa, pb = _chunked_pairs(n, levels, rng)
            a[:, j], b[:, j] = (pa + 0.5) / levels, (pb + 0.5) / levels
    blocks = [a] + [_swap(a, b, j) for j in range(d)]
    if second_order:
        blocks += [_swap(b, a, j) for j in range(d)]
    blocks.append(b)
    unit = np.stack(blocks, axis=1).reshape(n * len(blocks), d)
    return _scaled(unit, problem)


def _swap(base: np.ndarray, other: np.ndarray, j: int) -> np.ndarray:
    out = base.copy()
    out[:, j] = other[:, j]
    return out


def _chunked_pairs(n: int, levels: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Balanced pairs separately in rows [0, N/4), [N/4, N/2), [N/2, N) so every checked prefix is balanced."""
    sizes = [n // 4, n // 4, n - 2 * (n // 4)] if n >= 4 else [n]
    parts = [balanced_pairs(size, levels, rng) for size in sizes if size]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def balanced_pairs(n: int, levels: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n (a, b) level pairs in random order: each of the levels^2 combinations n // levels^2 times, and
    the remainder spread so each level occurs in a, and in b, equally often (to within one).

    Pair t of a cycle of levels^2 is (t mod L, (t mod L + t div L) mod L): a full cycle is every
    combination once, and any run of a cycle covers a and b cyclically. Random relabelling of the
    levels decides which get the extra rows; shuffling the rows makes them independent of the rest.
    """
    t = np.arange(n) % (levels * levels)
    a, b = t % levels, (t % levels + t // levels) % levels
    a, b = rng.permutation(levels)[a], rng.permutation(levels)[b]
    order = rng.permutation(n)
    return a[order], b[order]


def _scaled(unit: np.ndarray, problem: dict) -> np.ndarray:
    """Unit sample -> parameter values; integer columns to their whole numbers."""
    out = np.empty_like(unit)
    for j, ((low, high), levels) in enumerate(zip(problem["bounds"], levels_of(problem), strict=True)):
        if levels:
            out[:, j] = np.minimum(high, low + np.floor(unit[:, j] * levels))
        else:
            out[:, j] = low + unit[:, j] * (high - low)
    return out


def values_of(problem: dict, X: np.ndarray) -> np.ndarray:
    """The values simulated at each sample row: integer columns at the whole number their sample
    falls on (equal shares of the range; the Morris grid lands on levels when num_levels = levels)."""
    V = np.array(X, dtype=float, copy=True)
    for j, ((low, high), levels) in enumerate(zip(problem["bounds"], levels_of(problem), strict=True)):
        if levels:
            r = ValueRange(low=low, high=high, integer=True)
            V[:, j] = [scale((x - low) / (high - low), r) for x in X[:, j]]
    return V


def points_from(e: Experiment, V: np.ndarray) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Simulated values -> ({path: value}, {path: where in the file}) for the sweep machinery."""
    ranged = e.range_parameters()
    out = []
    for row in V:
        params, where = {}, {}
        for (i, p), x in zip(ranged, row, strict=True):
            params[p.path] = int(round(x)) if p.value_range.integer else round_significant(float(x))
            where[p.path] = f"parameters.{i}.range"
        out.append((params, where))
    return out
