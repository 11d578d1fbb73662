"""Issue 9, item 8 (sweeps): a sweep's size is known and judged before its points are validated."""

from __future__ import annotations

import time
from pathlib import Path

from click.testing import CliRunner

from iopsim.cli import main
from iopsim.experiments import sweep as sw
from iopsim.experiments.resolve import load_experiment

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def experiment(tmp_path: Path, points: int, extra: str = "") -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(f"""\
name: big
scenario: {BASELINE}
{extra}
parameters:
  - path: referrals.rate_per_week
    range: {{low: 6, high: 14}}
sampling: {{method: sobol, points: {points}, seed: 1}}
replications: 5
""")
    return path


def test_a_65536_point_sobol_sweep_is_refused_at_once_without_yes(tmp_path):
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["sweep", str(experiment(tmp_path, 65_536)), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "big: 65536 points x 5 replications" in result.output
    assert "Add --yes" in result.output
    assert not (tmp_path / "out").exists()
    assert time.perf_counter() - start < 10  # was: 90 s of silent planning


def test_planning_reports_each_point(tmp_path):
    loaded = load_experiment(experiment(tmp_path, 64))
    heard: list[int] = []
    plan = sw.plan(loaded, sw.design(loaded), on_point=heard.append)
    assert len(plan.points) == 64 == sum(heard) == len(heard)
