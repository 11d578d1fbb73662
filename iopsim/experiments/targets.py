"""Service targets such as 'admitted_within_14_days_pct>=90', judged on a confidence bound.

A target holds when the whole 95% confidence interval is on the right side (the lower bound for
>=, the upper bound for <=): a configuration is only recommended when the simulation shows it meets
the target, not when it merely might. It clearly fails when the whole interval is on the wrong side;
in between the evidence is not enough yet, which is what sequential replications resolve.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from ..analysis.kpi_names import kpi_names, resolve_kpi
from ..analysis.stats import Estimate

PASS, FAIL, UNSURE = "pass", "fail", "uncertain"
_PATTERN = re.compile(r"^\s*([A-Za-z0-9_]+(?::[^\s<>=]+)?)\s*(>=|<=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


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


def parse_target(text: str, scenario=None, check_name: bool = True) -> Target:
    """'kpi>=number' or 'kpi<=number'; raises ValueError with a message for the planner.

    The KPI must be one a run of `scenario` reports (analysis/kpi_names.py: per-track, per-shift and
    money KPIs need the scenario; `KPI:TRACK` is turned into the KPI's name). `check_name=False` checks
    only the form, for a command line read before its scenario is (`resolve_target` checks it then)."""
    m = _PATTERN.match(text)
    if not m:
        raise ValueError("expected KPI>=NUMBER or KPI<=NUMBER, e.g. 'admitted_within_14_days_pct>=90'")
    kpi, op, value = m.groups()
    threshold = float(value)
    if not math.isfinite(threshold):
        raise ValueError(f"threshold {value} is not a finite number")
    target = Target(kpi, op, threshold)
    return resolve_target(target, scenario) if check_name else target


def resolve_target(target: Target, scenario) -> Target:
    """The target on the KPI its name stands for in runs of `scenario`; raises ValueError (unknown KPI
    with the nearest names, or a percentage threshold outside 0..100)."""
    kpi = resolve_kpi(target.kpi, scenario)
    if kpi_names(scenario)[kpi] == "%" and not 0 <= target.threshold <= 100:
        raise ValueError(f"{kpi} is a percentage: the threshold must be within 0..100, got {target.threshold:g}")
    return replace(target, kpi=kpi)
