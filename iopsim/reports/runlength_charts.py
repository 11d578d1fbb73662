"""Charts for the run-length studies, in the house style: Welch's plot for the warm-up, and the
confidence intervals narrowing as replications are added."""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..runlength import ReplicationsStudy, WarmupStudy
from .style import BLUE, PALETTE, PURPLE, VERMILLION, WIDE, kpi_label, new_figure, save_figure, style_context


def _footer(scenario, seed: int, replications: int) -> str:
    return (f"Scenario: {scenario.name}  ·  {replications} replications  ·  seed {seed}  ·  "
            f"{scenario.run.horizon_years:g} years simulated  ·  iopsim {__version__}")


def _formats(path: Path) -> tuple[Path, list[str]]:
    fmt = path.suffix.lstrip(".").lower() or "png"
    return path.with_suffix(""), [fmt]


def warmup_chart(study: WarmupStudy, path: Path) -> Path:
    """Welch's moving averages of each stock from an empty start, with the MSER-5 truncation points."""
    averages = study.moving_averages()
    with style_context():
        fig, axes = new_figure(_footer(study.scenario, study.seed, study.replications),
                               f"Warm-up: {study.suggested_weeks} weeks suggested (MSER-5)",
                               figsize=(WIDE[0], 2.4 * len(averages) + 1.2), nrows=len(averages), sharex=True)
        axes = list(axes) if len(averages) > 1 else [axes]
        for ax, (name, values) in zip(axes, averages.items(), strict=True):
            ax.plot(range(1, len(values) + 1), values, color=BLUE, lw=1.6,
                    label=f"Welch moving average ({study.window_weeks} weeks)")
            ax.axvspan(0, study.suggested_weeks, color="#E6E6E6", lw=0, zorder=0, label="suggested warm-up")
            ax.axvline(study.median_truncation_weeks[name], color=VERMILLION, ls="--", lw=1.4,
                       label="MSER-5, median over replications")
            ax.axvline(study.truncation_weeks[name], color=PURPLE, ls=":", lw=1.4, label="MSER-5 on the average")
            ax.set_ylabel(f"{name.replace('_', ' ')}\n(patients)")
        axes[0].legend(loc="lower right", fontsize=9)
        axes[-1].set_xlabel("week of the run (started empty, no warm-up)")
        stem, formats = _formats(path)
        return save_figure(fig, stem, formats)[0]


def replications_chart(study: ReplicationsStudy, path: Path) -> Path:
    """Relative 95% CI half-width of each KPI as replications are added, against the target precision."""
    r = study.result
    first = r.replications_run - len(r.history) + 1
    ns = list(range(first, first + len(r.history)))
    with style_context():
        fig, ax = new_figure(_footer(study.scenario, study.seed, r.replications_run),
                             "How many replications: the confidence-interval method")
        for i, kpi in enumerate(r.kpis):
            ax.plot(ns, [100 * h[kpi].relative_precision for h in r.history], marker="o", ms=3,
                    color=PALETTE[i % len(PALETTE)], label=kpi_label(kpi))
        ax.axhline(100 * r.precision, color="black", ls="--", lw=1, label=f"target ±{100 * r.precision:g}% of the mean")
        if r.needed:
            ax.axvline(r.needed, color=VERMILLION, lw=1.4, label=f"needed: {r.needed} replications")
        ax.set_xlabel("replications")
        ax.set_ylabel("95% CI half-width (% of mean)")
        ax.legend(fontsize=9)
        stem, formats = _formats(path)
        return save_figure(fig, stem, formats)[0]
