"""Output folders are never destroyed: what every command may write, replace, and recover (issue 9).

Each test drives the command a user types (in-process through CliRunner, or a real process where a
kill is involved) and checks both the exit status and what is left on disk.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import iopsim.files as files
import iopsim.reports.rundir_write as rundir_write
import iopsim.runner as runner
from iopsim.cli import main

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
TINY = ("--set", "run.horizon_years=0.5", "--set", "run.warmup_weeks=0", "-n", "1", "-j", "1")


def invoke(*args) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def run_tiny(*args) -> Result:
    return invoke("run", BASELINE, *TINY, *args)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def no_simulation(monkeypatch):
    """Fails the test if a command starts simulating: output problems must be found before."""
    def refuse(*args, **kwargs):
        raise AssertionError("simulated although the output location was bad")

    monkeypatch.setattr(runner, "run_replications", refuse)


@pytest.fixture(scope="module")
def a_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("one") / "run"
    result = run_tiny("--out", out)
    assert result.exit_code == 0, result.output
    return out


# --------------------------------------------------------------------------- item 1: nothing not ours is replaced


def test_run_refuses_a_folder_it_did_not_write_and_keeps_its_files(tmp_path, no_simulation):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("n\n")
    result = run_tiny("--out", keep, "--overwrite")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{keep}: is a folder iopsim did not write")
    assert sorted(p.name for p in keep.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]


@pytest.mark.parametrize("out", [".", "..", "../b", "ancestor"])
def test_run_refuses_the_working_folder_and_its_ancestors(tmp_path, monkeypatch, out, no_simulation):
    inside = tmp_path / "b"
    inside.mkdir()
    (inside / "mine.txt").write_text("keep\n")
    monkeypatch.chdir(inside)
    result = run_tiny("--out", tmp_path if out == "ancestor" else out)
    assert result.exit_code == 2, result.output
    assert "folder" in result.stderr and "nothing was run or written" in result.stderr
    assert (inside / "mine.txt").read_text() == "keep\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_a_second_run_is_written_beside_the_first_unless_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_tiny().exit_code == 0
    first = tmp_path / "runs" / "baseline-20261127"
    (first / "charts").mkdir()
    (first / "charts" / "waitlist.png").write_bytes(b"png")
    summary = (first / "summary.json").read_text()

    second = run_tiny("--set", "referrals.rate_per_week=9")
    assert second.exit_code == 0, second.output
    assert "Results written to runs/baseline-20261127-2/" in second.stdout
    assert (first / "summary.json").read_text() == summary
    assert (first / "charts" / "waitlist.png").exists()
    second_summary = json.loads((tmp_path / "runs" / "baseline-20261127-2" / "summary.json").read_text())
    assert second_summary["scenario"]["referrals"]["rate_per_week"] == 9
    # what it came from: the file as named and the overrides, and the versions the numbers depend on
    assert second_summary["source"]["overrides"][-1] == "referrals.rate_per_week=9"
    assert second_summary["source"]["scenario_file"].endswith("baseline.yaml")
    assert second_summary["versions"]["simpy"] and second_summary["versions"]["numpy"]

    third = run_tiny("--overwrite")
    assert third.exit_code == 0, third.output
    assert "Results written to runs/baseline-20261127/" in third.stdout
    assert not (first / "charts").exists()
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["baseline-20261127", "baseline-20261127-2"]


def test_an_interrupted_run_never_replaces_a_complete_one(tmp_path, monkeypatch, a_run):
    real = runner.run_replications

    def interrupted(*args, **kwargs):
        result = real(*args, **kwargs)
        result.complete = False
        return result

    monkeypatch.setattr(runner, "run_replications", interrupted)
    summary = (a_run / "summary.json").read_bytes()
    result = run_tiny("--out", a_run, "--overwrite")
    assert result.exit_code == 130
    assert (a_run / "summary.json").read_bytes() == summary
    written = a_run.with_name(f"{a_run.name}-2")
    assert json.loads((written / "summary.json").read_text())["complete"] is False
    written.rename(a_run.with_name("interrupted"))  # the module's run folder stays alone


def test_plot_compare_report_and_size_never_replace_what_they_did_not_write(tmp_path, a_run):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("n\n")
    for args in (("plot", a_run, "--out", foreign), ("compare", a_run, a_run, "--out", foreign),
                 ("size", BASELINE, "--target", "waitlist_mean<=5", "--out", foreign, "--overwrite")):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith(f"{foreign}: is a folder iopsim did not write"), args
    yaml = tmp_path / "scenario.yaml"
    yaml.write_text("name: mine\n")
    result = invoke("report", a_run, "-o", yaml, "--overwrite")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{yaml}: exists and was not written by iopsim")
    assert yaml.read_text() == "name: mine\n"
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    # charts never replace the run folder they are drawn from
    result = invoke("plot", a_run, "--out", a_run, "--overwrite")
    assert result.exit_code == 2
    assert "holds iopsim run output, not charts output" in result.stderr


@pytest.fixture
def quick_charts(monkeypatch):
    """Charts drawn as blank figures: what these tests check is which files and folders are written
    and kept, not the drawing (tests/reports/test_charts.py and test_cli_reports.py draw the real
    charts). Drawn for real, the six rounds of every chart in the plot/report test alone were a sixth
    of the suite's time."""
    from matplotlib.figure import Figure

    import iopsim.reports.charts.registry as registry
    import iopsim.reports.report as report

    def blank(run, chart):
        return Figure(figsize=(1, 1))

    monkeypatch.setattr(registry, "render", blank)
    monkeypatch.setattr(report, "render", blank)


def test_plot_and_report_keep_earlier_outputs_unless_overwrite(tmp_path, a_run, quick_charts):
    charts, report = tmp_path / "charts", tmp_path / "r.html"
    assert invoke("plot", a_run, "--out", charts).exit_code == 0
    again = invoke("plot", a_run, "--out", charts)
    assert again.exit_code == 0
    assert f"{charts}-2/" in again.stdout
    assert invoke("plot", a_run, "--out", charts, "--overwrite").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["charts", "charts-2"]
    assert invoke("report", a_run, "-o", report).exit_code == 0
    assert "r-2.html" in invoke("report", a_run, "-o", report).stdout
    assert str(report) in invoke("report", a_run, "-o", report, "--overwrite").stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["charts", "charts-2", "r-2.html", "r.html"]
    assert len(list(charts.glob("*.png"))) == 8  # a file per chart, as drawn (blank here)


# --------------------------------------------------------------------------- item 2: recoverable swaps

KILL_BETWEEN_RENAMES = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import iopsim.files as files
    files._between_renames = lambda: os.kill(os.getpid(), signal.SIGKILL)
    files.write_output_dir(Path(sys.argv[1]), "run", lambda tmp: (tmp / "summary.json").write_text("new"))
""")


def test_a_kill_between_the_renames_is_undone_by_the_next_run(tmp_path, a_run):
    runs = tmp_path / "runs"
    runs.mkdir()
    target = runs / "x"
    subprocess.run(["cp", "-a", str(a_run), str(target)], check=True)
    summary = (target / "summary.json").read_bytes()
    proc = subprocess.run([sys.executable, "-c", KILL_BETWEEN_RENAMES, str(target)], env={
        **os.environ, "PYTHONPATH": str(REPO)}, capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()  # what the tester saw: the old results only under a hidden name
    assert [p.name for p in runs.iterdir() if p.name.startswith(".x.old-")]

    result = run_tiny("--out", target)
    assert result.exit_code == 0, result.output
    assert (target / "summary.json").read_bytes() == summary  # put back, and kept
    assert sorted(p.name for p in runs.iterdir()) == ["x", "x-2"]


def test_leftovers_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    dead, alive = dead_pid(), os.getpid()
    (tmp_path / f".run.tmp-{dead}").mkdir()
    (tmp_path / f".run.tmp-{alive}").mkdir()
    (tmp_path / f".results.csv.{dead}-abcd1234.part").write_text("half")
    (tmp_path / f".results.csv.{alive}-abcd1234.part").write_text("half")
    (tmp_path / "run").mkdir()
    (tmp_path / f".run.old-{dead}").mkdir()  # the swap had finished: the old copy is garbage
    files.recover_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".run.tmp-{alive}", f".results.csv.{alive}-abcd1234.part", "run"])


def test_an_out_symlink_is_kept_and_its_folder_replaced(tmp_path, a_run):
    real = tmp_path / "real"
    subprocess.run(["cp", "-a", str(a_run), str(real)], check=True)
    (real / "old.txt").write_text("old")
    link = tmp_path / "link"
    link.symlink_to(real)
    result = run_tiny("--out", link, "--overwrite", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert json.loads((real / "summary.json").read_text())["seed"] == 3
    assert not (real / "old.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_outputs_follow_the_umask(tmp_path, quick_charts):
    old = os.umask(0o027)
    try:
        assert run_tiny("--out", tmp_path / "run").exit_code == 0
        assert invoke("report", tmp_path / "run").exit_code == 0  # written through files.atomic_write
    finally:
        os.umask(old)
    assert (tmp_path / "run" / "report.html").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "run" / "summary.json").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "run" / "replications.csv").stat().st_mode & 0o777 == 0o640


# --------------------------------------------------------------------------- item 10: checked before simulating


def test_an_out_under_a_file_or_too_long_fails_before_simulating(tmp_path, no_simulation):
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = run_tiny("--out", afile / "sub")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{afile / 'sub'}: {afile} is a file, not a folder")
    long = tmp_path / ("a" * 250)
    result = run_tiny("--out", long)
    assert result.exit_code == 2
    assert "name is too long" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_an_unwritable_out_fails_before_simulating(tmp_path, monkeypatch, no_simulation):
    """Tests run as root, who may write anywhere: deny write access the way a read-only file system does."""
    real_access = os.access
    monkeypatch.setattr(files.os, "access", lambda p, mode: False if mode & os.W_OK else real_access(p, mode))
    result = run_tiny("--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{tmp_path / 'out'}: cannot write in {tmp_path} (read-only")
    result = invoke("sweep", REPO / "experiments" / "staffing-grid.yaml", "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "cannot write in" in result.stderr


def test_init_creates_missing_folders_and_refuses_a_path_under_a_file(tmp_path):
    result = invoke("init", tmp_path / "nodir" / "x.yaml")
    assert result.exit_code == 0, result.output
    assert invoke("validate", tmp_path / "nodir" / "x.yaml").exit_code == 0
    (tmp_path / "afile").write_text("x")
    result = invoke("init", tmp_path / "afile" / "x.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{tmp_path / 'afile' / 'x.yaml'}: {tmp_path / 'afile'} is a file")


# --------------------------------------------------------------------------- item 13: events.csv is CSV


def test_events_csv_quotes_phase_names_with_commas(tmp_path):
    text = BASELINE.read_text().replace("name: early\n", 'name: "early, intensive"\n')
    text = text.replace("serves: [early]", 'serves: ["early, intensive"]')  # a hand-written timetable
    text = text.replace("\n    early:", '\n    "early, intensive":')  # the baseline's program template
    scenario = tmp_path / "comma.yaml"
    scenario.write_text(text)
    result = invoke("run", scenario, *TINY, "--events", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    with open(tmp_path / "run" / "events.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["patient_id", "replication", "time_days", "event", "phase"]
    assert all(len(r) == 5 for r in rows)
    assert "early, intensive" in {r[4] for r in rows[1:]}


# --------------------------------------------------------------------------- item 14: errors, Ctrl-C, unreadable input


@pytest.mark.parametrize("edit, message", [
    (lambda s: s["kpis"]["census_mean"].update(ci95="x"), "kpis.census_mean.ci95: expected [low, high]"),
    (lambda s: s.update(seed="s"), "seed: expected a whole number"),
    (lambda s: s["scenario"].update(phases=3), "scenario.phases: expected a list"),
    (lambda s: s.update(kpis=[]), "kpis: expected a mapping"),
])
def test_a_hand_edited_summary_is_a_clear_error(tmp_path, a_run, edit, message):
    bad = tmp_path / "bad"
    subprocess.run(["cp", "-a", str(a_run), str(bad)], check=True)
    summary = json.loads((bad / "summary.json").read_text())
    edit(summary)
    (bad / "summary.json").write_text(json.dumps(summary))
    for args in (("plot", bad), ("compare", a_run, bad), ("report", bad)):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith(f"{bad / 'summary.json'}: {message}"), result.stderr


def test_ctrl_c_while_writing_exits_130_and_leaves_nothing(tmp_path, monkeypatch):
    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(rundir_write, "_write_files", interrupt)
    result = run_tiny("--out", tmp_path / "run")
    assert result.exit_code == 130
    assert "Aborted" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_scenario_is_reported_by_the_loader(tmp_path, monkeypatch):
    path = tmp_path / "s.yaml"
    path.write_text(BASELINE.read_text())
    real_access, real_open = os.access, Path.open

    def no_read(self, *args, **kwargs):  # as a file without read permission does, even for root
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(path) else real_access(p, mode))
    monkeypatch.setattr(Path, "open", no_read)
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: cannot read file: Permission denied")
