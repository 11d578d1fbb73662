"""Charts for the run-length studies: Welch's plot for the warm-up, CI narrowing for replications."""

from __future__ import annotations

from pathlib import Path

from ..runlength import ReplicationsStudy, WarmupStudy
from .atomic import save_figure


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def warmup_chart(study: WarmupStudy, path: Path) -> Path:
    """Welch's moving averages of each stock with the MSER-5 truncation points marked."""
    plt = _pyplot()
    averages = study.moving_averages()
    fig, axes = plt.subplots(len(averages), 1, figsize=(9, 2.6 * len(averages)), sharex=True, squeeze=False)
    for ax, (name, values) in zip(axes[:, 0], averages.items(), strict=True):
        weeks = range(1, len(values) + 1)
        ax.plot(weeks, values, color="#0072B2", lw=1.6, label=f"Welch moving average ({study.window_weeks} weeks)")
        ax.axvspan(0, study.suggested_weeks, color="#999999", alpha=0.25, label="suggested warm-up")
        ax.axvline(study.median_truncation_weeks[name], color="#D55E00", ls="--", lw=1.2,
                   label="MSER-5, median over replications")
        ax.axvline(study.truncation_weeks[name], color="#CC79A7", ls=":", lw=1.2, label="MSER-5 on the average")
        ax.set_ylabel(f"{name.replace('_', ' ')}\n(patients)")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="lower right", fontsize=8, frameon=False)
    axes[-1, 0].set_xlabel("week of the run")
    fig.suptitle(f"{study.scenario.name}: warm-up {study.suggested_weeks} weeks suggested "
                 f"({study.replications} replications, seed {study.seed})", fontsize=11)
    fig.tight_layout()
    return save_figure(fig, path)


def replications_chart(study: ReplicationsStudy, path: Path) -> Path:
    """Relative CI half-width of each KPI as replications are added, against the target precision."""
    plt = _pyplot()
    r = study.result
    fig, ax = plt.subplots(figsize=(9, 4))
    start = len(next(iter(r.values.values()))) - len(r.history) + 1 if r.values else 1
    palette = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
    for i, kpi in enumerate(r.kpis):
        ns = [start + j for j in range(len(r.history))]
        ax.plot(ns, [100 * h[kpi].relative_precision for h in r.history], marker="o", ms=3,
                color=palette[i % len(palette)], label=kpi)
    ax.axhline(100 * r.precision, color="black", ls="--", lw=1, label=f"target ±{100 * r.precision:g}%")
    if r.needed:
        ax.axvline(r.needed, color="#D55E00", lw=1.2, label=f"needed: {r.needed}")
    ax.set_xlabel("replications")
    ax.set_ylabel("95% CI half-width (% of mean)")
    ax.set_title(f"{study.scenario.name}: replications needed (seed {study.seed})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return save_figure(fig, path)
