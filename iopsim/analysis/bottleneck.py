"""Bottleneck diagnosis: which resource limits the program, with the evidence.

A utilisation figure alone misleads: group rooms used a third of the time say nothing about the
seats in them, which can be full all the time with a long waitlist in front. So every resource
that can hold patients back is measured the same two ways over the observation window:

- `at_capacity_pct`: the share of the window it had nothing left to give (no seat free in the
  pool, no counselor with room in their caseload, every assessor busy, ...);
- `queue_mean`: the time-averaged number waiting for it (hours a week for counselor hours).

Resources (names fit suffixes: `seats:PHASE:TRACK`):
- `intake`: the assessment. At capacity while every dedicated assessor is busy, or, with timetable
  intake clinics, from a clinic that could not see everyone waiting until one that could. Queue:
  the intake queue.
- `seats:PHASE`: the seats of the groups serving a phase. At capacity while none has a seat free.
  Queue: patients waiting to move into the phase (plus, for the first phase, the waitlist).
- `aftercare_seats`: the same for the aftercare groups; queue: graduates waiting for a seat.
- `caseload`: at capacity while no counselor has room for another primary patient. Queue: the
  waitlist (admission needs a seat and a counselor; both meters say which one was missing).
- `counselor_hours`: clinical hours are a weekly budget, so they are judged by whole weeks after
  the warm-up: at capacity in a week in which a session or intake clinic found no counselor with
  the hours, individual sessions were delivered short, or overtime was worked. Queue: hours of
  counselor work a week not given in contracted time (individual hours short, overtime, hours of
  sessions cancelled for want of a counselor).
- `room_hours`: the share of the group rooms' bookable hours the timetable books (fixed by the
  timetable, the same in every replication). Queue: everyone waiting for a seat.

The rule. A resource binds when, on the mean over replications, it is at capacity at least
`BINDING_AT_CAPACITY_PCT` (50%) of the window AND at least `BINDING_QUEUE` (1) patient, or hour a
week, waits for it. At capacity more often than not means the waits come from a lack of it, not
from when patients happen to arrive; the queue condition leaves out a resource that is exactly
used up with nobody waiting (full seats and an empty waitlist are a well-sized program, not a
limit). A resource that is the limit starves the ones behind it, so they show slack: the rule
names the resource to add, not every one that is busy. Room hours bind differently, since
nothing queues for a room as such: when a seat pool binds and no group room has the free
bookable hours for one more group like the smallest of that pool (more seats need another group,
and it needs room time). With nothing binding the answer is `none`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..scenario.checks import INTAKE
from .stats import mean_ci

if TYPE_CHECKING:  # pragma: no cover
    from ..model.clinic import RunResult
    from ..scenario.schema import Scenario

BINDING_AT_CAPACITY_PCT = 50.0
BINDING_QUEUE = 1.0
NONE = "none"
KINDS = ("intake", "seats", "caseload", "counselor_hours", "room_hours", "aftercare_seats")  # pathway order
RULE = (f"at capacity at least {BINDING_AT_CAPACITY_PCT:g}% of the window with at least {BINDING_QUEUE:g} "
        "waiting on average (patients; hours a week for counselor hours); room hours bind when a seat pool "
        "binds and no group room has the hours for one more of its groups")
_EPS = 1e-9


# --- one replication ---------------------------------------------------------------------------
def measure(result: RunResult) -> dict[str, dict[str, float]]:
    """Per resource, in pathway order: at_capacity_pct, queue_mean, capacity (and its unit in `UNITS`)."""
    out: dict[str, dict[str, float]] = {}
    for name, m in result.capacity.items():
        out[name] = {"at_capacity_pct": 100.0 * m["at_capacity"], "queue_mean": m["queue_mean"],
                     "capacity": m["capacity"]}
    out["counselor_hours"] = _counselor_hours(result)
    out["room_hours"] = _room_hours(result, out)
    return {name: out[name] for name in sorted(out, key=_order)}


def _order(name: str) -> int:
    """Pathway order of kinds; a stable sort keeps phases (and tracks) in the model's order."""
    return KINDS.index(kind_of(name))


def kind_of(name: str) -> str:
    """The resource kind (`seats` of `seats:phase1:evening`)."""
    return name.split(":", 1)[0]


def _counselor_hours(result: RunResult) -> dict[str, float]:
    needed = ("week_end_days", "individual_hours_demanded", "individual_hours_delivered", "counselor_overtime_hours",
              "sessions_cancelled_no_counselor")
    s = {name: np.asarray(result.series.get(name, ()), dtype=float) for name in needed}
    weeks = result.window.week_counts(s["week_end_days"])
    c = result.scenario.counselors
    capacity = c.count * (c.contracted_hours_per_week - c.other_duties_hours_per_week)
    n = int(weeks.sum())
    if not n:
        return {"at_capacity_pct": math.nan, "queue_mean": math.nan, "capacity": capacity}
    short = s["individual_hours_demanded"][weeks] - s["individual_hours_delivered"][weeks]
    overtime = s["counselor_overtime_hours"][weeks]
    cancelled = s["sessions_cancelled_no_counselor"][weeks]
    out_of_hours = (short > _EPS) | (overtime > _EPS) | (cancelled > 0)
    cancelled_hours = sum(slot["cancelled_no_counselor"] * slot["hours"] for slot in result.slots)
    window_weeks = result.window.weeks
    return {
        "at_capacity_pct": 100.0 * float(out_of_hours.mean()),
        "queue_mean": float((short + overtime).mean()) + (cancelled_hours / window_weeks if window_weeks else 0.0),
        "capacity": capacity,
    }


def _room_hours(result: RunResult, measured: dict[str, dict[str, float]]) -> dict[str, float]:
    spec = result.scenario
    group_rooms = {sess.room for sess in spec.timetable if INTAKE not in sess.serves and sess.room is not None}
    available = {r.name: r.available_hours_per_week for r in spec.rooms if r.name in group_rooms}
    booked = dict.fromkeys(available, 0.0)
    for sess in spec.timetable:
        if sess.room in booked:
            booked[sess.room] += sess.hours
    total = sum(available.values())
    free = max((available[r] - booked[r] for r in available), default=0.0)
    return {
        "at_capacity_pct": min(100.0, 100.0 * sum(booked.values()) / total) if total else math.nan,
        "queue_mean": sum(m["queue_mean"] for name, m in measured.items() if kind_of(name) in ("seats", "aftercare_seats")),
        "capacity": total,
        "free_hours_most": max(0.0, free),  # the most bookable hours a week any one group room has left
    }


def group_hours_needed(scenario: Scenario, pool: str) -> float:
    """Weekly timetable hours of the smallest group whose seats are in `pool` (one more such group
    is what more seats there would need)."""
    phases = scenario.phase_names()
    hours: dict[str, float] = {}
    for sess in scenario.timetable:
        if INTAKE in sess.serves:
            continue
        serves = set(sess.serves)
        if pool == "aftercare_seats":
            ok = "aftercare" in serves
        else:
            parts = pool.split(":")
            ok = len(parts) > 1 and parts[1] in phases and parts[1] in serves
        if ok:
            hours[sess.group] = hours.get(sess.group, 0.0) + sess.hours
    return min(hours.values(), default=math.inf)


# --- across replications -------------------------------------------------------------------------
UNITS = {"intake": ("patients", "referrals waiting for an intake assessment"),
         "seats": ("patients", "patients waiting for a seat"),
         "aftercare_seats": ("patients", "graduates waiting for an aftercare seat"),
         "caseload": ("patients", "patients on the waitlist"),
         "counselor_hours": ("hours a week", "hours of counselor work a week not given in contracted time"),
         "room_hours": ("patients", "patients waiting for any seat")}


def summarise(rows: Sequence[dict[str, dict[str, float]]], scenario: Scenario | None = None) -> dict:
    """The summary.json block: per resource the mean and 95% CI of its measures, and which bind."""
    if not rows:
        return {"binding": [], "rule": RULE, "resources": {}}
    resources: dict[str, dict] = {}
    for name in rows[0]:
        entry: dict = {}
        for measure_name in rows[0][name]:
            est = mean_ci([r[name][measure_name] for r in rows])
            entry[measure_name] = _finite(est.mean)
            if measure_name in ("at_capacity_pct", "queue_mean"):  # clipped to the measure's range
                top = 100.0 if measure_name == "at_capacity_pct" else math.inf
                entry[f"{measure_name}_ci95"] = [_finite(max(est.lo, 0.0)), _finite(min(est.hi, top))]
        unit, waiting = UNITS[kind_of(name)]
        entry["queue_unit"] = unit
        entry["waiting"] = waiting
        entry["capacity_unit"] = _capacity_unit(name, scenario)
        resources[name] = entry
    binding = binding_resources(resources, scenario)
    for name, entry in resources.items():
        entry["binding"] = name in binding
    return {"binding": binding or [NONE], "rule": RULE, "resources": resources}


def _capacity_unit(name: str, scenario: Scenario | None) -> str:
    kind = kind_of(name)
    if kind == "intake":
        dedicated = scenario is not None and scenario.intake.mode == "dedicated_assessors"
        return "assessors" if dedicated else "appointments a week"
    return {"seats": "seats", "aftercare_seats": "seats", "caseload": "patients",
            "counselor_hours": "clinical hours a week", "room_hours": "bookable hours a week"}[kind]


def _binds(entry: dict) -> bool:
    at, queue = entry.get("at_capacity_pct"), entry.get("queue_mean")
    return at is not None and queue is not None and at >= BINDING_AT_CAPACITY_PCT and queue >= BINDING_QUEUE


def binding_resources(resources: dict[str, dict], scenario: Scenario | None = None) -> list[str]:
    """Names of the binding resources, in pathway order (see the module docstring for the rule)."""
    binding = [name for name, e in resources.items() if kind_of(name) != "room_hours" and _binds(e)]
    rooms = resources.get("room_hours")
    if rooms is not None and scenario is not None:
        seat_pools = [name for name in binding if kind_of(name) in ("seats", "aftercare_seats")]
        free = rooms.get("free_hours_most") or 0.0
        if any(free < group_hours_needed(scenario, pool) for pool in seat_pools):
            binding.append("room_hours")
    return sorted(binding, key=_order)


def _finite(x: float) -> float | None:
    return None if x is None or math.isnan(x) or math.isinf(x) else float(x)


# --- in words ------------------------------------------------------------------------------------
_KIND_LABEL = {"intake": "intake", "seats": "seats", "aftercare_seats": "aftercare seats",
               "caseload": "counselor caseloads", "counselor_hours": "counselor hours", "room_hours": "group-room hours"}


def label(name: str) -> str:
    """'seats:phase1:evening' -> 'evening phase1 seats'; 'caseload' -> 'counselor caseloads'."""
    kind, *rest = name.split(":")
    if kind == "seats" and rest:
        return " ".join([*rest[1:], rest[0], "seats"])
    return " ".join([*rest, _KIND_LABEL[kind]])


def evidence(name: str, entry: dict) -> str:
    at, queue = entry.get("at_capacity_pct"), entry.get("queue_mean")
    if at is None or queue is None:
        return "not measured"
    kind = kind_of(name)
    if kind == "counselor_hours":
        return f"short in {at:.0f}% of weeks, {queue:.1f} h a week not given in contracted time"
    if kind == "room_hours":
        return f"{at:.0f}% of bookable hours timetabled, {queue:.1f} patients waiting for a seat on average"
    return f"at capacity {at:.0f}% of the time, {queue:.1f} patients waiting on average"


def sentence(block: dict) -> str:
    """One plain sentence for under the KPI table."""
    resources = block.get("resources", {})
    binding = [b for b in block.get("binding", []) if b != NONE]
    if not any(e.get("queue_mean") is not None for e in resources.values()):
        return "Binding: not measured (no time after the warm-up)."
    if binding:
        named = "; ".join(f"{label(b)} ({evidence(b, resources[b])})" for b in binding)
        bound_kinds = {kind_of(b) for b in binding}
        slack = [_KIND_LABEL[k] for k in KINDS if k not in bound_kinds and any(kind_of(n) == k for n in resources)]
        tail = f"; {_join(slack)} {'has' if len(slack) == 1 else 'have'} slack" if slack else ""
        return f"Binding: {named}{tail}."
    fullest = max((n for n, e in resources.items() if kind_of(n) != "room_hours" and e.get("at_capacity_pct") is not None),
                  key=lambda n: resources[n].get("at_capacity_pct") or 0.0, default=None)
    text = "Binding: none (no resource is at capacity half the time with patients waiting)"
    if fullest is not None:
        text += f"; the fullest is {label(fullest)} ({evidence(fullest, resources[fullest])})"
    return text + "."


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
