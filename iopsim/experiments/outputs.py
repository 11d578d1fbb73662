"""What sizing and sensitivity runs leave on disk: tables, the recommendation, charts.

Every file is written atomically; the CLI only prints.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..analysis.kpi_names import kpi_names
from ..analysis.stats import summarise
from ..files import atomic_write_text, choose_output, fingerprint, write_output_dir
from .charts import frontier_chart, sensitivity_chart
from .provenance import add_to_codebook, write_sizing_provenance
from .store import json_safe


def candidate_rows(result, sizer) -> list[dict]:
    rows = []
    for order, c in enumerate(result.candidates, 1):
        row = {"evaluated": order, "rooms": c.rooms, "counselors": c.counselors, "cost": c.cost,
               "status": c.status, "replications": c.replications, "reason": c.reason}
        if sizer.money:
            row["net_per_year"] = c.net
        rows.append(row | target_columns(c, sizer.targets) | {"scenario_sha256": _sha(sizer, c)})
    return rows


def _sha(sizer, c) -> str:
    try:
        return fingerprint(sizer.candidate_scenario(c.rooms, c.counselors).model_dump(mode="json", by_alias=True))
    except ValueError:  # an invalid candidate has no scenario
        return ""


def target_columns(c, targets) -> dict:
    """A candidate's estimate of each target KPI (NaN if never simulated) and its verdict."""
    row: dict = {}
    for t in targets:
        e = c.estimate(t.kpi) if c.rows else None
        row[f"{t.kpi}_mean"] = e.mean if e else math.nan
        row[f"{t.kpi}_ci95_low"] = e.lo if e else math.nan
        row[f"{t.kpi}_ci95_high"] = e.hi if e else math.nan
        row[f"{t} verdict"] = c.verdicts.get(str(t), "")
    return row


SIZING_KIND = "sizing"


def choose_sizing_folder(out: Path, overwrite: bool = False) -> Path:
    return choose_output(out, SIZING_KIND, overwrite, lambda folder: (folder / "recommendation.json").is_file())


def write_sizing(result, sizer, s, scenario: Path, out: Path, overrides: Sequence[str] = ()) -> list[Path]:
    """The sizing folder, built beside `out` and swapped in whole (see files.write_output_dir)."""
    names: list[str] = []
    write_output_dir(out, SIZING_KIND, lambda tmp: names.extend(
        p.name for p in _write_sizing_files(result, sizer, s, scenario, tmp, overrides)))
    return [out / name for name in names]


def _write_sizing_files(result, sizer, s, scenario: Path, out: Path, overrides: Sequence[str]) -> list[Path]:
    import pandas as pd


    out.mkdir(parents=True, exist_ok=True)
    candidates = pd.DataFrame(candidate_rows(result, sizer))
    atomic_write_text(out / "candidates.csv", candidates.to_csv(index=False, float_format="%.10g"))
    reps = [{"rooms": c.rooms, "counselors": c.counselors, "replication": r, **row}
            for c in result.candidates for r, row in enumerate(c.rows)]
    atomic_write_text(out / "replications.csv", pd.DataFrame(
        reps, columns=["rooms", "counselors", "replication", *kpi_names(s)]).to_csv(index=False, float_format="%.10g"))
    best = result.best
    doc = {
        "iopsim_version": __version__, "scenario_file": str(scenario), "scenario": s.name, "seed": sizer.seed,
        "targets": [str(t) for t in sizer.targets], "rooms": list(sizer.rooms), "counselors": list(sizer.counselors),
        "cost_room": sizer.cost_room, "cost_counselor": sizer.cost_counselor, "objective": sizer.objective,
        "currency": s.finance.currency if s.finance else None,
        "replications": [sizer.min_replications, sizer.max_replications],
        "simulations": result.simulations, "brute_force_simulations": result.brute_force,
        "recommended": None if best is None else {
            "rooms": best.rooms, "counselors": best.counselors, "cost": best.cost, "replications": best.replications,
            "kpis": summarise(best.rows, kpi_names(s))},
        "warnings": result.warnings,
        "candidates": candidates.to_dict(orient="records"),
    }
    atomic_write_text(out / "recommendation.json", json.dumps(json_safe(doc), indent=2, allow_nan=False) + "\n")
    footer = (f"iopsim {__version__} · {s.name} · seed {sizer.seed} · {result.simulations} simulations\n"
              "Candidates the search evaluated; targets judged at the 95% confidence bound")
    chart = frontier_chart(result, sizer.targets, footer, out / "frontier.png")
    design = {"method": "rooms x counselors search", "rooms": list(sizer.rooms), "counselors": list(sizer.counselors),
              "targets": doc["targets"], "objective": sizer.objective, "cost_room": sizer.cost_room,
              "cost_counselor": sizer.cost_counselor, "candidates": len(result.candidates),
              "simulations": result.simulations}
    extra = write_sizing_provenance(out, scenario, design, sizer.seed, doc["replications"],
                                    {"candidates.csv": list(candidates.columns),
                                     "replications.csv": ["rooms", "counselors", "replication", *kpi_names(s)]},
                                    kpi_names(s), overrides)
    return [out / "recommendation.json", out / "candidates.csv", out / "replications.csv", chart, *extra]


def write_indices(indices, loaded, out: Path) -> list[Path]:
    """indices-<method>[-k].csv (with N, replications, bootstrap and seed in every row), the checks in
    diagnostics-<method>[-k].csv and the chart; k is the first number free, so a re-analysis never
    replaces an earlier one."""
    stem = _free_stem(out, f"indices-{indices.method}")
    suffix = stem[len("indices-"):]
    frame = indices.frame.assign(**indices.meta())
    files = [atomic_write_text(out / f"{stem}.csv", frame.to_csv(index=False, float_format="%.6g"))]
    import pandas as pd

    conv = indices.convergence.assign(check="convergence_at_N", ok=True)  # the indices the check compared
    checks = pd.concat([indices.diagnostics, conv], ignore_index=True) if len(conv) else indices.diagnostics
    files.append(atomic_write_text(out / f"diagnostics-{suffix}.csv", checks.to_csv(index=False, float_format="%.6g")))
    add_to_codebook(out, f"{stem}.csv", list(frame.columns))
    add_to_codebook(out, f"diagnostics-{suffix}.csv", list(checks.columns))
    if len(indices.frame):
        footer = (f"iopsim {__version__} · {loaded.experiment.name} · N={indices.samples}, {indices.points} points x "
                  f"{indices.replications} replications, seed {loaded.seed}\n"
                  f"Bootstrap 95% CIs ({indices.bootstrap} resamples, seed {indices.seed})")
        main = indices.frame[indices.frame["S1"].notna()] if "S2" in indices.frame else indices.frame
        files.append(sensitivity_chart(main, indices.method, footer, out / f"{stem}.png"))
    return files


def _free_stem(out: Path, stem: str) -> str:
    k = 1
    name = stem
    while (out / f"{name}.csv").exists():
        k += 1
        name = f"{stem}-{k}"
    return name
