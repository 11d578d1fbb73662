"""What a researcher writes in an experiment file (experiments/*.yaml), as pydantic models.

An experiment names a base scenario, the parameters to vary (by the dotted paths `--set` uses) and
how many replications each point gets. A parameter with `values` is crossed with the others (full
factorial grid); parameters with a `range` are sampled together (Latin hypercube or Sobol, see
`sampling`), and that sample is crossed with the grid. The same file feeds `iopsim sensitivity`,
which samples the ranges with SALib instead (`sensitivity`).

Cross-field rules live in `check_experiment` so each problem names its own path and line, exactly
like scenario files. What only one command needs (sweep: a `sampling` for ranges; sensitivity:
ranges only) is checked by that command, so a sensitivity-only file needs no `sampling`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..analysis.kpi_names import UnknownKpi, could_be_kpi, resolve_kpi

GROUP_ROOMS = "group_rooms"
"""Pseudo-parameter: the number of group rooms, scaled by the rule in `iopsim.experiments.rooms`."""

DEFAULT_KPIS = (
    "admitted_within_14_days_pct",
    "wait_to_admission_days_mean",
    "waitlist_mean",
    "counselor_utilization_pct",
)


class _Section(BaseModel):
    """Strict, finite numbers, as in scenario files (`points: yes` or `high: .inf` is an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ValueRange(_Section):
    """A continuous (or whole-number) interval to sample a parameter from."""

    low: float = Field(ge=-1e12, le=1e12)
    high: float = Field(ge=-1e12, le=1e12)
    integer: bool = Field(False, description="Sample whole numbers low..high inclusive (counts such as counselors).")

    @model_validator(mode="after")
    def _ordered(self) -> ValueRange:
        if not self.high > self.low:
            raise ValueError(f"high ({self.high:g}) must be greater than low ({self.low:g})")
        if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError("an integer range needs whole-number low and high")
        return self


class Parameter(_Section):
    """One scenario field to vary, by dotted path (or `group_rooms`)."""

    path: str = Field(min_length=1, description="Dotted path as for --set, e.g. counselors.count, or group_rooms.")
    values: list[Any] | None = Field(None, min_length=1, description="Values to cross with the other parameters.")
    range: ValueRange | None = Field(None, description="Interval to sample (needs `sampling`, or use `iopsim sensitivity`).")

    @model_validator(mode="after")
    def _one_of(self) -> Parameter:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either `values` (a list) or `range` ({low, high}), not both or neither")
        return self

    @property
    def value_range(self) -> ValueRange:
        """`range`, for a parameter known to have one (those `Experiment.range_parameters()` returns)."""
        assert self.range is not None
        return self.range


SCREENING_DESIGNS = ("fractional-factorial", "plackett-burman", "central-composite")
"""Designs on the ranges' coded levels (pyDOE3): the design fixes the number of points."""


class Sampling(_Section):
    """How `iopsim sweep` chooses values of the parameters that have a range."""

    method: Literal["lhs", "sobol", "fractional-factorial", "plackett-burman", "central-composite", "file"] = Field(
        "lhs", description="lhs: Latin hypercube; sobol: scrambled Sobol sequence; fractional-factorial, "
        "plackett-burman (screening, low/high) and central-composite (response surface; low/mid/high) from pyDOE3; "
        "file: the points in a CSV file (`file`).")
    points: int | None = Field(None, ge=1, le=100_000, description="lhs/sobol: sample size (a power of 2 for sobol).")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the sampler (not of the simulation).")
    resolution: int = Field(3, ge=3, le=5, description="fractional-factorial: the design's resolution (III to V).")
    center_points: int = Field(1, ge=0, le=100, description="central-composite: points at the centre of the ranges.")
    face: Literal["faced", "inscribed"] = Field(
        "faced", description="central-composite: axial points on the faces of the ranges (faced) or the factorial "
        "points shrunk inside them (inscribed); either way every value stays within its range.")
    file: str | None = Field(None, min_length=1, description="file: CSV with a column per range parameter (its "
                             "path) and a row per point; relative to this experiment file.")


class SensitivitySettings(_Section):
    """How `iopsim sensitivity` samples the ranges and estimates the indices (SALib)."""

    samples: int = Field(
        64, ge=2, le=65_536,
        description="Sobol: base sample N (a power of 2; N*(D+2) points); Morris: trajectories (N*(D+1) points).",
    )
    num_levels: int = Field(4, ge=2, le=20, description="Morris grid levels.")
    bootstrap: int = Field(200, ge=10, le=100_000, description="Bootstrap resamples for the confidence intervals.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the SALib sampler and bootstrap.")


class Experiment(_Section):
    """A set of scenario variants to simulate, each with the same seed (common random numbers)."""

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str = Field(min_length=1, description="Base scenario file, relative to this experiment file.")
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="Fixed changes to the base for every point, {dotted.path: value}."
    )
    parameters: list[Parameter] = Field(min_length=1)
    sampling: Sampling | None = None
    replications: int | None = Field(None, ge=1, le=100_000, description="Per point (default: run.replications).")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Base seed for every point (default: run.seed).")
    common_random_numbers: bool = Field(
        True, description="true: every point runs the same seed, so points differ only by their parameters "
        "(sharper differences); false: each point gets random streams of its own, derived from the seed and "
        "its position (independent errors, for studies whose analysis assumes them).",
    )
    kpis: list[str] = Field(
        default_factory=lambda: list(DEFAULT_KPIS), min_length=1,
        description="KPIs to print and to analyse for sensitivity (every KPI is always written).",
    )
    sensitivity: SensitivitySettings = Field(default_factory=SensitivitySettings)  # type: ignore[arg-type]  # see Scenario in scenario/schema.py

    def grid_parameters(self) -> list[tuple[int, Parameter]]:
        return [(i, p) for i, p in enumerate(self.parameters) if p.values is not None]

    def range_parameters(self) -> list[tuple[int, Parameter]]:
        return [(i, p) for i, p in enumerate(self.parameters) if p.range is not None]


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def check_experiment(e: Experiment) -> list[tuple[str, str]]:
    """Rules across fields; each returns (dotted.path, problem)."""
    out: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for i, p in enumerate(e.parameters):
        if p.path in seen:
            out.append((f"parameters.{i}.path", f"{p.path!r} is already parameters.{seen[p.path]}"))
        seen.setdefault(p.path, i)
        if p.path in e.overrides:
            out.append((f"parameters.{i}.path", f"{p.path!r} is also fixed in `overrides`; keep one"))
        if p.path == GROUP_ROOMS:
            out += _check_group_rooms(i, p)
    ranged = e.range_parameters()
    if e.sampling is not None and not ranged:
        out.append(("sampling", "no parameter has a range to sample; remove `sampling` or give a range"))
    if e.sampling is not None:
        out += _check_sampling(e.sampling, len(ranged))
    for j, name in enumerate(e.kpis):  # exactly against the base scenario later (resolve.load_experiment)
        if not could_be_kpi(name):
            try:
                resolve_kpi(name, None)
            except UnknownKpi as exc:
                out.append((f"kpis.{j}", str(exc)))
    return out


def _check_sampling(s: Sampling, ranged: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    given = s.model_fields_set
    if s.method in ("lhs", "sobol") and s.points is None:
        out.append(("sampling.points", f"a {s.method} sample needs `points` (its size)"))
    elif s.method not in ("lhs", "sobol") and s.points is not None:
        out.append(("sampling.points", f"the {s.method} design sets the number of points itself; remove `points`"))
    if s.method == "sobol" and s.points is not None and not _is_power_of_two(s.points):
        out.append(("sampling.points", f"a Sobol sample needs a power of 2 points (got {s.points})"))
    if (s.method == "file") != (s.file is not None):
        out.append(("sampling.file", "method file needs `file: POINTS.csv`" if s.method == "file"
                    else f"`file` is for method file, not {s.method}"))
    if s.method in SCREENING_DESIGNS and ranged < 2:
        out.append(("sampling.method", f"a {s.method} design needs at least 2 parameters with a range (got "
                    f"{ranged}); give one parameter `values` instead"))
    for name, method in (("resolution", "fractional-factorial"), ("center_points", "central-composite"),
                         ("face", "central-composite")):
        if name in given and s.method != method:
            out.append((f"sampling.{name}", f"`{name}` is for method {method}, not {s.method}"))
    return out


def _check_group_rooms(i: int, p: Parameter) -> list[tuple[str, str]]:
    if p.range is not None:
        if not p.range.integer or p.range.low < 1:
            return [(f"parameters.{i}.range", "group_rooms is a count: use integer: true and low >= 1")]
        return []
    return [
        (f"parameters.{i}.values.{j}", f"group_rooms must be a whole number >= 1, got {v!r}")
        for j, v in enumerate(p.values or [])
        if isinstance(v, bool) or not isinstance(v, int) or v < 1
    ]
