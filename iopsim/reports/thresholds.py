"""Warning thresholds and what gets worse: the one place the report decides what to flag.

A variant can 'win' on waits while something a funder or a clinical lead cares about slips:
individual sessions go undelivered, groups are cancelled, aftercare seats run out, counselors
run at full stretch. The key-results table therefore shows every such KPI, and flags a value
that crosses its threshold here. The thresholds are planning defaults, not clinical standards;
each says why it is where it is:

| KPI | flagged when | why |
|---|---|---|
| admitted_within_14_days_pct | below 90% | 14 days is the access mark of the wait KPIs (HEDIS IET counts initiation within 14 days); most should make it |
| individual_sessions_delivered_pct | below 95% | individual sessions are part of every patient's plan; a shortfall is care not given |
| sessions_cancelled_pct | above 5% | one group in twenty cancelled breaks the routine IOP relies on |
| counselor_utilization_pct | above 90% | queueing delays grow steeply as a resource nears full use (Foster, Hosking & Ziya 2010); no slack for sickness or crises |
| counselor_overtime_hours_per_week | above 0.5 h per counselor | contracted hours no longer cover the work |
| aftercare_uptake_pct | 5 pp below the scenario's uptake_prob | graduates who would join aftercare did not get a seat in time |
| net_per_year | below 0 | the program costs more than it earns |

Which direction is worse (`WORSE`) lets a comparison say that a KPI got worse with a confidence
interval that excludes zero, whatever its threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..analysis.bottleneck import label as resource_label
from .compare import HEADLINE_KPIS
from .rundir import RunDir
from .tables import format_value

# The key-results table: what a planner looks at first, then every KPI that can get worse when a variant wins.
KEY_RESULTS = (
    *HEADLINE_KPIS,  # the comparison chart's KPIs, then what else can get worse
    "counselor_overtime_hours_per_week",
    "group_enrollment_pct",
    "group_fill_pct",
    "total_cost_per_year",
    "net_per_year",
    "cost_per_completion",
)

HIGHER, LOWER = "higher", "lower"
# Which way a KPI gets worse (KPIs not listed have no better or worse: census, utilisation of rooms...).
WORSE: dict[str, str] = {
    **dict.fromkeys(("wait_to_assessment_days_mean", "wait_to_admission_days_mean", "wait_to_admission_days_p90",
                     "waitlist_days_mean", "intake_queue_mean", "waitlist_mean", "waitlist_max", "reneged_per_year",
                     "reneged_intake_per_year", "reneged_waitlist_per_year", "referred_out_waitlist_full_per_year",
                     "intake_no_show_closed_per_year", "dropout_rate_pct", "relapse_discharge_rate_pct",
                     "aftercare_relapse_pct", "counselor_overtime_hours_per_week", "sessions_cancelled_pct",
                     "staff_cost_per_year", "room_cost_per_year", "total_cost_per_year", "cost_per_admission",
                     "cost_per_completion", "break_even_census"), HIGHER),
    **dict.fromkeys(("admitted_within_14_days_pct", "admissions_per_year", "completion_rate_pct",
                     "aftercare_uptake_pct", "aftercare_completion_pct", "individual_sessions_delivered_pct",
                     "revenue_per_year", "net_per_year"), LOWER),
}


@dataclass(frozen=True)
class Threshold:
    kpi: str
    worse: str  # HIGHER: flagged above the limit; LOWER: below it
    limit: Callable[[dict], float | None]  # the resolved scenario -> the limit (None: does not apply)
    why: str

    def crossed(self, value: float | None, scenario: dict) -> float | None:
        """The limit, if `value` is on its wrong side; else None."""
        limit = self.limit(scenario)
        if value is None or limit is None or not math.isfinite(value):
            return None
        return limit if (value > limit if self.worse == HIGHER else value < limit) else None


def _fixed(x: float) -> Callable[[dict], float]:
    return lambda scenario: x


def _per_counselor(hours: float) -> Callable[[dict], float]:
    return lambda scenario: hours * int(scenario["counselors"]["count"])


def _uptake(scenario: dict) -> float | None:
    a = scenario.get("aftercare") or {}
    return 100.0 * float(a["uptake_prob"]) - 5.0 if a.get("enabled") and "uptake_prob" in a else None


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("admitted_within_14_days_pct", LOWER, _fixed(90.0),
              "below 90%: most patients should start within the 14-day access mark"),
    Threshold("individual_sessions_delivered_pct", LOWER, _fixed(95.0),
              "below 95%: individual sessions in patients' plans were not given"),
    Threshold("sessions_cancelled_pct", HIGHER, _fixed(5.0), "above 5%: more than one group in twenty cancelled"),
    Threshold("counselor_utilization_pct", HIGHER, _fixed(90.0),
              "above 90%: no slack for sickness, crises or growth; delays grow steeply near full use"),
    Threshold("counselor_overtime_hours_per_week", HIGHER, _per_counselor(0.5),
              "above 0.5 h a week per counselor: contracted hours do not cover the work"),
    Threshold("aftercare_uptake_pct", LOWER, _uptake,
              "more than 5 pp below the share of graduates who would join (aftercare.uptake_prob)"),
    Threshold("net_per_year", LOWER, _fixed(0.0), "below 0: the program costs more than it earns"),
)
THRESHOLD_OF = {t.kpi: t for t in THRESHOLDS}


@dataclass(frozen=True)
class Flag:
    kpi: str
    value: float
    limit: float
    why: str
    cause: str  # what the model knows about why ('' when it does not)


def flags(run: RunDir) -> list[Flag]:
    """The run's KPIs beyond their thresholds, in KEY_RESULTS order, each with its cause where known."""
    out = []
    for t in sorted(THRESHOLDS, key=lambda t: KEY_RESULTS.index(t.kpi) if t.kpi in KEY_RESULTS else len(KEY_RESULTS)):
        value = (run.kpis.get(t.kpi) or {}).get("mean")
        limit = t.crossed(value, run.scenario)
        if limit is not None and value is not None:
            out.append(Flag(t.kpi, value, limit, t.why, cause(run, t.kpi)))
    return out


def is_worse(kpi: str, diff_lo: float | None, diff_hi: float | None) -> bool:
    """Whether B - A (its 95% CI) shows the KPI got worse, beyond chance."""
    way = WORSE.get(kpi)
    if way is None or diff_lo is None or diff_hi is None:
        return False
    return diff_lo > 0 if way == HIGHER else diff_hi < 0


# --- causes the model can name ------------------------------------------------------------------
def _resource(run: RunDir, name: str) -> dict | None:
    return (run.summary.get("bottleneck") or {}).get("resources", {}).get(name)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0f}%"


def _kpi(run: RunDir, name: str) -> float | None:
    return (run.kpis.get(name) or {}).get("mean")


def cause(run: RunDir, kpi: str) -> str:
    """What the run's measurements say about why `kpi` is where it is ('' when the model cannot tell)."""
    explain = _CAUSES.get(kpi)
    return explain(run) if explain else ""


def _counselor_hours(run: RunDir) -> str:
    r = _resource(run, "counselor_hours")
    util = _kpi(run, "counselor_utilization_pct")
    if r is None or r.get("at_capacity_pct") is None:
        return ""
    return (f"counselors were short of clinical hours in {_pct(r['at_capacity_pct'])} of weeks "
            f"({format_value(r.get('queue_mean'))} h a week of work not given in contracted time), with "
            f"clinical time {_pct(util)} used")


def _aftercare(run: RunDir) -> str:
    r = _resource(run, "aftercare_seats")
    if r is None or r.get("at_capacity_pct") is None:
        return ""
    text = (f"aftercare seats were at capacity {_pct(r['at_capacity_pct'])} of the time, with "
            f"{format_value(r.get('queue_mean'))} graduates waiting for a seat on average")
    if run.has_patients:
        p = run.patients
        graduated = run.within_window("treatment_end") & (p["outcome"] == "graduated")
        no_seat = float((graduated & (p["aftercare_status"] == "no_seat")).sum())
        share = 100.0 * no_seat / float(graduated.sum()) if graduated.any() else math.nan
        if math.isfinite(share):
            text += f"; {share:.0f}% of graduates gave up waiting for one"
    return text


def _cancellations(run: RunDir) -> str:
    ts = run.timeseries
    w = run.window_weeks()
    small = float(ts.loc[w, "sessions_cancelled_small"].sum())
    staff = float(ts.loc[w, "sessions_cancelled_no_counselor"].sum())
    if small + staff == 0:
        return ""
    return (f"{100 * small / (small + staff):.0f}% of the cancellations were for too few patients, "
            f"{100 * staff / (small + staff):.0f}% for want of a counselor")


def _access(run: RunDir) -> str:
    block = run.summary.get("bottleneck") or {}
    binding = [b for b in block.get("binding", []) if b != "none"]
    if not binding:
        return "no single resource binds: waits come from when referrals arrive, not a lack of capacity"
    from ..analysis.bottleneck import evidence

    return "the binding resource is " + "; ".join(
        f"{resource_label(b)} ({evidence(b, block['resources'][b])})" for b in binding)


def _money(run: RunDir) -> str:
    cost, revenue = _kpi(run, "total_cost_per_year"), _kpi(run, "revenue_per_year")
    census, even = _kpi(run, "census_mean"), _kpi(run, "break_even_census")
    if not cost or revenue is None:
        return ""
    text = f"revenue covers {100 * revenue / cost:.0f}% of cost"
    if census is not None and even is not None and math.isfinite(even):
        text += f"; break-even needs an average census of {format_value(even)}, against {format_value(census)}"
    return text


_CAUSES: dict[str, Callable[[RunDir], str]] = {
    "individual_sessions_delivered_pct": _counselor_hours,
    "counselor_utilization_pct": _counselor_hours,
    "counselor_overtime_hours_per_week": _counselor_hours,
    "aftercare_uptake_pct": _aftercare,
    "sessions_cancelled_pct": _cancellations,
    "admitted_within_14_days_pct": _access,
    "wait_to_admission_days_mean": _access,
    "net_per_year": _money,
}
