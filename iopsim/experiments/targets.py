"""Service targets such as 'admitted_within_14_days_pct>=90', judged on a confidence bound.

A target holds when the whole 95% confidence interval is on the right side (the lower bound for
>=, the upper bound for <=): a configuration is only recommended when the simulation shows it meets
the target, not when it merely might. It clearly fails when the whole interval is on the wrong side;
in between the evidence is not enough yet, which is what sequential replications resolve.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from ..analysis.kpis import KPI_UNITS
from ..analysis.stats import Estimate

PASS, FAIL, UNSURE = "pass", "fail", "uncertain"
_PATTERN = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(>=|<=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Target:
    kpi: str
    op: str  # ">=" or "<="
    threshold: float

    def __str__(self) -> str:
        return f"{self.kpi}{self.op}{self.threshold:g}"

    @property
    def at_least(self) -> bool:
        return self.op == ">="

    def verdict(self, est: Estimate) -> str:
        if est.n == 0 or math.isnan(est.mean):
            return FAIL  # undefined everywhere (e.g. nobody admitted): cannot be shown to hold
        if math.isnan(est.lo):
            return UNSURE  # one replication: no interval yet
        good, bad = (est.lo, est.hi) if self.at_least else (-est.hi, -est.lo)
        limit = self.threshold if self.at_least else -self.threshold
        if good >= limit:
            return PASS
        if bad < limit:
            return FAIL
        return UNSURE


def parse_target(text: str) -> Target:
    """'kpi>=number' or 'kpi<=number'; raises ValueError with a message for the planner."""
    m = _PATTERN.match(text)
    if not m:
        raise ValueError("expected KPI>=NUMBER or KPI<=NUMBER, e.g. 'admitted_within_14_days_pct>=90'")
    kpi, op, value = m.groups()
    if kpi not in KPI_UNITS:
        hint = difflib.get_close_matches(kpi, list(KPI_UNITS), n=1)
        raise ValueError(f"unknown KPI {kpi!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""))
    threshold = float(value)
    if not math.isfinite(threshold):
        raise ValueError(f"threshold {value} is not a finite number")
    if KPI_UNITS[kpi] == "%" and not 0 <= threshold <= 100:
        raise ValueError(f"{kpi} is a percentage: the threshold must be within 0..100, got {threshold:g}")
    return Target(kpi, op, threshold)
