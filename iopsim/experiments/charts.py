"""Charts of experiments, in the house style (iopsim.reports.style): sizing frontier, sensitivity indices.

Every mark is a simulated estimate with its 95% interval. The frontier shows only the candidates
the search evaluated (lines join them; nothing is simulated in between), which is why a pruned
search draws sparse lines; `iopsim size --exhaustive` draws them all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from .sizing import SizingResult
from .targets import Target


def _grid(n: int) -> tuple[int, int]:
    ncols = min(n, 2)
    return math.ceil(n / ncols), ncols


def _flat(axes, n: int) -> list:
    import numpy as np

    return list(np.atleast_1d(axes).ravel())[:n]


def frontier_chart(result: SizingResult, targets: Sequence[Target], footer: str, path: Path) -> Path:
    """Each target's KPI against counselors, one line per room count, the target line and the choice."""
    from ..reports.style import (
        BLACK,
        GREY,
        PALETTE,
        kpi_label,
        legend_below,
        new_figure,
        save_figure,
        style_context,
    )

    rows, cols = _grid(len(targets))
    with style_context():
        fig, axes = new_figure(footer, "Sizing frontier",
                               figsize=(6.0 * cols + 0.5, 5.6 * rows + 0.8), nrows=rows, ncols=cols)
        axes = _flat(axes, len(targets))
        room_counts = sorted({c.rooms for c in result.candidates if c.rows})
        for ax, target in zip(axes, targets, strict=True):
            for i, rooms in enumerate(room_counts):
                cands = sorted((c for c in result.candidates if c.rooms == rooms and c.rows), key=lambda c: c.counselors)
                est = [c.estimate(target.kpi) for c in cands]
                x = [c.counselors for c in cands]
                y = [e.mean for e in est]
                err = [[_gap(e.mean, e.lo) for e in est], [_gap(e.hi, e.mean) for e in est]]
                ax.errorbar(x, y, yerr=err, marker="o", ms=5, capsize=3, lw=1.6, color=PALETTE[i % len(PALETTE)],
                            label=f"{rooms} group room{'s' if rooms != 1 else ''}")
            ax.axhline(target.threshold, color=GREY, ls="--", lw=1.2, label=f"target {target.op} {target.threshold:g}")
            best = result.best
            if best is not None:
                e = best.estimate(target.kpi)
                ax.plot([best.counselors], [e.mean], marker="*", ms=18, color=BLACK, ls="none", zorder=5,
                        label=f"choice: {best.rooms} rooms, {best.counselors} counselors")
            ax.set_title(kpi_label(target.kpi))
            ax.set_xlabel("counselors")
            ax.set_ylabel(f"{target.kpi} (mean, 95% CI)")
            ax.xaxis.get_major_locator().set_params(integer=True)
            legend_below(ax, ncols=2)
        return save_figure(fig, path.with_suffix(""), ["png"])[0]


def _gap(a: float, b: float) -> float:
    return 0.0 if math.isnan(a) or math.isnan(b) else max(0.0, a - b)


def sensitivity_chart(indices, method: str, footer: str, path: Path) -> Path:
    """Per KPI, bars per parameter: S1 and ST (Sobol), mu* and sigma (Morris), or the given-data
    method's indices (sensitivity.COLUMNS), with bootstrap CIs where the method has them."""
    from ..reports.style import BLUE, ORANGE, kpi_label, new_figure, save_figure, style_context
    from .sensitivity import COLUMNS

    kpis = list(dict.fromkeys(indices["kpi"]))
    params = list(dict.fromkeys(indices["parameter"]))
    rows, cols = _grid(len(kpis))
    shown = [value for value, _ in COLUMNS[method]]
    labels = {"S1": "first order (S1)", "ST": "total (ST)", "mu_star": "mu* (mean |effect|)",
              "sigma": "sigma (spread of effects)",
              "pawn_median": "PAWN median KS", "pawn_max": "PAWN maximum KS"}
    title = {"sobol": "Sobol sensitivity indices", "morris": "Morris elementary effects",
             "rbd-fast": "RBD-FAST first-order indices", "pawn": "PAWN indices"}[method]
    xlabel = "change in KPI over the full range" if method == "morris" else \
        "KS distance" if method == "pawn" else "share of KPI variance (S1) / index"
    with style_context():
        fig, axes = new_figure(footer, title, figsize=(5.2 * cols + 2.5, (0.5 * len(params) + 1.6) * rows + 1.2),
                               nrows=rows, ncols=cols, sharey=True)
        for ax, kpi in zip(_flat(axes, len(kpis)), kpis, strict=True):
            part = indices[indices["kpi"] == kpi].set_index("parameter").reindex(params)
            y = list(range(len(params)))
            h = 0.76 / len(shown)
            offsets = [h * (i - (len(shown) - 1) / 2) for i in range(len(shown))]
            for offset, col, color in zip(offsets, shown, (BLUE, ORANGE), strict=False):
                conf = part.get(f"{col}_conf")
                ax.barh([v + offset for v in y], part[col], height=h, color=color, label=labels[col],
                        xerr=None if conf is None else conf.fillna(0).to_numpy(), capsize=2)
            ax.set_yticks(y, params)
            ax.set_title(kpi_label(kpi))
            ax.set_xlabel(xlabel)
            ax.axvline(0, color="black", lw=0.8)
        first_ax = _flat(axes, 1)[0]
        first_ax.invert_yaxis()  # shared: once
        for extra in _flat(axes, rows * cols)[len(kpis):]:
            extra.set_visible(False)
        handles, names = first_ax.get_legend_handles_labels()
        fig.legend(handles, names, loc="outside upper right", ncols=2)
        return save_figure(fig, path.with_suffix(""), ["png"])[0]
