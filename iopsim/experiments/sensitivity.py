"""Global sensitivity analysis with SALib: Sobol indices (Saltelli sampling) or Morris screening.

`run` samples the parameter ranges, hands the values to simulate to a pluggable `evaluate(V) -> Y`,
and analyses Y; the command passes an evaluator that runs the points as a resumable sweep, while
tests pass analytic functions with known indices, so both go through exactly the same sampling,
analysis and diagnostics. `evaluate` returns one value per point and output, (n, k), or one per
replication, (n, k, r): then the point means are analysed and the replications measure how much of
their variance is simulation noise.

Every point runs the same replications and seed (common random numbers), so simulation noise
varies little from point to point and inflates the indices less.

Whole-number parameters: Saltelli's estimators compare rows of two independent matrices A and B
that differ in one input. A quasi-random sequence cut into equal-width bins can pair an integer
input's A and B levels in only some of the combinations (with 6 inputs and N=64, 8 of the 16 for 4
levels), which biases the indices badly. So integer columns are not taken from the sequence: their
(A, B) level pairs are dealt out evenly (every combination equally often, each level in A and in B
equally often) in shuffled order, independently of the other columns, and separately in the first
N/4, the next N/4 and the last N/2 rows so that the convergence checks at N/4 and N/2 are balanced
too. A sample too small to hold every combination is flagged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .design import round_significant, scale
from .schema import Experiment, SensitivitySettings, ValueRange

METHODS = ("sobol", "morris")
# indices from any sample of independent inputs, such as an existing sweep. SALib's delta is left out:
# its bootstrap takes minutes on a few hundred points.
GIVEN_DATA = ("rbd-fast", "pawn")
COLUMNS = {  # (value, its CI or None) pairs printed and charted per method
    "sobol": (("S1", "S1_conf"), ("ST", "ST_conf")),
    "morris": (("mu_star", "mu_star_conf"), ("sigma", None)),
    "rbd-fast": (("S1", "S1_conf"),),
    "pawn": (("pawn_median", None), ("pawn_max", None)),
}
CONVERGENCE_KEYS = ("S1", "S1_conf", "ST", "ST_conf")
Evaluate = Callable[[np.ndarray], np.ndarray]  # (n, d) values -> (n, k) or (n, k, replications) outputs


@dataclass
class Indices:
    method: str
    frame: Any  # pandas DataFrame: kpi, parameter, S1, S1_conf, ST, ST_conf | mu_star, mu_star_conf, sigma, mu
    points: int
    skipped: dict[str, str] = field(default_factory=dict)  # kpi -> why it has no indices
    samples: int = 0  # N: Sobol base sample or Morris trajectories
    replications: int = 1
    bootstrap: int = 0
    seed: int = 0
    warnings: list[str] = field(default_factory=list)  # about the design, before any output is seen
    diagnostics: Any = None  # pandas DataFrame: kpi, check, ok, value, message (see sensitivity_checks)
    convergence: Any = None  # pandas DataFrame: kpi, parameter, N, S1, S1_conf, ST, ST_conf (Sobol only)

    def meta(self) -> dict[str, int]:
        """What the indices were computed from; written into every row of indices-*.csv."""
        return {"N": self.samples, "points": self.points, "replications": self.replications,
                "bootstrap": self.bootstrap, "seed": self.seed}


def check_for_sensitivity(e: Experiment, method: str) -> list[tuple[str, str]]:
    """What `iopsim sweep` accepts but SALib cannot use; (dotted.path, message) pairs."""
    out = [(f"parameters.{i}.values", "sensitivity analysis needs a `range` ({low, high}) for every parameter")
           for i, p in e.grid_parameters()]
    n = e.sensitivity.samples
    if method == "sobol" and n & (n - 1):
        out.append(("sensitivity.samples", f"Sobol (Saltelli) sampling needs a power of 2 samples (got {n})"))
    return out


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


# --------------------------------------------------------------------------- sampling


def sample(problem: dict, method: str, settings: SensitivitySettings, second_order: bool = False) -> np.ndarray:
    """SALib's sample of the ranges; for Sobol, integer columns hold evenly paired whole numbers."""
    if method == "sobol":
        return saltelli_sample(problem, settings.samples, settings.seed, second_order)
    from SALib.sample import morris

    return morris.sample(_salib(problem), settings.samples, num_levels=settings.num_levels, seed=settings.seed)


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


def _salib(problem: dict) -> dict:
    return {k: problem[k] for k in ("num_vars", "names", "bounds")}


# --------------------------------------------------------------------------- analysis


def analyse(problem: dict, method: str, X: np.ndarray, Y: np.ndarray, names: Sequence[str],
            settings: SensitivitySettings, second_order: bool = False) -> Indices:
    """Indices with bootstrap 95% CIs for each output column (named by `names`), and their diagnostics.

    Y is (n, k) point values or (n, k, r) replications, whose means are analysed.
    """
    import pandas as pd

    from . import sensitivity_checks as checks

    Y = np.asarray(Y, dtype=float)
    reps = Y if Y.ndim == 3 else Y[:, :, None]
    means = reps.mean(axis=2)
    rows, skipped, conv, diags = [], {}, [], []
    for k, name in enumerate(names):
        y = means[:, k]
        if not np.all(np.isfinite(y)):
            skipped[name] = f"undefined at {int((~np.isfinite(y)).sum())} of {y.size} points"
            continue
        if np.ptp(y) == 0:
            skipped[name] = "the same at every point (no variance to apportion)"
            continue
        part = _indices(problem, method, X, y, settings, name, second_order)
        rows += part
        if method == "sobol":
            conv += _convergence(problem, y, settings, name, second_order)
        diags += checks.run_checks(problem, method, X, y, reps[:, k, :], part, conv, name, second_order)
    n = settings.samples
    result = Indices(method, pd.DataFrame(rows), int(X.shape[0]), skipped, n, int(reps.shape[2]),
                     settings.bootstrap, settings.seed, design_warnings(problem, method, settings))
    diags += [("*", "design", False, math.nan, warning) for warning in result.warnings]
    result.diagnostics = pd.DataFrame(diags, columns=checks.COLUMNS)
    result.convergence = pd.DataFrame(conv, columns=["kpi", "parameter", "N", *CONVERGENCE_KEYS])
    return result


def _indices(problem: dict, method: str, X: np.ndarray, y: np.ndarray, settings: SensitivitySettings,
             name: str, second_order: bool = False) -> list[dict]:
    if method == "sobol":
        si = _sobol(problem, y, settings, second_order)
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    else:
        from SALib.analyze import morris

        si = morris.analyze(_salib(problem), X, y, num_resamples=settings.bootstrap, conf_level=0.95,
                            num_levels=settings.num_levels, seed=settings.seed)
        keys = ("mu_star", "mu_star_conf", "sigma", "mu")
    rows = [{"kpi": name, "parameter": p, **{key: float(si[key][j]) for key in keys}}
            for j, p in enumerate(problem["names"])]
    if method == "sobol" and second_order:
        for j, p in enumerate(problem["names"]):
            for m, q in enumerate(problem["names"]):
                if m > j:
                    rows.append({"kpi": name, "parameter": f"{p} x {q}", "S2": float(si["S2"][j, m]),
                                 "S2_conf": float(si["S2_conf"][j, m])})
    return rows


def _sobol(problem: dict, y: np.ndarray, settings: SensitivitySettings, second_order: bool) -> Any:
    from SALib.analyze import sobol

    return sobol.analyze(_salib(problem), y, calc_second_order=second_order, num_resamples=settings.bootstrap,
                         conf_level=0.95, seed=settings.seed)


def _convergence(problem: dict, y: np.ndarray, settings: SensitivitySettings, name: str,
                 second_order: bool) -> list[dict]:
    """S1 and ST with CIs from the first N/4 and N/2 base rows, and from all N (prefixes are valid samples)."""
    d = problem["num_vars"]
    step = 2 * d + 2 if second_order else d + 2
    n = y.size // step
    out = []
    for size in sorted({max(n // 4, 1), max(n // 2, 1), n}):
        if size < 4 and size != n:
            continue
        si = _sobol(problem, y[: size * step], settings, second_order)
        out += [{"kpi": name, "parameter": p, "N": size, **{key: float(si[key][j]) for key in CONVERGENCE_KEYS}}
                for j, p in enumerate(problem["names"])]
    return out


def run(problem: dict, method: str, settings: SensitivitySettings, names: Sequence[str],
        evaluate: Evaluate, second_order: bool = False) -> Indices:
    """Sample, evaluate, analyse: the one code path for simulations and test functions alike."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if second_order and method != "sobol":
        raise ValueError("second-order indices need the Sobol method")
    X = sample(problem, method, settings, second_order)
    Y = np.asarray(evaluate(values_of(problem, X)), dtype=float)
    Y = Y.reshape(X.shape[0], len(names), *Y.shape[2:])
    return analyse(problem, method, X, Y, names, settings, second_order)


def noise_share(reps: np.ndarray) -> float:
    """Share of the variance of the point means (across points) that is simulation noise; NaN with one
    replication (no estimate).

    Noise shared by every point on the same replication (common random numbers) moves all points
    alike and adds nothing to that variance, so it is removed first: deviations from the point mean
    are compared across points within each replication, sum_r var_i(d_ir) / (r (r - 1)), which without
    common random numbers is the mean over points of the replication variance / r.
    """
    r = reps.shape[1]
    if r < 2:
        return math.nan
    means = reps.mean(axis=1)
    total = float(np.var(means, ddof=1))
    deviations = reps - means[:, None]
    noise = float(np.var(deviations, axis=0, ddof=1).sum()) / (r * (r - 1))
    return noise / total if total > 0 else math.nan


# --------------------------------------------------------------------------- given data


def analyse_given(problem: dict, method: str, X: np.ndarray, Y: np.ndarray, names: Sequence[str],
                  settings: SensitivitySettings) -> Indices:
    """Indices from points that were already simulated (e.g. an `iopsim sweep` Latin hypercube), no new runs.

    RBD-FAST gives S1, PAWN the median and maximum Kolmogorov-Smirnov distance of conditional
    output distributions (moment-independent). They assume independent inputs
    spread over their ranges, which a LHS or Sobol sweep design provides. Y as for `analyse`.
    """
    import pandas as pd

    from . import sensitivity_checks as checks

    if method not in GIVEN_DATA:
        raise ValueError(f"method must be one of {', '.join(GIVEN_DATA)}, got {method!r}")
    Y = np.asarray(Y, dtype=float)
    reps = Y if Y.ndim == 3 else Y[:, :, None]
    means = reps.mean(axis=2)
    rows, skipped, diags = [], {}, []
    for k, name in enumerate(names):
        y = means[:, k]
        if not np.all(np.isfinite(y)):
            skipped[name] = f"undefined at {int((~np.isfinite(y)).sum())} of {y.size} points"
            continue
        if np.ptp(y) == 0:
            skipped[name] = "the same at every point (no variance to apportion)"
            continue
        part = _given_indices(problem, method, X, y, settings, name)
        rows += part
        diags += checks.run_checks(problem, method, X, y, reps[:, k, :], part, [], name)
    result = Indices(method, pd.DataFrame(rows), int(X.shape[0]), skipped, int(X.shape[0]), int(reps.shape[2]),
                     settings.bootstrap, settings.seed)
    result.diagnostics = pd.DataFrame(diags, columns=checks.COLUMNS)
    result.convergence = pd.DataFrame([], columns=["kpi", "parameter", "N", *CONVERGENCE_KEYS])
    return result


def _given_indices(problem: dict, method: str, X: np.ndarray, y: np.ndarray, settings: SensitivitySettings,
                   name: str) -> list[dict]:
    salib = _salib(problem)
    if method == "rbd-fast":
        from SALib.analyze import rbd_fast

        si = rbd_fast.analyze(salib, X, y, num_resamples=settings.bootstrap, conf_level=0.95, seed=settings.seed)
        pick = {"S1": "S1", "S1_conf": "S1_conf"}
    else:
        from SALib.analyze import pawn

        si = pawn.analyze(salib, X, y, S=10, seed=settings.seed)
        pick = {"pawn_median": "median", "pawn_max": "maximum"}
    return [{"kpi": name, "parameter": p, **{col: float(si[key][j]) for col, key in pick.items()}}
            for j, p in enumerate(problem["names"])]
