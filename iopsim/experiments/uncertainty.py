"""An uncertainty file: the contestable assumptions of a scenario, each with a plausible range.

    # uncertainty.yaml
    draws: 20                  # joint draws of every assumption (Latin hypercube)
    replications_per_draw: 2   # replications of each candidate at each draw
    assumptions:
      - path: attendance.group_attendance_prob
        range: {low: 0.7, high: 0.9}
        source: "TIP 47; programme data"
      - path: relapse.policy.discharge_prob
        values: [0.2, 0.5]

Paths are the dotted paths of `--set`. A `range` is sampled uniformly (whole numbers with
`integer: true`), `values` with equal weight. Draws come from one Latin hypercube over all
assumptions, so each assumption's range is covered evenly even with few draws: of D draws exactly
one falls in each 1/D-th of every range. Every candidate sees the same draws (common random numbers).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
from pydantic import Field, ValidationError

from ..scenario.checks import check_scenario
from ..scenario.loader import ScenarioError
from ..scenario.overrides import apply_overrides
from ..scenario.schema import Scenario
from .schema import ValueRange, _Section

MAX_DRAWS = 1_000


class Assumption(_Section):
    """One contestable scenario field and what it might plausibly be."""

    path: str = Field(min_length=1, max_length=300, description="Dotted path as for --set.")
    range: ValueRange | None = Field(None, description="Plausible interval, sampled uniformly.")
    values: list[Any] | None = Field(None, min_length=1, max_length=100, description="Plausible values, equally likely.")
    source: str = Field("", max_length=2000, description="Where the range comes from (or that it has no source).")

    def value_at(self, u: float) -> Any:
        """The value at quantile u in [0, 1) of this assumption's range or list."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        assert self.range is not None
        lo, hi = self.range.low, self.range.high
        if self.range.integer:
            return int(min(math.floor(lo + u * (hi - lo + 1)), hi))
        return lo + u * (hi - lo)

    def ordinal(self, value: Any) -> float:
        """A number to rank draws by: the value itself, or its position in `values`."""
        if self.values is not None:
            return float(self.values.index(value))
        return float(value)


class Uncertainty(_Section):
    assumptions: list[Assumption] = Field(min_length=1, max_length=50)
    draws: int = Field(20, ge=2, le=MAX_DRAWS, description="Joint draws of the assumptions.")
    replications_per_draw: int = Field(2, ge=1, le=100, description="Replications per candidate and draw.")
    candidates: int = Field(12, ge=1, le=100, description="Most candidates to evaluate at every draw.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Seed of the draws (default: the sizing seed).")


def check_uncertainty(u: Uncertainty) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(u.assumptions):
        if (a.range is None) == (a.values is None):
            out.append((f"assumptions.{i}", "give either a range or values"))
    seen: dict[str, int] = {}
    for i, a in enumerate(u.assumptions):
        if a.path in seen:
            out.append((f"assumptions.{i}.path", f"{a.path} is already assumption {seen[a.path]}"))
        seen.setdefault(a.path, i)
    return out


def draw_assumptions(u: Uncertainty, seed: int) -> list[dict[str, Any]]:
    """The D joint draws (path -> value), the same for every candidate."""
    from scipy.stats import qmc

    sample = qmc.LatinHypercube(d=len(u.assumptions), seed=np.random.default_rng(seed)).random(u.draws)
    return [{a.path: a.value_at(float(row[j])) for j, a in enumerate(u.assumptions)} for row in sample]


def with_draw(scenario: Scenario, draw: dict[str, Any]) -> Scenario:
    """The scenario with the drawn values set; raises ValueError naming what makes it invalid."""
    data = copy.deepcopy(scenario.model_dump(mode="json"))
    texts = [f"{path}={_yaml(value)}" for path, value in draw.items()]
    try:
        changed = Scenario.model_validate(apply_overrides(data, texts))
    except ScenarioError as err:
        raise ValueError("; ".join(f"{p.path}: {p.message}" for p in err.problems)) from None
    except ValidationError as err:  # the drawn value does not fit the field
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()[:3])) from None
    problems = check_scenario(changed)
    if problems:
        raise ValueError("; ".join(f"{p}: {m}" for p, m in problems))
    return changed


def check_against(u: Uncertainty, scenario: Scenario) -> list[tuple[str, str]]:
    """Each assumption at both ends of its range (every listed value) must give a valid scenario."""
    out = []
    for i, a in enumerate(u.assumptions):
        ends = a.values if a.values is not None else [a.range.low, a.range.high] if a.range else []
        for value in ends:
            try:
                with_draw(scenario, {a.path: value})
            except ValueError as err:
                out.append((f"assumptions.{i}.path", f"{a.path}={_yaml(value)} does not give a valid scenario: {err}"))
                break
    return out


def _yaml(value: Any) -> str:
    import json

    if isinstance(value, float) and value == int(value):
        return str(int(value))  # 90, not 90.0, in messages; YAML reads both as the same number
    return json.dumps(value)  # JSON is YAML: numbers, strings, lists and mappings read back as written
