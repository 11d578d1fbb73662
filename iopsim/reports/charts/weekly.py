"""Charts of the weekly series over the whole horizon: waitlist, census by phase, counselor time.

Each draws the mean of the replications week by week, with the warm-up shaded, and quotes the
after-warm-up KPI next to it.
"""

from __future__ import annotations

from ...scenario.vocabulary import DAYS_PER_YEAR
from ..rundir import RunDir
from ..style import (
    BLUE,
    GREEN,
    GREY,
    LIGHT_GREY,
    ORANGE,
    PURPLE,
    SKY,
    VERMILLION,
    legend_below,
    new_figure,
    shade_warmup,
)
from .common import ci_text, fmt, kpi, no_data, time_axis
from .data import HOUR_KINDS, counselor_hours, seat_totals

PHASE_COLORS = (BLUE, SKY, GREEN, PURPLE, VERMILLION, GREY)  # aftercare is ORANGE

_ACTIVITY_STYLE = {
    "group": ("Leading groups", BLUE),
    "documentation": ("Group notes", SKY),
    "intake": ("Intake assessments", GREEN),
    "individual": ("Individual sessions", ORANGE),
    "other_duties": ("Other duties (supervision, meetings)", PURPLE),
    "idle": ("Unscheduled", LIGHT_GREY),
}
# (key, label, colour) in stacking order: a new activity of the model must get a label and colour here.
ACTIVITIES = tuple((key, *_ACTIVITY_STYLE[key]) for key in HOUR_KINDS)


def waitlist_chart(run: RunDir):
    import numpy as np

    years, mean, lo, hi = run.weekly_band("waitlist")
    fig, ax = new_figure(run.footer(), "Waitlist: eligible patients waiting for admission")
    shade_warmup(ax, run)
    if np.isfinite(lo).any():
        ax.fill_between(years, np.clip(lo, 0, None), hi, color=BLUE, alpha=0.25, lw=0,
                        label="95% confidence band of the mean")
    reps = f"{run.replications} replication{'s' if run.replications != 1 else ''}"
    ax.plot(years, mean, color=BLUE, lw=1.8, label=f"mean of {reps} (end of each week)")
    avg, _, _ = kpi(run, "waitlist_mean")
    if avg is not None:
        ax.axhline(avg, color=VERMILLION, ls="--", lw=1.6,
                   label=f"average after warm-up: {ci_text(run, 'waitlist_mean', ' patients')}")
    time_axis(ax, run)
    ax.set_ylabel("Patients on the waitlist")
    legend_below(ax, ncols=2)
    return fig


def census_chart(run: RunDir):
    phases = [p["name"] for p in run.scenario["phases"]]
    series = [(f"census_{p}", f"Treatment: {p}") for p in phases]
    if run.scenario.get("aftercare", {}).get("enabled", True) or "aftercare_census" in run.timeseries:
        series.append(("aftercare_census", "Aftercare group"))
    fig, ax = new_figure(run.footer(), "Patients in the program, by phase")
    colors = PHASE_COLORS
    values, labels, fills = [], [], []
    for i, (column, label) in enumerate(series):
        years, v = run.weekly_mean(column)
        values.append(v)
        labels.append(label)
        fills.append(ORANGE if column == "aftercare_census" else colors[i % len(colors)])
    ax.stackplot(years, values, labels=labels, colors=fills, lw=0)
    treatment, aftercare = seat_totals(run.scenario)
    ax.axhline(treatment, color="black", lw=1.4, ls="--", label=f"Treatment seats ({treatment})")
    if aftercare and "aftercare_census" in dict(series):
        ax.axhline(treatment + aftercare, color="black", lw=1.0, ls=":",
                   label=f"Treatment and aftercare seats ({treatment + aftercare})")
    shade_warmup(ax, run, over=True)
    time_axis(ax, run)
    ax.set_ylabel("Patients (end of week, mean of replications)")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], loc="upper left", bbox_to_anchor=(1.01, 1))
    census, _, _ = kpi(run, "census_mean")
    after, _, _ = kpi(run, "aftercare_census_mean")
    ax.set_title(f"Average after warm-up: {fmt(census)} in treatment, {fmt(after)} in aftercare",
                 fontsize=11, fontweight="normal", color=GREY)
    return fig


def counselor_chart(run: RunDir):
    import numpy as np

    hours = counselor_hours(run)
    window = hours[run.window_weeks().to_numpy()]
    count = int(run.scenario["counselors"]["count"])
    fig, (top, bottom) = new_figure(run.footer(), "Counselor time: hours a week by activity, against contracted hours",
                                    figsize=(11, 7.4), nrows=2, height_ratios=(1, 2.3))
    if window.empty:
        no_data(top, "No whole week after the warm-up")
        return fig
    left = 0.0
    contracted = float(window["contracted"].mean())
    for key, _, color in ACTIVITIES:
        v = float(window[key].mean())
        top.barh([0], [v], left=left, color=color, edgecolor="white", lw=0.8, height=0.6)
        if contracted and v / contracted > 0.045:
            top.text(left + v / 2, 0, f"{v:.0f} h\n{100 * v / contracted:.0f}%", ha="center", va="center",
                     fontsize=9.5, color="black" if color in (SKY, ORANGE, LIGHT_GREY, GREEN) else "white")
        left += v
    overtime = float(window["overtime"].mean())
    if overtime > 0:
        top.barh([0], [overtime], left=contracted, color=VERMILLION, height=0.6, hatch="//", edgecolor="white")
    top.axvline(contracted, color="black", lw=1.6, ls="--")
    top.text(contracted, 0.42, f" contracted {contracted:.0f} h", va="center", ha="right" if overtime <= 0 else "left",
             fontsize=10)
    top.set_yticks([0], [f"Team of {count}"])
    top.set_ylim(-0.55, 0.55)
    top.set_xlim(0, max(left, contracted + overtime) * 1.02)
    top.set_xlabel("Hours a week, average of weeks after warm-up (all counselors)")
    top.grid(axis="y", visible=False)
    top.set_title(f"Clinical time used: {ci_text(run, 'counselor_utilization_pct', '%')} of hours left after "
                  f"other duties;  overtime {fmt(overtime)} h a week", fontsize=11, fontweight="normal", color=GREY)
    if count:
        per = top.secondary_xaxis("top", functions=(lambda x: x / count, lambda x: x * count))
        per.set_xlabel("Hours a week per counselor", fontsize=10)
        per.tick_params(labelsize=9)

    means = hours.groupby("week_end_days").mean(numeric_only=True)
    years = means.index.to_numpy() / DAYS_PER_YEAR
    bottom.stackplot(years, [means[k].to_numpy() for k, _, _ in ACTIVITIES], colors=[c for _, _, c in ACTIVITIES],
                     labels=[label for _, label, _ in ACTIVITIES], lw=0)
    if (means["overtime"] > 0).any():
        bottom.plot(years, means["contracted"] + means["overtime"], color=VERMILLION, lw=1, label="with overtime")
    bottom.plot(years, means["contracted"].to_numpy(), color="black", lw=1.4, ls="--", label="contracted hours")
    shade_warmup(bottom, run, over=True)
    time_axis(bottom, run)
    bottom.set_ylabel("Hours a week (mean of replications)")
    bottom.set_ylim(0, float(np.nanmax((means["contracted"] + means["overtime"]).to_numpy())) * 1.05)
    handles, names = bottom.get_legend_handles_labels()
    bottom.legend(handles[::-1], names[::-1], loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9.5)
    return fig
