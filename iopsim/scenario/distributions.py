"""Distribution specs a planner writes in YAML, and fast samplers for them.

A spec is plain data (pydantic); `sampler(spec, rng)` turns it into a callable that draws
from its own numpy Generator. Samplers draw in blocks: each stochastic purpose owns its
stream, so block-drawing keeps the sequence deterministic while avoiding a numpy call per
draw on the simulation's hot path.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

BLOCK = 256
MAX_VALUE = 1e6
"""Upper bound of every distribution parameter (days, weeks or hours): ~2,700 years in days."""
MAX_WEIGHT = 1e12
MAX_EMPIRICAL_VALUES = 10_000
MIN_CV, MAX_CV = 1e-6, 1e3
"""Bounds of sd/mean for lognormal and gamma: outside them the samplers' parameters over- or underflow."""


def _number_as_text(value: Any) -> Any:
    """A name written as a number (`room: 101`) is meant as text; booleans stay an error."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_number_as_text)]

Bounded = Annotated[float, Field(ge=0, le=MAX_VALUE)]
Positive = Annotated[float, Field(gt=0, le=MAX_VALUE)]


class _Spec(BaseModel):
    """Strict and finite numbers (an int is fine where a float is expected), as in scenario sections."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError


class Fixed(_Spec):
    """Always the same value (useful for deterministic checks)."""

    kind: Literal["fixed"] = "fixed"
    value: Bounded

    def mean(self) -> float:
        return self.value


class _ByMean(_Spec):
    """A spec with a `mean` field, kept as `mean_value` because `mean()` is the method every spec has."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True, allow_inf_nan=False)

    kind: str
    mean_value: Positive = Field(alias="mean")

    def mean(self) -> float:
        return self.mean_value


class Exponential(_ByMean):
    kind: Literal["exponential"] = "exponential"


class Uniform(_Spec):
    kind: Literal["uniform"] = "uniform"
    low: Bounded
    high: Bounded

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2


class Triangular(_Spec):
    kind: Literal["triangular"] = "triangular"
    low: Bounded
    mode: Bounded
    high: Bounded

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high):
            raise ValueError("need low <= mode <= high")
        if self.low == self.high:
            raise ValueError("low and high must differ (use kind: fixed for a constant)")
        return self

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Normal(_ByMean):
    """Normal, truncated at 0 by redrawing negative values."""

    kind: Literal["normal"] = "normal"  # so mean() is `mean` only approximately, when mean >> sd
    mean_value: Bounded = Field(alias="mean")
    sd: Bounded


class _MeanSd(_ByMean):
    """Mean and sd of the variable itself, with sd/mean in MIN_CV..MAX_CV: outside it the lognormal and
    gamma samplers' parameters give inf, nan or overflow."""

    sd: Positive

    @model_validator(mode="after")
    def _spread(self) -> _MeanSd:
        cv = self.sd / self.mean_value
        if cv < MIN_CV:
            raise ValueError(f"sd must be at least {MIN_CV:g} x mean (use kind: fixed for a constant)")
        if cv > MAX_CV:
            raise ValueError(f"sd must be at most {MAX_CV:g} x mean")
        return self


class Lognormal(_MeanSd):
    """Lognormal given by the mean and sd of the variable itself (not of its log)."""

    kind: Literal["lognormal"] = "lognormal"


class Gamma(_MeanSd):
    """Gamma given by mean and sd (shape = (mean/sd)^2)."""

    kind: Literal["gamma"] = "gamma"


class Empirical(_Spec):
    """Discrete values with weights (weights are normalised)."""

    kind: Literal["empirical"] = "empirical"
    values: list[Bounded] = Field(min_length=1, max_length=MAX_EMPIRICAL_VALUES)
    weights: list[Annotated[float, Field(ge=0, le=MAX_WEIGHT)]] | None = None

    @model_validator(mode="after")
    def _check(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have as many entries as values")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 and not all zero")
        return self

    def mean(self) -> float:
        w = self.weights or [1.0] * len(self.values)
        return sum(v * x for v, x in zip(self.values, w, strict=True)) / sum(w)


def _number_is_fixed(value: Any) -> Any:
    """Let a planner write `duration_weeks: 4` for a fixed value."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"kind": "fixed", "value": value}
    return value


Distribution = Annotated[
    Fixed | Exponential | Uniform | Triangular | Normal | Lognormal | Gamma | Empirical,
    Field(discriminator="kind"),
    BeforeValidator(_number_is_fixed),
]


def _block_drawer(spec: _Spec, rng: np.random.Generator):
    """Return a function drawing BLOCK values of `spec` at once."""
    if isinstance(spec, Fixed):
        value = spec.value
        return lambda: np.full(BLOCK, value)
    if isinstance(spec, Exponential):
        m = spec.mean_value
        return lambda: rng.exponential(m, BLOCK)
    if isinstance(spec, Uniform):
        lo, hi = spec.low, spec.high
        return lambda: rng.uniform(lo, hi, BLOCK)
    if isinstance(spec, Triangular):
        lo, mo, hi = spec.low, spec.mode, spec.high
        return lambda: rng.triangular(lo, mo, hi, BLOCK)
    if isinstance(spec, Normal):
        mu, sd = spec.mean_value, spec.sd

        def normal_block():
            out = rng.normal(mu, sd, BLOCK)
            bad = out < 0
            while bad.any():
                out[bad] = rng.normal(mu, sd, int(bad.sum()))
                bad = out < 0
            return out

        return normal_block
    if isinstance(spec, Lognormal):
        var = spec.sd**2
        sigma2 = math.log(1 + var / spec.mean_value**2)
        mu_log = math.log(spec.mean_value) - sigma2 / 2
        sigma = math.sqrt(sigma2)
        return lambda: rng.lognormal(mu_log, sigma, BLOCK)
    if isinstance(spec, Gamma):
        shape = (spec.mean_value / spec.sd) ** 2
        scale = spec.sd**2 / spec.mean_value
        return lambda: rng.gamma(shape, scale, BLOCK)
    if isinstance(spec, Empirical):
        values = np.asarray(spec.values, dtype=float)
        w = np.asarray(spec.weights if spec.weights is not None else [1.0] * len(values), dtype=float)
        p = w / w.sum()
        return lambda: rng.choice(values, size=BLOCK, p=p)
    raise TypeError(f"unknown distribution {spec!r}")  # pragma: no cover


def sampler(spec: _Spec, rng: np.random.Generator) -> Callable[[], np.ndarray]:
    """A function drawing the next BLOCK values of a distribution spec (see `model/streams.py`)."""
    return _block_drawer(spec, rng)
