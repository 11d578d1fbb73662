"""The worked examples in examples/ run as published and print what their docstrings promise."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, argv: list[str], monkeypatch, capsys) -> str:
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / name), *argv])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    assert stop.value.code == 0
    return capsys.readouterr().out


def test_every_example_is_tested():
    assert {p.name for p in EXAMPLES.glob("*.py")} == {
        "run_and_compare.py", "sweep_and_metamodel.py", "sensitivity_screening.py"}


def test_run_and_compare(monkeypatch, capsys):
    out = run_example("run_and_compare.py", [], monkeypatch, capsys)
    assert "wait_to_admission_days_mean: 3 counselors" in out
    assert "the fourth counselor shortens it by" in out and "paired 95% CI" in out


def test_sweep_and_metamodel_resumes_without_simulating(tmp_path, monkeypatch, capsys):
    out = run_example("sweep_and_metamodel.py", [str(tmp_path)], monkeypatch, capsys)
    assert "12 points (12 simulated now, 0 already there)" in out
    assert "polynomial: cross-validated R2" in out and "gaussian_process: cross-validated R2" in out
    assert "counselors 3.5, 8.0 referrals/week:" in out
    assert (tmp_path / "metamodel" / "metamodel.json").is_file()
    again = run_example("sweep_and_metamodel.py", [str(tmp_path)], monkeypatch, capsys)
    assert "12 points (0 simulated now, 12 already there)" in again


def test_sensitivity_screening(tmp_path, monkeypatch, capsys):
    out = run_example("sensitivity_screening.py", [str(tmp_path)], monkeypatch, capsys)
    assert "referrals.rate_per_week" in out and "mu_star" in out
    assert " checks, " in out
    assert list((tmp_path / "morris").glob("indices-morris*.csv"))
