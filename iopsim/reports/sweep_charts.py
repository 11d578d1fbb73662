"""Charts of a sweep folder: each KPI over the swept parameters, every mark a mean with its 95% CI.

One parameter: a line of the means with the 95% confidence band. Two parameters on a full grid: a
heatmap of the means, each cell labelled with its mean and interval. Anything else (a Latin
hypercube, three or more parameters): one panel per parameter, each point a design point with its
interval, so no value is drawn that was not simulated. Nothing is interpolated between points.

Reads `experiment.json` (the plan: name, seed, replications, each point's parameters), the long
`summary.csv` (one row per point and KPI: mean, 95% CI, unit, n) and, where there, `points.csv` (each
point's status) as `iopsim sweep` writes them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from .rundir import RunDirError
from .style import kpi_label
from .terminal import HEADLINE_KPIS

SWEEP_FILES = ("experiment.json", "summary.csv")
SUMMARY_NEEDS = ("point_id", "kpi", "mean", "ci_low", "ci_high")


@dataclass(frozen=True)
class Sweep:
    path: Path
    name: str
    seed: int
    replications: int
    version: str
    params: list[str]
    frame: Any  # pandas DataFrame: one row per finished point (point_id and its parameters)
    summary: Any  # pandas DataFrame: the long summary.csv of the finished points
    units: dict[str, str]  # each KPI's unit as summary.csv gives it (money in the scenario's currency)

    @property
    def kpis(self) -> list[str]:
        """Every KPI the sweep reports, in summary.csv's order."""
        return list(dict.fromkeys(self.summary["kpi"]))

    def stats(self, kpi: str):
        """One row per finished point (in the points' order): point_id, parameters, mean, ci_low, ci_high."""
        part = self.summary[self.summary["kpi"] == kpi][["point_id", "mean", "ci_low", "ci_high"]]
        return self.frame.merge(part, on="point_id", how="left")

    def footer(self) -> str:
        return (f"Sweep {self.name}: {len(self.frame)} points x {self.replications} replications, "
                f"seed {self.seed} (common random numbers)  ·  iopsim {self.version}\n"
                "Mean and 95% confidence interval of each simulated point; lines and bands only join them")


def is_sweep_folder(path: Path) -> bool:
    return (Path(path) / "experiment.json").is_file()


def load_sweep(path: Path) -> Sweep:
    """The sweep's plan and summary; a RunDirError (one line, exit 2) for a folder that is not one."""
    import pandas as pd

    path = Path(path)
    try:
        plan = json.loads((path / "experiment.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(path, f"experiment.json cannot be read ({exc})") from None
    if not isinstance(plan, dict) or not isinstance(plan.get("points"), list) or not plan["points"]:
        raise RunDirError(path, "experiment.json lists no points; not a sweep folder")
    if not (path / "summary.csv").is_file():
        raise RunDirError(path, "the sweep has no summary.csv yet; run the same `iopsim sweep` command again to "
                                "finish it")
    summary = pd.read_csv(path / "summary.csv")
    params = list(plan["points"][0].get("params", {}))
    missing = [p for p in (*SUMMARY_NEEDS, *params) if p not in summary.columns]
    if missing:
        raise RunDirError(path, f"summary.csv has no column {', '.join(missing)}; not a sweep summary")
    if (path / "points.csv").is_file():  # only points whose every replication ran (the summary has no others)
        points = pd.read_csv(path / "points.csv")
        if "status" in points.columns:
            ok = set(points.loc[points["status"] == "ok", "point_id"])
            summary = summary[summary["point_id"].isin(ok)]
    summary = summary.reset_index(drop=True)
    if summary.empty:
        raise RunDirError(path, "no point of the sweep finished; nothing to draw")
    frame = summary[["point_id", *params]].drop_duplicates("point_id").reset_index(drop=True)
    units: dict[str, str] = {}
    if "unit" in summary.columns:
        for kpi, unit in zip(summary["kpi"], summary["unit"], strict=True):
            units.setdefault(str(kpi), "" if unit != unit else str(unit))
    return Sweep(path, str(plan.get("experiment", path.name)), int(plan.get("seed", 0)),
                 int(plan.get("replications", 0)), str(plan.get("iopsim_version", __version__)), params, frame,
                 summary, units)


def default_kpis(sweep: Sweep) -> list[str]:
    """The headline KPIs the sweep reports (every KPI it reports if none of them)."""
    found = [k for k in HEADLINE_KPIS if k in sweep.kpis]
    return found or sweep.kpis


def check_kpis(sweep: Sweep, kpis: Sequence[str]) -> list[str]:
    unknown = [k for k in kpis if k not in sweep.kpis]
    if unknown:
        raise RunDirError(sweep.path, f"--kpi {', '.join(unknown)}: not in this sweep; it reports "
                                      f"{', '.join(sweep.kpis)}")
    return list(kpis)


def varying(sweep: Sweep) -> list[str]:
    """The parameters that take more than one value (a fixed one says nothing on a chart)."""
    f = sweep.frame
    return [p for p in sweep.params if f[p].nunique() > 1] or sweep.params[:1]


def layout(sweep: Sweep) -> str:
    """'line' (one parameter), 'heatmap' (two on a full grid) or 'panels' (anything else)."""
    params = varying(sweep)
    f = sweep.frame
    if len(params) == 1:
        return "line"
    if len(params) == 2:
        a, b = params
        cells = f.groupby([a, b]).size()
        if len(cells) == f[a].nunique() * f[b].nunique() and (cells == 1).all():
            return "heatmap"
    return "panels"


def sweep_chart(sweep: Sweep, kpi: str):
    """The chart of one KPI over the sweep's parameters (see the module docstring for which kind)."""
    import numpy as np

    from .style import new_figure, style_context

    unit = _unit(sweep, kpi)
    title = f"{kpi_label(kpi)}{f' ({unit})' if unit else ''} over the sweep"
    kind = layout(sweep)
    params = varying(sweep)
    with style_context():
        if kind == "line":
            fig, ax = new_figure(sweep.footer(), title, figsize=(8, 5.2))
            _line(ax, sweep, params[0], kpi)
        elif kind == "heatmap":
            fig, ax = new_figure(sweep.footer(), title, figsize=(8.5, 6.2))
            _heatmap(fig, ax, sweep, params, kpi)
        else:
            cols = min(len(params), 2)
            rows = math.ceil(len(params) / cols)
            fig, axes = new_figure(sweep.footer(), title, figsize=(6.0 * cols + 0.5, 4.6 * rows + 0.8),
                                   nrows=rows, ncols=cols)
            flat = list(np.atleast_1d(axes).ravel())
            for ax, param in zip(flat, params, strict=False):
                _points(ax, sweep, param, kpi)
            for ax in flat[len(params):]:
                ax.axis("off")
    return fig


def _unit(sweep: Sweep, kpi: str) -> str:
    """The KPI's unit as summary.csv gives it (the fixed KPIs' unit for an older summary without one)."""
    from ..analysis.kpis import KPI_UNITS

    return sweep.units.get(kpi) or KPI_UNITS.get(kpi, "")


def _columns(sweep: Sweep, kpi: str):
    f = sweep.stats(kpi)
    return f["mean"], f["ci_low"], f["ci_high"]


def _line(ax, sweep: Sweep, param: str, kpi: str) -> None:
    from .style import BLUE

    f = sweep.stats(kpi).sort_values(param)
    x = f[param].to_numpy(float)
    mean, lo, hi = (f[s].to_numpy(float) for s in ("mean", "ci_low", "ci_high"))
    ax.fill_between(x, lo, hi, color=BLUE, alpha=0.22, lw=0, label="95% confidence interval")
    ax.plot(x, mean, marker="o", color=BLUE, lw=2, label="mean of the replications")
    _value_ticks(ax, x)
    ax.set_xlabel(param)
    ax.set_ylabel(f"{kpi} ({_unit(sweep, kpi)})" if _unit(sweep, kpi) else kpi)
    ax.legend(loc="best")


def _value_ticks(ax, x) -> None:
    """Whole-number parameters (counselors, rooms) are ticked at the values simulated, not at 3.5."""
    import numpy as np

    values = np.unique(x)
    if len(values) <= 15 and np.all(values == np.round(values)):
        ax.set_xticks(values, [f"{v:g}" for v in values])


def _heatmap(fig, ax, sweep: Sweep, params: list[str], kpi: str) -> None:
    import numpy as np

    from .tables import decimals_for, format_value

    a, b = params
    f = sweep.stats(kpi)
    xs, ys = sorted(f[a].unique()), sorted(f[b].unique())
    grid = np.full((len(ys), len(xs)), np.nan)
    labels = [["" for _ in xs] for _ in ys]
    for _, row in f.iterrows():
        i, j = ys.index(row[b]), xs.index(row[a])
        m, lo, hi = row["mean"], row["ci_low"], row["ci_high"]
        grid[i, j] = m
        d = decimals_for(m, _unit(sweep, kpi))
        ci = "" if lo != lo else f"\n[{format_value(lo, d)}–{format_value(hi, d)}]"
        labels[i][j] = f"{format_value(m, d)}{ci}"
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
    ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    ax.grid(False)
    finite = grid[np.isfinite(grid)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for i in range(len(ys)):
        for j in range(len(xs)):
            dark = not (grid[i, j] > middle)  # viridis is dark at the low end: white text there
            ax.text(j, i, labels[i][j], ha="center", va="center", fontsize=8.5,
                    color="white" if dark else "black")
    fig.colorbar(image, ax=ax, label=f"mean {kpi}" + (f" ({_unit(sweep, kpi)})" if _unit(sweep, kpi) else ""))


def _points(ax, sweep: Sweep, param: str, kpi: str) -> None:
    from .style import BLUE

    f = sweep.stats(kpi)
    x = f[param].to_numpy(float)
    mean, lo, hi = (c.to_numpy(float) for c in _columns(sweep, kpi))
    ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt="o", ms=4, capsize=2, color=BLUE, lw=1)
    _value_ticks(ax, x)
    ax.set_xlabel(param)
    ax.set_ylabel(f"{kpi} (mean, 95% CI)")
    ax.set_title(f"each point against {param}", fontsize=10)


def write_sweep_charts(sweep: Sweep, out: Path, formats: Sequence[str], kpis: Sequence[str]) -> list[Path]:
    """One chart per KPI, `sweep-<kpi>.<format>`, into the charts folder `out` (written as one whole)."""
    from ..files import write_output_dir
    from .charts.registry import CHARTS_KIND
    from .style import save_figure

    paths: list[Path] = []

    def build(tmp: Path) -> None:
        for kpi in kpis:
            fig = sweep_chart(sweep, kpi)
            paths.extend(out / p.name for p in save_figure(fig, tmp / f"sweep-{kpi}", formats))

    write_output_dir(out, CHARTS_KIND, build)
    return paths
