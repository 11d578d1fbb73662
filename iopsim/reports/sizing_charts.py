"""`iopsim plot` of a sizing folder: the frontier, cost against each target KPI, from the saved document.

Works for both searches (recommendation.json of rooms x counselors, sizing.json of a program
template's levers): every candidate the search simulated, its mean and 95% CI, coloured by its
verdict, the target line, and the recommendation starred. Drawn from the folder alone, nothing is
simulated, so the chart can be redrawn in other formats at any time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from .sizing_report import STATUS_COLOURS, load_sizing
from .style import kpi_label


def _target_parts(target: str) -> tuple[str, str, float]:
    op = ">=" if ">=" in target else "<="
    kpi, threshold = target.split(op)
    return kpi.strip(), op, float(threshold)


def _finite(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def frontier_figure(doc: dict):
    """One panel per target: cost (x) against the target's KPI (mean, 95% CI), by verdict."""
    import numpy as np
    from matplotlib.ticker import StrMethodFormatter

    from .. import __version__
    from .style import BLACK, GREY, legend_below, new_figure, style_context

    targets = doc["targets"]
    currency = doc.get("currency")
    cols = min(len(targets), 2)
    rows = math.ceil(len(targets) / cols)
    footer = (f"Sizing of {doc.get('scenario', '')}: {len(doc['candidates'])} candidates, "
              f"{doc.get('simulations', '?')} simulations, seed {doc.get('seed')}  ·  iopsim "
              f"{doc.get('iopsim_version', __version__)}\nTargets judged at the 95% confidence bound; "
              "only the candidates the search simulated are drawn")
    rec = doc.get("recommended") or {}
    with style_context():
        fig, axes = new_figure(footer, "Sizing frontier: cost against each target",
                               figsize=(6.2 * cols + 0.5, 5.4 * rows + 0.8), nrows=rows, ncols=cols)
        flat = list(np.atleast_1d(axes).ravel())
        for ax, target in zip(flat, targets, strict=False):
            kpi, op, threshold = _target_parts(target)
            for status, colour in STATUS_COLOURS.items():
                pts = [c for c in doc["candidates"] if c.get("status") == status
                       and _finite(c.get(f"{kpi}_mean")) and _finite(c.get("cost"))]
                if not pts:
                    continue
                y = np.array([c[f"{kpi}_mean"] for c in pts], float)
                lo = np.array([c.get(f"{kpi}_ci95_low", math.nan) for c in pts], float)
                hi = np.array([c.get(f"{kpi}_ci95_high", math.nan) for c in pts], float)
                err = [np.nan_to_num(np.maximum(y - lo, 0)), np.nan_to_num(np.maximum(hi - y, 0))]
                ax.errorbar([c["cost"] for c in pts], y, yerr=err, fmt="o", ms=6, capsize=3, color=colour,
                            label=status)
            ax.axhline(threshold, color=GREY, ls="--", lw=1.2, label=f"target {op} {threshold:g}")
            mean = (rec.get("kpis") or {}).get(kpi, {}).get("mean")
            if rec and _finite(rec.get("cost")) and _finite(mean):
                ax.plot([rec["cost"]], [mean], marker="*", ms=18, color=BLACK, ls="none", zorder=5,
                        label=f"recommended: {rec.get('change', '')}")
            ax.set_title(kpi_label(kpi))
            ax.set_xlabel(f"cost ({currency} a year)" if currency else "cost")
            ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))  # money read digit by digit
            ax.set_ylabel(f"{kpi} (mean, 95% CI)")
            legend_below(ax, ncols=2)
        for ax in flat[len(targets):]:
            ax.axis("off")
    return fig


def write_frontier(folder: Path, out: Path, formats: Sequence[str]) -> list[Path]:
    """frontier.<format> into the charts folder `out` (written as one whole)."""
    from ..files import write_output_dir
    from .charts.registry import CHARTS_KIND
    from .style import save_figure

    doc = load_sizing(folder)
    paths: list[Path] = []

    def build(tmp: Path) -> None:
        paths.extend(out / p.name for p in save_figure(frontier_figure(doc), tmp / "frontier", formats))

    write_output_dir(out, CHARTS_KIND, build)
    return paths
