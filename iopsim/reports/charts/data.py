"""The numbers the charts draw, taken from a run folder: tables and arrays, no matplotlib.

Apart from the drawing so they can be checked against the KPIs (tests/reports/test_charts.py):
every count here uses the KPI's own window (after the warm-up), so a chart never disagrees with
the table next to it.
"""

from __future__ import annotations

import math

from ...scenario.vocabulary import ACCESS_TARGET_DAYS, group_size_cap
from ...scenario.vocabulary import ACTIVITIES as COUNSELOR_ACTIVITIES
from ..rundir import REASON_OF, TREATMENT_OUTCOMES, RunDir

# Where counselor hours go, in stacking order: the model's clinical activities, then the rest of the week.
HOUR_KINDS = (*COUNSELOR_ACTIVITIES, "other_duties", "idle")


# --- seats, from the scenario alone -------------------------------------------------------------------
def group_capacity(scenario: dict) -> dict[str, int]:
    """Seats per group as the model sets them: the smallest of group size and room seats over its sessions."""
    seats = {r["name"]: int(r["seats"]) for r in scenario["rooms"]}
    default = int(scenario["groups"]["max_size"])
    out: dict[str, int] = {}
    for s in scenario["timetable"]:
        if "intake" in s["serves"]:
            continue
        in_person = s.get("mode", "in_person") == "in_person"  # online members need no seat
        cap = group_size_cap(s.get("max_size"), default, seats.get(s.get("room"), default) if in_person else default)
        out[s["group"]] = min(out.get(s["group"], cap), cap)
    return out


def seat_totals(scenario: dict) -> tuple[int, int]:
    """Seats of the treatment groups and of the aftercare groups: the census cannot rise above them."""
    capacity = group_capacity(scenario)
    phases = {p["name"] for p in scenario["phases"]}
    treatment: set[str] = set()
    aftercare: set[str] = set()
    for s in scenario["timetable"]:
        if phases & set(s["serves"]):
            treatment.add(s["group"])
        if "aftercare" in s["serves"]:
            aftercare.add(s["group"])
    return sum(capacity[g] for g in treatment), sum(capacity[g] for g in aftercare - treatment)


# --- patients (the per-patient table) -------------------------------------------------------------------
def admission_waits(run: RunDir):
    """Waits (days) of admissions inside the window, with their replication."""
    p = run.patients
    m = run.within_window("admitted")
    return (p.loc[m, "admitted"] - p.loc[m, "referred"]).to_numpy(float), p.loc[m, "replication"].to_numpy()


def share_within_target(run: RunDir):
    """Per-replication share (%) admitted within the target, and its mean and 95% CI (as the KPI)."""
    import numpy as np

    from ...analysis.stats import mean_ci

    wait, rep = admission_waits(run)
    shares = [100.0 * float(np.mean(wait[rep == r] <= ACCESS_TARGET_DAYS)) for r in np.unique(rep)]
    return mean_ci(shares)


def stays(run: RunDir):
    """Length of stay (days) and reason for discharge (TREATMENT_OUTCOMES) of every treatment episode that
    ended inside the window."""
    p = run.patients
    m = run.within_window("treatment_end") & p["outcome"].isin([*TREATMENT_OUTCOMES, *REASON_OF])
    reason = p.loc[m, "outcome"].astype(str).replace(REASON_OF)
    return (p.loc[m, "treatment_end"] - p.loc[m, "admitted"]).to_numpy(float), reason.to_numpy()


# --- timetabled sessions (sessions.csv) -----------------------------------------------------------------
def session_slots(run: RunDir):
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


def group_sessions(run: RunDir):
    """Per group (timetable order): session counts by state and seats, summed over replications."""
    slots = session_slots(run)
    slots = slots[~slots["serves"].astype(str).str.split("+").apply(lambda s: "intake" in s)]
    g = slots.groupby("group", sort=False).sum(numeric_only=True)
    if "full" not in g:
        g["full"] = float("nan")  # older run folders: only a program-wide count (full_share_program)
    g["run_below"] = g["run"] - g["full"].fillna(0)
    g["capacity"] = [group_capacity(run.scenario).get(name, float("nan")) for name in g.index]
    return g


def full_share_program(run: RunDir) -> float:
    """% of group sessions run that were at capacity, all groups (weekly series; no per-group count)."""
    w = run.window_weeks()
    full = float(run.timeseries.loc[w, "sessions_full"].sum())
    ran = float(group_sessions(run)["run"].sum())
    return min(100.0, 100 * full / ran) if ran else math.nan


# --- counselor time (weekly series) ---------------------------------------------------------------------
def counselor_hours(run: RunDir):
    """Per week and replication: hours by activity, the unscheduled rest of contracted hours, overtime."""
    ts = run.timeseries
    out = ts[["replication", "week_end_days"]].copy()
    for key in HOUR_KINDS[:-1]:
        out[key] = ts[f"counselor_hours_{key}"]
    worked = out[list(HOUR_KINDS[:-1])].sum(axis=1)
    out["idle"] = (ts["counselor_hours_contracted"] - worked).clip(lower=0)
    out["contracted"] = ts["counselor_hours_contracted"]
    out["overtime"] = ts["counselor_overtime_hours"]
    return out
