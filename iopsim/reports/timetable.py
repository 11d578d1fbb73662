"""The weekly timetable as a planner checks it: a sorted table, room use, and a room-by-hour chart.

Works on any scenario, generated from a program template or written by hand.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ..scenario.schema import DAYS, Scenario
from .style import (
    BLUE,
    GREEN,
    GREY,
    LIGHT_GREY,
    ORANGE,
    PURPLE,
    SKY,
    VERMILLION,
    YELLOW,
    legend_below,
    new_figure,
)

DAY_LABELS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
COLUMNS = ("day", "start", "end", "hours", "room", "group", "track", "serves", "max_size")
PHASE_COLOURS = (BLUE, ORANGE, GREEN, SKY, VERMILLION, YELLOW)
TRACK_HATCHES = ("", ".", "x", "\\", "+", "o")  # a session's track: its hatching (the first track plain)
SHARED_HATCH = "//"  # a session serving several phases
AFTERCARE_COLOUR = PURPLE
INTAKE_COLOUR = GREY


@dataclass(frozen=True)
class Row:
    day: str
    start: str
    end: str
    hours: float
    room: str
    group: str
    track: str  # "" when the session has no track
    serves: str
    max_size: int | None


@dataclass(frozen=True)
class RoomUse:
    room: str
    seats: int
    booked_hours: float
    available_hours: float

    @property
    def used_pct(self) -> float:
        return 100 * self.booked_hours / self.available_hours


ONLINE = "(online)"  # the room column of a virtual session


def _clock(hours: float) -> str:
    minutes = round(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def timetable_rows(s: Scenario) -> list[Row]:
    """One row per session, in week order (day, start, room, group)."""
    ordered = sorted(s.timetable, key=lambda x: (DAYS.index(x.day), x.start_hours, x.room or "", x.group))
    return [
        Row(DAY_LABELS[x.day], x.start, _clock(x.start_hours + x.hours), x.hours, x.room or ONLINE, x.group,
            x.track or "",             ", ".join(x.serves), x.max_size)
        for x in ordered
    ]


def room_use(s: Scenario) -> list[RoomUse]:
    booked = {r.name: 0.0 for r in s.rooms}
    for x in s.timetable:
        if x.room is not None:  # virtual sessions take no room
            booked[x.room] = booked.get(x.room, 0.0) + x.hours
    return [RoomUse(r.name, r.seats, booked[r.name], r.available_hours_per_week) for r in s.rooms]


def timetable_csv(s: Scenario) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in timetable_rows(s):
        writer.writerow([r.day, r.start, r.end, f"{r.hours:g}", r.room, r.group, r.track, r.serves,
                         "" if r.max_size is None else r.max_size])
    return out.getvalue()


def _colour(s: Scenario, serves: list[str]) -> str:
    if "intake" in serves:
        return INTAKE_COLOUR
    if "aftercare" in serves:
        return AFTERCARE_COLOUR
    names = s.phase_names()
    return PHASE_COLOURS[names.index(serves[0]) % len(PHASE_COLOURS)] if serves[0] in names else LIGHT_GREY


def session_tracks(s: Scenario) -> list[str]:
    """The tracks the sessions belong to: the declared ones in order, then any other label."""
    declared = [t.name for t in s.tracks or []]
    return declared + [name for name in dict.fromkeys(x.track for x in s.timetable if x.track) if name not in declared]


def _hatch(tracks: list[str], track: str | None, shared: bool) -> str | None:
    """Hatching of a bar: its track's pattern, plus diagonals when it serves several phases."""
    pattern = TRACK_HATCHES[tracks.index(track) % len(TRACK_HATCHES)] if track in tracks else ""
    return (pattern + (SHARED_HATCH if shared else "")) or None


def timetable_chart(s: Scenario, footer: str):
    """Room-by-hour week: one column per room within each day, hours of the day downwards. Colour says
    what a session serves (phase, aftercare, intake), hatching its track."""
    from matplotlib.patches import Patch

    rooms = [r.name for r in s.rooms]
    tracks = session_tracks(s)
    days = [d for d in DAYS if any(x.day == d for x in s.timetable)] or list(DAYS[:5])
    width = len(rooms) + 1  # a gap column between days
    first = min((x.start_hours for x in s.timetable), default=8.0)
    last = max((x.start_hours + x.hours for x in s.timetable), default=18.0)
    top, bottom = max(0.0, float(int(first))), min(24.0, float(-int(-last)))
    fig, ax = new_figure(footer, f"{s.name}: weekly timetable by room",
                         figsize=(min(16.0, max(8.0, 0.5 * len(days) * width + 2)), 6.4))
    for x in s.timetable:
        if x.room not in rooms or x.day not in days:
            continue
        pos = days.index(x.day) * width + rooms.index(x.room)
        ax.bar(pos, x.hours, bottom=x.start_hours, width=0.9, color=_colour(s, x.serves), edgecolor="white", lw=0.8,
               hatch=_hatch(tracks, x.track, len(x.serves) > 1))
        ax.text(pos, x.start_hours + x.hours / 2, x.group, rotation=90, ha="center", va="center", fontsize=7,
                color="white" if "intake" not in x.serves else "black", clip_on=True)
    ax.set_ylim(bottom, top)  # time runs downwards, like a paper timetable
    ax.set_yticks(range(int(top), int(bottom) + 1))
    ax.set_yticklabels([f"{h:02d}:00" for h in range(int(top), int(bottom) + 1)])
    ax.set_xticks([d * width + r for d in range(len(days)) for r in range(len(rooms))])
    ax.set_xticklabels([name for _ in days for name in rooms], rotation=90, fontsize=8)
    ax.set_xlim(-0.6, len(days) * width - 1.4)
    ax.grid(axis="x", visible=False)
    for d, day in enumerate(days):
        ax.text(d * width + (len(rooms) - 1) / 2, 1.01, DAY_LABELS[day], transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontweight="bold")
        if d:
            ax.axvline(d * width - 1, color=LIGHT_GREY, lw=1)
    ax.set_ylabel("Time of day")
    served = [n for n in s.phase_names() if any(n in x.serves for x in s.timetable)]
    handles = [Patch(color=_colour(s, [n]), label=f"phase: {n}") for n in served]
    if any(len(x.serves) > 1 for x in s.timetable):
        handles.append(Patch(facecolor="white", edgecolor=GREY, hatch=SHARED_HATCH, label="shared by several phases"))
    for k, name in enumerate(tracks):
        pattern = TRACK_HATCHES[k % len(TRACK_HATCHES)] * 3  # denser in the small legend patch, or unseen
        handles.append(Patch(facecolor="white", edgecolor=GREY, hatch=pattern or None,
                             label=f"track: {name}" + (" (plain)" if not TRACK_HATCHES[k % len(TRACK_HATCHES)] else "")))
    if any("aftercare" in x.serves for x in s.timetable):
        handles.append(Patch(color=AFTERCARE_COLOUR, label="aftercare"))
    if any("intake" in x.serves for x in s.timetable):
        handles.append(Patch(color=INTAKE_COLOUR, label="intake"))
    legend_below(ax, ncols=min(len(handles), 6) or 1, handles=handles, drop_inches=1.0)
    return fig
