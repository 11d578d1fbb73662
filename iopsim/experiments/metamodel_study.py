"""`iopsim metamodel` end to end: fit both models, cross-validate, predict, write the folder.

The folder (kind `metamodel`, written whole or not at all) holds:
- `metamodel.json`: the KPI, the sweep's noise (shared CRN variance, each mean's own), each model's
  description and cross-validated R^2, RMSE and 95% coverage, the polynomial's terms;
- `cv.csv`: each point's mean with its 95% CI, and each model's held-out prediction and interval;
- `coefficients.csv`: the polynomial's terms (inputs scaled to 0..1 over the sweep) with 95% CIs;
- `profiles.png`: the KPI along each parameter (others at their middle) with 95% bands, and, for two
  or more parameters, `surface.png`: the emulator's mean over the two parameters it varies most with;
- `predictions.csv` with `--predict`: each new point's expected KPI under both models, 95% intervals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..files import atomic_write_text, choose_output, write_output_dir
from . import metamodel as mm
from .metamodel_data import SweepData
from .metamodel_points import outside_range
from .store import json_safe

KIND = "metamodel"
FLOAT = "%.8g"


@dataclass
class Study:
    data: SweepData
    models: dict[str, mm.Model] = field(default_factory=dict)
    cv: dict[str, mm.CrossValidation] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # model -> why it was not fitted

    @property
    def best(self) -> str | None:
        """The model with the lower cross-validated RMSE."""
        scored = [(cv.rmse, name) for name, cv in self.cv.items() if np.isfinite(cv.rmse)]
        return min(scored)[1] if scored else None


def fit_study(data: SweepData, degree: int = 2, kernel: str = "matern") -> Study:
    """Both models on every point, each cross-validated by point. A model that cannot be fitted is
    recorded in `skipped` with the reason (the other is still fitted); both failing raises."""
    study = Study(data)
    makers: dict[str, Any] = {"polynomial": lambda: mm.PolynomialModel(degree),
                              "gaussian_process": lambda: mm.GaussianProcessModel(kernel)}
    for name, make in makers.items():
        try:
            model = mm.fit(make(), data)
            refit = model.refit if isinstance(model, mm.GaussianProcessModel) else make
            study.cv[name] = mm.cross_validate(refit, data)
        except mm.MetamodelError as err:
            study.skipped[name] = str(err)
            continue
        study.models[name] = model
    if not study.models:
        raise mm.MetamodelError("; ".join(study.skipped.values()))
    return study


def predict_points(study: Study, table, x: np.ndarray):
    """`table` (one row per point) with each model's expected KPI at x (its rows, in the order of
    `study.data.names`) and 95% interval, and the parameters outside the sweep's range."""
    data = study.data
    frame = table.copy()
    z = mm.scaled(data, x)
    for name, model in study.models.items():
        p = model.predict(z, data.level_variance)
        frame[f"{name}_mean"], frame[f"{name}_ci95_low"], frame[f"{name}_ci95_high"] = p.mean, p.low, p.high
    frame["outside_sweep_range"] = outside_range(data, x)
    return frame


def cv_table(study: Study):
    import pandas as pd

    data = study.data
    t = {"point_id": data.point_ids, **{n: data.x[:, j] for j, n in enumerate(data.names)},
         "replications": data.replications, "mean": data.y,
         "own_noise_sd": np.sqrt(data.noise_variance)}
    for name, cv in study.cv.items():
        t[f"{name}_heldout"], t[f"{name}_heldout_low"], t[f"{name}_heldout_high"] = cv.mean, cv.low, cv.high
    return pd.DataFrame(t)


def summary(study: Study) -> dict:
    data = study.data
    models: dict[str, Any] = {}
    for name, model in study.models.items():
        models[name] = {**model.describe(), "cross_validation": study.cv[name].summary()}
    if "polynomial" in study.models:
        poly = study.models["polynomial"]
        assert isinstance(poly, mm.PolynomialModel)
        models["polynomial"]["coefficients"] = poly.coefficients()
    return {
        "iopsim_version": __version__, "sweep": str(data.folder), "experiment": data.experiment,
        "kpi": data.kpi, "unit": data.unit, "points": len(data.y),
        "replications_per_point": [int(data.replications.min()), int(data.replications.max())],
        "parameters": [{"name": n, "low": float(lo), "high": float(hi)}
                       for n, lo, hi in zip(data.names, data.low, data.high, strict=True)],
        "constant_parameters": data.constant,
        "noise": {"common_random_numbers": data.common_random_numbers,
                  "shared_variance_per_replication": data.common_variance,
                  "shared_share": data.crn_share(),
                  "level_variance": data.level_variance,
                  "own_sd_of_point_means_median": float(np.nanmedian(np.sqrt(data.noise_variance)))
                  if np.isfinite(data.noise_variance).any() else None},
        "best_model": study.best, "models": models, "skipped": study.skipped,
    }


def choose_folder(out: Path, overwrite: bool = False) -> Path:
    return choose_output(out, KIND, overwrite, lambda folder: (folder / "metamodel.json").is_file())


def write_study(study: Study, out: Path, predictions=None) -> list[Path]:
    """Build the folder beside `out` and swap it in whole (files.write_output_dir)."""
    names: list[str] = []
    write_output_dir(out, KIND, lambda tmp: names.extend(p.name for p in _write(study, tmp, predictions)))
    return [out / name for name in names]


def _write(study: Study, out: Path, predictions) -> list[Path]:
    from .metamodel_charts import profiles_chart, surface_chart

    out.mkdir(parents=True, exist_ok=True)
    doc = summary(study)
    files = [atomic_write_text(out / "metamodel.json", json.dumps(json_safe(doc), indent=2, allow_nan=False) + "\n"),
             atomic_write_text(out / "cv.csv", cv_table(study).to_csv(index=False, float_format=FLOAT))]
    if "polynomial" in doc["models"]:
        import pandas as pd

        coefficients = pd.DataFrame(doc["models"]["polynomial"]["coefficients"])
        files.append(atomic_write_text(out / "coefficients.csv", coefficients.to_csv(index=False, float_format=FLOAT)))
    if predictions is not None:
        files.append(atomic_write_text(out / "predictions.csv", predictions.to_csv(index=False, float_format=FLOAT)))
    footer = (f"iopsim {__version__} · {study.data.experiment or study.data.folder.name} · {len(study.data.y)} points x "
              f"{int(np.median(study.data.replications))} replications\n"
              "Bands: 95% intervals of the expected KPI (shared CRN level included); dots: point means")
    files.append(profiles_chart(study, footer, out / "profiles.png"))
    if len(study.data.names) >= 2:
        files.append(surface_chart(study, footer.split("\n")[0], out / "surface.png"))
    return files
