"""The levers a planner pulls on a program template, and what each one relieves.

A scenario with a `program:` template is sized by changing whole numbers in it, never by editing
the generated timetable: the groups of each phase block (`program.phases.<phase>.<i>.groups`), the
aftercare groups, the intake clinics (parallel clinics `program.intake.<i>.groups` and clinic days
`program.intake.<i>.days`, and for clinics kept to named offices, copies of the first office;
`intake.assessors` with dedicated assessors), counselors (`counselors.count`, or each `counselors.shifts.<k>.count`)
and extra group rooms (copies of the largest room, appended to `rooms:` and to every block's `rooms:` list
that names the original). A candidate is the
base scenario's data with some lever values changed; the template then generates its timetable, so
a candidate that does not fit (no room hours, no counselor on shift) fails validation like a
hand-written file and is skipped with the reason.

Each binding resource of the bottleneck diagnosis names the levers that relieve it: intake ->
intake clinics; `seats:PHASE[:TRACK]` -> that phase's groups (of that track); aftercare seats ->
aftercare groups; caseload and counselor hours -> counselors; group-room hours -> rooms.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from ..analysis.bottleneck import kind_of
from ..scenario.checks import check_scenario
from ..scenario.schema import Scenario

WEEK_ORDER = ("mon", "tue", "wed", "thu", "fri", "sat")  # clinic days added in this order (no Sunday clinics)
ADDED = 3  # most units a lever may add above the base program


def counselors_high(n: int, max_added: int) -> int:
    """Counselors may double (or grow by max_added, whichever is more): staff scale with demand, and a
    program sized for more referrals can need more counselors than groups or clinics added one by one."""
    return n + max(max_added, n)
ROOM_COPY = " #"  # an extra room is named after the first group room: 'Room A #2'


@dataclass(frozen=True)
class Lever:
    """One whole number of the scenario: its dotted path, what it means, its base value and range."""

    path: str
    label: str
    kind: str  # phase_groups | aftercare_groups | intake_groups | intake_days | intake_rooms | assessors | counselors | rooms
    base: int
    low: int
    high: int
    phase: str | None = None
    track: str | None = None

    def relieves(self, resource: str) -> bool:
        """Whether one more unit of this lever adds capacity to the (binding) resource."""
        kind = kind_of(resource)
        if kind == "intake":
            return self.kind in ("intake_groups", "intake_days", "assessors")
        if kind == "seats":
            parts = resource.split(":")
            phase = parts[1] if len(parts) > 1 else None
            track = parts[2] if len(parts) > 2 else None
            return (self.kind == "phase_groups" and (phase is None or phase == self.phase)
                    and (track is None or self.track in (None, track)))
        if kind == "aftercare_seats":
            return self.kind == "aftercare_groups"
        if kind in ("caseload", "counselor_hours"):
            return self.kind == "counselors"
        if kind == "room_hours":
            return self.kind == "rooms"
        return False


def find_levers(data: Mapping, max_added: int = ADDED) -> list[Lever]:
    """The levers of a scenario's data (its `program:` template, counselors and rooms), base values as written."""
    program = data.get("program") or {}
    out: list[Lever] = []
    for phase, blocks in (program.get("phases") or {}).items():
        for i, block in enumerate(blocks):
            n = int(block.get("groups", 1))
            track = block.get("track")
            label = f"{phase} {track + ' ' if track else ''}groups ({'/'.join(block['days'])} {block['start']})"
            out.append(Lever(f"program.phases.{phase}.{i}.groups", label, "phase_groups", n, 1, n + max_added,
                             phase, track))
    for i, block in enumerate(program.get("aftercare") or []):
        n = int(block.get("groups", 1))
        out.append(Lever(f"program.aftercare.{i}.groups", f"aftercare groups ({'/'.join(block['days'])})",
                         "aftercare_groups", n, 1, n + max_added))
    for i, block in enumerate(program.get("intake") or []):
        n = int(block.get("groups", 1))
        out.append(Lever(f"program.intake.{i}.groups", f"parallel intake clinics ({block['start']})", "intake_groups",
                         n, 1, n + max_added))
        if block.get("rooms"):  # clinics kept to their offices: a parallel clinic needs another office
            out.append(Lever(f"program.intake.{i}.rooms.extra", f"extra intake offices (copies of {block['rooms'][0]})",
                             "intake_rooms", 0, 0, max_added))
        days = len(block["days"])
        more = len(set(WEEK_ORDER) - set(block["days"]))
        out.append(Lever(f"program.intake.{i}.days", f"intake clinic days ({block['start']})", "intake_days",
                         days, 1, days + more))
    intake = data.get("intake") or {}
    if intake.get("mode") == "dedicated_assessors":
        n = int(intake.get("assessors", 0))
        out.append(Lever("intake.assessors", "intake assessors", "assessors", n, 1, n + max_added))
    counselors = data.get("counselors") or {}
    shifts = counselors.get("shifts") or []
    if shifts:
        for k, shift in enumerate(shifts):
            n = int(shift["count"])
            out.append(Lever(f"counselors.shifts.{k}.count", f"counselors on the {shift['name']} shift",
                             "counselors", n, 1, counselors_high(n, max_added)))
    else:
        n = int(counselors.get("count", 0))
        out.append(Lever("counselors.count", "counselors", "counselors", n, 1, counselors_high(n, max_added)))
    out.append(Lever("rooms.extra", "extra group rooms (copies of the largest room)", "rooms", 0, 0, max_added))
    return out


def apply_levers(data: Mapping, levers: list[Lever], values: Mapping[str, int]) -> dict:
    """A copy of `data` with each lever set to its value (levers not in `values` keep their base)."""
    out = copy.deepcopy(dict(data))
    for lever in levers:
        value = values.get(lever.path, lever.base)
        if value == lever.base:
            continue
        parts = lever.path.split(".")
        if lever.kind == "rooms":
            largest = max(out["rooms"], key=lambda r: r["seats"])["name"]  # the largest holds groups
            _offer_copies(out, largest, _add_rooms(out, largest, value))
        elif lever.kind == "intake_rooms":
            block = out["program"]["intake"][int(parts[2])]
            block["rooms"] = list(block["rooms"]) + _add_rooms(out, block["rooms"][0], value)
        elif lever.kind == "intake_days":
            block = out["program"]["intake"][int(parts[2])]
            extra = [d for d in WEEK_ORDER if d not in block["days"]]
            block["days"] = (list(block["days"]) + extra)[:value]
        elif lever.kind == "counselors" and parts[1] == "shifts":
            counselors = out["counselors"]
            counselors["shifts"][int(parts[2])]["count"] = value
            if "count" in counselors:  # the total must stay the shifts' sum
                counselors["count"] = sum(int(s["count"]) for s in counselors["shifts"])
        else:
            node = out
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list) else node[part]
            node[parts[-1]] = value
    return out


def _add_rooms(data: dict, template_name: str, extra: int) -> list[str]:
    """Append `extra` copies of room `template_name` (same seats, hours and costs); their names."""
    rooms = data["rooms"]
    template = next(r for r in rooms if r["name"] == template_name)
    names = {r["name"] for r in rooms}
    added: list[dict] = []
    k = 2
    while len(added) < extra:
        name = f"{template['name']}{ROOM_COPY}{k}"
        k += 1
        if name not in names:
            added.append({**template, "name": name})
    data["rooms"] = rooms + added
    finance = data.get("finance")
    if finance and finance.get("rooms"):
        costs = {r["room"]: r for r in finance["rooms"]}
        if template["name"] in costs:
            finance["rooms"] = finance["rooms"] + [{**costs[template["name"]], "room": r["name"]} for r in added]
    return [r["name"] for r in added]


def _offer_copies(data: dict, original: str, copies: list[str]) -> None:
    """A copied group room is usable wherever its original is: add it to every phase and aftercare
    block that keeps its groups to a `rooms:` list naming the original (blocks without one use any room)."""
    program = data.get("program") or {}
    blocks = [b for phase in (program.get("phases") or {}).values() for b in phase]
    for block in blocks + list(program.get("aftercare") or []):
        if block.get("rooms") and original in block["rooms"]:
            block["rooms"] = list(block["rooms"]) + copies


def build_candidate(data: Mapping) -> Scenario:
    """Validate and check a candidate's data; raises ValueError naming every problem."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ValueError("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())) from None
    problems = check_scenario(scenario)
    if problems:
        raise ValueError("; ".join(f"{p}: {m}" if p else m for p, m in problems))
    return scenario


def describe(levers: list[Lever], values: Mapping[str, int]) -> str:
    """'early evening groups 2 -> 3; counselors 4 -> 5' (only the changed levers), or 'as written'."""
    changed = [f"{lv.label} {lv.base} -> {values[lv.path]}" for lv in levers
               if values.get(lv.path, lv.base) != lv.base]
    return "; ".join(changed) or "as written"
