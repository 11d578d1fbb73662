"""The room-scaling rule: what "a scenario with R group rooms" means.

A scenario's timetable places each session in a room. The *group rooms* are the rooms that hold at
least one phase or aftercare session, in the order of `rooms:`; rooms that hold only intake
sessions (an assessment office) are not group rooms and never change.

A variant with R group rooms, when the scenario has R0:

- R < R0 keeps the first R group rooms and drops every phase/aftercare session of the others
  (a dropped room that also holds intake sessions stays for them);
- R > R0 adds rooms in turn as copies of the group rooms 1, 2, ..., R0, 1, ...: same seats and
  hours, every phase/aftercare session of the original copied on the same day and time under a new
  group name (`early-am #2` in room `Room A #2`). Each copy is a whole extra track of groups, so
  seats grow with rooms; counselors still have to be there to run them.

Copying (rather than inventing new times) keeps the planner's timetable as the only source of
when groups meet. The variant must pass the same checks as a hand-written scenario; one that does
not (e.g. R = 1 leaves a phase without a session) is reported with the reasons, never run.
"""

from __future__ import annotations

from ..scenario.checks import INTAKE, check_scenario
from ..scenario.schema import Scenario


class RoomScalingError(ValueError):
    """The scaled scenario is not valid; `problems` are (dotted.path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in problems))
        self.problems = problems


def _is_group_session(session: dict) -> bool:
    return INTAKE not in session["serves"]


def group_rooms(scenario: Scenario) -> list[str]:
    """Names of the rooms holding phase or aftercare sessions, in the order of `rooms:`."""
    used = {s.room for s in scenario.timetable if INTAKE not in s.serves and s.room is not None}
    return [r.name for r in scenario.rooms if r.name in used]


def with_group_rooms(scenario: Scenario, count: int) -> Scenario:
    """The scenario scaled to `count` group rooms (see the module docstring); raises RoomScalingError."""
    base = group_rooms(scenario)
    if count < 1:
        raise RoomScalingError([("", f"needs at least 1 group room, got {count}")])
    if count == len(base):
        return scenario
    data = scenario.model_dump(mode="json", by_alias=True)
    data = _fewer(data, base, count) if count < len(base) else _more(data, base, count)
    problems = _validate(data)
    if problems:
        raise RoomScalingError(problems)
    return Scenario.model_validate(data)


def _fewer(data: dict, base: list[str], count: int) -> dict:
    dropped = set(base[count:])
    data["timetable"] = [s for s in data["timetable"] if not (s.get("room") in dropped and _is_group_session(s))]
    still_used = {s.get("room") for s in data["timetable"]}
    data["rooms"] = [r for r in data["rooms"] if r["name"] not in dropped or r["name"] in still_used]
    kept = {r["name"] for r in data["rooms"]}
    if data.get("finance"):  # a dropped room costs nothing any more
        data["finance"]["rooms"] = [r for r in data["finance"]["rooms"] if r["room"] in kept]
    return data


def _more(data: dict, base: list[str], count: int) -> dict:
    rooms = {r["name"]: r for r in data["rooms"]}
    names = set(rooms)
    groups = {s["group"] for s in data["timetable"]}
    added_rooms, added_sessions = [], []
    copies: list[tuple[str, str]] = []  # (template room, its copy)
    for k in range(len(base), count):
        template = base[k % len(base)]
        copy_no = k // len(base) + 1
        name = _unique(f"{template} #{copy_no}", names)
        added_rooms.append({**rooms[template], "name": name})
        copies.append((template, name))
        renamed: dict[str, str] = {}
        for s in data["timetable"]:
            if s.get("room") == template and _is_group_session(s):
                if s["group"] not in renamed:
                    renamed[s["group"]] = _unique(f"{s['group']} #{copy_no}", groups)
                added_sessions.append({**s, "room": name, "group": renamed[s["group"]]})
    data["rooms"] = data["rooms"] + added_rooms
    data["timetable"] = data["timetable"] + added_sessions
    if data.get("finance"):  # a copied room costs what its template costs
        costs = {r["room"]: r for r in data["finance"]["rooms"]}
        data["finance"]["rooms"] += [{**costs[template], "room": name}
                                     for template, name in copies if template in costs]
    return data


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} ({n})", n + 1
    taken.add(candidate)
    return candidate


def _validate(data: dict) -> list[tuple[str, str]]:
    from pydantic import ValidationError

    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:  # pragma: no cover - copies of valid sessions stay well-typed
        return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
    return [(path, _describe(data, path, message)) for path, message in check_scenario(scenario)]


def _describe(data: dict, path: str, message: str) -> str:
    """Timetable paths index the scaled timetable, which the planner never sees: name the group too."""
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] == "timetable" and parts[1].isdigit():
        session = data["timetable"][int(parts[1])]
        return f"{message} (group {session['group']!r} in {session['room']!r})"
    return message
