"""End-to-end tests of the `iopsim` command line: what a planner types and what lands on disk.

Loader details (every message, every path) are unit-tested in tests/scenario/test_loader.py; here
each class of bad input is pushed through the real commands to check the exit code, the
`FILE:LINE: dotted.path: message` report on stderr, and that nothing was written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

import iopsim.reports.rundir_write as rundir_write
import iopsim.runner as runner
from iopsim import __version__
from iopsim.cli import main
from iopsim.scenario.loader import load_scenario
from tests.scenario_texts import VALID, edited, line_of

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
SHORT = ("--set", "run.horizon_years=2", "--set", "run.warmup_weeks=10", "-n", "2")

SUMMARY_KEYS = {
    "iopsim_version", "scenario", "scenario_sha256", "seed", "replications", "complete",
    "warmup_weeks", "horizon_years", "kpis", "bottleneck", "versions", "source",
}
REQUIRED_KPIS = [
    "referrals_per_year", "admissions_per_year", "referred_out_per_year",
    "wait_to_assessment_days_mean", "wait_to_admission_days_mean", "wait_to_admission_days_p90",
    "admitted_within_14_days_pct", "waitlist_mean", "waitlist_max", "census_mean",
    "aftercare_census_mean", "completion_rate_pct", "dropout_rate_pct", "relapse_discharge_rate_pct",
    "length_of_stay_days_mean", "length_of_stay_days_median", "relapses_per_admission",
    "room_utilization_pct", "counselor_utilization_pct", "group_fill_pct", "reneged_per_year",
]
RUN_FILES = (".iopsim-output", "summary.json", "replications.csv", "timeseries.parquet", "sessions.csv", "patients.parquet")
EVENTS_HEADER = "patient_id,replication,time_days,event,phase"

# --------------------------------------------------------------------------- helpers


def invoke(*args: str | Path, **kwargs) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def short_run(out: Path, *extra: str) -> Result:
    result = invoke("run", BASELINE, *SHORT, "--out", out, *extra)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory) -> tuple[Result, Path]:
    """One short baseline run with an override, explicit seed, the event log and every KPI printed (shared,
    read-only)."""
    out = tmp_path_factory.mktemp("baseline") / "out"
    result = invoke("run", BASELINE, *SHORT, "--seed", "7", "--set", "referrals.rate_per_week=7",
                    "-j", "1", "--events", "--all", "--out", out, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result, out


# --------------------------------------------------------------------------- help, version, schema


def test_help_lists_every_command():
    result = invoke("--help")
    assert result.exit_code == 0
    commands = result.output.split("Commands:", 1)[1]
    for name in ("run", "validate", "schema", "init"):
        assert f"\n  {name} " in commands, name


def test_version_prints_package_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"iopsim, version {__version__}\n"


def test_schema_prints_json_schema_of_scenario():
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    for name in ("phases", "rooms", "counselors"):
        assert name in schema["properties"], name
        assert name in schema["required"], name
    assert {"timetable", "program"} <= set(schema["properties"])  # one or both (checks.py)


# --------------------------------------------------------------------------- validate


def test_validate_baseline_says_ok():
    result = invoke("validate", BASELINE)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{BASELINE}: OK (")
    assert result.stderr == ""


def test_compact_test_scenario_validates_and_runs(tmp_path):
    """Control for the bad-input tests below: the unedited scenario is fine for both commands."""
    path = tmp_path / "scenario.yaml"
    path.write_text(VALID)
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert "OK (2 phases, 5 timetable sessions, 2 rooms, 3 counselors)" in result.stdout
    out = tmp_path / "out"
    result = invoke("run", path, "-j", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)


# --------------------------------------------------------------------------- run outputs


def test_run_summary_has_exactly_the_contract_keys(baseline_run):
    _, out = baseline_run
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == SUMMARY_KEYS
    assert summary["iopsim_version"] == __version__
    assert summary["complete"] is True


def test_run_summary_has_every_required_kpi_with_mean_ci_unit(baseline_run):
    _, out = baseline_run
    kpis = json.loads((out / "summary.json").read_text())["kpis"]
    for name in REQUIRED_KPIS:
        assert name in kpis, name
        v = kpis[name]
        assert set(v) >= {"mean", "ci95", "unit"}, name
        assert isinstance(v["mean"], (int, float)), name
        assert isinstance(v["ci95"], list) and len(v["ci95"]) == 2, name
        lo, hi = v["ci95"]
        assert lo is not None and hi is not None and lo <= v["mean"] <= hi, name
        if name.endswith("_pct"):
            assert v["unit"] == "%" and 0 <= v["mean"] <= 100, name
        elif name.endswith("_per_year"):
            assert v["unit"] == "per year", name
        elif "_days_" in name:
            assert v["unit"] == "days", name
        else:
            assert isinstance(v["unit"], str) and v["unit"], name
    assert kpis["referrals_per_year"]["mean"] > 0
    assert kpis["admissions_per_year"]["mean"] > 0


def test_run_summary_records_overrides_and_effective_seed_and_replications(baseline_run):
    _, out = baseline_run
    summary = json.loads((out / "summary.json").read_text())
    scenario = summary["scenario"]
    assert summary["seed"] == 7 and scenario["run"]["seed"] == 7  # --seed, not the file's 20261127
    assert summary["replications"] == 2 and scenario["run"]["replications"] == 2  # -n, not the file's 10
    assert summary["horizon_years"] == 2 and scenario["run"]["horizon_years"] == 2
    assert summary["warmup_weeks"] == 10 and scenario["run"]["warmup_weeks"] == 10
    assert scenario["referrals"]["rate_per_week"] == 7
    assert scenario["name"] == "baseline"
    canonical = json.dumps(scenario, sort_keys=True, separators=(",", ":"))
    assert summary["scenario_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()


def test_run_replications_csv_has_one_row_per_replication_and_a_column_per_kpi(baseline_run):
    _, out = baseline_run
    header, rows = read_csv(out / "replications.csv")
    assert header[0] == "replication"
    for name in REQUIRED_KPIS:
        assert name in header, name
    assert [r["replication"] for r in rows] == ["0", "1"]
    summary = json.loads((out / "summary.json").read_text())
    mean = sum(float(r["census_mean"]) for r in rows) / len(rows)
    assert mean == pytest.approx(summary["kpis"]["census_mean"]["mean"], rel=1e-6)


def test_run_timeseries_has_replication_and_week_columns(baseline_run):
    import pyarrow.parquet as pq

    _, out = baseline_run
    table = pq.read_table(out / "timeseries.parquet").to_pydict()
    assert list(table)[:2] == ["replication", "week"]
    for rep in (0, 1):
        weeks = [w for r, w in zip(table["replication"], table["week"], strict=True) if r == rep]
        assert weeks == list(range(1, 2 * 365 // 7 + 1)), rep  # whole weeks of the 2-year horizon


def test_run_patients_parquet_holds_the_replications_exactly(baseline_run):
    """patients.parquet keeps every time to the last bit (the CSV rounded to 1e-6 days), outcomes by name."""
    import pyarrow.parquet as pq

    from iopsim.model.records import Outcome
    from iopsim.runner import run_one

    _, out = baseline_run
    summary = json.loads((out / "summary.json").read_text())
    table = pq.read_table(out / "patients.parquet").to_pandas()
    scenario = load_scenario(BASELINE, ["run.horizon_years=2", "run.warmup_weeks=10", "referrals.rate_per_week=7"])
    expected = run_one(scenario, summary["seed"], 1).patients
    rows = table[table["replication"] == 1]
    assert rows["patient_id"].tolist() == expected["pid"].tolist()
    np.testing.assert_array_equal(rows["admitted"].to_numpy(), expected["admitted"])
    assert set(rows["outcome"]) <= {o.name.lower() for o in Outcome}
    assert (rows["outcome"] == "graduated").sum() == (expected["outcome"] == Outcome.GRADUATED).sum()


def test_run_prints_table_with_kpi_names_and_folder(baseline_run):
    result, out = baseline_run
    for name in REQUIRED_KPIS:
        assert name in result.stdout, name
    assert f"Results written to {out}/" in result.stdout


def test_run_prints_the_binding_sentence_and_writes_the_bottleneck_block(baseline_run):
    from iopsim.analysis.bottleneck import KINDS, NONE, sentence

    result, out = baseline_run
    block = json.loads((out / "summary.json").read_text())["bottleneck"]
    assert {"intake", "seats:early", "caseload", "counselor_hours", "room_hours"} <= set(block["resources"])
    assert block["binding"] and all(b == NONE or b.split(":")[0] in KINDS for b in block["binding"])
    for name, entry in block["resources"].items():
        assert 0 <= entry["at_capacity_pct"] <= 100 and entry["queue_mean"] >= 0, name
        assert entry["binding"] == (name in block["binding"]), name
    printed = sentence(block)
    assert printed.startswith("Binding: ")
    flat = " ".join(result.stdout.split())  # the sentence wraps at the terminal's width
    assert printed in flat  # under the KPI table
    assert flat.index("census_mean") < flat.index(printed) < flat.index("Results written")


def test_run_names_intake_as_binding_when_its_clinic_is_too_small(tmp_path):
    import yaml

    from tests.factories import deterministic_dict

    data = deterministic_dict()
    data["referrals"]["rate_per_week"] = 2
    data["intake"] = {"mode": "timetable_slots", "appointment_hours": 1, "assessment_hours": 1, "no_show_prob": 0}
    data["timetable"].append({"group": "intake", "day": "mon", "start": "13:00", "hours": 1, "room": "R",
                              "serves": ["intake"]})
    path = tmp_path / "intake-limited.yaml"
    path.write_text(yaml.safe_dump(data))
    result = invoke("run", path, "-n", "1", "-j", "1", "--out", tmp_path / "out", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())  # the sentence wraps at the terminal's width
    assert "Binding: intake (at capacity 100% of the time," in flat
    assert "seats, counselor caseloads, counselor hours and group-room hours have slack." in flat
    block = json.loads((tmp_path / "out" / "summary.json").read_text())["bottleneck"]
    assert block["binding"] == ["intake"]


def test_run_events_csv_has_header_and_pathway_events(baseline_run):
    _, out = baseline_run
    lines = (out / "events.csv").read_text().splitlines()
    assert lines[0] == EVENTS_HEADER
    rows = list(csv.DictReader(lines))
    events = {r["event"] for r in rows}
    assert {"referral", "admitted", "phase_start"} <= events
    assert {r["replication"] for r in rows} == {"0", "1"}
    assert {r["phase"] for r in rows if r["event"] == "phase_start"} <= {"early", "middle", "late"}


def test_run_without_events_flag_writes_no_events_csv_and_same_results(baseline_run, tmp_path):
    _, with_events = baseline_run
    out = tmp_path / "out"
    short_run(out, "--seed", "7", "--set", "referrals.rate_per_week=7", "-j", "1")
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
    for name in RUN_FILES:  # recording events must not change any random stream
        assert (out / name).read_bytes() == (with_events / name).read_bytes(), name


def test_same_seed_twice_gives_byte_identical_files(tmp_path):
    short_run(tmp_path / "a", "--seed", "3", "-j", "1", "--events")
    short_run(tmp_path / "b", "--seed", "3", "-j", "1", "--events")
    for name in (*RUN_FILES, "events.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_one_or_two_jobs_give_byte_identical_files(tmp_path):
    short_run(tmp_path / "j1", "--seed", "3", "-j", "1")
    short_run(tmp_path / "j2", "--seed", "3", "-j", "2")
    for name in RUN_FILES:
        assert (tmp_path / "j1" / name).read_bytes() == (tmp_path / "j2" / name).read_bytes(), name


def test_different_seed_gives_different_results(tmp_path):
    """Guards the identity tests above against a run that ignores its seed."""
    short_run(tmp_path / "s3", "--seed", "3", "-j", "1")
    short_run(tmp_path / "s4", "--seed", "4", "-j", "1")
    assert (tmp_path / "s3" / "replications.csv").read_bytes() != (tmp_path / "s4" / "replications.csv").read_bytes()


def test_default_out_dir_is_runs_stem_seed_under_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", BASELINE, *SHORT, "--seed", "5", "-j", "1")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["baseline-5"]
    folder = tmp_path / "runs" / "baseline-5"
    assert sorted(p.name for p in folder.iterdir()) == sorted(RUN_FILES)
    assert json.loads((folder / "summary.json").read_text())["seed"] == 5
    assert f"Results written to {Path('runs', 'baseline-5')}/" in result.stdout


# --------------------------------------------------------------------------- bad input


@dataclass(frozen=True)
class Bad:
    """One class of bad input: the file to write and what the first stderr line must say."""

    text: str | None  # None: the file is not written at all
    prefix: Callable[[str, str], str]  # (file, text) -> expected start of the problem line
    words: tuple[str, ...]  # must appear in the problem line
    overrides: tuple[str, ...] = ()


def at(needle: str, path: str) -> Callable[[str, str], str]:
    return lambda file, text: f"{file}:{line_of(text, needle)}: {path}: "


def set_problem(path: str) -> Callable[[str, str], str]:
    return lambda file, text: f"--set: {path}: "


def file_problem() -> Callable[[str, str], str]:
    return lambda file, text: f"{file}: "


EXTRA_PHASE = """\
  - name: middle
    duration_weeks: 4
    group_sessions_per_week: 1
    session_hours: 2
timetable:
"""

BAD = {
    "yaml_syntax_tab": Bad(
        edited("  rate_per_week: 6", "\trate_per_week: 6"),
        lambda file, text: f"{file}:{line_of(text, chr(9) + 'rate_per_week')}: invalid YAML: ",
        ("tabs",),
    ),
    "unknown_key_typo": Bad(
        edited("rate_per_week: 6", "rate_per_wek: 6"),
        at("rate_per_wek", "referrals.rate_per_wek"), ("unknown field", "did you mean 'rate_per_week'"),
    ),
    "wrong_type": Bad(
        edited("count: 3", "count: three"),
        at("count: three", "counselors.count"), ("whole number", "'three'"),
    ),
    "out_of_range": Bad(
        edited("{name: green, seats: 12}", "{name: green, seats: 0}"),
        at("name: green", "rooms.1.seats"), ("must be at least 1 (got 0)",),
    ),
    "severity_mix_sum": Bad(
        edited("severe: 0.4}", "severe: 0.5}"),
        at("severity_mix:", "eligibility.severity_mix"), ("sum to 1", "1.1"),
    ),
    "relapse_policy_sum": Bad(
        edited("discharge: 0.2", "discharge: 0.3"),
        at("policy:", "relapse.policy"), ("sum to 1", "1.1"),
    ),
    "phase_without_session": Bad(
        edited("timetable:\n", EXTRA_PHASE),
        at("name: middle", "phases.2.name"), ("'middle'", "no session"),
    ),
    "session_in_unknown_room": Bad(
        edited("room: green, serves: [aftercare]", "room: purple, serves: [aftercare]"),
        at("room: purple", "timetable.3.room"), ("'purple'", "does not exist"),
    ),
    "overlapping_sessions": Bad(
        edited('group: B, day: tue, start: "18:00"', 'group: B, day: mon, start: "10:00"'),
        at("group: B,", "timetable.2.start"), ("overlaps timetable.0", "'blue'"),
    ),
    "distribution_unknown_kind": Bad(
        edited("kind: triangular", "kind: triangle"),
        at("kind: triangle", "phases.0.duration_weeks"), ("unknown kind 'triangle'", "'triangular'"),
    ),
    "set_bad_path": Bad(
        VALID, set_problem("rooms.5.seats"), ("index 5", "past the end"), ("rooms.5.seats=3",),
    ),
    "set_unknown_field": Bad(
        VALID, set_problem("referrals.rate_per_wek"), ("did you mean 'rate_per_week'",),
        ("referrals.rate_per_wek=3",),
    ),
    "set_malformed": Bad(
        VALID, set_problem("referrals.rate_per_week"), ("PATH=VALUE",), ("referrals.rate_per_week",),
    ),
    "missing_file": Bad(None, file_problem(), ("file not found",)),
    "empty_file": Bad("", file_problem(), ("file is empty",)),
    "only_comments": Bad("# a scenario to fill in later\n\n# nothing here yet\n", file_problem(), ("file is empty",)),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(BAD.values()), ids=list(BAD))
def test_bad_input_exits_2_with_located_problem_and_writes_nothing(case: Bad, command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # so a default runs/ folder would show up here too
    path = tmp_path / "scenario.yaml"
    if case.text is not None:
        path.write_text(case.text, encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    out = tmp_path / "out"
    args = [command, path, *(a for o in case.overrides for a in ("--set", o))]
    if command == "run":
        args += ["-j", "1", "--out", out]

    result = invoke(*args)

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    problem_line, *rest = result.stderr.splitlines()
    assert problem_line.startswith(case.prefix(str(path), case.text or "")), problem_line
    for word in case.words:
        assert word in problem_line, (word, problem_line)
    assert rest == [f"{path}: 1 problem; nothing was run or written."]
    assert not out.exists()
    assert sorted(tmp_path.iterdir()) == before


def test_several_problems_are_all_reported_in_line_order(tmp_path):
    text = edited("count: 3", "count: three").replace("rate_per_week: 6", "rate_per_wek: 6")
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    result = invoke("validate", path)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}:{line_of(text, 'rate_per_wek')}: referrals.rate_per_wek: ")
    assert lines[1].startswith(f"{path}:{line_of(text, 'count: three')}: counselors.count: ")
    assert lines[2] == f"{path}: 2 problems; nothing was run or written."


# --------------------------------------------------------------------------- init


def test_init_writes_a_scenario_that_validates_and_runs(tmp_path):
    path = tmp_path / "my-iop.yaml"
    result = invoke("init", path)
    assert result.exit_code == 0, result.output
    assert path.is_file()
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    result = invoke("run", path, "--set", "run.horizon_years=1", "--set", "run.warmup_weeks=4", "-n", "1",
                    "-j", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "summary.json").is_file()


def test_init_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "my-iop.yaml"
    assert invoke("init", path).exit_code == 0
    template = path.read_text()
    edited_text = "# my own edits\n" + template
    path.write_text(edited_text)

    result = invoke("init", path)
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert path.read_text() == edited_text

    result = invoke("init", path, "--force")
    assert result.exit_code == 0, result.output
    assert path.read_text() == template


# --------------------------------------------------------------------------- real process


def test_python_dash_m_run_in_a_real_process(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "iopsim.cli", "run", str(BASELINE), *SHORT, "-j", "1", "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "summary.json").is_file()
    assert "Patients in treatment, average" in proc.stdout  # the headline table, at 80 columns


def test_python_dash_m_bad_input_exits_2_in_a_real_process(tmp_path):
    path = tmp_path / "scenario.yaml"
    text = edited("rate_per_week: 6", "rate_per_wek: 6")
    path.write_text(text)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "iopsim.cli", "run", str(path), "-j", "1", "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"{path}:{line_of(text, 'rate_per_wek')}: referrals.rate_per_wek: unknown field")
    assert not out.exists()


# --------------------------------------------------------------------------- Ctrl-C while writing


@pytest.fixture(scope="module")
def tiny_runset(tmp_path_factory) -> runner.RunSet:
    path = tmp_path_factory.mktemp("tiny") / "scenario.yaml"
    path.write_text(VALID)
    scenario = load_scenario(path, ["run.horizon_years=0.5", "run.warmup_weeks=0"])
    return runner.run_replications(scenario, replications=1, seed=1, jobs=1)


@pytest.fixture
def interrupt_after_summary(monkeypatch) -> list[Path]:
    """Make _write_files write summary.json, then get Ctrl-C; returns the folders it wrote into."""
    folders: list[Path] = []

    def write_then_interrupt(run, folder, *source):
        folders.append(folder)
        (folder / "summary.json").write_text(json.dumps(rundir_write.summary_document(run)))
        raise KeyboardInterrupt

    monkeypatch.setattr(rundir_write, "_write_files", write_then_interrupt)
    return folders


def test_interrupted_write_leaves_no_target_and_no_temp_folder(tiny_runset, interrupt_after_summary, tmp_path):
    target = tmp_path / "runs" / "tiny-1"
    with pytest.raises(KeyboardInterrupt):
        rundir_write.write_run_folder(tiny_runset, target)
    assert len(interrupt_after_summary) == 1  # the fake really ran, in a folder next to the target
    assert interrupt_after_summary[0].parent == target.parent
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_interrupted_write_keeps_old_run_folder_intact(tiny_runset, interrupt_after_summary, tmp_path):
    target = tmp_path / "runs" / "tiny-1"
    target.mkdir(parents=True)
    (target / ".iopsim-output").write_text('{"kind":"run"}\n')
    (target / "summary.json").write_text("old summary\n")
    (target / "notes.txt").write_text("old notes\n")
    with pytest.raises(KeyboardInterrupt):
        rundir_write.write_run_folder(tiny_runset, target, overwrite=True)
    assert len(interrupt_after_summary) == 1
    assert list(target.parent.iterdir()) == [target]
    assert sorted(p.name for p in target.iterdir()) == [".iopsim-output", "notes.txt", "summary.json"]
    assert (target / "summary.json").read_text() == "old summary\n"
    assert (target / "notes.txt").read_text() == "old notes\n"


def test_completed_write_replaces_old_run_folder_whole(tiny_runset, tmp_path):
    target = tmp_path / "runs" / "tiny-1"
    target.mkdir(parents=True)
    (target / ".iopsim-output").write_text('{"kind":"run"}\n')
    (target / "notes.txt").write_text("stale\n")
    assert rundir_write.write_run_folder(tiny_runset, target, overwrite=True) == target
    assert list(target.parent.iterdir()) == [target]
    assert sorted(p.name for p in target.iterdir()) == sorted(RUN_FILES)
    assert json.loads((target / "summary.json").read_text())["seed"] == 1
