"""Golden masters: the KPIs and a hash of the outputs of fixed seeds of every shipped scenario.

A refactor must leave every master unchanged. A deliberate model change regenerates them in a
commit of its own that says why:

    python -m tests.golden.masters          # rewrites tests/golden/masters.json
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from iopsim.runner import run_one
from iopsim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
MASTERS = Path(__file__).with_name("masters.json")
SCENARIOS = ("baseline", "small-rural", "urban-evening-track")
# Two seeds x two replications of each shipped scenario as shipped, except a 4-year horizon
# (long enough that every stock has filled and the aftercare group has cycled; short to keep tests fast).
CASES = [(name, seed, rep) for name in SCENARIOS for seed in (20261127, 7) for rep in (0, 1)]
OVERRIDES = ["run.horizon_years=4", "run.warmup_weeks=26"]


def _digest(arrays: dict[str, np.ndarray] | dict[str, list[float]]) -> str:
    """sha256 of named columns, values rounded to 1e-9 so the hash speaks of results, not of float noise."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        values = np.asarray(arrays[name], dtype=float)
        h.update(name.encode())
        h.update(np.round(values, 9).tobytes())
    return h.hexdigest()


def measure(name: str, seed: int, replication: int) -> dict:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", OVERRIDES)
    out = run_one(scenario, seed, replication)
    return {
        "kpis": {k: (None if v != v else float(v)) for k, v in sorted(out.kpis.items())},
        "patients_sha256": _digest(out.patients),
        "series_sha256": _digest(out.series),
        "slots_sha256": hashlib.sha256(json.dumps(out.slots, sort_keys=True).encode()).hexdigest(),
    }


def case_id(name: str, seed: int, replication: int) -> str:
    return f"{name}/seed{seed}/rep{replication}"


def regenerate() -> None:
    masters = {case_id(*case): measure(*case) for case in CASES}
    MASTERS.write_text(json.dumps(masters, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(masters)} masters to {MASTERS}")


if __name__ == "__main__":
    regenerate()
