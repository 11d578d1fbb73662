"""Confidence intervals and time averages for replicated simulation output.

Everything here is pure numpy on per-replication summaries: one number per independent
replication is the unit of inference (Law, *Simulation Modeling and Analysis*, ch. 9;
Robinson 2014, ch. 9), so the classic Student-t machinery applies without worrying about
autocorrelation inside a run. scipy is imported lazily so that importing the package (and
starting the CLI) does not pay for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .t_table import T_975

__all__ = [
    "Estimate",
    "interval_occupancy_mean",
    "mean_ci",
    "paired_difference_ci",
    "summarise",
    "time_weighted_mean",
    "welch_difference_ci",
]

_NAN = float("nan")


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a two-sided confidence interval [lo, hi] from `n` observations.

    `lo`/`hi` are NaN when fewer than two observations make a variance impossible to
    estimate: reporting lo == hi == mean there would look like perfect precision.
    """

    mean: float
    lo: float
    hi: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2.0

    @property
    def relative_precision(self) -> float:
        """half_width / |mean|: the stopping criterion of the confidence-interval method."""
        hw = self.half_width
        if math.isnan(hw) or math.isnan(self.mean):
            return _NAN
        if self.mean == 0.0:
            return 0.0 if hw == 0.0 else math.inf
        return hw / abs(self.mean)


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")


@lru_cache(maxsize=1024)
def _t_quantile(confidence: float, df: float) -> float:
    # Cached: the sequential replication procedure asks for the same quantiles many times.
    # 95% with whole degrees of freedom up to 200 comes from the written-out table (no scipy import);
    # scipy.special's inverse t CDF is the same function as scipy.stats.t.ppf without the
    # second it takes to import scipy.stats.
    if confidence == 0.95 and float(df).is_integer() and 1 <= df <= len(T_975):
        return T_975[int(df) - 1]
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.5 + confidence / 2.0))


def _as_1d(values: Sequence[float] | np.ndarray, name: str = "values") -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _interval(mean: float, se: float, df: float, n: int, confidence: float) -> Estimate:
    if se == 0.0:  # zero variance: the interval degenerates honestly to the point
        return Estimate(mean, mean, mean, n)
    hw = _t_quantile(confidence, df) * se
    return Estimate(mean, mean - hw, mean + hw, n)


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Estimate:
    """Student-t confidence interval for the mean of independent replications.

    NaNs are dropped: they mark a KPI that is undefined in a replication (e.g. mean wait
    when nobody was admitted), which is missing data rather than zero. With n == 0 all
    fields are NaN; with n == 1 the mean is reported but lo/hi are NaN.
    """
    _check_confidence(confidence)
    x = _as_1d(values)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return Estimate(_NAN, _NAN, _NAN, 0)
    mean = float(x.mean())
    if n == 1:
        return Estimate(mean, _NAN, _NAN, 1)
    se = float(x.std(ddof=1)) / math.sqrt(n)
    return _interval(mean, se, n - 1, n, confidence)


def summarise(rows: Sequence[dict[str, float]], units: dict[str, str] | None = None) -> dict[str, dict]:
    """Mean and 95% t-interval of every KPI across replications (one row of KPIs per replication),
    as summary.json and the sweep tables report them: JSON-ready, None where a value is undefined.
    `units`: units of KPIs kpi_unit cannot know (kpis.kpi_units(scenario): money in the scenario's currency)."""
    from .finance import SIGNED_KPIS
    from .kpis import KPI_UNITS, kpi_unit  # here, not at the top: kpis imports the model (SimPy)

    out = {}
    names = list(rows[0]) if rows else list(KPI_UNITS)  # per-track, per-shift and money KPIs follow the fixed ones
    for name in names:
        unit = units[name] if units and name in units else kpi_unit(name)
        est = mean_ci([row[name] for row in rows])
        lo, hi = est.lo, est.hi
        if not math.isnan(lo) and name not in SIGNED_KPIS:  # counts, rates, times, shares, costs: clip to their range
            lo = max(lo, 0.0)
            hi = min(hi, 100.0) if unit == "%" and not can_exceed_100(name) else hi
        out[name] = {"mean": _finite(est.mean), "ci95": [_finite(lo), _finite(hi)], "unit": unit}
    return out


def can_exceed_100(name: str) -> bool:
    """Utilisations are hours worked over hours available: overtime (covering leave or a vacancy) takes
    them past 100%, so their CI is not clipped there. Every other % KPI is a share of a whole."""
    return "utilization" in name


def _finite(x: float) -> float | None:
    return None if x is None or math.isnan(x) or math.isinf(x) else float(x)


def paired_difference_ci(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> Estimate:
    """CI for mean(b - a) pairing replication i of `a` with replication i of `b`.

    This is the right comparison when both scenarios ran with common random numbers:
    the positive correlation CRN induces cancels in the difference and narrows the interval
    (Law, ch. 10.2). Pairs where either side is NaN are dropped.
    """
    xa, xb = _as_1d(a, "a"), _as_1d(b, "b")
    if xa.shape != xb.shape:
        raise ValueError(f"paired samples need equal lengths, got {xa.size} and {xb.size}")
    keep = ~(np.isnan(xa) | np.isnan(xb))
    return mean_ci(xb[keep] - xa[keep], confidence)


def welch_difference_ci(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> Estimate:
    """CI for mean(b) - mean(a) from independent samples, Welch-Satterthwaite df.

    For scenarios run with independent streams (or unequal replication counts); does not
    assume equal variances. NaNs are dropped per sample. `n` is the total number of
    observations used; lo/hi are NaN unless each sample has at least two.
    """
    _check_confidence(confidence)
    xa, xb = _as_1d(a, "a"), _as_1d(b, "b")
    xa, xb = xa[~np.isnan(xa)], xb[~np.isnan(xb)]
    na, nb = int(xa.size), int(xb.size)
    if na == 0 or nb == 0:
        return Estimate(_NAN, _NAN, _NAN, na + nb)
    diff = float(xb.mean() - xa.mean())
    if na < 2 or nb < 2:
        return Estimate(diff, _NAN, _NAN, na + nb)
    va, vb = float(xa.var(ddof=1)) / na, float(xb.var(ddof=1)) / nb
    se2 = va + vb
    if se2 == 0.0:
        return Estimate(diff, diff, diff, na + nb)
    df = se2**2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    return _interval(diff, math.sqrt(se2), df, na + nb, confidence)


def time_weighted_mean(
    times: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    start: float,
    end: float,
) -> float:
    """Time average over [start, end] of a right-continuous step function.

    values[i] holds from times[i] until times[i+1] (the last one until `end`), which is how
    a monitor records a stock (queue length, people in program) at each change. Steps
    before `start` or after `end` are clipped. `start < times[0]` raises: the value there is
    unknown and silently extending values[0] backwards would bias the average.
    """
    t = _as_1d(times, "times")
    v = _as_1d(values, "values")
    if t.size == 0 or t.size != v.size:
        raise ValueError("times and values must be non-empty and of equal length")
    if not end > start:
        raise ValueError(f"need end > start, got start={start}, end={end}")
    if np.any(np.diff(t) < 0):
        raise ValueError("times must be non-decreasing")
    if start < t[0]:
        raise ValueError(f"start={start} precedes the first recorded time {t[0]}")
    seg_end = np.append(t[1:], end)
    dur = np.clip(np.minimum(seg_end, end) - np.maximum(t, start), 0.0, None)
    return float(np.dot(v, dur) / (end - start))


def interval_occupancy_mean(
    enter: Sequence[float] | np.ndarray,
    leave: Sequence[float] | np.ndarray,
    start: float,
    end: float,
) -> float:
    """Time-average number of items in a stock over [start, end] from per-item sojourns.

    Equal to the integral of the occupancy count divided by (end - start), computed as the
    sum of each [enter, leave) interval's overlap with the window, so no event log is
    needed. `leave` may be NaN or inf for items still in the stock at `end`.
    """
    e = _as_1d(enter, "enter")
    lv = _as_1d(leave, "leave")
    if e.shape != lv.shape:
        raise ValueError("enter and leave must have equal lengths")
    if not end > start:
        raise ValueError(f"need end > start, got start={start}, end={end}")
    if np.any(np.isnan(e)):
        raise ValueError("enter times must not be NaN")
    lv = np.where(np.isnan(lv), np.inf, lv)
    if np.any(lv < e):
        raise ValueError("an item leaves before it enters")
    overlap = np.clip(np.minimum(lv, end) - np.maximum(e, start), 0.0, None)
    return float(overlap.sum() / (end - start))
