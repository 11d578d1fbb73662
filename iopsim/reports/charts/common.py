"""What every chart's drawing shares: numbers as the KPI table words them, the time axis, empty panels.

A chart quotes a KPI (mean and 95% CI) from the run's summary, never recomputes it, so its words
match the table next to it. Matplotlib is imported only inside the functions that need it.
"""

from __future__ import annotations

import math

from ...scenario.vocabulary import DAYS_PER_YEAR
from ..rundir import RunDir
from ..style import GREY
from ..tables import format_value


def fmt(x: float | None, unit: str = "") -> str:
    """A number as the tables print it, with its unit when it is a number at all."""
    text = format_value(x)
    return f"{text}{unit}" if x is not None and math.isfinite(x) else text


def no_data(ax, message: str) -> None:
    """An empty panel that says why it is empty."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=13, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def kpi(run: RunDir, name: str) -> tuple[float | None, float | None, float | None]:
    """A KPI's mean and 95% CI bounds from summary.json (None where the run has none)."""
    v = run.kpis.get(name) or {}
    lo, hi = (v.get("ci95") or [None, None])[:2]
    return v.get("mean"), lo, hi


def ci_text(run: RunDir, name: str, unit: str = "") -> str:
    mean, lo, hi = kpi(run, name)
    if lo is None or hi is None:
        return fmt(mean, unit)
    return f"{fmt(mean, unit)} (95% CI {format_value(lo)}–{fmt(hi, unit)})"


def time_axis(ax, run: RunDir) -> None:
    """x in years over the whole horizon (warm-up included), y from zero."""
    ax.set_xlim(0, run.horizon_days / DAYS_PER_YEAR)
    ax.set_xlabel("Years since the start of the simulation")
    ax.set_ylim(bottom=0)
