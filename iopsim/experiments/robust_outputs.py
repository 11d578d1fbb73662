"""What `iopsim size --uncertainty` leaves on disk: the robust recommendation, every draw, the nominal search.

recommendation.json: the probability asked for, the recommendation (or none) with its probability
and Wilson 95% interval, every candidate's, the sensitivity of the answer to each assumption, the
assumptions with their ranges and sources, and the nominal recommendation. robust.csv: one row per
candidate and draw (drawn values, target KPI means, whether every target was met).
candidates.csv: the nominal search, as `iopsim size` writes it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..files import atomic_write_text, write_output_dir
from .outputs import SIZING_KIND, candidate_rows
from .provenance import parameter_unit, write_sizing_provenance
from .store import json_safe

ROBUST_COLUMNS = {
    "draw": ("Draw d of the uncertain assumptions (the same draws for every candidate)", ""),
    "meets_targets": ("Whether the candidate met every target in this draw (means over its replications)", ""),
}


def write_robust(result, uncertainty, nominal, sizer, targets, scenario_name: str, scenario_file: Path,
                 uncertainty_file: Path, out: Path, overrides: Sequence[str] = ()) -> list[Path]:
    names: list[str] = []

    def build(tmp: Path) -> None:
        import pandas as pd

        tmp.mkdir(parents=True, exist_ok=True)
        rows = []
        for c in result.candidates:
            for d, (draw, kpis, met) in enumerate(zip(result.draws, c.kpis, c.meets, strict=False)):
                rows.append({"rooms": c.rooms, "counselors": c.counselors, "draw": d + 1, **draw,
                             **{f"{t.kpi}_mean": kpis[t.kpi] for t in targets}, "meets_targets": met})
        robust, candidates = pd.DataFrame(rows), pd.DataFrame(candidate_rows(nominal, sizer))
        atomic_write_text(tmp / "robust.csv", robust.to_csv(index=False, float_format="%.10g"))
        atomic_write_text(tmp / "candidates.csv", candidates.to_csv(index=False, float_format="%.10g"))
        doc = {
            "iopsim_version": __version__, "scenario": scenario_name, "scenario_file": str(scenario_file),
            "uncertainty_file": str(uncertainty_file), "seed": sizer.seed, "targets": [str(t) for t in targets],
            "probability_required": result.probability, "draws": len(result.draws),
            "replications_per_draw": uncertainty.replications_per_draw,
            "assumptions": [a.model_dump(exclude_none=True) for a in uncertainty.assumptions],
            "recommended": None if result.best is None else _candidate(result.best),
            "candidates": [_candidate(c) for c in result.candidates],
            "sensitivity": {"candidate": None if result.about is None else
                            {"rooms": result.about.rooms, "counselors": result.about.counselors},
                            "assumptions": [vars(s) for s in result.sensitivity]},
            "nominal_recommendation": None if nominal.best is None else
            {"rooms": nominal.best.rooms, "counselors": nominal.best.counselors, "cost": nominal.best.cost},
            "simulations": nominal.simulations + result.simulations,
        }
        atomic_write_text(tmp / "recommendation.json", json.dumps(json_safe(doc), indent=2, allow_nan=False) + "\n")
        names.extend(["recommendation.json", "robust.csv", "candidates.csv"])
        design = {"method": "sizing under uncertainty", "rooms": list(sizer.rooms), "counselors": list(sizer.counselors),
                  "targets": doc["targets"], "probability_required": result.probability, "draws": len(result.draws),
                  "replications_per_draw": uncertainty.replications_per_draw, "simulations": doc["simulations"]}
        assumed = {a.path: (f"Assumption drawn in this draw: `{a.path}`", parameter_unit(a.path))
                   for a in uncertainty.assumptions}
        names.extend(p.name for p in write_sizing_provenance(
            tmp, scenario_file, design, sizer.seed, [sizer.min_replications, sizer.max_replications],
            {"robust.csv": list(robust.columns), "candidates.csv": list(candidates.columns)},
            overrides=overrides, uncertainty_file=uncertainty_file, columns={**ROBUST_COLUMNS, **assumed}))

    write_output_dir(out, SIZING_KIND, build)
    return [out / name for name in names]


def _candidate(c) -> dict:
    lo, hi = c.probability_ci95
    return {"rooms": c.rooms, "counselors": c.counselors, "cost": c.cost, "probability": c.probability,
            "probability_ci95": [lo, hi], "draws_meeting_targets": sum(c.meets), "error": c.error or None}
