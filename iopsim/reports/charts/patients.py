"""Charts of individual patients (the per-patient table): wait to admission, where referrals end up, length of stay.

`iopsim run --no-patients` skips that table, so the registry marks these charts needs_patients.
"""

from __future__ import annotations

import math

from ...scenario.vocabulary import ACCESS_TARGET_DAYS, DAYS_PER_WEEK
from ..flow import draw_flow, patient_flow
from ..rundir import TREATMENT_OUTCOMES, RunDir
from ..style import BLUE, GREEN, GREY, ORANGE, SKY, VERMILLION, new_figure
from ..tables import format_value
from .common import ci_text, fmt, kpi, no_data
from .data import admission_waits, share_within_target, stays

OUTCOME_LABELS = {"graduated": "Graduated", "dropped_out": "Dropped out or never started",
                  "relapse_discharge": "Discharged after relapse", "transferred": "Transferred (step-up or early)"}
OUTCOME_COLORS = {"graduated": GREEN, "dropped_out": ORANGE, "relapse_discharge": VERMILLION, "transferred": BLUE}


def wait_chart(run: RunDir):
    import numpy as np

    wait, rep = admission_waits(run)
    fig, ax = new_figure(run.footer(), "Wait from referral to admission")
    if wait.size == 0:
        no_data(ax, "No admissions after the warm-up")
        return fig
    right = max(3 * DAYS_PER_WEEK, math.ceil(float(np.percentile(wait, 99)) / DAYS_PER_WEEK) * DAYS_PER_WEEK)
    grid = np.linspace(0, right, 801)  # the ECDF evaluated on a fine grid: exact there, and a small SVG

    def ecdf(values):
        return 100 * np.searchsorted(np.sort(values), grid, side="right") / values.size

    for r in np.unique(rep):
        ax.plot(grid, ecdf(wait[rep == r]), color=SKY, lw=0.9, alpha=0.7,
                label="each replication" if r == rep.min() else None)
    ax.plot(grid, ecdf(wait), color=BLUE, lw=2.2,
            label=f"all replications ({wait.size / run.replications / run.window_years:,.0f} admissions a year)")
    est = share_within_target(run)
    ax.axvline(ACCESS_TARGET_DAYS, color=VERMILLION, ls="--", lw=1.6, label=f"{ACCESS_TARGET_DAYS:g}-day mark")
    ax.plot([0, ACCESS_TARGET_DAYS], [est.mean, est.mean], color=VERMILLION, ls=":", lw=1.4)
    ci = "" if math.isnan(est.lo) else f"\n95% CI {est.lo:.1f}–{min(est.hi, 100):.1f}%"
    ax.annotate(f"{est.mean:.1f}% of admissions within {ACCESS_TARGET_DAYS:g} days{ci}",
                xy=(ACCESS_TARGET_DAYS, est.mean), xytext=(12, -12), textcoords="offset points", va="top",
                fontsize=11.5, fontweight="bold", color=VERMILLION,
                bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "none", "alpha": 0.9})
    beyond = 100 * float(np.mean(wait > right))
    ax.set_xlim(0, right)
    ax.set_xticks(np.arange(0, right + 1, DAYS_PER_WEEK if right <= 12 * DAYS_PER_WEEK else 2 * DAYS_PER_WEEK))
    ax.set_ylim(0, 101)
    ax.set_xlabel("Days from referral to admission" + (f" ({beyond:.1f}% of admissions waited longer, not shown)" if beyond else ""))
    ax.set_ylabel("Admitted within this many days (% of admissions)")
    ax.set_title(f"Mean {ci_text(run, 'wait_to_admission_days_mean', ' days')};  90% admitted within "
                 f"{fmt(kpi(run, 'wait_to_admission_days_p90')[0], ' days')}", fontsize=11, fontweight="normal",
                 color=GREY)
    ax.legend(loc="lower right")
    return fig


def flow_chart(run: RunDir):
    fig, ax = new_figure(run.footer(), "Patient flow after the warm-up, per year", figsize=(12, 7.2))
    root = patient_flow(run)
    if root.count == 0:
        no_data(ax, "No referrals after the warm-up")
        return fig
    draw_flow(ax, root, unit="a year")
    ax.set_title(f"Each step counts what happened after the warm-up, as the KPI tables do; mean of "
                 f"{run.replications} replications", fontsize=11, fontweight="normal", color=GREY)
    return fig


def stay_chart(run: RunDir):
    import numpy as np

    stay, outcome = stays(run)
    n = len(TREATMENT_OUTCOMES)
    fig, axes = new_figure(run.footer(), "Length of stay, by how treatment ended", figsize=(11, 9.0), nrows=n, sharex=True)
    if stay.size == 0:
        no_data(axes[0], "No treatment episode ended after the warm-up")
        for ax in axes[1:]:
            ax.set_visible(False)
        return fig
    top = math.ceil(float(np.percentile(stay, 99.5)) / DAYS_PER_WEEK + 1) * DAYS_PER_WEEK
    bins = np.arange(0, top + DAYS_PER_WEEK, DAYS_PER_WEEK)
    per_year = 1.0 / (run.replications * run.window_years)
    ymax = 0.0
    for ax, name in zip(axes, TREATMENT_OUTCOMES, strict=True):
        v = stay[outcome == name]
        counts, _ = np.histogram(np.clip(v, 0, bins[-1] - 1e-9), bins)
        ax.bar(bins[:-1], counts * per_year, width=DAYS_PER_WEEK, align="edge", color=OUTCOME_COLORS[name],
               edgecolor="white", lw=0.6)
        ymax = max(ymax, float(counts.max(initial=0)) * per_year)
        if v.size:
            median = float(np.median(v))
            ax.axvline(median, color="black", lw=1.4, ls="--")
            text = (f"{OUTCOME_LABELS[name]}: {format_value(v.size * per_year)} a year, median {median:.0f} days, "
                    f"mean {v.mean():.0f} days")
        else:
            text = f"{OUTCOME_LABELS[name]}: none"
        ax.set_title(text, fontsize=11.5, fontweight="bold", color="black")
        ax.grid(axis="x", visible=False)
        ax.set_ylabel("Patients a year")
    for ax in axes:
        ax.set_ylim(0, ymax * 1.1 or 1)
    axes[-1].set_xlim(0, bins[-1])
    axes[-1].set_xticks(bins[:: max(1, len(bins) // 16)])
    longer = "; last bar includes longer stays" if (stay >= bins[-1]).any() else ""
    axes[-1].set_xlabel(f"Days from admission to the end of treatment (weekly bars; dashed line: median{longer})")
    return fig
