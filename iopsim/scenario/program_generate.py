"""Turn a program template into timetable sessions: rooms without overlap and within their weekly hours.

Greedy and deterministic: blocks are placed in the order written (phases, then aftercare, then
intake), groups one by one; each group takes the earliest start in its window (30-minute steps) and,
at that start, the first room in preference order that is free on all its days and still has the
hours. Hand-written `timetable` sessions are booked first and never moved. A group that cannot be
placed is a problem naming its block, so a template that does not fit is a validate error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .phase_schema import Phase
from .program_schema import AftercareBlock, IntakeBlock, JoinBlock, PhaseBlock, Program
from .timetable_schema import DAYS, Room, Session
from .wording import plural

STEP_HOURS = 0.5
HOURS_PER_DAY = 24.0
TOLERANCE = 1e-6

Problem = tuple[str, str]
Block = PhaseBlock | AftercareBlock | IntakeBlock


@dataclass(frozen=True)
class Generated:
    """The generated sessions (in placement order) and every reason the template does not fit."""

    sessions: tuple[Session, ...]
    problems: tuple[Problem, ...]


@dataclass
class _Rooms:
    """Weekly bookings per room, as (start, end) hours from Monday 00:00."""

    rooms: dict[str, Room]
    spans: dict[str, list[tuple[float, float, str]]] = field(default_factory=dict)

    def hours_left(self, room: str) -> float:
        booked = sum(end - start for start, end, _ in self.spans.get(room, []))
        return self.rooms[room].available_hours_per_week - booked

    def clash(self, room: str, start: float, end: float) -> str | None:
        """The group already booked in `room` over [start, end), if any (the week wraps around)."""
        week = len(DAYS) * HOURS_PER_DAY
        for s, e, group in self.spans.get(room, []):
            for shift in (-week, 0.0, week):
                if start < e + shift - TOLERANCE and s + shift < end - TOLERANCE:
                    return group
        return None

    def book(self, room: str, start: float, end: float, group: str) -> None:
        self.spans.setdefault(room, []).append((start, end, group))


def _clock(hours: float) -> str:
    minutes = round(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _starts(block: Block) -> list[float]:
    first, last = block.start_hours(), block.latest_start_hours()
    n = int((last - first) / STEP_HOURS + TOLERANCE)
    return [first + k * STEP_HOURS for k in range(n + 1)]


def generate_timetable(
    program: Program,
    phases: Sequence[Phase],
    rooms: Sequence[Room],
    default_max_size: int,
    fixed: Sequence[Session] = (),
) -> Generated:
    """Sessions for every block of `program`, around the `fixed` (hand-written) sessions."""
    book = _Rooms({r.name: r for r in rooms})
    for sess in fixed:
        if sess.room in book.rooms:
            start = DAYS.index(sess.day) * HOURS_PER_DAY + sess.start_hours
            book.book(sess.room, start, start + sess.hours, sess.group)
    taken_names = {s.group for s in fixed}
    by_name = {p.name: (i, p) for i, p in enumerate(phases)}
    sessions: list[Session] = []
    problems: list[Problem] = []
    jobs: list[tuple[str, str, Block, float, list[str]]] = []  # (path, prefix, block, hours, serves)
    for name, blocks in program.phases.items():
        if name not in by_name:
            problems.append((f"program.phases.{name}", f"{name!r} is not a phase (phases: {', '.join(by_name)})"))
            continue
        i, phase = by_name[name]
        for b, pblock in enumerate(blocks):
            path = f"program.phases.{name}.{b}"
            if len(pblock.days) != phase.group_sessions_per_week:
                problems.append((
                    f"{path}.days",
                    f"{len(pblock.days)} day(s) listed but phases.{i}.group_sessions_per_week is "
                    f"{phase.group_sessions_per_week}: list one day per weekly session",
                ))
                continue
            jobs.append((path, name, pblock, phase.session_hours, [name]))
    for b, ablock in enumerate(program.aftercare):
        jobs.append((f"program.aftercare.{b}", "aftercare", ablock, ablock.hours, ["aftercare"]))
    for b, iblock in enumerate(program.intake):
        jobs.append((f"program.intake.{b}", "intake", iblock, iblock.hours, ["intake"]))
    counters: dict[str, int] = {}
    tracks: dict[str, str | None] = {}  # generated group -> its block's track
    for path, prefix, block, hours, serves in jobs:
        block_problems = _check_block(path, block, hours, book, default_max_size, serves)
        if block_problems:
            problems += block_problems
            continue
        for g in range(block.groups):
            stem = prefix if block.track is None else f"{prefix}-{block.track}"
            counters[stem] = counters.get(stem, 0) + 1
            group = f"{stem}-{counters[stem]}"
            if group in taken_names:
                problems.append((f"{path}.track", f"generated group name {group!r} is already used in the timetable"))
                break
            placed = _place(block, hours, group, serves, book, default_max_size)
            if isinstance(placed, str):
                problems.append((
                    f"{path}.groups",
                    f"group {g + 1} of {block.groups} ({group}) does not fit: {placed}",
                ))
                break
            sessions += placed
            tracks[group] = block.track
    for j, join in enumerate(program.joins):
        found = _check_join(f"program.joins.{j}", join, by_name)
        if found:
            problems += found
            continue
        problems += _apply_join(f"program.joins.{j}", join, sessions, tracks)
    return Generated(tuple(sessions), tuple(problems))


def _check_join(path: str, join: JoinBlock, by_name: dict[str, tuple[int, Phase]]) -> list[Problem]:
    for field_name in ("phase", "joins"):
        name = getattr(join, field_name)
        if name not in by_name:
            return [(f"{path}.{field_name}", f"{name!r} is not a phase (phases: {', '.join(by_name)})")]
    if join.phase == join.joins:
        return [(f"{path}.joins", "a phase cannot join its own groups")]
    i, phase = by_name[join.phase]
    k, host = by_name[join.joins]
    if len(join.days) != phase.group_sessions_per_week:
        return [(f"{path}.days", f"{len(join.days)} day(s) listed but phases.{i}.group_sessions_per_week is "
                                 f"{phase.group_sessions_per_week}: list one day per weekly session")]
    if abs(phase.session_hours - host.session_hours) > TOLERANCE:
        return [(f"{path}.joins", f"phases.{i}.session_hours is {phase.session_hours:g} but phase "
                                  f"{join.joins!r} meets {host.session_hours:g} h (phases.{k}.session_hours)")]
    return []


def _apply_join(path: str, join: JoinBlock, sessions: list[Session], tracks: dict[str, str | None]) -> list[Problem]:
    """Add the joining phase to the host groups' sessions on its days (in place)."""
    hosts = [g for g in dict.fromkeys(x.group for x in sessions if x.serves[0] == join.joins)
             if join.track is None or tracks.get(g) == join.track]
    if not hosts:
        which = f"of track {join.track!r} " if join.track is not None else ""
        return [(f"{path}.joins", f"program.phases has no groups {which}of phase {join.joins!r} to join")]
    for group in hosts:
        days = {x.day for x in sessions if x.group == group}
        missing = [d for d in join.days if d not in days]
        if missing:
            return [(f"{path}.days", f"group {group} does not meet on {', '.join(missing)}")]
    for n, x in enumerate(sessions):
        if x.group in hosts and x.day in join.days:
            sessions[n] = x.model_copy(update={"serves": [*x.serves, join.phase]})
    return []


def _candidate_rooms(block: Block, book: _Rooms, max_size: int, serves: list[str]) -> list[str]:
    names = block.rooms if block.rooms is not None else list(book.rooms)
    if "intake" in serves or block.mode == "hybrid":  # a hybrid group's online members need no seat
        return names
    return [r for r in names if r in book.rooms and book.rooms[r].seats >= max_size]


def _check_block(
    path: str, block: Block, hours: float, book: _Rooms, default_max_size: int, serves: list[str]
) -> list[Problem]:
    out: list[Problem] = []
    if block.latest_start_hours() < block.start_hours():
        out.append((f"{path}.latest_start", f"{block.latest_start} is before start {block.start}"))
    if block.start_hours() + hours > HOURS_PER_DAY + TOLERANCE:
        out.append((f"{path}.start", f"a {hours:g} h session starting {block.start} runs past midnight"))
    elif block.latest_start_hours() + hours > HOURS_PER_DAY + TOLERANCE:
        out.append((f"{path}.latest_start", f"a {hours:g} h session starting {block.latest_start} runs past midnight"))
    max_size = _max_size(block, default_max_size)
    if block.mode == "virtual":
        if block.rooms is not None:
            out.append((f"{path}.rooms", "virtual groups meet online: leave `rooms` out"))
        return out
    for r, room in enumerate(block.rooms or []):
        if room not in book.rooms:
            out.append((f"{path}.rooms.{r}", f"room {room!r} does not exist (rooms: {', '.join(book.rooms)})"))
        elif "intake" not in serves and block.mode == "in_person" and book.rooms[room].seats < max_size:
            out.append((
                f"{path}.rooms.{r}",
                f"room {room!r} has {plural(book.rooms[room].seats, 'seat')}, fewer than the group size {max_size}",
            ))
    if not out and not _candidate_rooms(block, book, max_size, serves):
        out.append((f"{path}.groups", f"no room has the {max_size} seats these groups need"))
    return out


def _max_size(block: Block, default_max_size: int) -> int:
    size = getattr(block, "max_size", None)
    return size if size is not None else default_max_size


def _place(
    block: Block, hours: float, group: str, serves: list[str], book: _Rooms, default_max_size: int
) -> list[Session] | str:
    """Book one group (same room and start every day) or say why no room and start in the window works.
    A virtual group takes the window's first start and no room."""
    max_size = _max_size(block, default_max_size)
    if block.mode == "virtual":
        return [Session(group=group, day=d, start=_clock(block.start_hours()), hours=hours, room=None, serves=serves,
                        max_size=getattr(block, "max_size", None), track=block.track, mode="virtual")
                for d in block.days]
    need = hours * len(block.days)
    reasons: dict[str, str] = {}
    for start in _starts(block):
        for room in _candidate_rooms(block, book, max_size, serves):
            left = book.hours_left(room)
            if left + TOLERANCE < need:
                reasons.setdefault(room, f"{left:g} of {book.rooms[room].available_hours_per_week:g} "
                                         f"available h/week left, {need:g} needed")
                continue
            spans = [(DAYS.index(d) * HOURS_PER_DAY + start, DAYS.index(d) * HOURS_PER_DAY + start + hours)
                     for d in block.days]
            clash = next(((d, c) for d, (s, e) in zip(block.days, spans, strict=True)
                          if (c := book.clash(room, s, e)) is not None), None)
            if clash is not None:
                reasons.setdefault(room, f"taken by {clash[1]} on {clash[0]} at {_clock(start)}")
                continue
            for s, e in spans:
                book.book(room, s, e, group)
            size = getattr(block, "max_size", None)
            return [
                Session(group=group, day=d, start=_clock(start), hours=hours, room=room, serves=serves, max_size=size,
                        track=block.track, mode=block.mode)
                for d in block.days
            ]
    window = block.start if block.latest_start is None else f"{block.start}-{block.latest_start}"
    detail = "; ".join(f"{room}: {why}" for room, why in reasons.items())
    return f"no room is free at start {window} ({detail})"
