"""Charts of a metamodel, in the house style: response profiles with 95% bands, and a response surface.

A profile varies one parameter over the sweep's range with every other at its middle value (a slice
through the surface, labelled as such, rather than a partial-dependence average, so its band is
the model's own interval). The dots are the sweep's point means with their 95% CIs; with more than
one parameter they were simulated at other values of the rest, so they scatter around the slice.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from . import metamodel as mm

SURFACE_STEPS = 60


def profiles_chart(study, footer: str, path: Path) -> Path:
    from ..reports.style import (
        BLUE,
        GREY,
        ORANGE,
        kpi_label,
        new_figure,
        save_figure,
        style_context,
    )

    data = study.data
    n = len(data.names)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    colours = {"gaussian_process": BLUE, "polynomial": ORANGE}
    labels = {"gaussian_process": "Gaussian process", "polynomial": "polynomial"}
    ci = 1.959963984540054 * np.sqrt(np.where(np.isfinite(data.noise_variance), data.noise_variance, 0)
                                     + data.level_variance)
    with style_context():
        fig, axes = new_figure(footer, f"{kpi_label(data.kpi)}: metamodel profiles" + (" (other inputs at mid-range)" if n > 1 else ""),
                               figsize=(4.6 * cols + 0.6, 4.2 * rows + 1.4), nrows=rows, ncols=cols, sharey=True)
        flat = list(np.atleast_1d(axes).ravel())
        for j, (ax, name) in enumerate(zip(flat, data.names, strict=False)):
            ax.errorbar(data.x[:, j], data.y, yerr=ci, fmt="o", ms=3.5, color=GREY, alpha=0.6, capsize=0,
                        lw=0.8, label="point means (95% CI)")
            for model_name, model in study.models.items():
                grid, p = mm.profile(model, data, j)
                colour = colours[model_name]
                ax.plot(grid, p.mean, color=colour, lw=2, label=labels[model_name])
                ax.fill_between(grid, p.low, p.high, color=colour, alpha=0.2, lw=0)
            ax.set_xlabel(name)
            if j % cols == 0:
                ax.set_ylabel(f"{data.kpi} ({data.unit})" if data.unit else data.kpi)
        for extra in flat[n:]:
            extra.set_visible(False)
        handles, names = flat[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="outside upper right", ncols=3)
        return save_figure(fig, path.with_suffix(""), ["png"])[0]


def surface_chart(study, footer: str, path: Path) -> Path:
    """The better model's mean over the two parameters its profiles vary most along (others at their middle)."""
    from ..reports.style import SEQUENTIAL_CMAP, kpi_label, new_figure, save_figure, style_context

    data = study.data
    name = study.best or next(iter(study.models))
    model = study.models[name]
    ranges = []
    for j in range(len(data.names)):
        _, p = mm.profile(model, data, j)
        ranges.append(float(np.max(p.mean) - np.min(p.mean)))
    a, b = sorted(np.argsort(ranges)[-2:])
    ga = np.linspace(data.low[a], data.high[a], SURFACE_STEPS)
    gb = np.linspace(data.low[b], data.high[b], SURFACE_STEPS)
    mesh_a, mesh_b = np.meshgrid(ga, gb)
    x = np.tile((data.low + data.high) / 2, (mesh_a.size, 1))
    x[:, a], x[:, b] = mesh_a.ravel(), mesh_b.ravel()
    p = model.predict(mm.scaled(data, x), data.level_variance)
    with style_context():
        fig, ax = new_figure(footer, f"{kpi_label(data.kpi)}: response surface ({name.replace('_', ' ')})",
                             figsize=(7.5, 6.2))
        filled = ax.contourf(mesh_a, mesh_b, p.mean.reshape(mesh_a.shape), levels=14, cmap=SEQUENTIAL_CMAP)
        lines = ax.contour(mesh_a, mesh_b, p.mean.reshape(mesh_a.shape), levels=7, colors="white", linewidths=0.8)
        ax.clabel(lines, fontsize=8, fmt="%.3g")
        ax.scatter(data.x[:, a], data.x[:, b], s=12, c="black", marker="x", lw=0.8, label="sweep points")
        fig.colorbar(filled, ax=ax, label=f"{data.kpi} ({data.unit})" if data.unit else data.kpi)
        ax.set_xlabel(data.names[a])
        ax.set_ylabel(data.names[b])
        ax.grid(False)
        others = [n for k, n in enumerate(data.names) if k not in (a, b)]
        if others:
            ax.set_title(f"{', '.join(others)} at the middle of their range", fontsize=10, fontweight="normal")
        return save_figure(fig, path.with_suffix(""), ["png"])[0]
