"""An HTML report of a sizing folder: the recommendation, the frontier of candidates and what binds.

Reads `sizing.json` (the lever search of a program template) or `recommendation.json` (rooms x
counselors of a hand-written timetable); both list every candidate with its cost, status and the
target KPIs' mean and 95% CI. Self-contained like the run report: the chart is embedded, no
external requests.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from .. import __version__
from ..analysis.bottleneck import label as resource_label
from ..analysis.finance import is_money
from ..files import atomic_write_text
from ..scenario.wording import plural
from .report import figure_data_uri
from .style import kpi_label
from .tables import decimals_for, format_money, format_value
from .thresholds import KEY_RESULTS

SIZING_FILES = ("sizing.json", "recommendation.json")
STATUS_COLOURS = {"meets targets": "#1b7837", "fails a target": "#b2182b", "undecided": "#f4a582",
                  "invalid": "#999999", "error": "#000000"}


class SizingFolderError(ValueError):
    """Not a sizing folder, or its file cannot be read."""


def is_sizing_folder(path: Path) -> bool:
    return any((Path(path) / name).is_file() for name in SIZING_FILES)


def load_sizing(path: Path) -> dict:
    """The sizing document, with `change` filled in for room x counselor candidates."""
    for name in SIZING_FILES:
        file = Path(path) / name
        if file.is_file():
            try:
                doc = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise SizingFolderError(f"{file}: cannot be read as JSON ({exc})") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("candidates"), list):
                raise SizingFolderError(f"{file}: not a sizing result (no candidates list)")
            for c in doc["candidates"]:
                c.setdefault("change", _rooms_and_counselors(c))
                c.setdefault("binding", "")
            rec = doc.get("recommended")
            if rec and "change" not in rec:
                rec["change"] = _rooms_and_counselors(rec)
            return doc
    raise SizingFolderError(f"{path}: not a sizing folder (no {' or '.join(SIZING_FILES)})")


def _rooms_and_counselors(c: dict) -> str:
    return f"{plural(c.get('rooms', 0), 'group room')}, {plural(c.get('counselors', 0), 'counselor')}"


def frontier_figure(doc: dict):
    """Cost against the first target's KPI (mean and 95% CI) for every simulated candidate."""
    import matplotlib.pyplot as plt

    target = doc["targets"][0]
    kpi = target.replace(">=", "<=").split("<=")[0]
    threshold = float(target.replace(">=", "<=").split("<=")[1])
    fig, ax = plt.subplots(figsize=(7, 4))
    for status, colour in STATUS_COLOURS.items():
        pts = [c for c in doc["candidates"] if c.get("status") == status and _finite(c.get(f"{kpi}_mean"))
               and _finite(c.get("cost"))]
        if not pts:
            continue
        x = [c["cost"] for c in pts]
        y = [c[f"{kpi}_mean"] for c in pts]
        lo = [max(0.0, c[f"{kpi}_mean"] - c[f"{kpi}_ci95_low"]) if _finite(c.get(f"{kpi}_ci95_low")) else 0.0
              for c in pts]
        hi = [max(0.0, c[f"{kpi}_ci95_high"] - c[f"{kpi}_mean"]) if _finite(c.get(f"{kpi}_ci95_high")) else 0.0
              for c in pts]
        ax.errorbar(x, y, yerr=[lo, hi], fmt="o", color=colour, label=status, capsize=3)
    ax.axhline(threshold, color="#444444", linestyle="--", linewidth=1, label=target)
    cur = currency(doc)
    ax.set_xlabel(f"cost ({cur} a year)" if cur else "cost (staff and room units)")
    ax.xaxis.set_major_formatter(lambda x, _pos: format_money(x))
    ax.set_ylabel(kpi)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _finite(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _num(x) -> str:
    return format_value(x) if _finite(x) else ""


def currency(doc: dict) -> str:
    """The currency costs are in ('USD'), or '' when the sizing costed staff and rooms in units (no finance:)."""
    if doc.get("currency"):
        return str(doc["currency"])
    unit = ((doc.get("recommended") or {}).get("kpis") or {}).get("total_cost_per_year", {}).get("unit", "")
    return unit.split("/")[0] if is_money(unit) else ""


def _cost(doc: dict, x) -> str:
    """A candidate's cost: money with thousands separators (never e-notation), else cost units."""
    if not _finite(x):
        return ""
    cur = currency(doc)
    return f"{format_money(x)} {cur} a year" if cur else f"{format_value(x)} cost units"


def _target_parts(target: str) -> tuple[str, str, float]:
    op = ">=" if ">=" in target else "<="
    kpi, value = target.split(op)
    return kpi.strip(), op, float(value)


def _margin(rec: dict, target: str) -> tuple[float, str] | None:
    """How far the target's 95% bound sits inside its threshold, and that in words."""
    kpi, op, threshold = _target_parts(target)
    v = (rec.get("kpis") or {}).get(kpi) or {}
    lo, hi = (v.get("ci95") or [None, None])[:2]
    bound = lo if op == ">=" else hi
    if not _finite(bound):
        return None
    margin = bound - threshold if op == ">=" else threshold - bound
    unit = " pp" if v.get("unit") == "%" else f" {v.get('unit', '')}"
    return margin, (f"{kpi_label(kpi)}: the 95% bound {format_value(bound)} is {format_value(margin)}{unit} "
                    f"inside the target {target}")


def sizing_summary(doc: dict) -> list[tuple[str, str]]:
    """The executive summary of a sizing: what was searched, the pick, what binds, the closest call."""
    rec = doc.get("recommended")
    levers = doc.get("levers") or []
    reps = doc.get("replications") or ["?", "?"]
    modelled = (f"Sizing of {doc.get('scenario', '')}: {len(doc['candidates'])} candidates over "
                f"{len(levers) or 'rooms and counselors as'} levers"
                + (f" ({', '.join(lv['label'] for lv in levers[:4])}{', ...' if len(levers) > 4 else ''})" if levers else "")
                + f", {doc.get('simulations', '?')} simulations of {reps[0]}-{reps[1]} replications each, seed "
                f"{doc.get('seed')}; targets, each to be met at its 95% confidence bound: {', '.join(doc['targets'])}.")
    if rec:
        recommendation = (f"{rec['change']}: the cheapest candidate found that meets every target, at "
                          f"{_cost(doc, rec.get('cost'))} ({rec.get('replications')} replications).")
        names = [b for b in rec.get("binding") or [] if b != "none"]
        named = ", ".join(resource_label(b) for b in names)
        verb = "bind" if len(names) > 1 or named.endswith("s") else "binds"
        binding = (f"{named} still {verb} in the recommendation: the next to add as demand grows." if names
                   else "Nothing binds in the recommendation.")
        margins = [m for m in (_margin(rec, t) for t in doc["targets"]) if m is not None]
        closest = min(margins, default=None)
        uncertainty = (f"Closest call: {closest[1]}. " if closest else "") + (
            "The intervals cover the program's randomness only; the inputs (referral rate, attendance, lengths "
            "of stay) are as the scenario states them: `iopsim size --uncertainty` tests them.")
    else:
        recommendation = "No candidate meets every target within the levers' ranges."
        binding = "; ".join(doc.get("still_binding") or []) or "not measured"
        uncertainty = "Undecided candidates may meet the targets with more replications (--max-replications)."
    return [("What was modelled", modelled), ("Recommendation", recommendation), ("Binding constraint", binding),
            ("Main uncertainty", uncertainty)]


def render_sizing_report(doc: dict, image_format: str = "svg") -> str:
    import matplotlib.pyplot as plt

    e = html.escape
    rec = doc.get("recommended")
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><meta name=\"generator\" content=\"iopsim {__version__}\">"
             f"<title>Sizing: {e(str(doc.get('scenario', '')))}</title>"
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;font-size:90%}"
             "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
             "dl.summary{display:grid;grid-template-columns:12rem 1fr;gap:.4rem 1rem;background:#f4f6f8;"
             "border-left:4px solid #0072B2;padding:.6rem 1rem}dl.summary dt{font-weight:700}dl.summary dd{margin:0}"
             "</style></head><body>",
             f"<h1>Sizing: {e(str(doc.get('scenario', '')))}</h1>",
             "<section id='executive-summary'><h2>Executive summary</h2><dl class='summary'>"
             + "".join(f"<dt>{e(h)}</dt><dd>{e(t)}</dd>" for h, t in sizing_summary(doc)) + "</dl></section>",
             f"<p>Targets, each at its 95% confidence bound: {e(', '.join(doc['targets']))}. "
             f"{len(doc['candidates'])} candidates, {doc.get('simulations', '?')} simulations, seed {doc.get('seed')}.</p>",
             "<section id='recommendation'><h2>Recommendation</h2>"]
    if rec:
        parts.append(f"<p><b>{e(rec['change'])}</b>; cost {_cost(doc, rec.get('cost'))}, {rec.get('replications')} "
                     f"replications. Still binding: {e(', '.join(rec.get('binding') or ['not measured']))}.</p>")
        kpis = rec.get("kpis") or {}
        targets = [_target_parts(t)[0] for t in doc["targets"]]
        shown = [*targets, *(k for k in KEY_RESULTS if k not in targets)]
        rows = "".join(
            f"<tr data-kpi='{e(k)}'><td>{e(kpi_label(k))} <code>{e(k)}</code></td><td>{e(str(kpis[k].get('unit', '')))}</td>"
            f"<td class='num'>{_fmt(kpis[k], kpis[k].get('mean'))}</td><td class='num'>"
            f"{_fmt(kpis[k], (kpis[k].get('ci95') or [None])[0])} – {_fmt(kpis[k], (kpis[k].get('ci95') or [None, None])[1])}"
            f"</td></tr>" for k in shown if k in kpis)
        parts.append("<table><tr><th>Indicator</th><th>Unit</th><th>Mean</th><th>95% CI</th></tr>" + rows + "</table>")
    else:
        parts.append("<p><b>No candidate meets every target.</b></p>")
    parts.append("</section>")
    binding = doc.get("still_binding") or []
    if binding:
        parts.append("<section id='binding'><h2>What still binds</h2><ul>"
                     + "".join(f"<li>{e(line)}</li>" for line in binding) + "</ul></section>")
    fig = frontier_figure(doc)
    parts.append(f"<section id='frontier'><h2>Frontier</h2><img alt='cost against the first target' "
                 f"src='{figure_data_uri(fig, image_format)}'></section>")
    plt.close(fig)
    head = "".join(f"<th>{h}</th>" for h in ("#", "change", "status", "cost", "reps", "binding", "note"))
    rows = "".join(f"<tr><td>{c.get('evaluated', i)}</td><td>{e(str(c.get('change', '')))}</td><td>{e(str(c.get('status')))}"
                   f"</td><td class='num'>{_cost(doc, c.get('cost'))}</td><td>{c.get('replications')}</td>"
                   f"<td>{e(str(c.get('binding', '')))}</td><td>{e(str(c.get('reason', ''))[:200])}</td></tr>"
                   for i, c in enumerate(doc["candidates"], 1))
    parts.append(f"<section id='candidates'><h2>Candidates, in the order evaluated</h2><table><tr>{head}</tr>{rows}"
                 "</table></section></body></html>")
    return "\n".join(parts)


def _fmt(v: dict, x) -> str:
    """A KPI value with the decimals of its mean (money in whole units)."""
    if not _finite(x):
        return "–"
    return format_value(x, decimals_for(v.get("mean"), v.get("unit", "")))


def write_sizing_report(folder: Path, out: Path, image_format: str = "svg") -> Path:
    return atomic_write_text(out, render_sizing_report(load_sizing(folder), image_format))
