"""Every command's terminal output at 80 columns (COLUMNS=80): no line wider, nothing cut with '…',
KPIs in a planner's words, counts said right. Tiny deterministic scenarios keep it to seconds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from iopsim.cli import main
from tests.factories import deterministic_dict
from tests.terminal_fit import NARROW, assert_fits, flat, in_order

REPO = Path(__file__).resolve().parents[1]


def invoke(*args) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], env=NARROW)
    assert result.exit_code == 0, result.output
    return result


def priced() -> dict:
    d = deterministic_dict()
    d["run"].update({"horizon_years": 2, "warmup_weeks": 10})
    d["counselors"]["max_caseload"] = 5
    d["counselors"]["count"] = 3
    d["finance"] = {"counselor": {"salary_per_year": 850_000, "benefits_pct": 20}, "room_cost_per_month": 1_000}
    return d


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("narrow")
    (folder / "priced.yaml").write_text(yaml.safe_dump(priced()))
    return folder


@pytest.fixture(scope="module")
def runs(folder) -> tuple[Result, Path, Path]:
    """(the compact run's output, a run with 3 counselors, one with 4), 2 replications each."""
    compact = invoke("run", folder / "priced.yaml", "-n", "2", "-j", "1", "--out", folder / "three")
    invoke("run", folder / "priced.yaml", "-n", "2", "-j", "1", "--set", "counselors.count=4", "--out", folder / "four")
    return compact, folder / "three", folder / "four"


def test_run_prints_the_headline_kpis_in_plain_words_within_80_columns(runs):
    result, three, _ = runs
    assert_fits(result.stdout)
    for label in ("Completed treatment", "Wait from referral to admission, mean", "Admitted within 14 days of referral",
                  "Patients in treatment, average", "Attended per session (% of seats)", "Counselor clinical time used",
                  "Total cost", "Net (revenue - cost)"):
        assert in_order(label, result.stdout), label
    assert "referrals_per_year" not in result.stdout and "Referrals " not in result.stdout  # not a headline KPI
    kpis = json.loads((three / "summary.json").read_text())["kpis"]
    assert f"12 headline KPIs of {len(kpis)}; --all prints every one" in flat(result.stdout)
    total = kpis["total_cost_per_year"]["mean"]
    assert f"{total:,.0f}" in result.stdout and "e+0" not in result.stdout
    assert flat(result.stdout).index("Net (revenue - cost)") < flat(result.stdout).index("Binding: ")


def test_run_all_prints_every_kpi_by_name_within_80_columns(runs, tmp_path):
    _, three, _ = runs
    result = invoke("run", three.parent / "priced.yaml", "-n", "2", "-j", "1", "--all", "--out", tmp_path / "all")
    assert_fits(result.stdout)
    words = result.stdout.split()
    for name in json.loads((three / "summary.json").read_text())["kpis"]:
        assert name in words, name  # whole, on one line
    assert "Access and waiting" in result.stdout and "headline KPIs" not in result.stdout


def test_compare_fits_80_columns_with_every_kpi_in_words_and_its_unit(runs, tmp_path):
    _, three, four = runs
    result = invoke("compare", three, four, "--out", tmp_path / "cmp")
    assert_fits(result.stdout)
    assert in_order("Counselor clinical time used [%]", result.stdout)
    assert in_order("Staff cost [USD/yr]", result.stdout)
    staff = next(line for line in result.stdout.splitlines() if line.startswith("Staff cost"))
    assert re.findall(r"[\d,]{9}", staff)[:3] == ["3,060,000", "4,080,000", "1,020,000"]  # 3 and 4 x 850,000 x 1.2


def test_size_fits_80_columns_and_counts_in_words(folder, tmp_path):
    result = invoke("size", folder / "priced.yaml", "--target", "admitted_within_14_days_pct>=90", "--target",
                    "waitlist_mean<=1", "--rooms", "1", "--counselors", "2..4", "-j", "1", "--out", tmp_path / "size")
    assert_fits(result.stdout)
    text = flat(result.stdout)
    assert "Recommended: 1 group room and 3 counselors (cost 3,072,000 USD a year" in text
    assert in_order("Admitted within 14 days of referral ≥ 90", result.stdout)
    assert in_order("Waitlist length, average ≤ 1", result.stdout)
    assert re.search(r"Ran \d+ simulations for \d+ candidates", text)


def test_sweep_fits_80_columns_by_splitting_its_kpi_columns(folder, tmp_path):
    experiment = tmp_path / "exp.yaml"
    experiment.write_text(yaml.safe_dump({
        "name": "narrow", "scenario": str(folder / "priced.yaml"), "replications": 1, "seed": 1,
        "parameters": [{"path": "counselors.count", "values": [3, 4]}, {"path": "referrals.rate_per_week",
                                                                          "values": [1, 1.5]}],
        "kpis": ["admitted_within_14_days_pct", "wait_to_admission_days_mean", "waitlist_mean", "census_mean",
                 "counselor_utilization_pct", "group_fill_pct"],
    }))
    result = invoke("sweep", experiment, "--out", tmp_path / "sweep", "-j", "1")
    assert_fits(result.stdout)
    parts = re.findall(r"\((\d) of (\d)\)", result.stdout)
    assert len(parts) >= 2 and {total for _, total in parts} == {str(len(parts))}
    for label in ("Admitted within 14 days of referral [%]", "Attended per session (% of seats) [%]"):
        assert in_order(label, result.stdout), label
    assert result.stdout.count("p0003") == len(parts)  # every part repeats the points
    assert "Ran 4 points (4 simulations)" in flat(result.stdout)


@pytest.mark.parametrize("scenario", ["template-example.yaml", "urban-evening-track.yaml", "baseline.yaml"])
def test_timetable_fits_80_columns(scenario):
    result = invoke("timetable", REPO / "scenarios" / scenario)
    assert_fits(result.stdout)
    assert "Room use" in result.stdout


def test_warmup_says_which_suggestion_to_use_why_and_what_to_write(folder, tmp_path):
    result = invoke("warmup", folder / "priced.yaml", "-n", "2", "-j", "1", "--set", "run.horizon_years=3",
                    "--out", tmp_path / "welch.png")
    assert_fits(result.stdout)
    text = flat(result.stdout)
    used = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(census|waitlist|aftercare_census)\s+(\d+)\s+\d+\s*$",
                                                             result.stdout, re.M)}
    assert used, result.stdout
    weeks = max(used.values())
    slowest = max(used, key=lambda name: used[name])
    assert f"Suggested warm-up: {weeks} week{'s' if weeks != 1 else ''}." in text
    assert f"Use the largest of the per-series medians (the \"used\" column): {slowest} settles last" in text
    if weeks > 10:  # the scenario has 10 weeks: say what to write
        assert f"Put `warmup_weeks: {weeks}` under `run:` in the scenario" in text
    else:
        assert "The scenario's run.warmup_weeks (10) already covers it; keep it." in text
    assert (tmp_path / "welch.png").stat().st_size > 0
