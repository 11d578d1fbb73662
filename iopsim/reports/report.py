"""The grant-ready report: one self-contained HTML file built from run folders with Jinja2.

Everything is inside the file (charts as data: URIs, CSS inline, no scripts, no fonts to fetch),
so it opens offline, can be mailed as one attachment and prints cleanly to PDF from a browser.
This module only gathers words and numbers; layout lives in templates/report.html.j2.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..analysis.bottleneck import sentence as bottleneck_sentence
from .assumptions import assumptions, friendly_distribution, plain_number
from .budget import budget
from .charts import drawable, render
from .compare import Comparison, change_text, compare_all, comparison_chart, difference_text
from .rundir import RunDir
from .stress_des import CITATION as STRESS_DES_CITATION
from .stress_des import stress_des
from .style import KPI_DEFINITIONS, PNG_DPI, atomic_write, kpi_label, kpi_sections, style_context
from .summary import executive_summary
from .tables import decimals_for, format_value
from .thresholds import KEY_RESULTS, THRESHOLD_OF, THRESHOLDS, cause, flags, is_worse

TEMPLATE = "templates/report.html.j2"
IMAGE_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


# --- numbers and words ----------------------------------------------------------------------------
def _estimate(v: dict | None) -> dict:
    """{'mean': '6.82', 'ci': '5.69–7.96'} with the mean's decimals ('–' when undefined)."""
    if not v:
        return {"mean": "–", "ci": "", "flag": "", "worse": False}
    d = decimals_for(v.get("mean"), v.get("unit", ""))
    lo, hi = (v.get("ci95") or [None, None])[:2]
    ci = "" if lo is None or hi is None else f"{format_value(lo, d)}–{format_value(hi, d)}"
    return {"mean": format_value(v.get("mean"), d), "ci": ci, "flag": "", "worse": False}


def scenario_facts(run: RunDir) -> list[tuple[str, str]]:
    """A plain-language summary of the resolved scenario."""
    s = run.scenario
    ref = s["referrals"]
    demand = f"{plain_number(ref['rate_per_week'])} referrals a week"
    if ref.get("growth_per_year_pct"):
        demand += f", growing {plain_number(ref['growth_per_year_pct'])}% a year"
    if ref.get("monthly_multipliers"):
        demand += ", with seasonality"
    phases = "; ".join(
        f"{p['name']}: {friendly_distribution(p['duration_weeks'])} weeks, {p['group_sessions_per_week']} × {plain_number(p['session_hours'])} h "
        f"groups a week" for p in s["phases"])
    c = s["counselors"]
    staff = (f"{c['count']} counselors × {plain_number(c['contracted_hours_per_week'])} h a week "
             f"({plain_number(c['other_duties_hours_per_week'])} h of it other duties), caseload up to {c['max_caseload']}")
    rooms = "; ".join(f"{r['name']} ({r['seats']} seats, {plain_number(r['available_hours_per_week'])} h a week)"
                      for r in s["rooms"])
    therapy = [t for t in s["timetable"] if "intake" not in t["serves"]]
    intake = [t for t in s["timetable"] if "intake" in t["serves"]]
    timetable = (f"{len(therapy)} group sessions a week in {len({t['group'] for t in therapy})} groups "
                 f"(size {s['groups']['min_size']}–{s['groups']['max_size']})")
    if intake and s["intake"]["mode"] == "timetable_slots":
        timetable += f"; {plain_number(sum(t['hours'] for t in intake))} h of intake clinics"
    a = s["aftercare"]
    aftercare = (f"{friendly_distribution(a['duration_weeks'])} weeks, {plain_number(100 * a['uptake_prob'])}% of graduates join"
                 if a.get("enabled") else "none")
    sim = (f"{plain_number(run.summary['horizon_years'])} years, first {plain_number(run.summary['warmup_weeks'])} weeks excluded as "
           f"warm-up; {run.replications} replications, seed {run.seed}"
           + ("" if run.complete else " (interrupted: fewer replications than planned)"))
    return [("Demand", demand), ("Treatment phases", phases), ("Timetable", timetable), ("Rooms", rooms),
            ("Counselors", staff), ("Aftercare", aftercare), ("Simulation", sim)]


def methods_paragraph(runs: Sequence[RunDir], comparisons: Sequence[Comparison]) -> str:
    """The paragraph a grant writer pastes: model, replications, warm-up, CI method, version, seed."""
    first = runs[0]
    n_phases = sorted({len(r.scenario["phases"]) for r in runs})
    runs_text = "; ".join(
        f"{r.label}: {r.replications} replications of {plain_number(r.summary['horizon_years'])} years, base seed {r.seed}, "
        f"first {plain_number(r.summary['warmup_weeks'])} weeks discarded" for r in runs)
    versions = sorted({r.version for r in runs})
    text = (
        f"Results were produced with iopsim {', '.join(versions)}, an open-source discrete-event simulation "
        f"(Python, SimPy) of an addiction-treatment intensive outpatient program. The model follows every referral "
        f"through intake assessment, eligibility, the waitlist, {' or '.join(map(str, n_phases))} treatment "
        f"phases delivered in timetabled groups, relapse detection and response, discharge, and aftercare; "
        f"counselors (with contracted hours and caseload limits) and group rooms are explicit, limited "
        f"resources. Each scenario was simulated in independent replications, each with its own random-number "
        f"streams derived from the base seed and the replication number ({runs_text}). The warm-up period was "
        f"discarded so that results describe the program in steady operation rather than starting empty. Each "
        f"indicator was computed once per replication over the remaining period and is reported as the mean "
        f"across replications with a 95% confidence interval from Student's t distribution."
    )
    if comparisons:
        paired = [c for c in comparisons if c.paired]
        welch = [c for c in comparisons if not c.paired]
        if paired:
            text += (" Scenarios run with the same seed used common random numbers, so differences between them "
                     "were estimated replication by replication with a paired-t 95% confidence interval.")
        if welch:
            text += (" Scenarios run with different seeds were compared as independent samples with Welch's "
                     "t interval.")
    if first.replications < 2:
        text += " With a single replication, no confidence intervals could be computed."
    return text


# --- images -----------------------------------------------------------------------------------------
def figure_data_uri(fig, fmt: str = "svg") -> str:
    buf = io.BytesIO()
    metadata = {"svg": {"Date": None}, "png": {"Software": None}}[fmt]
    with style_context():
        fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=metadata)
    return f"data:{IMAGE_TYPES[fmt]};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def _charts(run: RunDir, fmt: str) -> list[dict]:
    return [{"name": c.name, "title": c.title, "caption": c.caption, "src": figure_data_uri(render(run, c), fmt)}
            for c in drawable(run)]


# --- the document -------------------------------------------------------------------------------------
def worsened(c: Comparison) -> list[dict]:
    """Key results worse in B than in A beyond chance, each with the difference and what the model says caused it."""
    out = []
    for name in KEY_RESULTS:
        r = c.row(name)
        if r is not None and is_worse(name, r.diff.lo, r.diff.hi):
            out.append({"label": r.label, "name": name, "diff": difference_text(r), "cause": cause(c.b, name)})
    return out


def _key_rows(runs: Sequence[RunDir], comparisons: Sequence[Comparison], kpi_rows: list) -> list[dict]:
    """The key results, each value marked when beyond its warning threshold or worse than A beyond chance."""
    rows = {row["name"]: row for _, section in kpi_rows for row in section}
    out = []
    for name in (n for n in KEY_RESULTS if n in rows):
        values = []
        for i, (run, v) in enumerate(zip(runs, rows[name]["values"], strict=True)):
            threshold = THRESHOLD_OF.get(name)
            mean = (run.kpis.get(name) or {}).get("mean")
            crossed = threshold is not None and threshold.crossed(mean, run.scenario) is not None
            diff = comparisons[i - 1].row(name) if i else None
            worse = diff is not None and is_worse(name, diff.diff.lo, diff.diff.hi)
            values.append({**v, "flag": threshold.why if crossed and threshold else "", "worse": worse})
        out.append({**rows[name], "values": values})
    return out


def report_context(runs: Sequence[RunDir], image_format: str = "svg") -> dict:
    comparisons = compare_all(runs)
    letters = [chr(65 + i) for i in range(len(runs))]
    names = list(runs[0].kpis)
    names += [n for run in runs[1:] for n in run.kpis if n not in names]
    kpi_rows = [
        (title, [{"name": n, "label": kpi_label(n), "definition": KPI_DEFINITIONS.get(n, ""),
                  "unit": next((r.kpis[n].get("unit", "") for r in runs if n in r.kpis), ""),
                  "values": [_estimate(r.kpis.get(n)) for r in runs]} for n in members])
        for title, members in kpi_sections(names)
    ]
    return {
        "title": "IOP capacity simulation: " + ", ".join(dict.fromkeys(r.name for r in runs)),
        "generated": _dt.date.today().isoformat(),
        "version": __version__,
        "executive_summary": executive_summary(runs, comparisons),
        "runs": [{"letter": letter, "label": r.label, "name": r.name, "folder": r.path.name or str(r.path),
                  "description": r.scenario.get("description", ""), "facts": scenario_facts(r),
                  "complete": r.complete, "charts": _charts(r, image_format), "budget": budget(r),
                  "bottleneck": bottleneck_sentence(r.summary["bottleneck"]) if "bottleneck" in r.summary else "",
                  "flags": [{"label": kpi_label(f.kpi), "name": f.kpi, "value": _estimate(r.kpis[f.kpi])["mean"],
                             "unit": r.kpis[f.kpi].get("unit", ""), "why": f.why, "cause": f.cause}
                            for f in flags(r)]}
                 for letter, r in zip(letters, runs, strict=True)],
        "headline_sections": [("", _key_rows(runs, comparisons, kpi_rows))],
        "thresholds": [{"label": kpi_label(t.kpi), "name": t.kpi, "why": t.why} for t in THRESHOLDS
                       if any(t.kpi in r.kpis for r in runs)],
        "kpi_sections": kpi_rows,
        "comparisons": [{
            "a": c.a.label, "b": c.b.label, "letter_b": letters[i], "method": c.method, "notes": c.notes,
            "worse": worsened(c),
            "rows": [{"label": r.label, "name": r.name, "unit": r.unit, "a": r.a.text(), "b": r.b.text(),
                      "diff": difference_text(r), "significant": r.diff.excludes_zero,
                      "worse": is_worse(r.name, r.diff.lo, r.diff.hi), "relative": change_text(r)} for r in c.rows],
        } for i, c in enumerate(comparisons, start=1)],
        "comparison_chart": figure_data_uri(comparison_chart(runs, comparisons), image_format) if comparisons else None,
        "assumptions": assumptions(runs),
        "methods": methods_paragraph(runs, comparisons),
        "stress_des": stress_des(runs, comparisons),
        "stress_des_citation": STRESS_DES_CITATION,
    }


def render_report(runs: Sequence[RunDir], image_format: str = "svg") -> str:
    from importlib.resources import files

    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(files("iopsim").joinpath(TEMPLATE).read_text(encoding="utf-8"))
    return template.render(**report_context(runs, image_format))


def is_report(path: Path) -> bool:
    """An HTML file iopsim wrote (its generator meta tag), which a new report may replace."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return b'<meta name="generator" content="iopsim' in head


def write_report(runs: Sequence[RunDir], out: Path | str, image_format: str = "svg") -> Path:
    """Render and write the report atomically (a Ctrl-C never leaves half a file)."""
    html = render_report(runs, image_format).encode("utf-8")
    return atomic_write(Path(out), lambda f: f.write(html))
