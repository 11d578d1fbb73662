"""Checks that Sobol/Morris indices can be trusted, run on every analysis and printed and written.

Each check returns a row (kpi, check, ok, value, message). A failed check does not stop the run:
the indices are still written, with the reason not to believe them next to them. The true Sobol
indices satisfy sum S1 <= 1, S1 <= ST, 0 <= S1 and sum ST >= 1; an estimate violating one by more
than its bootstrap 95% CI is evidence of too small a sample (or of a broken design). Two more checks
look at the data itself: whether the indices at N left the CIs of those at N/2, and how much of the variance
of the point means is simulation noise, which the indices would otherwise attribute to the inputs.
For integer inputs, the A and B rows are independent draws, so the share of variance explained by
an integer input's level among them (the correlation ratio) is a direct estimate of its S1, and so
a lower bound of its ST.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .sensitivity_design import levels_of, values_of

COLUMNS = ["kpi", "check", "ok", "value", "message"]
CONVERGENCE_TOLERANCE = 0.05  # a change between N/2 and N below this is never flagged
NOISE_LIMIT = 0.10  # share of the variance of the point means that may be simulation noise
LEVEL_TOLERANCE = 0.05  # allowed gap between S1 and the level variance share, beyond the S1 CI


def run_checks(problem: dict, method: str, X: np.ndarray, y: np.ndarray, reps: np.ndarray, rows: Sequence[dict],
               convergence: Sequence[dict], kpi: str, second_order: bool = False) -> list[tuple]:
    """All checks for one KPI; `rows` are its index rows, `reps` its (points, replications) values."""
    out = []
    share = noise_share(reps)
    if math.isnan(share):
        out.append((kpi, "noise_share", True, share, "not measured: one replication per point"))
    else:
        out.append((kpi, "noise_share", share <= NOISE_LIMIT, share,
                    f"{share:.0%} of the variance of the point means is simulation noise"
                    + ("" if share <= NOISE_LIMIT else f" (over {NOISE_LIMIT:.0%}): the indices credit it to the "
                       "inputs; use more replications")))
    main = [r for r in rows if "S1" in r]
    if method == "rbd-fast":  # first-order indices only
        return [*out, _sum_s1(kpi, main), _non_negative(kpi, main, ("S1",))]
    if method != "sobol":
        return out
    out += [_sum_s1(kpi, main), _s1_le_st(kpi, main), _non_negative(kpi, main), _sum_st(kpi, main),
            _converged(kpi, [c for c in convergence if c["kpi"] == kpi], main)]
    step = (2 if second_order else 1) * problem["num_vars"] + 2
    V = values_of(problem, X)  # integer inputs at the whole numbers simulated
    a, b = V[0::step], V[step - 1::step]
    ya, yb = y[0::step], y[step - 1::step]
    for j, (name, levels) in enumerate(zip(problem["names"], levels_of(problem), strict=True)):
        if levels:
            s1 = next(r for r in main if r["parameter"] == name)
            out.append(_combinations(kpi, name, levels, a[:, j], b[:, j]))
            out.append(_level_share(kpi, name, np.concatenate([a[:, j], b[:, j]]), np.concatenate([ya, yb]), s1))
    return out


def _ci(rows: Sequence[dict], key: str) -> float:
    """95% half-width of a sum of indices, treating their errors as independent."""
    return math.sqrt(sum(r[f"{key}_conf"] ** 2 for r in rows))


def _sum_s1(kpi: str, rows: Sequence[dict]) -> tuple:
    total, ci = sum(r["S1"] for r in rows), _ci(rows, "S1")
    ok = total <= 1 + ci
    return (kpi, "sum_S1<=1", ok, total, f"sum of S1 = {total:.3g} ± {ci:.2g}"
            + ("" if ok else ": above 1, impossible for true indices; the sample is too small"))


def _s1_le_st(kpi: str, rows: Sequence[dict]) -> tuple:
    bad = [r for r in rows if r["S1"] - r["ST"] > math.hypot(r["S1_conf"], r["ST_conf"])]
    worst = max((r["S1"] - r["ST"] for r in rows), default=0.0)
    return (kpi, "S1<=ST", not bad, worst, "S1 <= ST for every parameter" if not bad else
            "S1 above ST beyond their CIs for " + ", ".join(f"{r['parameter']} ({r['S1']:.3g} > {r['ST']:.3g})"
                                                            for r in bad))


def _non_negative(kpi: str, rows: Sequence[dict], keys: Sequence[str] = ("S1", "ST")) -> tuple:
    bad = [(r["parameter"], key, r[key]) for r in rows for key in keys if r[key] + r[f"{key}_conf"] < 0]
    lowest = min((min(r[key] for key in keys) for r in rows), default=0.0)
    return (kpi, "non_negative", not bad, lowest, "no index below zero beyond its CI" if not bad else
            "negative beyond the CI: " + ", ".join(f"{key}({p}) = {v:.3g}" for p, key, v in bad))


def _sum_st(kpi: str, rows: Sequence[dict]) -> tuple:
    total, ci = sum(r["ST"] for r in rows), _ci(rows, "ST")
    ok = total >= 1 - ci
    return (kpi, "sum_ST>=1", ok, total, f"sum of ST = {total:.3g} ± {ci:.2g}"
            + ("" if ok else ": below 1, impossible for true indices; total effects are underestimated "
               "(too small a sample, or integer levels not all paired)"))


def _converged(kpi: str, conv: Sequence[dict], rows: Sequence[dict]) -> tuple:
    sizes = sorted({c["N"] for c in conv})
    if len(sizes) < 2:
        return (kpi, "converged", True, math.nan, "not checked: N too small to halve")
    n, half = sizes[-1], sizes[-2]
    moved = []
    for r in rows:
        at = {c["N"]: c for c in conv if c["parameter"] == r["parameter"]}
        for key in ("S1", "ST"):
            change = abs(at[n][key] - at[half][key])
            if change > max(at[half][f"{key}_conf"], CONVERGENCE_TOLERANCE):
                moved.append((r["parameter"], key, at[half][key], at[n][key], change))
    worst = max((abs(c1[k] - c2[k]) for c1 in conv for c2 in conv if c1["N"] == n and c2["N"] == half
                 and c1["parameter"] == c2["parameter"] for k in ("S1", "ST")), default=0.0)
    ok = not moved
    return (kpi, "converged", ok, worst, f"indices at N={n} lie within the 95% CIs of those at N={half}" if ok else
            f"indices still moving from N={half} to N={n}: " + ", ".join(
                f"{k}({p}) {v0:.3g} -> {v1:.3g}" for p, k, v0, v1, _ in moved) + "; double samples")


def _combinations(kpi: str, name: str, levels: int, a: np.ndarray, b: np.ndarray) -> tuple:
    filled = len(set(zip(a.tolist(), b.tolist(), strict=True)))
    ok = filled == levels**2
    return (kpi, f"level_pairs({name})", ok, filled, f"{filled} of {levels**2} (A, B) level combinations sampled"
            + ("" if ok else ": Saltelli's estimators need every one; total effects are biased"))


def _level_share(kpi: str, name: str, x: np.ndarray, y: np.ndarray, index: dict) -> tuple:
    """Correlation ratio of the level on the independent A and B rows: an estimate of S1, and so a
    lower bound of ST."""
    total = float(np.var(y))
    groups = [y[x == v] for v in np.unique(x)]
    between = sum(g.size * (float(g.mean()) - float(y.mean())) ** 2 for g in groups) / y.size
    share = between / total if total > 0 else math.nan
    s1_ok = abs(share - index["S1"]) <= index["S1_conf"] + LEVEL_TOLERANCE
    st_ok = share - index["ST"] <= index["ST_conf"] + LEVEL_TOLERANCE
    ok = s1_ok and st_ok
    return (kpi, f"level_share({name})", ok, share,
            f"the level explains {share:.3g} of the variance of the A and B rows; S1 = {index['S1']:.3g} ± "
            f"{index['S1_conf']:.2g}, ST = {index['ST']:.3g} ± {index['ST_conf']:.2g}"
            + ("" if ok else ": " + ("S1 disagrees" if not s1_ok else "ST is below it")
               + "; the indices are not to be trusted"))


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
