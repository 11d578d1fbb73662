"""The grant-ready report: one self-contained HTML file built from run folders with Jinja2.

Everything is inside the file (charts as data: URIs, CSS inline, no scripts, no fonts to fetch),
so it opens offline, can be mailed as one attachment and prints cleanly to PDF from a browser.
This module only gathers words and numbers; layout lives in templates/report.html.j2.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import types
import typing
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..analysis.bottleneck import sentence as bottleneck_sentence
from .budget import budget
from .charts import drawable, render
from .compare import HEADLINE_KPIS, Comparison, change_text, compare_all, comparison_chart, difference_text
from .rundir import RunDir
from .style import PNG_DPI, atomic_write, kpi_label, kpi_sections, style_context
from .tables import decimals_for, format_value

TEMPLATE = "templates/report.html.j2"
IMAGE_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


# --- numbers and words ----------------------------------------------------------------------------
def _estimate(v: dict | None) -> dict:
    """{'mean': '6.82', 'ci': '5.69–7.96'} with the mean's decimals ('–' when undefined)."""
    if not v:
        return {"mean": "–", "ci": ""}
    d = decimals_for(v.get("mean"), v.get("unit", ""))
    lo, hi = (v.get("ci95") or [None, None])[:2]
    ci = "" if lo is None or hi is None else f"{format_value(lo, d)}–{format_value(hi, d)}"
    return {"mean": format_value(v.get("mean"), d), "ci": ci}


def _g(x) -> str:
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def describe_distribution(d: dict) -> str:
    """{'kind': 'triangular', 'low': 3, ...} -> 'triangular (low 3, mode 4, high 6)'; fixed -> its value."""
    if d.get("kind") == "fixed":
        return _g(d.get("value"))
    params = ", ".join(f"{k} {_value_text(v)}" for k, v in d.items() if k != "kind" and v is not None)
    return f"{d.get('kind')} ({params})"


def friendly_distribution(d) -> str:
    """A distribution in words for the summary: '3–6 (most often 4)', 'mean 45', or its parameters."""
    if not isinstance(d, dict):
        return _g(d)
    kind = d.get("kind")
    if kind == "triangular":
        return f"{_g(d['low'])}–{_g(d['high'])} (most often {_g(d['mode'])})"
    if kind == "uniform":
        return f"{_g(d['low'])}–{_g(d['high'])}"
    if kind == "exponential" and "mean" in d:
        return f"mean {_g(d['mean'])}"
    return describe_distribution(d)


def _value_text(v) -> str:
    if v is None:
        return "none"
    if isinstance(v, dict):
        return describe_distribution(v) if "kind" in v else "; ".join(f"{k}: {_value_text(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(_value_text(x) for x in v) if v else "none"
    return _g(v)


def flatten_scenario(data, path: str = "", pattern: str = "") -> list[tuple[str, str, str]]:
    """Every parameter as (path, schema pattern, value text): nested sections dotted, list items by name.

    The pattern ('phases[].duration_weeks') finds the parameter's description in the schema.
    """
    if isinstance(data, dict) and not ("kind" in data and path):
        rows = []
        for key, value in data.items():
            rows += flatten_scenario(value, f"{path}.{key}" if path else key, f"{pattern}.{key}" if pattern else key)
        return rows
    if isinstance(data, list) and data and all(isinstance(x, dict) and "kind" not in x for x in data):
        rows = []
        for i, item in enumerate(data, start=1):
            name = item.get("name")
            if name is not None:
                rows += flatten_scenario({k: v for k, v in item.items() if k != "name"}, f"{path}[{name}]",
                                         f"{pattern}[]")
            else:
                rows.append((f"{path}[{i}]", f"{pattern}[]", _value_text(item)))
        return rows
    return [(path, pattern, _value_text(data))]


def _model_of(annotation):
    """The pydantic model inside an annotation (Model, Model | None, list[Model]) and whether it is a list."""
    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    if origin is list:
        model, _ = _model_of(typing.get_args(annotation)[0])
        return model, True
    if origin in (typing.Union, types.UnionType):
        models = [m for m, _ in map(_model_of, typing.get_args(annotation)) if m is not None]
        return (models[0], False) if len(models) == 1 else (None, False)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def field_descriptions(model=None, prefix: str = "") -> dict[str, str]:
    """Schema pattern -> the field's description, for the assumptions table."""
    if model is None:
        from ..scenario.schema import Scenario

        model = Scenario
    out = {}
    for name, f in model.model_fields.items():
        path = f"{prefix}.{f.alias or name}" if prefix else (f.alias or name)
        if f.description:
            out[path] = f.description
        sub, is_list = _model_of(f.annotation)
        if sub is not None:
            out.update(field_descriptions(sub, f"{path}[]" if is_list else path))
    return out


def assumptions(runs: Sequence[RunDir]) -> list[dict]:
    """One row per parameter path (union over runs, in order), with each run's value and whether they differ."""
    docs = field_descriptions()
    per_run = [{p: (pat, v) for p, pat, v in flatten_scenario(run.scenario)} for run in runs]
    order = list(dict.fromkeys(p for table in per_run for p in table))
    rows = []
    for path in order:
        values = [table.get(path, (None, "—"))[1] for table in per_run]
        pattern = next(table[path][0] for table in per_run if path in table)
        rows.append({"path": path, "values": values, "differs": len(set(values)) > 1,
                     "description": docs.get(pattern, "")})
    return rows


def scenario_facts(run: RunDir) -> list[tuple[str, str]]:
    """A plain-language summary of the resolved scenario."""
    s = run.scenario
    ref = s["referrals"]
    demand = f"{_g(ref['rate_per_week'])} referrals a week"
    if ref.get("growth_per_year_pct"):
        demand += f", growing {_g(ref['growth_per_year_pct'])}% a year"
    if ref.get("monthly_multipliers"):
        demand += ", with seasonality"
    phases = "; ".join(
        f"{p['name']}: {friendly_distribution(p['duration_weeks'])} weeks, {p['group_sessions_per_week']} × {_g(p['session_hours'])} h "
        f"groups a week" for p in s["phases"])
    c = s["counselors"]
    staff = (f"{c['count']} counselors × {_g(c['contracted_hours_per_week'])} h a week "
             f"({_g(c['other_duties_hours_per_week'])} h of it other duties), caseload up to {c['max_caseload']}")
    rooms = "; ".join(f"{r['name']} ({r['seats']} seats, {_g(r['available_hours_per_week'])} h a week)"
                      for r in s["rooms"])
    therapy = [t for t in s["timetable"] if "intake" not in t["serves"]]
    intake = [t for t in s["timetable"] if "intake" in t["serves"]]
    timetable = (f"{len(therapy)} group sessions a week in {len({t['group'] for t in therapy})} groups "
                 f"(size {s['groups']['min_size']}–{s['groups']['max_size']})")
    if intake and s["intake"]["mode"] == "timetable_slots":
        timetable += f"; {_g(sum(t['hours'] for t in intake))} h of intake clinics"
    a = s["aftercare"]
    aftercare = (f"{friendly_distribution(a['duration_weeks'])} weeks, {_g(100 * a['uptake_prob'])}% of graduates join"
                 if a.get("enabled") else "none")
    sim = (f"{_g(run.summary['horizon_years'])} years, first {_g(run.summary['warmup_weeks'])} weeks excluded as "
           f"warm-up; {run.replications} replications, seed {run.seed}"
           + ("" if run.complete else " (interrupted: fewer replications than planned)"))
    return [("Demand", demand), ("Treatment phases", phases), ("Timetable", timetable), ("Rooms", rooms),
            ("Counselors", staff), ("Aftercare", aftercare), ("Simulation", sim)]


def methods_paragraph(runs: Sequence[RunDir], comparisons: Sequence[Comparison]) -> str:
    """The paragraph a grant writer pastes: model, replications, warm-up, CI method, version, seed."""
    first = runs[0]
    n_phases = sorted({len(r.scenario["phases"]) for r in runs})
    runs_text = "; ".join(
        f"{r.label}: {r.replications} replications of {_g(r.summary['horizon_years'])} years, base seed {r.seed}, "
        f"first {_g(r.summary['warmup_weeks'])} weeks discarded" for r in runs)
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
def report_context(runs: Sequence[RunDir], image_format: str = "svg") -> dict:
    comparisons = compare_all(runs)
    letters = [chr(65 + i) for i in range(len(runs))]
    names = list(runs[0].kpis)
    names += [n for run in runs[1:] for n in run.kpis if n not in names]
    kpi_rows = [
        (title, [{"name": n, "label": kpi_label(n),
                  "unit": next((r.kpis[n].get("unit", "") for r in runs if n in r.kpis), ""),
                  "values": [_estimate(r.kpis.get(n)) for r in runs]} for n in members])
        for title, members in kpi_sections(names)
    ]
    headline = [row for _, rows in kpi_rows for row in rows if row["name"] in HEADLINE_KPIS]
    headline.sort(key=lambda row: HEADLINE_KPIS.index(row["name"]))
    return {
        "title": "IOP capacity simulation: " + ", ".join(dict.fromkeys(r.name for r in runs)),
        "generated": _dt.date.today().isoformat(),
        "version": __version__,
        "runs": [{"letter": letter, "label": r.label, "name": r.name, "folder": r.path.name or str(r.path),
                  "description": r.scenario.get("description", ""), "facts": scenario_facts(r),
                  "complete": r.complete, "charts": _charts(r, image_format), "budget": budget(r),
                  "bottleneck": bottleneck_sentence(r.summary["bottleneck"]) if "bottleneck" in r.summary else ""}
                 for letter, r in zip(letters, runs, strict=True)],
        "headline_sections": [("", headline)],
        "kpi_sections": kpi_rows,
        "comparisons": [{
            "a": c.a.label, "b": c.b.label, "letter_b": letters[i], "method": c.method, "notes": c.notes,
            "rows": [{"label": r.label, "name": r.name, "unit": r.unit, "a": r.a.text(), "b": r.b.text(),
                      "diff": difference_text(r), "significant": r.diff.excludes_zero,
                      "relative": change_text(r)} for r in c.rows],
        } for i, c in enumerate(comparisons, start=1)],
        "comparison_chart": figure_data_uri(comparison_chart(runs, comparisons), image_format) if comparisons else None,
        "assumptions": assumptions(runs),
        "methods": methods_paragraph(runs, comparisons),
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
