"""What every scenario section shares: strict models, the bounds of counts and rates, day names.

Kept apart from schema.py so the section modules (staffing_schema.py, ...) can build on it
without importing the scenario model that is assembled from them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_COUNT = 10_000
"""Upper bound of head counts, seats and group sizes: far above any program, low enough to be safe."""
MAX_PER_WEEK = 100.0
"""Upper bound of per-week frequencies (meetings, tests, sessions a patient attends)."""
MAX_REFERRALS_PER_WEEK = 100_000.0
"""Upper bound of the referral rate, also at its seasonal and growth peak (see checks.py)."""

DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Section(BaseModel):
    """Strict, finite numbers: YAML reads yes/no/on/off as booleans, which must not pass as 1 or 0,
    and .inf/.nan would only fail (or hang) deep inside a run. An int is fine where a float is expected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def prob(default: float, description: str) -> float:
    return Field(default=default, ge=0.0, le=1.0, description=description)


def drop_if(dumped: dict, key: str, drop: bool) -> dict:
    if drop:
        dumped.pop(key, None)
    return dumped


def distinct_days(days: list[str]) -> list[str]:
    """The validator of every `days` list: each day at most once."""
    if len(set(days)) != len(days):
        raise ValueError("a day is listed twice")
    return days


def clock_hours(text: str) -> float:
    """'HH:MM' (already checked by a field pattern) -> hours after midnight."""
    hh, mm = text.split(":")
    return int(hh) + int(mm) / 60
