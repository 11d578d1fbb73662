"""What a lever search leaves on disk: sizing.json, candidates.csv and the runnable recommended.yaml.

recommended.yaml is the base scenario's data (with any --set overrides) with the recommended lever
values written into its program template, so a planner reads "early evening groups: 2", not a
generated timetable. Its comment header says what was searched, the targets and what was measured.
Everything is built in a scratch folder and swapped in whole (files.write_output_dir).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import yaml

from .. import __version__
from ..analysis.kpi_names import kpi_names
from ..analysis.stats import summarise
from ..files import atomic_write_text, write_output_dir
from .lever_search import LeverCandidate, LeverResult, LeverSizer, binding_report
from .levers import apply_levers
from .outputs import SIZING_KIND, target_columns
from .provenance import write_sizing_provenance
from .store import json_safe

SIZING_JSON = "sizing.json"
RECOMMENDED = "recommended.yaml"


def candidate_row(order: int, c: LeverCandidate, sizer: LeverSizer) -> dict:
    row: dict = {"evaluated": order, "step": c.step, "change": c.change, "status": c.status, "cost": c.cost,
                 "replications": c.replications, "binding": " ".join(c.binding), "reason": c.reason,
                 **{lv.path: c.values[lv.path] for lv in sizer.levers}}
    return row | target_columns(c, sizer.targets)


def sizing_document(result: LeverResult, sizer: LeverSizer, scenario_name: str, scenario_file: Path) -> dict:
    best = result.best
    units = None
    if best is not None:
        units = kpi_names(sizer.scenario_of(best.values))
    return {
        "iopsim_version": __version__, "search": "levers", "scenario_file": str(scenario_file),
        "scenario": scenario_name, "seed": sizer.seed, "targets": [str(t) for t in sizer.targets],
        "levers": [{"path": lv.path, "label": lv.label, "base": lv.base, "range": [lv.low, lv.high]}
                   for lv in sizer.levers],
        "replications": [sizer.min_replications, sizer.max_replications],
        "simulations": result.simulations,
        "invalid_skipped": dict(result.invalid),
        "recommended": None if best is None else {
            "levers": best.values, "change": best.change, "cost": best.cost, "replications": best.replications,
            "binding": best.binding or ["none"], "kpis": summarise(best.rows, units or {})},
        "still_binding": binding_report(result),
        "candidates": [candidate_row(i, c, sizer) for i, c in enumerate(result.candidates, 1)],
    }


def recommended_yaml(result: LeverResult, sizer: LeverSizer, scenario_file: Path, kpis: dict) -> str:
    """The recommended scenario as YAML with a comment header (the search, targets and figures).
    `kpis`: the recommendation's summarised KPIs, as sizing.json has them."""
    best = result.best
    assert best is not None
    data = apply_levers(sizer.data, sizer.levers, best.values)
    header = [f"iopsim {__version__} size: the recommended program for {scenario_file}",
              "Searched levers (value as written, range searched):",
              *(f"  {lv.path} ({lv.label}): {lv.base}, {lv.low}..{lv.high}" for lv in sizer.levers),
              f"Targets, at the 95% confidence bound: {', '.join(map(str, sizer.targets))}",
              f"Changed from the base: {best.change}",
              f"Measured: {best.replications} replications, seed {sizer.seed} (run.seed below), "
              f"{result.simulations} simulations over {len(result.candidates)} candidates in all"]
    for t in sizer.targets:
        mean, (lo, hi) = kpis[t.kpi]["mean"], kpis[t.kpi]["ci95"]
        header.append(f"  {t.kpi}: {mean:.4g} [95% CI {lo:.4g}, {hi:.4g}]")
    header.append(f"Still binding here: {', '.join(best.binding) or 'none'}; cost {_cost_text(best.cost, sizer.data.get('finance'))}")
    data.setdefault("run", {})["seed"] = sizer.seed
    data["run"]["replications"] = best.replications
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
    return "".join(f"# {line}\n" for line in header) + body


def write_lever_sizing(result: LeverResult, sizer: LeverSizer, scenario_name: str, scenario_file: Path,
                       out: Path, overrides: Sequence[str] = ()) -> list[Path]:
    names: list[str] = []

    def build(tmp: Path) -> None:
        import pandas as pd

        tmp.mkdir(parents=True, exist_ok=True)
        doc = sizing_document(result, sizer, scenario_name, scenario_file)
        atomic_write_text(tmp / SIZING_JSON, json.dumps(json_safe(doc), indent=2, allow_nan=False) + "\n")
        atomic_write_text(tmp / "candidates.csv",
                          pd.DataFrame(doc["candidates"]).to_csv(index=False, float_format="%.10g"))
        names.extend([SIZING_JSON, "candidates.csv"])
        design = {"method": "greedy lever search", "levers": doc["levers"], "targets": doc["targets"],
                  "candidates": len(result.candidates), "simulations": result.simulations}
        names.extend(p.name for p in write_sizing_provenance(
            tmp, scenario_file, design, sizer.seed, doc["replications"],
            {"candidates.csv": list(pd.DataFrame(doc["candidates"]).columns)}, overrides=overrides))
        if result.best is not None:
            atomic_write_text(tmp / RECOMMENDED, recommended_yaml(result, sizer, scenario_file,
                                                                        doc["recommended"]["kpis"]))
            names.append(RECOMMENDED)

    write_output_dir(out, SIZING_KIND, build)
    return [out / n for n in names]


GROWTH_JSON = "growth.json"
GROWN = "grown.yaml"


def write_growth(steps, grown: dict, targets, seed: int, scenario_file: Path, out: Path,
                 replications: Sequence[int] = (), overrides: Sequence[str] = ()) -> list[Path]:
    """growth.json (one entry per rate), grown.yaml (the program after the last step, runnable) and the
    provenance every sizing folder carries."""
    from dataclasses import asdict

    from .growth import growth_lines

    lines = growth_lines(steps)
    doc = {"iopsim_version": __version__, "search": "growth", "scenario_file": str(scenario_file), "seed": seed,
           "targets": [str(t) for t in targets], "steps": [asdict(s) for s in steps], "plan": lines}
    header = [f"iopsim {__version__} size --growth: {scenario_file} grown rate by rate",
              f"Targets, at the 95% confidence bound: {', '.join(map(str, targets))}", *lines]
    body = yaml.safe_dump(grown, sort_keys=False, allow_unicode=True, width=110)

    design = {"method": "growth: greedy lever search rate by rate", "rates_per_week": [s.rate for s in steps],
              "targets": doc["targets"], "simulations": sum(s.simulations for s in steps)}
    names = [GROWTH_JSON, GROWN]

    def build(tmp: Path) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        atomic_write_text(tmp / GROWTH_JSON, json.dumps(json_safe(doc), indent=2, allow_nan=False) + "\n")
        atomic_write_text(tmp / GROWN, "".join(f"# {line}\n" for line in header) + body)
        names.extend(p.name for p in write_sizing_provenance(tmp, scenario_file, design, seed, list(replications), {},
                                                             overrides=overrides))

    write_output_dir(out, SIZING_KIND, build)
    return [out / name for name in names]


def _cost_text(cost: float, finance: dict | None) -> str:
    """Money in whole units with its currency ('1,020,000 USD a year'); a unitless cost to 3 decimals
    ('11.025'); never e-notation."""
    if finance:
        return f"{cost:,.0f} {finance.get('currency', 'USD')} a year"
    return f"{cost:,.3f}".rstrip("0").rstrip(".")
