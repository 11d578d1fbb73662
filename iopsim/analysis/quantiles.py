"""Quantiles of a stream of values in bounded memory: exact while small, then a sketch.

Up to `exact_limit` values are kept and the quantile is numpy's (linear interpolation). Beyond
that the values go into a log-bucketed histogram with relative accuracy `relative_accuracy`
(the DDSketch of Masson, Rim & Lee 2019, VLDB 12:2195): every quantile is then within that
fraction of the value numpy would give, and memory no longer grows with the run. A 10-year
baseline stays exact; a 50-year one is reported to within 0.5%.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


class StreamingQuantiles:
    def __init__(self, exact_limit: int = 20_000, relative_accuracy: float = 0.005):
        self.exact_limit = exact_limit
        self.gamma = (1 + relative_accuracy) / (1 - relative_accuracy)
        self._log_gamma = math.log(self.gamma)
        self._values: list[np.ndarray] | None = []
        self._kept = 0
        self._buckets: Counter[int] = Counter()
        self._zeros = 0
        self.n = 0

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=float)
        if not values.size:
            return
        self.n += values.size
        if self._values is not None:
            self._values.append(values)
            self._kept += values.size
            if self._kept <= self.exact_limit:
                return
            values = np.concatenate(self._values)  # too many to keep: switch to the sketch
            self._values = None
        self._bucket(values)

    def _bucket(self, values: np.ndarray) -> None:
        positive = values > 1e-12
        self._zeros += int((~positive).sum())
        keys, counts = np.unique(np.ceil(np.log(values[positive]) / self._log_gamma).astype(np.int64),
                                 return_counts=True)
        self._buckets.update(dict(zip(keys.tolist(), counts.tolist(), strict=True)))

    @property
    def exact(self) -> bool:
        return self._values is not None

    def quantile(self, q: float) -> float:
        if self.n == 0:
            return math.nan
        if self._values is not None:
            return float(np.quantile(np.concatenate(self._values), q))
        rank = q * (self.n - 1)
        lo, hi = self._value_at(math.floor(rank)), self._value_at(math.ceil(rank))
        return lo + (hi - lo) * (rank - math.floor(rank))

    def _value_at(self, rank: int) -> float:
        """The sketch's estimate of the value of the rank-th smallest (0-based)."""
        if rank < self._zeros:
            return 0.0
        seen = self._zeros
        for key in sorted(self._buckets):
            seen += self._buckets[key]
            if rank < seen:
                return 2 * self.gamma**key / (self.gamma + 1)
        return 2 * self.gamma ** max(self._buckets) / (self.gamma + 1)  # pragma: no cover - rank < n
