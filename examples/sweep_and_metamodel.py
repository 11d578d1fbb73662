"""A small study from an experiment file: sweep, summary table, metamodel, predictions.

    python examples/sweep_and_metamodel.py [OUT_DIR]

Runs examples/wait-vs-staffing.yaml (3 counselor levels x 4 referral rates, 2 replications each)
into OUT_DIR/sweep (default runs/examples; rerunning resumes and simulates nothing), fits the
polynomial and Gaussian-process metamodels of the mean wait for admission, prints their
cross-validated accuracy and predicts the wait at points the sweep did not simulate.
"""

from __future__ import annotations

import sys
from pathlib import Path

from iopsim import api

HERE = Path(__file__).resolve().parent
KPI = "wait_to_admission_days_mean"


def main(out: Path) -> int:
    study = api.sweep(HERE / "wait-vs-staffing.yaml", out / "sweep", jobs=1)
    print(f"{len(study.points)} points ({study.ran} simulated now, {study.skipped} already there)")
    table = study.kpi(KPI)  # one row per point: its parameters, mean and 95% CI of the KPI
    print(table[["counselors.count", "referrals.rate_per_week", "mean", "ci_low", "ci_high"]].round(2)
          .to_string(index=False))

    model = api.metamodel(out / "sweep", KPI, out=out / "metamodel")
    for name, cv in model.cv.items():
        print(f"{name}: cross-validated R2 {cv.r2:.2f}, RMSE {cv.rmse:.2f} days, "
              f"95% intervals cover {cv.coverage95:.0%} of held-out points")
    new = {"counselors.count": [3.5, 4.5], "referrals.rate_per_week": [8.0, 10.0]}
    predictions = api.predict(model, new)
    best = model.best
    for _, row in predictions.iterrows():
        print(f"counselors {row['counselors.count']}, {row['referrals.rate_per_week']} referrals/week: "
              f"{row[f'{best}_mean']:.1f} days (95% interval {row[f'{best}_ci95_low']:.1f} to "
              f"{row[f'{best}_ci95_high']:.1f}, {best.replace('_', ' ')})")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs/examples")))
