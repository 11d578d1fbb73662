"""Global sensitivity analysis with SALib: Sobol indices (Saltelli sampling) or Morris screening.

`run` samples the parameter ranges, hands the values to simulate to a pluggable `evaluate(V) -> Y`,
and analyses Y; the command passes an evaluator that runs the points as a resumable sweep, while
tests pass analytic functions with known indices, so both go through exactly the same sampling,
analysis and diagnostics. `evaluate` returns one value per point and output, (n, k), or one per
replication, (n, k, r): then the point means are analysed and the replications measure how much of
their variance is simulation noise.

Every point runs the same replications and seed (common random numbers), so simulation noise
varies little from point to point and inflates the indices less.

Whole-number parameters are sampled so that every pair of levels is equally represented: see
`sensitivity_design.py` (the sample) and `sensitivity_checks.py` (the checks run on every analysis).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import sensitivity_checks as checks
from .schema import Experiment, SensitivitySettings
from .sensitivity_checks import noise_share
from .sensitivity_design import (
    balanced_pairs,
    design_warnings,
    levels_of,
    points_from,
    problem_of,
    saltelli_sample,
    sample,
    values_of,
)
from .sensitivity_design import (
    salib_problem as _salib,
)

__all__ = [  # the design and the noise measure are part of this module's interface, as before the split
    "Indices", "analyse", "analyse_given", "balanced_pairs", "check_for_sensitivity", "design_warnings", "levels_of",
    "noise_share", "points_from", "problem_of", "run", "saltelli_sample", "sample", "values_of",
]

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


# --------------------------------------------------------------------------- sampling


# --------------------------------------------------------------------------- analysis



def _point_means(Y: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, list[tuple[int, str, np.ndarray]], dict]:
    """(points, KPIs, replications) values, the (index, name, point means) of each KPI that can be
    analysed, and why the others cannot: undefined at some point, or the same at every point."""
    Y = np.asarray(Y, dtype=float)
    reps = Y if Y.ndim == 3 else Y[:, :, None]
    means = reps.mean(axis=2)
    analysable, skipped = [], {}
    for k, name in enumerate(names):
        y = means[:, k]
        if not np.all(np.isfinite(y)):
            skipped[name] = f"undefined at {int((~np.isfinite(y)).sum())} of {y.size} points"
        elif np.ptp(y) == 0:
            skipped[name] = "the same at every point (no variance to apportion)"
        else:
            analysable.append((k, name, y))
    return reps, analysable, skipped


def analyse(problem: dict, method: str, X: np.ndarray, Y: np.ndarray, names: Sequence[str],
            settings: SensitivitySettings, second_order: bool = False) -> Indices:
    """Indices with bootstrap 95% CIs for each output column (named by `names`), and their diagnostics.

    Y is (n, k) point values or (n, k, r) replications, whose means are analysed.
    """
    import pandas as pd

    reps, analysable, skipped = _point_means(Y, names)
    rows, conv, diags = [], [], []
    for k, name, y in analysable:
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


# --------------------------------------------------------------------------- given data


def analyse_given(problem: dict, method: str, X: np.ndarray, Y: np.ndarray, names: Sequence[str],
                  settings: SensitivitySettings) -> Indices:
    """Indices from points that were already simulated (e.g. an `iopsim sweep` Latin hypercube), no new runs.

    RBD-FAST gives S1, PAWN the median and maximum Kolmogorov-Smirnov distance of conditional
    output distributions (moment-independent). They assume independent inputs
    spread over their ranges, which a LHS or Sobol sweep design provides. Y as for `analyse`.
    """
    import pandas as pd

    if method not in GIVEN_DATA:
        raise ValueError(f"method must be one of {', '.join(GIVEN_DATA)}, got {method!r}")
    reps, analysable, skipped = _point_means(Y, names)
    rows, diags = [], []
    for k, name, y in analysable:
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
