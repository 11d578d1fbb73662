"""Global sensitivity analysis with SALib: Sobol indices (Saltelli sampling) or Morris screening.

`run` samples the parameter ranges, hands the sample to a pluggable `evaluate(X) -> Y`, and
analyses Y; the command passes an evaluator that runs the points as a resumable sweep and returns
each point's mean KPI over its replications, while tests pass an analytic function with known
indices (Ishigami), so both go through exactly the same sampling and analysis.

Every point runs the same replications and seed (common random numbers), so simulation noise
varies little from point to point and inflates the indices less. Whole-number parameters are
simulated at the integer their sample falls on (equal shares of the range), but analysed as the
continuous sample, so their index describes the effect of that step function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .design import round_significant, scale
from .schema import Experiment, SensitivitySettings

METHODS = ("sobol", "morris")
Evaluate = Callable[[np.ndarray], np.ndarray]  # (n, d) inputs -> (n, k) outputs


@dataclass
class Indices:
    method: str
    frame: Any  # pandas DataFrame: kpi, parameter, S1, S1_conf, ST, ST_conf | mu_star, mu_star_conf, sigma, mu
    points: int
    skipped: dict[str, str] = field(default_factory=dict)  # kpi -> why it has no indices


def check_for_sensitivity(e: Experiment, method: str) -> list[tuple[str, str]]:
    """What `iopsim sweep` accepts but SALib cannot use; (dotted.path, message) pairs."""
    out = [(f"parameters.{i}.values", "sensitivity analysis needs a `range` ({low, high}) for every parameter")
           for i, p in e.grid_parameters()]
    n = e.sensitivity.samples
    if method == "sobol" and n & (n - 1):
        out.append(("sensitivity.samples", f"Sobol (Saltelli) sampling needs a power of 2 samples (got {n})"))
    return out


def problem_of(e: Experiment) -> dict:
    """SALib's problem definition from the experiment's ranged parameters, in file order."""
    ranged = [p for _, p in e.range_parameters()]
    return {"num_vars": len(ranged), "names": [p.path for p in ranged],
            "bounds": [[p.value_range.low, p.value_range.high] for p in ranged]}


def sample(problem: dict, method: str, settings: SensitivitySettings) -> np.ndarray:
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, settings.samples, calc_second_order=False, seed=settings.seed)
    from SALib.sample import morris

    return morris.sample(problem, settings.samples, num_levels=settings.num_levels, seed=settings.seed)


def points_from(e: Experiment, X: np.ndarray) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Sample rows -> ({path: simulated value}, {path: where in the file}) for the sweep machinery."""
    ranged = e.range_parameters()
    out = []
    for row in X:
        params, where = {}, {}
        for (i, p), x in zip(ranged, row, strict=True):
            r = p.value_range
            u = (float(x) - r.low) / (r.high - r.low)
            params[p.path] = scale(u, r) if r.integer else round_significant(float(x))
            where[p.path] = f"parameters.{i}.range"
        out.append((params, where))
    return out


def analyse(problem: dict, method: str, X: np.ndarray, Y: np.ndarray, names: Sequence[str],
            settings: SensitivitySettings) -> Indices:
    """Indices with bootstrap 95% CIs for each output column (named by `names`)."""
    import pandas as pd

    rows, skipped = [], {}
    for k, name in enumerate(names):
        y = np.asarray(Y[:, k], dtype=float)
        if not np.all(np.isfinite(y)):
            skipped[name] = f"undefined at {int((~np.isfinite(y)).sum())} of {y.size} points"
            continue
        if np.ptp(y) == 0:
            skipped[name] = "the same at every point (no variance to apportion)"
            continue
        rows += _indices(problem, method, X, y, settings, name)
    return Indices(method, pd.DataFrame(rows), int(X.shape[0]), skipped)


def _indices(problem: dict, method: str, X: np.ndarray, y: np.ndarray, settings: SensitivitySettings,
             name: str) -> list[dict]:
    if method == "sobol":
        from SALib.analyze import sobol

        si = sobol.analyze(problem, y, calc_second_order=False, num_resamples=settings.bootstrap,
                           conf_level=0.95, seed=settings.seed)
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    else:
        from SALib.analyze import morris

        si = morris.analyze(problem, X, y, num_resamples=settings.bootstrap, conf_level=0.95,
                            num_levels=settings.num_levels, seed=settings.seed)
        keys = ("mu_star", "mu_star_conf", "sigma", "mu")
    return [{"kpi": name, "parameter": p, **{key: float(si[key][j]) for key in keys}}
            for j, p in enumerate(problem["names"])]


def run(problem: dict, method: str, settings: SensitivitySettings, names: Sequence[str],
        evaluate: Evaluate) -> Indices:
    """Sample, evaluate, analyse: the one code path for simulations and test functions alike."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    X = sample(problem, method, settings)
    Y = np.asarray(evaluate(X), dtype=float).reshape(X.shape[0], len(names))
    return analyse(problem, method, X, Y, names, settings)
