"""Warm-up (initial transient) detection.

The model starts empty, so early observations are biased low. MSER-5 is the default
because Hoad, Robinson & Davies (2010, "Automating warm-up length estimation", JORS 61)
found it the most reliable fully automatic method in their comparison; Welch's graphical
method is provided for eyeballing a plot (Law, *Simulation Modeling and Analysis*, ch. 9.5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["WarmupSuggestion", "mser", "suggest_warmup", "welch_moving_average"]


def _replication_average(series: np.ndarray) -> np.ndarray:
    """Collapse (replications x time) to the across-replication mean; 1-D passes through."""
    arr = np.asarray(series, dtype=float)
    if arr.ndim == 2:
        arr = arr.mean(axis=0)
    elif arr.ndim != 1:
        raise ValueError(f"series must be 1-D or 2-D (replications x time), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("series must be finite")
    return arr


def mser(series: np.ndarray, batch_size: int = 5, max_truncation_fraction: float = 0.5) -> int:
    """MSER-5 truncation point, in original observations (White 1997; Hoad et al. 2010).

    The series (averaged across replications if 2-D) is batched into means of `batch_size`
    observations, a trailing partial batch dropped. For each truncation d of the batch
    series Y_1..Y_n, MSER(d) = sum_{i>d} (Y_i - mean_{>d})^2 / (n - d)^2 trades the bias
    of keeping the transient against the variance of discarding data; the minimising d
    (smallest on ties) times `batch_size` is returned. d is searched only up to
    floor(max_truncation_fraction * n) because MSER becomes erratic when few batches are
    left: a minimum at that limit means the run is too short to trust the answer.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    if not 0.0 <= max_truncation_fraction < 1.0:
        raise ValueError("max_truncation_fraction must be in [0, 1)")
    y = _replication_average(series)
    n = y.size // batch_size
    if n < 2:
        raise ValueError(f"need at least 2 full batches of {batch_size}, got {y.size} observations")
    y = y[: n * batch_size].reshape(n, batch_size).mean(axis=1)
    y = y - y.mean()  # centring reduces cancellation in the sum-of-squares identity below
    d_max = min(math.floor(max_truncation_fraction * n), n - 2)
    # Suffix sums give every candidate's SSE in O(n): SSE(d) = S2(d) - S1(d)^2 / (n - d).
    s1 = np.cumsum(y[::-1])[::-1][: d_max + 1]
    s2 = np.cumsum((y * y)[::-1])[::-1][: d_max + 1]
    m = n - np.arange(d_max + 1)
    sse = np.clip(s2 - s1 * s1 / m, 0.0, None)
    return int(np.argmin(sse / (m * m))) * batch_size


def welch_moving_average(series_2d: np.ndarray, window: int) -> np.ndarray:
    """Welch's method: across-replication mean smoothed by a centred moving average.

    Output has len - window points. Point i (0-based) averages observations i-w..i+w; for
    i < w, where the full window would run off the start, the symmetric window of size
    2i+1 is used (Law, ch. 9.5.1), so no point mixes in a one-sided average.
    """
    if window < 0:
        raise ValueError("window must be >= 0")
    y = _replication_average(series_2d)
    m = y.size
    if window >= m:
        raise ValueError(f"window={window} needs more than {window} observations, got {m}")
    c = np.concatenate(([0.0], np.cumsum(y)))
    i = np.arange(m - window)
    half = np.minimum(i, window)
    lo, hi = i - half, i + half + 1
    return (c[hi] - c[lo]) / (hi - lo)


@dataclass
class WarmupSuggestion:
    """Suggested truncation in observations: the max over series, so every KPI is covered."""

    observations: int
    per_series: dict[str, int] = field(default_factory=dict)


def suggest_warmup(
    series: Mapping[str, np.ndarray], batch_size: int = 5, max_truncation_fraction: float = 0.5
) -> WarmupSuggestion:
    """MSER-5 on each named (replications x time) series; the largest truncation wins."""
    if not series:
        raise ValueError("no series given")
    per = {name: mser(s, batch_size, max_truncation_fraction) for name, s in series.items()}
    return WarmupSuggestion(observations=max(per.values()), per_series=per)
