"""A resumed sweep trusts only point files that are this point's own result (issue 9 item 3)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from iopsim.cli import main

from .helpers import GRID, write_experiment


def sweep(path: Path, out: Path):
    return CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "-j", "1"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("points")
    path = write_experiment(folder, GRID)
    result = sweep(path, folder / "ref")
    assert result.exit_code == 0, result.output
    return path, folder / "ref"


@pytest.fixture
def copy(reference, tmp_path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(reference[1], out)
    return out


def rerun(reference, out: Path):
    result = sweep(reference[0], out)
    assert result.exit_code == 0, result.output
    assert (out / "summary.csv").read_bytes() == (reference[1] / "summary.csv").read_bytes()
    assert (out / "results.csv").read_bytes() == (reference[1] / "results.csv").read_bytes()
    return result


def test_a_copied_point_file_is_recomputed(reference, copy):
    points = copy / "points"
    shutil.copy(points / "p0001.json", points / "p0003.json")
    result = rerun(reference, copy)
    assert f"{points / 'p0003.json'}: holds point 'p0001', not 'p0003'; the point is run again." in result.stderr
    assert "Ran 1 point (" in result.stdout
    assert json.loads((points / "p0003.json").read_text())["point_id"] == "p0003"


@pytest.mark.parametrize("text, reason", [
    ("[]", "not a point record"),
    ("{}", "checksum does not match"),
    ("{", "not readable JSON"),
])
def test_a_damaged_point_file_is_recomputed_not_a_traceback(reference, copy, text, reason):
    (copy / "points" / "p0002.json").write_text(text)
    result = rerun(reference, copy)
    assert f"p0002.json: {reason}" in result.stderr
    assert "Ran 1 point (" in result.stdout


def test_an_edited_result_fails_its_checksum(reference, copy):
    path = copy / "points" / "p0004.json"
    record = json.loads(path.read_text())
    record["replications"][0]["kpis"]["waitlist_mean"] += 1
    path.write_text(json.dumps(record))
    result = rerun(reference, copy)
    assert "p0004.json: checksum does not match its contents" in result.stderr


def test_a_point_file_with_other_parameters_or_seed_is_recomputed(reference, copy):
    from iopsim.experiments.store import ResultStore

    manifest = json.loads((copy / "experiment.json").read_text())
    store = ResultStore(copy, manifest)
    record = store.load("p0005")
    assert record is not None
    store.save({**record, "seed": 8})  # a valid checksum, but not this experiment's seed
    assert store.load("p0005") is None
    assert "seed 8 differs" in store.rejected["p0005"]
    store.save({**record, "params": {**record["params"], "counselors.count": 9}})
    assert store.load("p0005") is None
    assert "parameters differ" in store.rejected["p0005"]
    rerun(reference, copy)


def test_part_files_of_a_killed_writer_are_cleaned_on_rerun(reference, copy):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    leftover = copy / "points" / f".p0001.json.{proc.pid}-x1y2z3w4.part"
    leftover.write_text('{"half')
    rerun(reference, copy)
    assert not leftover.exists()
    assert not [p for p in copy.rglob("*") if p.name.endswith((".part", ".tmp"))]
