"""`iopsim validate` checks experiment files too, with the same strict rules and located problems."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from iopsim.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_experiments_validate(path):
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "OK (experiment" in result.output


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("replications: yes", ":6: replications: expected a whole number, got the boolean true"),
        ("replications: 5\nsampling: {method: lhs, points: 4, seed: .inf}", ":7: sampling.seed: expected a whole number"),
    ],
)
def test_bad_experiment_values_are_located(tmp_path, line, message):
    path = tmp_path / "exp.yaml"
    path.write_text(f"name: x\nscenario: {ROOT / 'scenarios' / 'baseline.yaml'}\nparameters:\n"
                    f"  - path: counselors.count\n    values: [3]\n{line}\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}{message}" in result.output


def test_set_is_refused_for_an_experiment():
    result = CliRunner().invoke(main, ["validate", str(ROOT / "experiments" / "staffing-grid.yaml"),
                                       "--set", "counselors.count=3"])
    assert result.exit_code == 2
    assert "--set applies to scenarios" in result.output
