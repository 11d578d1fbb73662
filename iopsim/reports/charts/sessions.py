"""Charts of the timetabled sessions (sessions.csv): room use through the week, and how full each group ran."""

from __future__ import annotations

import math

from ...scenario.vocabulary import DAYS_PER_WEEK, DAYS_PER_YEAR
from ..rundir import RunDir
from ..style import BLUE, GREY, LIGHT_GREY, ORANGE, SEQUENTIAL_CMAP, SKY, VERMILLION, legend_below, new_figure
from .common import fmt, kpi, no_data
from .data import full_share_program, group_sessions, session_slots

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))
SESSION_STATES = (
    ("full", "Ran with every seat held", BLUE),
    ("run_below", "Ran with seats free to hold", SKY),
    ("cancelled_small", "Cancelled: too few patients", VERMILLION),
    ("cancelled_no_counselor", "Cancelled: no counselor", ORANGE),
    ("closed", "Closed (holiday)", GREY),
    ("empty", "Nobody enrolled", LIGHT_GREY),
)


def rooms_chart(run: RunDir):
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    slots = session_slots(run)
    rooms = [r["name"] for r in run.scenario["rooms"]]
    specs = {r["name"]: r for r in run.scenario["rooms"]}
    days = [d for d in DAYS if d in set(slots["day"])] or list(DAYS[:5])
    fig, axes = new_figure(run.footer(), "Room use: share of weeks each timetabled session actually used its room",
                           figsize=(11, 1.6 + len(rooms) * (0.42 * len(days) + 0.75)), nrows=len(rooms), sharex=True)
    axes = np.atleast_1d(axes)
    first = math.floor(slots["start_hours"].min()) if len(slots) else 8
    last = min(24, math.ceil((slots["start_hours"] + slots["hours"]).max())) if len(slots) else 18
    norm, cmap = Normalize(0, 100), colormaps[SEQUENTIAL_CMAP]
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
        ax.set_title(f"{room} ({spec['seats']} seats): timetabled {booked:g} h a week; in use {fmt(used)} h a week "
                     f"on average, of {float(spec['available_hours_per_week']):g} h available", fontsize=11,
                     fontweight="bold")
    axes[-1].set_xlabel("Time of day (intake clinics: share of the clinic's hours spent on assessments)")
    cbar = fig.colorbar(ScalarMappable(norm, cmap), ax=list(axes), shrink=0.9, pad=0.01)
    cbar.set_label("Weeks the session ran, % of weeks after warm-up")
    return fig


def group_chart(run: RunDir):
    import numpy as np

    g = group_sessions(run)
    fig, (left, right) = new_figure(run.footer(), "Group sessions: how often they ran, and how full they were",
                                    figsize=(12, 1.9 + 0.55 * max(len(g), 3)), ncols=2, width_ratios=(1.35, 1))
    if g.empty:
        no_data(left, "No group sessions in the timetable")
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
    left.set_xlabel("Timetabled sessions after warm-up (% of the group's sessions)")
    left.grid(axis="y", visible=False)
    if not per_slot:
        left.set_title(f"Every seat held: {fmt(full_share_program(run), '%')} of group sessions run, all groups",
                       fontsize=10.5, fontweight="normal", color=GREY)

    run_n = g["run"].to_numpy(float)
    enrolled = g["enrolled"].to_numpy(float) / np.where(run_n > 0, run_n, np.nan)
    attended = g["attendees"].to_numpy(float) / np.where(run_n > 0, run_n, np.nan)
    right.barh(y, g["capacity"], fc="white", ec=GREY, lw=1, height=0.75, label="Group capacity (seats)")
    right.barh(y, enrolled, color=SKY, height=0.5, label="Seats held (enrolled)")
    right.barh(y, attended, color=BLUE, height=0.28, label="Attended per session")
    for yi, (a, cap) in enumerate(zip(attended, g["capacity"], strict=True)):
        if np.isfinite(a) and cap:
            right.text(cap, yi, f" attended {100 * a / cap:.0f}% of seats", va="center", fontsize=9)
    right.set_yticks(y, [""] * len(y))
    right.invert_yaxis()
    right.set_xlim(0, float(np.nanmax(g["capacity"].to_numpy(float))) * 1.55)
    right.set_xlabel("Patients per session run (mean)")
    right.grid(axis="y", visible=False)
    legend_below(left, ncols=3, fontsize=9)
    legend_below(right, ncols=2, fontsize=9)
    right.set_title(f"All groups: seats held {fmt(kpi(run, 'group_enrollment_pct')[0], '%')} of capacity,\n"
                    f"attended per session {fmt(kpi(run, 'group_fill_pct')[0], '%')} of seats", fontsize=10.5,
                    fontweight="normal", color=GREY)
    return fig
