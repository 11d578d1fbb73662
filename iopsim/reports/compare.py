"""Scenario comparison: KPI by KPI, B minus A with a 95% CI of the difference, and its chart.

Runs that share a seed and replication indices used common random numbers: replication r of
both saw the same referrals and the same draws, so differences are paired by replication and
the interval is much narrower (Law, ch. 10.2). Otherwise the runs are independent samples and
the interval is Welch's. The table says which.

A difference of two percentages is in percentage points (`+3.9 pp`): a cancellation rate going
from 0.9% to 4.8% is +3.9 pp, which a relative change (+399%) would make look like a catastrophe.
Relative changes are shown only for KPIs that are not percentages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .rundir import RunDir
from .style import PALETTE, kpi_label, new_figure, style_context
from .tables import decimals_for, format_value

PAIRED = "paired (common random numbers)"
PERCENT = "%"  # the unit of every share KPI
POINTS = "pp"  # percentage points: the unit of a difference of two percentages
WELCH = "Welch (independent runs)"

# What a planner looks at first; the chart shows these.
HEADLINE_KPIS = (
    "wait_to_admission_days_mean",
    "admitted_within_14_days_pct",
    "waitlist_mean",
    "admissions_per_year",
    "reneged_per_year",
    "census_mean",
    "completion_rate_pct",
    "counselor_utilization_pct",
    "room_utilization_pct",
    "individual_sessions_delivered_pct",  # and what can get worse when a variant wins
    "sessions_cancelled_pct",
    "aftercare_uptake_pct",
)


@dataclass(frozen=True)
class Interval:
    mean: float | None
    lo: float | None
    hi: float | None
    unit: str = ""

    def text(self, decimals: int | None = None, short: bool = False) -> str:
        """'6.82 (5.69 to 7.96)'; short: the mean only (money in whole units)."""
        d = decimals_for(self.mean, self.unit) if decimals is None else decimals
        main = format_value(self.mean, d)
        if short or self.lo is None or self.hi is None or not (math.isfinite(self.lo) and math.isfinite(self.hi)):
            return main
        return f"{main} ({format_value(self.lo, d)} to {format_value(self.hi, d)})"

    @property
    def excludes_zero(self) -> bool:
        return self.lo is not None and self.hi is not None and (self.lo > 0 or self.hi < 0)


@dataclass(frozen=True)
class KpiDifference:
    name: str
    unit: str
    a: Interval
    b: Interval
    diff: Interval  # mean(B) - mean(A)
    n_pairs: int

    @property
    def label(self) -> str:
        return kpi_label(self.name)

    @property
    def is_percentage(self) -> bool:
        return self.unit == PERCENT

    @property
    def difference_unit(self) -> str:
        """'pp' for a percentage KPI (B - A in percentage points), else the KPI's own unit."""
        return POINTS if self.is_percentage else self.unit

    @property
    def relative_pct(self) -> float | None:
        """Change as % of A, where A is a non-zero number; None for percentage KPIs (those change in points)."""
        if self.is_percentage or self.a.mean in (None, 0) or self.diff.mean is None:
            return None
        return 100.0 * self.diff.mean / abs(self.a.mean)


@dataclass(frozen=True)
class Comparison:
    a: RunDir
    b: RunDir
    method: str
    rows: list[KpiDifference]
    notes: list[str]  # settings that differ besides the scenario, which a reader should know about

    @property
    def paired(self) -> bool:
        return self.method == PAIRED

    def row(self, name: str) -> KpiDifference | None:
        return next((r for r in self.rows if r.name == name), None)


def pairing(a: RunDir, b: RunDir) -> str:
    """PAIRED when both runs used the same seed and the same replication indices, else WELCH."""
    same_reps = list(a.replication_kpis.index) == list(b.replication_kpis.index)
    return PAIRED if a.seed == b.seed and same_reps else WELCH


def _none_if_nan(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def compare(a: RunDir, b: RunDir) -> Comparison:
    """Every KPI both runs report, in A's order: A, B (from their summaries) and B - A."""
    from ..analysis.stats import paired_difference_ci, welch_difference_ci

    method = pairing(a, b)
    ra, rb = a.replication_kpis, b.replication_kpis
    rows = []
    for name, ka in a.kpis.items():
        kb = b.kpis.get(name)
        if kb is None or name not in ra or name not in rb:
            continue
        xa, xb = ra[name].to_numpy(float), rb[name].to_numpy(float)
        est = paired_difference_ci(xa, xb) if method == PAIRED else welch_difference_ci(xa, xb)
        unit = ka.get("unit", "")
        (lo_a, hi_a), (lo_b, hi_b) = ka["ci95"], kb["ci95"]
        rows.append(KpiDifference(
            name, unit, Interval(ka["mean"], lo_a, hi_a, unit), Interval(kb["mean"], lo_b, hi_b, unit),
            Interval(_none_if_nan(est.mean), _none_if_nan(est.lo), _none_if_nan(est.hi), unit), est.n,
        ))
    return Comparison(a, b, method, rows, caveats(a, b, method))


def caveats(a: RunDir, b: RunDir, method: str) -> list[str]:
    """What else differs between the runs: the measured periods, or the code that made them."""
    notes = []
    for key, what, unit in (("warmup_weeks", "warm-up", "weeks"), ("horizon_years", "simulated length", "years")):
        if float(a.summary[key]) != float(b.summary[key]):
            notes.append(f"The {what} differs ({a.summary[key]:g} vs {b.summary[key]:g} {unit}): the KPIs "
                         "cover different periods.")
    if a.version != b.version:
        notes.append(f"Made by different iopsim versions ({a.version} vs {b.version})"
                     + (": their random numbers may not be common, so pairing may not hold." if method == PAIRED
                        else "."))
    if not (a.complete and b.complete):
        notes.append("At least one run was interrupted and holds fewer replications than planned.")
    return notes


def compare_all(runs: Sequence[RunDir]) -> list[Comparison]:
    """Each run after the first against the first (the reference)."""
    return [compare(runs[0], other) for other in runs[1:]]


def comparison_frame(comparisons: Sequence[Comparison]):
    """All comparisons as one long table (for CSV)."""
    import pandas as pd

    records = []
    for c in comparisons:
        for r in c.rows:
            records.append({
                "kpi": r.name, "unit": r.unit, "run_a": str(c.a.path), "run_b": str(c.b.path),
                "mean_a": r.a.mean, "ci95_low_a": r.a.lo, "ci95_high_a": r.a.hi,
                "mean_b": r.b.mean, "ci95_low_b": r.b.lo, "ci95_high_b": r.b.hi,
                "difference": r.diff.mean, "difference_ci95_low": r.diff.lo, "difference_ci95_high": r.diff.hi,
                "difference_unit": r.difference_unit, "relative_change_pct": r.relative_pct,
                "method": "paired" if c.paired else "welch", "n": r.n_pairs,
            })
    return pd.DataFrame(records)


def relative_text(pct: float | None) -> str:
    """'+17%', '-2%', '0%' (within half a percent), '' when undefined."""
    if pct is None or not math.isfinite(pct):
        return ""
    return "0%" if abs(pct) < 0.5 else f"{pct:+.0f}%"


def difference_text(r: KpiDifference) -> str:
    """'−2.10 (−2.51 to −1.69)' with the difference's own decimals; percentages in points,
    signed: '+3.9 pp (+1.2 to +6.6 pp)'."""
    d = decimals_for(max((abs(x) for x in (r.diff.lo, r.diff.hi, r.diff.mean) if x is not None), default=None),
                     r.unit)
    if not r.is_percentage:
        return r.diff.text(decimals=d)
    main = f"{points_text(r.diff.mean, d)}"
    if r.diff.lo is None or r.diff.hi is None or not (math.isfinite(r.diff.lo) and math.isfinite(r.diff.hi)):
        return main
    return f"{main} ({_signed(r.diff.lo, d)} to {points_text(r.diff.hi, d)})"


def points_text(x: float | None, decimals: int = 1) -> str:
    """A difference of percentages: '+3.9 pp', '−0.4 pp', '0.0 pp'; '–' if undefined."""
    if x is None or not math.isfinite(x):
        return "–"
    return f"{_signed(x, decimals)} {POINTS}"


def _signed(x: float, decimals: int) -> str:
    """'+3.9', '-0.4'; zero (after rounding) unsigned."""
    if float(f"{x:.{decimals}f}") == 0:
        return format_value(0.0, decimals)
    text = format_value(x, decimals)
    return text if text.startswith("-") else f"+{text}"


def change_text(r: KpiDifference) -> str:
    """The 'change' column: percentage points for a percentage KPI ('+3.9 pp'), else relative ('+17%')."""
    if r.is_percentage:
        d = decimals_for(max((abs(x) for x in (r.diff.lo, r.diff.hi, r.diff.mean) if x is not None), default=None))
        return points_text(r.diff.mean, min(d, 1)) if r.diff.mean is not None else ""
    return relative_text(r.relative_pct)


def comparison_chart(runs: Sequence[RunDir], comparisons: Sequence[Comparison], kpis: Sequence[str] = HEADLINE_KPIS):
    """Small multiples: each headline KPI per run (mean and 95% CI), with the difference to the first run."""
    import textwrap

    import numpy as np

    names = [k for k in kpis if all(k in run.kpis for run in runs)]
    ncols = 3
    nrows = max(1, math.ceil(len(names) / ncols))
    letters = [chr(65 + i) for i in range(len(runs))]
    footer = "  ·  ".join(f"{letter}: {run.label} ({run.replications} replications, seed {run.seed})"
                          for letter, run in zip(letters, runs, strict=True))
    footer += f"  ·  iopsim {runs[0].version}\nDifferences with 95% CI: " + "; ".join(
        f"{letters[i]}−A {c.method}" for i, c in enumerate(comparisons, start=1)) + (
        ".  * the CI excludes zero.  Differences of percentages in percentage points (pp).")
    with style_context():
        fig, axes = new_figure(footer, "Scenario comparison: key results with 95% confidence intervals",
                               figsize=(12, 1.4 + 3.2 * nrows), nrows=nrows, ncols=ncols)
        axes = np.atleast_1d(axes).ravel()
        x = np.arange(len(runs))
        for ax, name in zip(axes, names, strict=False):
            unit = runs[0].kpis[name].get("unit", "")
            means = np.array([_nan(run.kpis[name]["mean"]) for run in runs])
            lo = np.array([_nan(run.kpis[name]["ci95"][0]) for run in runs])
            hi = np.array([_nan(run.kpis[name]["ci95"][1]) for run in runs])
            colors = [PALETTE[i % len(PALETTE)] for i in range(len(runs))]
            ax.bar(x, np.nan_to_num(means), color=colors, width=0.62)
            err = np.vstack([np.nan_to_num(means - lo), np.nan_to_num(hi - means)])
            ax.errorbar(x, np.nan_to_num(means), yerr=err, fmt="none", ecolor="black", capsize=5, lw=1.3)
            for xi, m, h in zip(x, means, hi, strict=True):
                ax.annotate(format_value(_finite_or_none(m)), (xi, np.nanmax([m, h, 0])), xytext=(0, 5),
                            textcoords="offset points", ha="center", va="bottom", fontsize=9.5, fontweight="bold")
            ax.set_xticks(x, [f"{letter}\n{textwrap.shorten(run.label, 16, placeholder='…')}"
                              for letter, run in zip(letters, runs, strict=True)], fontsize=9)
            ax.set_title(f"{textwrap.fill(kpi_label(name), 34)}\n({unit})", fontsize=10.5, fontweight="bold")
            ax.grid(axis="x", visible=False)
            lines = []
            for i, c in enumerate(comparisons, start=1):
                r = c.row(name)
                if r is not None:
                    mark = " *" if r.diff.excludes_zero else ""
                    lines.append(f"{letters[i]}−A: {difference_text(r)}{mark}")
            ax.set_xlabel("\n".join(lines), fontsize=9)
            top = np.nanmax(np.concatenate([hi, means])) if np.isfinite(means).any() else 1.0
            ax.set_ylim(0, (top if np.isfinite(top) and top > 0 else 1.0) * 1.2)
        for ax in axes[len(names):]:
            ax.axis("off")
    return fig


def _nan(x) -> float:
    return float("nan") if x is None else float(x)


def _finite_or_none(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)
