"""The standard charts of a run folder, each drawn only from what the simulation wrote.

Every chart is a function RunDir -> matplotlib Figure, listed in CHARTS with the words the report
prints under it. Numbers that a KPI also reports are computed with the KPI's own window (after
the warm-up) so a chart never disagrees with the table next to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..files import choose_output, write_output_dir
from ..scenario.vocabulary import ACCESS_TARGET_DAYS, DAYS_PER_WEEK, DAYS_PER_YEAR, group_size_cap
from ..scenario.vocabulary import ACTIVITIES as COUNSELOR_ACTIVITIES
from .flow import draw_flow, patient_flow
from .rundir import TREATMENT_OUTCOMES, RunDir
from .style import (
    BLUE,
    GREEN,
    GREY,
    LIGHT_GREY,
    ORANGE,
    PURPLE,
    SEQUENTIAL_CMAP,
    SKY,
    VERMILLION,
    legend_below,
    new_figure,
    save_figure,
    shade_warmup,
    style_context,
)
from .tables import format_value

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))
OUTCOME_LABELS = {"graduated": "Graduated", "dropped_out": "Dropped out", "relapse_discharge": "Discharged after relapse"}
PHASE_COLORS = (BLUE, SKY, GREEN, PURPLE, VERMILLION, GREY)  # aftercare is ORANGE
OUTCOME_COLORS = {"graduated": GREEN, "dropped_out": ORANGE, "relapse_discharge": VERMILLION}


@dataclass(frozen=True)
class Chart:
    name: str  # file stem
    title: str
    caption: str  # how to read it, for the report
    draw: Callable[[RunDir], object]
    needs_patients: bool = False  # drawn from patients.parquet, which `iopsim run --no-patients` skips


def _fmt(x: float | None, unit: str = "") -> str:
    text = format_value(x)
    return f"{text}{unit}" if x is not None and math.isfinite(x) else text


def _no_data(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=13, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def _kpi(run: RunDir, name: str) -> tuple[float | None, float | None, float | None]:
    v = run.kpis.get(name) or {}
    lo, hi = (v.get("ci95") or [None, None])[:2]
    return v.get("mean"), lo, hi


def _ci_text(run: RunDir, name: str, unit: str = "") -> str:
    mean, lo, hi = _kpi(run, name)
    if lo is None or hi is None:
        return _fmt(mean, unit)
    return f"{_fmt(mean, unit)} (95% CI {format_value(lo)}–{_fmt(hi, unit)})"


def _time_axis(ax, run: RunDir) -> None:
    ax.set_xlim(0, run.horizon_days / DAYS_PER_YEAR)
    ax.set_xlabel("Years since the start of the simulation")
    ax.set_ylim(bottom=0)


# --- 1. waitlist over time ---------------------------------------------------------------------------
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
    avg, _, _ = _kpi(run, "waitlist_mean")
    if avg is not None:
        ax.axhline(avg, color=VERMILLION, ls="--", lw=1.6,
                   label=f"average after warm-up: {_ci_text(run, 'waitlist_mean', ' patients')}")
    _time_axis(ax, run)
    ax.set_ylabel("Patients on the waitlist")
    legend_below(ax, ncols=2)
    return fig


# --- 2. census by phase -------------------------------------------------------------------------------
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
    shade_warmup(ax, run, over=True)
    _time_axis(ax, run)
    ax.set_ylabel("Patients (end of week, mean of replications)")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], loc="upper left", bbox_to_anchor=(1.01, 1))
    census, _, _ = _kpi(run, "census_mean")
    after, _, _ = _kpi(run, "aftercare_census_mean")
    ax.set_title(f"Average after warm-up: {_fmt(census)} in treatment, {_fmt(after)} in aftercare",
                 fontsize=11, fontweight="normal", color=GREY)
    return fig


# --- 3. wait to admission -----------------------------------------------------------------------------
def admission_waits(run: RunDir):
    """Waits (days) of admissions inside the window, with their replication."""
    p = run.patients
    m = run.within_window("admitted")
    return (p.loc[m, "admitted"] - p.loc[m, "referred"]).to_numpy(float), p.loc[m, "replication"].to_numpy()


def share_within_target(run: RunDir):
    """Per-replication share (%) admitted within the target, and its mean and 95% CI (as the KPI)."""
    import numpy as np

    from ..analysis.stats import mean_ci

    wait, rep = admission_waits(run)
    shares = [100.0 * float(np.mean(wait[rep == r] <= ACCESS_TARGET_DAYS)) for r in np.unique(rep)]
    return mean_ci(shares)


def wait_chart(run: RunDir):
    import numpy as np

    wait, rep = admission_waits(run)
    fig, ax = new_figure(run.footer(), "Wait from referral to admission")
    if wait.size == 0:
        _no_data(ax, "No admissions after the warm-up")
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
    ax.annotate(f"{est.mean:.1f}% admitted within {ACCESS_TARGET_DAYS:g} days{ci}",
                xy=(ACCESS_TARGET_DAYS, est.mean), xytext=(12, -12), textcoords="offset points", va="top",
                fontsize=11.5, fontweight="bold", color=VERMILLION,
                bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "none", "alpha": 0.9})
    beyond = 100 * float(np.mean(wait > right))
    ax.set_xlim(0, right)
    ax.set_xticks(np.arange(0, right + 1, DAYS_PER_WEEK if right <= 12 * DAYS_PER_WEEK else 2 * DAYS_PER_WEEK))
    ax.set_ylim(0, 101)
    ax.set_xlabel("Days from referral to admission" + (f" ({beyond:.1f}% waited longer, not shown)" if beyond else ""))
    ax.set_ylabel("Admitted within this many days (%)")
    ax.set_title(f"Mean {_ci_text(run, 'wait_to_admission_days_mean', ' days')};  90% admitted within "
                 f"{_fmt(_kpi(run, 'wait_to_admission_days_p90')[0], ' days')}", fontsize=11, fontweight="normal",
                 color=GREY)
    ax.legend(loc="lower right")
    return fig


# --- 4. room use heat map -----------------------------------------------------------------------------
def _slots(run: RunDir):
    """One row per timetable slot, counts summed over replications, with the share of its hours used."""
    s = run.sessions.copy()
    s["slot"] = s.groupby("replication").cumcount()
    keys = ["slot", "group", "day", "start", "hours", "room", "serves"]
    counts = [c for c in ("run", "closed", "empty", "cancelled_small", "cancelled_no_counselor", "full",
                          "room_hours", "attendees", "enrolled") if c in s]
    out = s.groupby(keys, sort=False)[counts].sum().reset_index().sort_values("slot")
    out["scheduled"] = out[["run", "closed", "empty", "cancelled_small", "cancelled_no_counselor"]].sum(axis=1)
    out["start_hours"] = [int(t[:2]) + int(t[3:5]) / 60 for t in out["start"]]
    # the share of the slot's room-hours actually used: sessions that ran, or assessment hours of a clinic
    out["used_share"] = (out["room_hours"] / (out["scheduled"] * out["hours"])).where(out["scheduled"] > 0)
    return out


def rooms_chart(run: RunDir):
    import numpy as np
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    slots = _slots(run)
    rooms = [r["name"] for r in run.scenario["rooms"]]
    specs = {r["name"]: r for r in run.scenario["rooms"]}
    days = [d for d in DAYS if d in set(slots["day"])] or list(DAYS[:5])
    fig, axes = new_figure(run.footer(), "Room use: share of weeks each timetabled session actually used its room",
                           figsize=(11, 1.6 + len(rooms) * (0.42 * len(days) + 0.75)), nrows=len(rooms), sharex=True)
    axes = np.atleast_1d(axes)
    first = math.floor(slots["start_hours"].min()) if len(slots) else 8
    last = min(24, math.ceil((slots["start_hours"] + slots["hours"]).max())) if len(slots) else 18
    norm, cmap = Normalize(0, 100), _colormap()
    for ax, room in zip(axes, rooms, strict=True):
        mine = slots[slots["room"] == room]
        for slot in mine.itertuples():
            pct = 100 * float(np.nan_to_num(slot.used_share))
            y = days.index(slot.day)
            ax.add_patch(Rectangle((slot.start_hours, y + 0.06), slot.hours, 0.88, fc=cmap(norm(pct)), ec="white",
                                   lw=1))
            ax.text(slot.start_hours + slot.hours / 2, y + 0.5, f"{slot.group}\n{pct:.0f}%", ha="center",
                    va="center", fontsize=8.5 if slot.hours >= 1.5 else 7, color="black" if pct > 55 else "white")
        ax.set_ylim(len(days), 0)
        ax.set_yticks(np.arange(len(days)) + 0.5, [DAY_NAMES[d][:3] for d in days])
        ax.set_xlim(first, last)
        ax.set_xticks(range(first, last + 1), [f"{h:02d}:00" for h in range(first, last + 1)], fontsize=9)
        ax.grid(axis="y", visible=False)
        booked = float(mine["hours"].sum())
        column = f"room_hours_{room}"
        used = run.window_mean_per_week(column) if column in run.timeseries else math.nan
        spec = specs[room]
        ax.set_title(f"{room} ({spec['seats']} seats): timetabled {booked:g} h a week; in use {_fmt(used)} h a week "
                     f"on average, of {float(spec['available_hours_per_week']):g} h available", fontsize=11,
                     fontweight="bold")
    axes[-1].set_xlabel("Time of day (intake clinics: share of the clinic's hours spent on assessments)")
    cbar = fig.colorbar(ScalarMappable(norm, cmap), ax=list(axes), shrink=0.9, pad=0.01)
    cbar.set_label("Weeks the session ran, % of weeks after warm-up")
    return fig


def _colormap():
    from matplotlib import colormaps

    return colormaps[SEQUENTIAL_CMAP]


# --- 5. counselor time ----------------------------------------------------------------------------------
_ACTIVITY_STYLE = {
    "group": ("Leading groups", BLUE),
    "documentation": ("Group notes", SKY),
    "intake": ("Intake assessments", GREEN),
    "individual": ("Individual sessions", ORANGE),
    "other_duties": ("Other duties (supervision, meetings)", PURPLE),
    "idle": ("Unscheduled", LIGHT_GREY),
}
# The model's clinical activities (a new one must get a label and colour here), then the rest of the week.
ACTIVITIES = tuple((key, *_ACTIVITY_STYLE[key]) for key in (*COUNSELOR_ACTIVITIES, "other_duties", "idle"))


def counselor_hours(run: RunDir):
    """Per week and replication: hours by activity, the unscheduled rest of contracted hours, overtime."""
    ts = run.timeseries
    out = ts[["replication", "week_end_days"]].copy()
    for key, _, _ in ACTIVITIES[:-1]:
        out[key] = ts[f"counselor_hours_{key}"]
    worked = out[[k for k, _, _ in ACTIVITIES[:-1]]].sum(axis=1)
    out["idle"] = (ts["counselor_hours_contracted"] - worked).clip(lower=0)
    out["contracted"] = ts["counselor_hours_contracted"]
    out["overtime"] = ts["counselor_overtime_hours"]
    return out


def counselor_chart(run: RunDir):
    import numpy as np

    hours = counselor_hours(run)
    window = hours[run.window_weeks().to_numpy()]
    count = int(run.scenario["counselors"]["count"])
    fig, (top, bottom) = new_figure(run.footer(), "Counselor time: hours a week by activity, against contracted hours",
                                    figsize=(11, 7.4), nrows=2, height_ratios=(1, 2.3))
    if window.empty:
        _no_data(top, "No whole week after the warm-up")
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
    top.set_title(f"Clinical time used: {_ci_text(run, 'counselor_utilization_pct', '%')} of hours left after "
                  f"other duties;  overtime {_fmt(overtime)} h a week", fontsize=11, fontweight="normal", color=GREY)
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
    _time_axis(bottom, run)
    bottom.set_ylabel("Hours a week (mean of replications)")
    bottom.set_ylim(0, float(np.nanmax((means["contracted"] + means["overtime"]).to_numpy())) * 1.05)
    handles, names = bottom.get_legend_handles_labels()
    bottom.legend(handles[::-1], names[::-1], loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9.5)
    return fig


# --- 6. patient flow -------------------------------------------------------------------------------------
def flow_chart(run: RunDir):
    fig, ax = new_figure(run.footer(), "Patient flow: where referrals end up, per year", figsize=(12, 7.2))
    root = patient_flow(run)
    if root.count == 0:
        _no_data(ax, "No referrals after the warm-up")
        return fig
    draw_flow(ax, root, unit="a year")
    ax.set_title(f"Referrals received after the warm-up, followed to where they ended; mean of "
                 f"{run.replications} replications", fontsize=11, fontweight="normal", color=GREY)
    return fig


# --- 7. length of stay ------------------------------------------------------------------------------------
def stays(run: RunDir):
    """Length of stay (days) and outcome of every treatment episode that ended inside the window."""
    p = run.patients
    m = run.within_window("treatment_end") & p["outcome"].isin(TREATMENT_OUTCOMES)
    return (p.loc[m, "treatment_end"] - p.loc[m, "admitted"]).to_numpy(float), p.loc[m, "outcome"].to_numpy()


def stay_chart(run: RunDir):
    import numpy as np

    stay, outcome = stays(run)
    n = len(TREATMENT_OUTCOMES)
    fig, axes = new_figure(run.footer(), "Length of stay, by how treatment ended", figsize=(11, 7.4), nrows=n, sharex=True)
    if stay.size == 0:
        _no_data(axes[0], "No treatment episode ended after the warm-up")
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


# --- 8. group fill ---------------------------------------------------------------------------------------
SESSION_STATES = (
    ("full", "Ran at capacity", BLUE),
    ("run_below", "Ran with seats free", SKY),
    ("cancelled_small", "Cancelled: too few patients", VERMILLION),
    ("cancelled_no_counselor", "Cancelled: no counselor", ORANGE),
    ("closed", "Closed (holiday)", GREY),
    ("empty", "Nobody enrolled", LIGHT_GREY),
)


def group_capacity(scenario: dict) -> dict[str, int]:
    """Seats per group as the model sets them: the smallest of group size and room seats over its sessions."""
    seats = {r["name"]: int(r["seats"]) for r in scenario["rooms"]}
    default = int(scenario["groups"]["max_size"])
    out: dict[str, int] = {}
    for s in scenario["timetable"]:
        if "intake" in s["serves"]:
            continue
        cap = group_size_cap(s.get("max_size"), default, seats.get(s["room"], default))
        out[s["group"]] = min(out.get(s["group"], cap), cap)
    return out


def group_sessions(run: RunDir):
    """Per group (timetable order): session counts by state and seats, summed over replications."""
    slots = _slots(run)
    slots = slots[~slots["serves"].astype(str).str.split("+").apply(lambda s: "intake" in s)]
    g = slots.groupby("group", sort=False).sum(numeric_only=True)
    if "full" not in g:
        g["full"] = float("nan")  # older run folders: known only for the whole program (see group_chart)
    g["run_below"] = g["run"] - g["full"].fillna(0)
    g["capacity"] = [group_capacity(run.scenario).get(name, float("nan")) for name in g.index]
    return g


def group_chart(run: RunDir):
    import numpy as np

    g = group_sessions(run)
    fig, (left, right) = new_figure(run.footer(), "Group sessions: how often they ran, and how full they were",
                                    figsize=(12, 1.9 + 0.55 * max(len(g), 3)), ncols=2, width_ratios=(1.35, 1))
    if g.empty:
        _no_data(left, "No group sessions in the timetable")
        return fig
    y = np.arange(len(g))
    per_slot = g["full"].notna().all()
    total = g["scheduled"].to_numpy(float)
    base = np.zeros(len(g))
    for key, label, color in SESSION_STATES:
        if key == "full" and not per_slot:
            continue
        v = 100 * g[key].to_numpy(float) / np.where(total > 0, total, np.nan)
        label = "Ran" if key == "run_below" and not per_slot else label
        left.barh(y, v, left=base, color=color, edgecolor="white", lw=0.6, label=label, height=0.7)
        for yi, (b, w) in enumerate(zip(base, v, strict=True)):
            if w >= 6:
                left.text(b + w / 2, yi, f"{w:.0f}%", ha="center", va="center", fontsize=9,
                          color="white" if color in (BLUE, VERMILLION, GREY) else "black")
        base += np.nan_to_num(v)
    weeks = run.replications * run.window_years * DAYS_PER_YEAR / DAYS_PER_WEEK
    left.set_yticks(y, [f"{name}\n{s / weeks:.1f} sessions/week" for name, s in zip(g.index, total, strict=True)], fontsize=9.5)
    left.invert_yaxis()
    left.set_xlim(0, 100)
    left.set_xlabel("Share of timetabled sessions after warm-up (%)")
    left.grid(axis="y", visible=False)
    if not per_slot:
        left.set_title(f"At capacity: {_fmt(full_share_program(run), '%')} of group sessions run, all groups",
                       fontsize=10.5, fontweight="normal", color=GREY)

    run_n = g["run"].to_numpy(float)
    enrolled = g["enrolled"].to_numpy(float) / np.where(run_n > 0, run_n, np.nan)
    attended = g["attendees"].to_numpy(float) / np.where(run_n > 0, run_n, np.nan)
    right.barh(y, g["capacity"], fc="white", ec=GREY, lw=1, height=0.75, label="Seats (group size limit)")
    right.barh(y, enrolled, color=SKY, height=0.5, label="Enrolled, expected")
    right.barh(y, attended, color=BLUE, height=0.28, label="Attended")
    for yi, (a, cap) in enumerate(zip(attended, g["capacity"], strict=True)):
        if np.isfinite(a) and cap:
            right.text(cap, yi, f" {100 * a / cap:.0f}% filled", va="center", fontsize=9)
    right.set_yticks(y, [""] * len(y))
    right.invert_yaxis()
    right.set_xlim(0, float(np.nanmax(g["capacity"].to_numpy(float))) * 1.3)
    right.set_xlabel("Patients per session run (mean)")
    right.grid(axis="y", visible=False)
    legend_below(left, ncols=3, fontsize=9)
    legend_below(right, ncols=2, fontsize=9)
    right.set_title(f"Seats filled, all groups: {_ci_text(run, 'group_fill_pct', '%')}", fontsize=10.5,
                    fontweight="normal", color=GREY)
    return fig


def full_share_program(run: RunDir) -> float:
    """% of group sessions run that were at capacity, all groups (weekly series; no per-group count)."""
    w = run.window_weeks()
    full = float(run.timeseries.loc[w, "sessions_full"].sum())
    ran = float(group_sessions(run)["run"].sum())
    return min(100.0, 100 * full / ran) if ran else math.nan


CHARTS: tuple[Chart, ...] = (
    Chart("01-waitlist", "Waitlist over time", "Patients waiting for admission at the end of each week: the mean of "
          "all replications with its 95% confidence band. The grey band is the warm-up, which no KPI includes; "
          "the dashed line is the time-averaged waitlist after it.", waitlist_chart),
    Chart("02-census", "Census by phase", "Patients in each treatment phase and in the aftercare group at the end "
          "of each week (mean of replications), stacked: the top edge is everyone in the program.", census_chart),
    Chart("03-wait", "Wait from referral to admission", "For every admission after the warm-up, the share admitted "
          "within a given number of days (cumulative distribution), for each replication and all together. The "
          f"dashed line marks {ACCESS_TARGET_DAYS:g} days.", wait_chart, needs_patients=True),
    Chart("04-rooms", "Room use", "Each room's timetabled sessions where they sit in the week; colour and number "
          "give the share of weeks after the warm-up in which the session actually ran (intake clinics: the share "
          "of the clinic's hours spent on assessments). Empty space is time the timetable leaves free.", rooms_chart),
    Chart("05-counselors", "Counselor time", "Counselor hours per week by activity after the warm-up, against the "
          "team's contracted hours (top), and week by week (bottom).", counselor_chart),
    Chart("06-flow", "Patient flow", "Every referral received after the warm-up, followed to its end: band widths "
          "are patients per year. 'At end of run' are still in that step when the simulation stopped.", flow_chart, needs_patients=True),
    Chart("07-length-of-stay", "Length of stay by outcome", "Days from admission to the end of treatment for "
          "episodes that ended after the warm-up, by how they ended; bars are patients per year.", stay_chart, needs_patients=True),
    Chart("08-groups", "Group fill", "Left: what became of each group's timetabled sessions. Right: patients "
          "enrolled and attending per session that ran, against the group's seats.", group_chart),
)


def chart_by_name(name: str) -> Chart:
    for chart in CHARTS:
        if chart.name == name or chart.name.split("-", 1)[1] == name:
            return chart
    raise KeyError(name)


def render(run: RunDir, chart: Chart):
    """Draw one chart in the house style."""
    with style_context():
        return chart.draw(run)


def drawable(run: RunDir, charts: Iterable[Chart] = CHARTS) -> list[Chart]:
    """The charts this run folder has the data for (no per-patient charts after --no-patients)."""
    return [c for c in charts if run.has_patients or not c.needs_patients]


def plot_run(run: RunDir, out_dir: Path | None = None, formats: Iterable[str] = ("png",),
             charts: Iterable[Chart] = CHARTS) -> list[Path]:
    """Write every chart the run folder has data for to out_dir (default RUN_DIR/charts); returns the files."""
    out_dir = Path(out_dir) if out_dir is not None else run.path / "charts"
    formats = list(formats)
    paths = []
    for chart in drawable(run, charts):
        fig = render(run, chart)
        paths += save_figure(fig, out_dir / chart.name, formats)
    return paths



CHARTS_KIND = "charts"
_IMAGE_SUFFIXES = {".png", ".svg", ".pdf"}


def _is_legacy_charts(folder: Path) -> bool:
    """A charts folder written before folders carried the iopsim marker: images only."""
    files = list(folder.iterdir())
    return bool(files) and all(f.is_file() and f.suffix in _IMAGE_SUFFIXES for f in files)


def choose_charts_folder(out_dir: Path, overwrite: bool = False) -> Path:
    return choose_output(out_dir, CHARTS_KIND, overwrite, _is_legacy_charts)


def write_charts(run: RunDir, out_dir: Path, formats: Iterable[str] = ("png",), overwrite: bool = False) -> list[Path]:
    """plot_run into a folder swapped in whole: out_dir, or out_dir-2... when it holds earlier charts."""
    folder = choose_charts_folder(out_dir, overwrite)
    names: list[str] = []
    write_output_dir(folder, CHARTS_KIND, lambda tmp: names.extend(p.name for p in plot_run(run, tmp, formats)))
    return [folder / name for name in names]
