"""Provenance: a sweep folder says what was run, with what, and what every column means."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
from click.testing import CliRunner

from iopsim.analysis.kpis import KPI_UNITS
from iopsim.cli import main
from iopsim.experiments import provenance
from iopsim.experiments.resolve import load_experiment
from iopsim.experiments.sweep import plan
from iopsim.files import fingerprint

from .helpers import write_experiment

TWO_POINTS = """\
parameters:
  - path: counselors.count
    values: [3]
  - path: referrals.rate_per_week
    range: {low: 7, high: 11}
sampling: {method: lhs, points: 2, seed: 3}
replications: 1
seed: 5
"""


def test_a_sweep_folder_carries_its_inputs_design_versions_hashes_and_codebook(tmp_path):
    path = write_experiment(tmp_path, TWO_POINTS, overrides={"run.horizon_years": 0.5, "run.warmup_weeks": 4})
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    # the files as given, byte for byte
    assert (out / "experiment.yaml").read_bytes() == path.read_bytes()
    loaded = load_experiment(path)
    assert (out / "scenario.yaml").read_bytes() == loaded.scenario_path.read_bytes()
    doc = json.loads((out / "provenance.json").read_text())
    assert doc["experiment_file"]["path"] == str(path) and doc["seed"] == 5 and doc["replications"] == 1
    design = doc["design"]
    assert design["method"] == "lhs" and design["seed"] == 3 and design["points"] == 2
    assert design["ranges"] == [{"parameter": "parameters.1", "path": "referrals.rate_per_week", "low": 7.0,
                                 "high": 11.0, "integer": False}]
    assert design["grid"] == [{"parameter": "parameters.0", "path": "counselors.count", "values": [3]}]
    import numpy
    import simpy

    assert doc["versions"]["numpy"] == numpy.__version__ and doc["versions"]["simpy"] == simpy.__version__
    assert {"python", "iopsim", "scipy", "pandas", "pyarrow", "SALib", "dask"} <= set(doc["versions"])
    # one scenario hash per point, the hash of the point's resolved scenario
    points = pd.read_csv(out / "points.csv")
    expected = [fingerprint(pt.scenario.model_dump(mode="json", by_alias=True)) for pt in plan(loaded).points]
    assert list(points["scenario_sha256"]) == expected and len(set(expected)) == 2
    # every column of every table is in the codebook, with a meaning and (for numbers) a unit
    codebook = pd.read_csv(out / "codebook.csv", keep_default_na=False)
    for name in ("results.csv", "summary.csv", "points.csv"):
        columns = list(pd.read_csv(out / name, nrows=0).columns)
        listed = codebook[codebook["file"] == name]
        assert list(listed["column"]) == columns, name
        assert (listed["meaning"].str.len() > 10).all()
    units = codebook.set_index(["file", "column"])["unit"]
    assert units[("results.csv", "referrals.rate_per_week")] == "per week"
    assert units[("results.csv", "counselors.count")] == "count"
    assert units[("results.csv", "wait_to_admission_days_mean")] == "days"
    # the Parquet table carries the same provenance and its own codebook rows
    meta = pq.read_schema(out / "results.parquet").metadata
    assert json.loads(meta[b"iopsim.provenance"]) == doc
    assert [r["column"] for r in json.loads(meta[b"iopsim.codebook"])] == list(
        pd.read_parquet(out / "results.parquet").columns)
    assert len(KPI_UNITS) < len(json.loads(meta[b"iopsim.codebook"]))


def test_parameter_units_come_from_the_field_names():
    assert provenance.parameter_unit("admission.patience_days.mean") == "days"
    assert provenance.parameter_unit("intake.no_show_prob") == "probability (0-1)"
    assert provenance.parameter_unit("phases.0.duration_weeks") == "weeks"
    assert provenance.parameter_unit("group_rooms") == "rooms"
    assert provenance.parameter_unit("tracks.0.name") == ""


def test_a_resumed_study_keeps_the_versions_of_earlier_sessions():
    earlier = {"versions": {**provenance.versions(), "numpy": "0.0.1"}, "earlier_versions": []}
    doc = provenance.document("sweep", {}, 1, 2, None, None, earlier)
    assert doc["earlier_versions"] == [earlier["versions"]]
    assert provenance.document("sweep", {}, 1, 2, None, None, doc)["earlier_versions"] == [earlier["versions"]]
