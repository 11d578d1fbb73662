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
from ..files import atomic_write_text
from ..scenario.wording import plural
from .report import figure_data_uri

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
    ax.set_xlabel("cost" + (f" ({doc['currency']}/yr)" if doc.get("currency") else ""))
    ax.set_ylabel(kpi)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _finite(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _num(x) -> str:
    return f"{x:,.4g}" if _finite(x) else ""


def render_sizing_report(doc: dict, image_format: str = "svg") -> str:
    import matplotlib.pyplot as plt

    e = html.escape
    rec = doc.get("recommended")
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><meta name=\"generator\" content=\"iopsim {__version__}\">"
             f"<title>Sizing: {e(str(doc.get('scenario', '')))}</title>"
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 6px;font-size:90%}</style></head><body>",
             f"<h1>Sizing: {e(str(doc.get('scenario', '')))}</h1>",
             f"<p>Targets, each at its 95% confidence bound: {e(', '.join(doc['targets']))}. "
             f"{len(doc['candidates'])} candidates, {doc.get('simulations', '?')} simulations, seed {doc.get('seed')}.</p>",
             "<h2>Recommendation</h2>"]
    if rec:
        parts.append(f"<p><b>{e(rec['change'])}</b>; cost {_num(rec.get('cost'))}, {rec.get('replications')} "
                     f"replications. Still binding: {e(', '.join(rec.get('binding') or ['not measured']))}.</p>")
        kpis = rec.get("kpis") or {}
        rows = "".join(f"<tr><td>{e(k)}</td><td>{_num(v.get('mean'))}</td><td>{_num((v.get('ci95') or [None])[0])}"
                       f" – {_num((v.get('ci95') or [None, None])[1])}</td><td>{e(str(v.get('unit', '')))}</td></tr>"
                       for k, v in kpis.items() if any(k == t.replace('>=', '<=').split('<=')[0] for t in doc['targets'])
                       or k in ("census_mean", "waitlist_mean", "counselor_utilization_pct"))
        parts.append(f"<table><tr><th>KPI</th><th>mean</th><th>95% CI</th><th>unit</th></tr>{rows}</table>")
    else:
        parts.append("<p><b>No candidate meets every target.</b></p>")
    binding = doc.get("still_binding") or []
    if binding:
        parts.append("<h2>What still binds</h2><ul>" + "".join(f"<li>{e(line)}</li>" for line in binding) + "</ul>")
    fig = frontier_figure(doc)
    parts.append(f"<h2>Frontier</h2><img alt='cost against the first target' src='{figure_data_uri(fig, image_format)}'>")
    plt.close(fig)
    head = "".join(f"<th>{h}</th>" for h in ("#", "change", "status", "cost", "reps", "binding", "note"))
    rows = "".join(f"<tr><td>{c.get('evaluated', i)}</td><td>{e(str(c.get('change', '')))}</td><td>{e(str(c.get('status')))}"
                   f"</td><td>{_num(c.get('cost'))}</td><td>{c.get('replications')}</td><td>{e(str(c.get('binding', '')))}"
                   f"</td><td>{e(str(c.get('reason', ''))[:200])}</td></tr>"
                   for i, c in enumerate(doc["candidates"], 1))
    parts.append(f"<h2>Candidates, in the order evaluated</h2><table><tr>{head}</tr>{rows}</table></body></html>")
    return "\n".join(parts)


def write_sizing_report(folder: Path, out: Path, image_format: str = "svg") -> Path:
    return atomic_write_text(out, render_sizing_report(load_sizing(folder), image_format))
