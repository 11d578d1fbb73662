"""The executive summary at the top of the report: five plain sentences a director reads first.

What was modelled, what came out, what binds, what to do, and what is least certain, each built
from the run folders (their resolved scenarios, KPIs, bottleneck block and comparisons), never
written in advance. The recommendation follows the bottleneck rule (add the resource that binds)
and the warning thresholds (thresholds.py); with several runs, it weighs what each variant improves
against what it makes worse, beyond chance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..analysis.bottleneck import BINDING_AT_CAPACITY_PCT, BINDING_QUEUE, NONE, evidence
from ..analysis.bottleneck import label as resource_label
from .assumptions import assumptions, plain_number
from .compare import Comparison
from .rundir import RunDir
from .style import kpi_label
from .tables import decimals_for, format_money, format_value
from .thresholds import KEY_RESULTS, WORSE, flags, is_worse


@dataclass(frozen=True)
class Point:
    heading: str
    text: str


def _value(run: RunDir, name: str, with_ci: bool = True) -> str:
    v = run.kpis.get(name) or {}
    mean, (lo, hi) = v.get("mean"), (v.get("ci95") or [None, None])[:2]
    unit = v.get("unit", "")
    d = decimals_for(mean, unit)
    suffix = "%" if unit == "%" else f" {unit}" if unit and unit not in ("per year", "patients") else ""
    text = f"{format_value(mean, d)}{suffix}"
    if with_ci and lo is not None and hi is not None:
        text += f" (95% CI {format_value(lo, d)}–{format_value(hi, d)})"
    return text


def modelled(runs: Sequence[RunDir]) -> str:
    first = runs[0]
    s = first.scenario
    groups = {t["group"] for t in s["timetable"] if "intake" not in t["serves"]}
    text = (f"An intensive outpatient program ({first.name}) receiving {plain_number(s['referrals']['rate_per_week'])} "
            f"referrals a week, treated in {len(s['phases'])} phases ({', '.join(p['name'] for p in s['phases'])}) "
            f"in {len(groups)} timetabled groups, with {s['counselors']['count']} counselors and {len(s['rooms'])} "
            f"rooms; {plain_number(first.summary['horizon_years'])} years simulated {first.replications} times, "
            f"the first {plain_number(first.summary['warmup_weeks'])} weeks left out as warm-up.")
    if len(runs) > 1:
        differ = [row for row in assumptions(runs) if row["differs"]]
        shown = "; ".join(f"{row['path']} {' vs '.join(row['values'])}" for row in differ[:4])
        more = f" and {len(differ) - 4} more" if len(differ) > 4 else ""
        letters = ", ".join(f"{chr(65 + i)}: {r.label}" for i, r in enumerate(runs))
        text += (f" {len(runs)} variants compared ({letters}), differing in {shown}{more}." if differ
                 else f" {len(runs)} runs compared ({letters}) with the same scenario.")
    return text


def results(run: RunDir) -> str:
    text = (f"{_value(run, 'admitted_within_14_days_pct')} of admissions started within 14 days of referral; "
            f"mean wait {_value(run, 'wait_to_admission_days_mean', False)}; "
            f"{_value(run, 'admissions_per_year', False)} admissions a year; "
            f"{_value(run, 'census_mean', False)} patients in treatment on average")
    if "net_per_year" in run.kpis:
        v = run.kpis["net_per_year"]
        lo, hi = (v.get("ci95") or [None, None])[:2]
        ci = "" if lo is None or hi is None else f" (95% CI {format_money(lo)} to {format_money(hi)})"
        text += f"; net {format_money(v.get('mean'))} {v.get('unit', '').split('/')[0]} a year{ci}"
    return text + "."


def binding(run: RunDir) -> str:
    block = run.summary.get("bottleneck") or {}
    names = [b for b in block.get("binding", []) if b != NONE]
    if not block:
        return "Not measured (run folder written before the bottleneck diagnosis)."
    if not names:
        return "None: no resource is at capacity half the time with patients waiting for it."
    return "; ".join(f"{resource_label(b)}: {evidence(b, block['resources'][b])}" for b in names) + "."


def recommendation(runs: Sequence[RunDir], comparisons: Sequence[Comparison]) -> str:
    if comparisons:
        return " ".join(_weigh(c, chr(66 + i)) for i, c in enumerate(comparisons))
    run = runs[0]
    names = [b for b in (run.summary.get("bottleneck") or {}).get("binding", []) if b != NONE]
    flagged = flags(run)
    if names:
        text = (f"Add {' and '.join(resource_label(b) for b in names)} first: "
                f"{'it is' if len(names) == 1 else 'they are'} what holds patients back; more of anything else "
                "would leave waits as they are.")
    elif not flagged:
        text = "The program as modelled meets its demand: no resource binds and no indicator crossed its warning threshold."
    else:
        text = "No resource holds admissions back."
    if flagged:
        text += " Before relying on this configuration, note: " + "; ".join(
            f"{_lower(kpi_label(f.kpi))} is {_value(run, f.kpi, False)}, {f.why}" for f in flagged) + "."
    return text


def _weigh(c: Comparison, letter: str) -> str:
    """What B does better and worse than A, beyond chance, among the key results."""
    better: list[str] = []
    worse: list[str] = []
    for name in KEY_RESULTS:
        r = c.row(name)
        if r is None or name not in WORSE or not r.diff.excludes_zero:
            continue
        (worse if is_worse(name, r.diff.lo, r.diff.hi) else better).append(_lower(kpi_label(name)))
    if not better and not worse:
        return f"{letter} ({c.b.label}) differs from A on none of the key results beyond chance."
    text = f"{letter} ({c.b.label}) "
    text += f"is better on {_join(better)}" if better else "is better on none of the key results"
    if worse:
        text += f" but worse on {_join(worse)}: weigh the trade-off before choosing it."
    else:
        text += ", and worse on none: prefer it if its cost is acceptable."
    return text


def uncertainty(runs: Sequence[RunDir]) -> str:
    """The least certain finding: a binding call near its threshold, else the least precise key result."""
    run = runs[-1] if len(runs) > 1 else runs[0]
    resources = (run.summary.get("bottleneck") or {}).get("resources", {})
    for name, entry in resources.items():
        lo, hi = (entry.get("at_capacity_pct_ci95") or [None, None])[:2]
        queue_hi = (entry.get("queue_mean_ci95") or [None, None])[1]
        could_bind = queue_hi is not None and queue_hi >= BINDING_QUEUE  # the rule's other half
        if could_bind and lo is not None and hi is not None and lo < BINDING_AT_CAPACITY_PCT <= hi:
            what = resource_label(name)
            return (f"Whether {what} {'bind' if what.endswith('s') else 'binds'} in {run.label}: "
                    f"at capacity {entry['at_capacity_pct']:.0f}% of the time (95% CI {lo:.0f}–{hi:.0f}%), "
                    f"either side of the {BINDING_AT_CAPACITY_PCT:g}% rule; more replications would settle it. "
                    + _inputs_fixed(run))
    widest, spread = None, 0.0
    for name in KEY_RESULTS:
        v = run.kpis.get(name) or {}
        mean, (lo, hi) = v.get("mean"), (v.get("ci95") or [None, None])[:2]
        if mean and lo is not None and hi is not None and math.isfinite(mean):
            rel = (hi - lo) / 2 / abs(mean)
            if rel > spread:
                widest, spread = name, rel
    if widest is None:
        return "With one replication no confidence interval can be computed: run more replications. " + _inputs_fixed(run)
    return (f"The least precise key result is {kpi_label(widest)}: {_value(run, widest)}, ±{100 * spread:.0f}% of "
            f"its mean with {run.replications} replications. " + _inputs_fixed(run))


def _inputs_fixed(run: RunDir) -> str:
    return (f"The intervals cover the program's randomness only: inputs such as {plain_number(run.scenario['referrals']['rate_per_week'])} "
            "referrals a week are taken as the scenario states them (test them with `iopsim sensitivity` or "
            "`iopsim size --uncertainty`).")


def _lower(label: str) -> str:
    """A label inside a sentence: 'Total cost' -> 'total cost'."""
    return label[:1].lower() + label[1:]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def executive_summary(runs: Sequence[RunDir], comparisons: Sequence[Comparison]) -> list[Point]:
    many = len(runs) > 1
    outcome = " ".join(f"{chr(65 + i)}: {results(r)}" if many else results(r) for i, r in enumerate(runs))
    binds = " ".join(f"{chr(65 + i)}: {binding(r)}" if many else binding(r) for i, r in enumerate(runs))
    return [Point("What was modelled", modelled(runs)), Point("Results", outcome),
            Point("Binding constraint", binds), Point("Recommendation", recommendation(runs, comparisons)),
            Point("Main uncertainty", uncertainty(runs))]
