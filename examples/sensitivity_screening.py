"""Morris screening from Python: which input moves the wait most, with the checks of the indices.

    python examples/sensitivity_screening.py [OUT_DIR]

Samples examples/wait-vs-staffing.yaml's ranges with SALib (4 trajectories: a first look only; use
`samples: 64` or more and the baseline horizon for a real screening) and prints mu* with its
bootstrap 95% CI for each KPI, then every diagnostic that did not pass.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from iopsim import api

HERE = Path(__file__).resolve().parent


def main(out: Path) -> int:
    # Morris needs a range for every parameter: turn the example's counselor grid into an integer range.
    spec = yaml.safe_load((HERE / "wait-vs-staffing.yaml").read_text(encoding="utf-8"))
    spec["parameters"][0] = {"path": "counselors.count", "range": {"low": 3, "high": 5, "integer": True}}
    spec["scenario"] = str((HERE / spec["scenario"]).resolve())
    out.mkdir(parents=True, exist_ok=True)
    experiment = out / "screening.yaml"
    experiment.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")

    indices = api.sensitivity(experiment, out / "morris", method="morris", jobs=1)
    table = indices.frame[["kpi", "parameter", "mu_star", "mu_star_conf", "sigma"]]
    print(table.round(3).to_string(index=False))
    failed = indices.diagnostics[~indices.diagnostics["ok"].astype(bool)]
    print(f"{len(indices.diagnostics)} checks, {len(failed)} not passed")
    for _, row in failed.iterrows():
        print(f"  {row['kpi']}: {row['check']}: {row['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs/examples")))
