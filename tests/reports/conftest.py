"""Small real run folders shared by the report tests (written once per session, then read-only).

Two years with a ten-week warm-up and three replications: enough for every chart to have data
and every KPI a confidence interval, and quick (a couple of seconds for all three runs). Drawing the
charts of a report costs several times more than simulating, so the folders and the rendered reports
are built once per session and shared by the xdist workers (tests/built_once.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iopsim.reports.rundir import RunDir
from iopsim.reports.rundir_write import write_run_folder
from iopsim.runner import run_replications
from iopsim.scenario.loader import load_scenario
from tests import built_once

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"
SHORT = ["run.horizon_years=2", "run.warmup_weeks=10"]
REPLICATIONS = 3


def make_run(folder: Path, overrides=(), seed: int | None = None, replications: int = REPLICATIONS) -> Path:
    scenario = load_scenario(BASELINE, [*SHORT, *overrides])
    return write_run_folder(run_replications(scenario, replications, seed, jobs=1), folder)


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def base_dir(tmp_path_factory) -> Path:
    return built_once.folder(tmp_path_factory, "base", make_run)


@pytest.fixture(scope="session")
def fewer_counselors_dir(tmp_path_factory) -> Path:
    """Same scenario and seed with one counselor less: a paired (common random numbers) comparison."""
    return built_once.folder(tmp_path_factory, "three-counselors", lambda p: make_run(p, ["counselors.count=3"]))


@pytest.fixture(scope="session")
def other_seed_dir(tmp_path_factory) -> Path:
    """Same scenario, another seed: an independent (Welch) comparison."""
    return built_once.folder(tmp_path_factory, "other-seed", lambda p: make_run(p, seed=12345))


@pytest.fixture(scope="session")
def charted_run(tmp_path_factory) -> tuple[Path, str]:
    """`iopsim run --charts` of a one-year run, as a planner types it: the run folder and what it printed.
    Its PNG charts are also the ones test_charts.py checks pixel by pixel (drawing them is the cost)."""
    from click.testing import CliRunner

    from iopsim.cli import main

    def build(path: Path) -> None:
        path.mkdir()
        result = CliRunner().invoke(main, ["run", str(BASELINE), "-n", "2", "-j", "1", "--set", "run.horizon_years=1",
                                           "--set", "run.warmup_weeks=8", "--out", str(path / "run"), "--charts"],
                                    env={"COLUMNS": "300"})
        assert result.exit_code == 0, result.output
        (path / "output.txt").write_text(result.output, encoding="utf-8")

    root = built_once.folder(tmp_path_factory, "charted", build)
    return root / "run", (root / "output.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def reported_dir(base_dir, tmp_path_factory) -> Path:
    """A copy of the base run folder (named base too: the report labels a run by its folder) after
    `iopsim report FOLDER`: the one-run report as users get it."""
    import shutil

    from click.testing import CliRunner

    from iopsim.cli import main

    def build(path: Path) -> None:
        shutil.copytree(base_dir, path / "base")
        result = CliRunner().invoke(main, ["report", str(path / "base")])
        assert result.exit_code == 0, result.output

    return built_once.folder(tmp_path_factory, "reported", build) / "base"


@pytest.fixture(scope="session")
def base(base_dir) -> RunDir:
    return RunDir(base_dir)


@pytest.fixture(scope="session")
def fewer_counselors(fewer_counselors_dir) -> RunDir:
    return RunDir(fewer_counselors_dir)


@pytest.fixture(scope="session")
def other_seed(other_seed_dir) -> RunDir:
    return RunDir(other_seed_dir)


@pytest.fixture(scope="session")
def multi_html(base, fewer_counselors, tmp_path_factory) -> str:
    """The report of two runs (with its comparison), as users get it by default (SVG charts)."""
    from iopsim.reports.report import render_report

    return built_once.text(tmp_path_factory, "multi.html", lambda: render_report([base, fewer_counselors]))


@pytest.fixture(scope="session")
def single_html(reported_dir) -> str:
    """The report of one run (SVG charts), as `iopsim report` wrote it."""
    return (reported_dir / "report.html").read_text(encoding="utf-8")
