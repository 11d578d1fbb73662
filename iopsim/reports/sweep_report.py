"""An HTML report of a sweep folder: what was swept, a chart per KPI and the table of every point.

Self-contained like the run report (charts embedded, no external requests, prints to PDF). The
charts are those of `iopsim plot` on the folder (reports/sweep_charts.py); the table gives each
point's mean and 95% CI of the same KPIs, so a number on a chart can be looked up exactly.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..files import atomic_write_text
from .style import kpi_label
from .sweep_charts import Sweep, layout, sweep_chart, varying
from .tables import decimals_for, format_value

STYLE = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
         "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:90%}"
         "td.n{text-align:right;white-space:nowrap}img{max-width:100%}figure{margin:1.5em 0}"
         "figcaption{font-size:90%;color:#444}@media print{figure{break-inside:avoid}}")

KINDS = {"line": "a line of the means with its 95% confidence band over the one parameter that varies",
         "heatmap": "a heatmap of the means over the two parameters, each cell labelled with its mean and 95% CI",
         "panels": "one panel per parameter, each design point with its 95% CI (points differ in the other "
                   "parameters too)"}


def _cell(sweep: Sweep, kpi: str, point_id: str) -> str:
    """The point's mean and 95% CI of the KPI (from the long summary.csv)."""
    from ..analysis.kpis import KPI_UNITS

    s = sweep.summary
    row = s[(s["point_id"] == point_id) & (s["kpi"] == kpi)]
    if row.empty:
        return ""
    mean, lo, hi = (float(row.iloc[0][c]) for c in ("mean", "ci_low", "ci_high"))
    d = decimals_for(mean, sweep.units.get(kpi) or KPI_UNITS.get(kpi, ""))
    ci = "" if lo != lo else f"<br>[{format_value(lo, d)} – {format_value(hi, d)}]"
    return f"{format_value(mean, d)}{ci}"


def render_sweep_report(sweep: Sweep, kpis: Sequence[str], image_format: str = "svg") -> str:
    from .report import figure_data_uri

    e = html.escape
    params = varying(sweep)
    fixed = [p for p in sweep.params if p not in params]
    kind = layout(sweep)
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f'<meta name="generator" content="iopsim {__version__}"><title>Sweep: {e(sweep.name)}</title>'
             f"<style>{STYLE}</style></head><body>",
             f"<h1>Sweep: {e(sweep.name)}</h1>",
             f"<p>{len(sweep.frame)} points, each run for {sweep.replications} replications with the same seed "
             f"({sweep.seed}): common random numbers, so differences between points come from the parameters, "
             f"not from luck. Parameters varied: {e(', '.join(params))}"
             + (f"; held fixed: {e(', '.join(fixed))}" if fixed else "") + ". Every number is the mean over the "
             "replications with its 95% confidence interval.</p>",
             f"<p>Each chart is {KINDS[kind]}. Nothing is simulated between the points.</p>",
             "<h2>Charts</h2>"]
    import matplotlib.pyplot as plt

    for kpi in kpis:
        fig = sweep_chart(sweep, kpi)
        parts.append(f"<figure><img alt='{e(kpi_label(kpi))} over the sweep' src='{figure_data_uri(fig, image_format)}'>"
                     f"<figcaption>{e(kpi_label(kpi))} (<code>{e(kpi)}</code>)</figcaption></figure>")
        plt.close(fig)
    head = "".join(f"<th>{e(h)}</th>" for h in ("point", *sweep.params)) + "".join(
        f"<th>{e(kpi_label(k))}</th>" for k in kpis)
    rows = "".join(
        "<tr>" + f"<td>{e(str(row['point_id']))}</td>" + "".join(f"<td class='n'>{e(str(row[p]))}</td>"
                                                              for p in sweep.params)
        + "".join(f"<td class='n'>{_cell(sweep, k, row['point_id'])}</td>" for k in kpis) + "</tr>"
        for _, row in sweep.frame.iterrows())
    parts.append(f"<h2>Every point: mean [95% CI]</h2><table><tr>{head}</tr>{rows}</table>")
    parts.append(f"<p><small>Folder {e(str(sweep.path))}; made by iopsim {e(sweep.version)}, reported by iopsim "
                 f"{__version__}. All KPIs of every point are in summary.csv (one row per point and KPI), "
                 "each point's status in points.csv, every replication in results.csv.</small></p></body></html>")
    return "\n".join(parts)


def write_sweep_report(sweep: Sweep, out: Path, kpis: Sequence[str], image_format: str = "svg") -> Path:
    return atomic_write_text(out, render_sweep_report(sweep, kpis, image_format))
