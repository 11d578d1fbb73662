"""Sizing a program template over its levers: the levers, the intake-limited answer, the runnable recommendation."""

from __future__ import annotations

import html
import json

import pytest
from click.testing import CliRunner

from iopsim.analysis.stats import mean_ci
from iopsim.cli import main
from iopsim.experiments.lever_search import LeverSizer, binding_report
from iopsim.experiments.levers import apply_levers, build_candidate, find_levers
from iopsim.experiments.sizing import FEASIBLE
from iopsim.experiments.targets import PASS, parse_target
from iopsim.runner import run_replications
from iopsim.scenario.loader import apply_overrides, load_scenario, load_yaml

from .helpers import REPO

TEMPLATE = REPO / "scenarios" / "template-example.yaml"
SHORT = ["run.horizon_years=2", "run.warmup_weeks=12"]
ACCESS = parse_target("admitted_within_14_days_pct>=90")


def template_data(*overrides: str) -> dict:
    data, _ = load_yaml(TEMPLATE)
    return apply_overrides(data, [*SHORT, *overrides])


def test_levers_of_the_template_example_and_their_values():
    data = template_data()
    levers = {lv.path: lv for lv in find_levers(data)}
    assert levers["program.phases.early.1.groups"].base == 2  # the two evening phase-1 groups as written
    assert levers["program.intake.0.days"].base == 4 and levers["program.intake.0.days"].high == 6  # + fri, sat
    assert {"counselors.count", "rooms.extra", "program.intake.0.rooms.extra", "program.aftercare.0.groups"} <= set(levers)
    values = {"program.intake.0.days": 5, "program.intake.0.groups": 2, "program.intake.0.rooms.extra": 1,
              "counselors.count": 6, "program.phases.early.1.groups": 3, "rooms.extra": 1}
    changed = apply_levers(data, list(levers.values()), values)
    assert data["program"]["intake"][0]["days"] == ["mon", "tue", "wed", "thu"]  # the base is left alone
    intake = changed["program"]["intake"][0]
    assert intake["days"] == ["mon", "tue", "wed", "thu", "fri"] and intake["groups"] == 2
    assert intake["rooms"] == ["Office", "Office #2"]
    assert changed["program"]["phases"]["early"][1]["groups"] == 3
    s = build_candidate(changed)
    assert s.counselors.count == 6
    assert {r.name for r in s.rooms} == {"Room A", "Room B", "Office", "Office #2", "Room A #2"}
    clinics = [x for x in s.timetable if "intake" in x.serves]
    assert len(clinics) == 10 and {x.room for x in clinics} == {"Office", "Office #2"}
    early_evening = {x.group for x in s.timetable if "early" in x.serves and x.start == "18:00"}
    assert len(early_evening) == 3


def test_shift_counts_are_levers_and_keep_the_total():
    data = template_data()
    data["counselors"].pop("count")
    data["counselors"]["shifts"] = [{"name": "day", "count": 2, "start": "08:00", "end": "17:00",
                                     "days": ["mon", "tue", "wed", "thu", "fri", "sat"]},
                                    {"name": "evening", "count": 2, "start": "12:00", "end": "21:00"}]
    levers = find_levers(data)
    paths = [lv.path for lv in levers]
    assert "counselors.shifts.1.count" in paths and "counselors.count" not in paths
    s = build_candidate(apply_levers(data, levers, {"counselors.shifts.1.count": 3}))
    assert [x.count for x in s.counselors.shifts] == [2, 3] and s.counselors.count == 5


def test_an_intake_limited_program_gets_intake_sessions_first(sized_at_6):
    """At 6 referrals a week the template's intake clinics bind (77% at capacity, ~7 waiting): the first
    unit the search adds is intake, and the recommendation has more intake clinic time than written.
    Read from the search `iopsim size` ran (LeverSizer.solve, seed 20261127, 3..12 replications)."""
    doc = json.loads((sized_at_6[0] / "sizing.json").read_text())
    assert (doc["seed"], doc["replications"], doc["targets"]) == (20261127, [3, 12], [str(ACCESS)])
    first, second = doc["candidates"][:2]
    assert first["status"] != FEASIBLE and first["binding"].split()[0] == "intake"
    assert "intake" in second["step"]
    best = doc["recommended"]
    assert best is not None
    [row] = [c for c in doc["candidates"] if all(c[path] == value for path, value in best["levers"].items())]
    assert row["status"] == FEASIBLE
    written = 4 * 1  # clinic days x parallel clinics
    assert best["levers"]["program.intake.0.days"] * best["levers"]["program.intake.0.groups"] > written
    assert row[f"{ACCESS} verdict"] == PASS


def test_when_nothing_meets_the_targets_it_says_what_binds_and_which_lever_ran_out():
    data = template_data("referrals.rate_per_week=14")
    sizer = LeverSizer(data, find_levers(data, max_added=0), [ACCESS], seed=1, min_replications=3,
                       max_replications=6)
    result = sizer.solve()
    assert result.best is None
    lines = binding_report(result)
    assert result.closest is not None and lines[0].startswith("Closest candidate")
    assert any("at its limit" in line for line in lines[1:]), lines


@pytest.fixture(scope="module")
def sized_at_6(tmp_path_factory):
    """`iopsim size` of the template at 6 referrals a week (the intake-limited case), run once for the tests
    that read its folder; they copy it before writing into it."""
    return _run_size(tmp_path_factory.mktemp("levers"), 6)


def _run_size(tmp_path, rate: int):
    out = tmp_path / f"size-{rate}"
    args = ["size", str(TEMPLATE), "--target", str(ACCESS), "--min-replications", "3", "--max-replications", "12",
            "--out", str(out), "--yes", "--set", f"referrals.rate_per_week={rate}"]
    for o in SHORT:
        args += ["--set", o]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    return out, res.output


def _check_recommended(out) -> None:
    """recommended.yaml loads, runs, and meets the target at its confidence bound."""
    doc = json.loads((out / "sizing.json").read_text())
    assert doc["search"] == "levers" and doc["recommended"] is not None
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["design"]["method"] == "greedy lever search" and (out / "codebook.csv").is_file()
    text = (out / "recommended.yaml").read_text()
    assert text.startswith("# iopsim") and "Targets, at the 95% confidence bound" in text
    kpis = doc["recommended"]["kpis"]
    quoted = [line for line in text.splitlines() if line.startswith("#   ") and "[95% CI" in line]
    assert len(quoted) == len(doc["targets"])
    for line in quoted:  # the header quotes each target KPI's CI as sizing.json has it (shares <= 100)
        name = line[4:].split(":")[0]
        lo, hi = (float(x) for x in line.split("[95% CI ")[1].rstrip("]").split(", "))
        assert (lo, hi) == pytest.approx(tuple(kpis[name]["ci95"]), rel=1e-3) and hi <= 100
    scenario = load_scenario(out / "recommended.yaml")
    assert scenario.program is not None  # the template, not a generated timetable, is written
    run = run_replications(scenario, keep_patients=False)
    assert ACCESS.verdict(mean_ci([row[ACCESS.kpi] for row in run.kpi_rows()])) == PASS


def test_size_on_the_template_writes_a_recommendation_that_runs_and_meets_the_targets(sized_at_6):
    out, output = sized_at_6
    assert "Recommended:" in output
    _check_recommended(out)


@pytest.mark.slow
def test_size_at_14_referrals_a_week_adds_capacity_and_the_recommendation_meets_the_targets(tmp_path):
    out, _ = _run_size(tmp_path, 14)
    rec = json.loads((out / "sizing.json").read_text())["recommended"]["levers"]
    assert rec["counselors.count"] > 4
    _check_recommended(out)


def test_growth_gives_the_rate_at_which_the_program_stops_meeting_the_targets_and_what_to_add(tmp_path):
    out = tmp_path / "growth"
    args = ["size", str(TEMPLATE), "--target", "admitted_within_14_days_pct>=85", "--min-replications", "3",
            "--max-replications", "8", "--growth", "4,6,8", "--out", str(out), "--yes"]
    for o in SHORT:
        args += ["--set", o]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    steps = json.loads((out / "growth.json").read_text())["steps"]
    assert [s["rate"] for s in steps] == [4, 6, 8]
    assert steps[0]["status"] == "meets the targets"
    assert steps[1]["status"] == "add" and "intake" in steps[1]["binding"] and "intake" in steps[1]["change"]
    assert "At 6 referrals/week: it stops meeting them" in res.output
    grown = load_scenario(out / "grown.yaml")  # the grown program is a runnable scenario at the last rate
    assert grown.referrals.rate_per_week == 8 and grown.program is not None
    prov = json.loads((out / "provenance.json").read_text())  # what a methods section needs to redo it
    assert prov["scenario_overrides"] == list(SHORT) and prov["design"]["rates_per_week"] == [4, 6, 8]
    assert prov["replications"] == [3, 8] and (out / "scenario.yaml").read_bytes() == TEMPLATE.read_bytes()


def test_growth_needs_a_program_template(tmp_path):
    res = CliRunner().invoke(main, ["size", str(REPO / "scenarios" / "urban-evening-track.yaml"), "--target", str(ACCESS),
                                    "--growth", "4..6", "--out", str(tmp_path / "g"), "--yes"])
    assert res.exit_code == 2 and "program: template" in res.output
    assert not (tmp_path / "g").exists()


def test_report_of_a_sizing_folder_shows_the_recommendation_the_frontier_and_what_binds(sized_at_6, tmp_path):
    import shutil

    out = tmp_path / "size-6"
    shutil.copytree(sized_at_6[0], out)
    res = CliRunner().invoke(main, ["report", str(out)])
    assert res.exit_code == 0, res.output
    page = (out / "report.html").read_text()
    rec = json.loads((out / "sizing.json").read_text())["recommended"]
    assert "<h2>Recommendation</h2>" in page and html.escape(rec["change"]) in page
    assert "<h2>Frontier</h2>" in page and "data:image/svg+xml;base64," in page
    assert "Still binding: " + ", ".join(rec["binding"]) in page
    assert page.count("<tr>") >= 1 + len(json.loads((out / "sizing.json").read_text())["candidates"])


def test_report_of_a_folder_with_a_broken_sizing_file_exits_2(tmp_path):
    folder = tmp_path / "size"
    folder.mkdir()
    (folder / "sizing.json").write_text("{not json")
    res = CliRunner().invoke(main, ["report", str(folder)])
    assert res.exit_code == 2 and "sizing.json" in res.output
    assert not (folder / "report.html").exists()


@pytest.mark.parametrize("extra, flag", [(["--rooms", "1..3"], "--rooms"), (["--counselors", "2..5"], "--counselors"),
                                         (["--exhaustive"], "--exhaustive")])
def test_options_of_the_room_search_are_refused_for_a_template(tmp_path, extra, flag):
    res = CliRunner().invoke(main, ["size", str(TEMPLATE), "--target", str(ACCESS), "--out", str(tmp_path / "s"),
                                    "--yes", *extra])
    assert res.exit_code == 2 and flag in res.output
    assert not (tmp_path / "s").exists()


def test_dedicated_assessors_are_the_intake_lever_when_intake_has_no_clinics():
    data = template_data("intake.mode=dedicated_assessors", "intake.assessors=1")
    del data["program"]["intake"]
    levers = find_levers(data)
    intake = [lv for lv in levers if lv.relieves("intake")]
    assert [lv.path for lv in intake] == ["intake.assessors"]
    s = build_candidate(apply_levers(data, levers, {"intake.assessors": 3}))
    assert s.intake.assessors == 3


def test_with_finance_candidates_are_costed_in_money_and_copied_rooms_cost_what_their_original_costs():
    from iopsim.analysis.finance import fixed_cost_per_year

    data = template_data()
    baseline, _ = load_yaml(REPO / "scenarios" / "baseline.yaml")
    data["finance"] = baseline["finance"]  # its rooms have the template's names (Room A, Room B, Office)
    levers = find_levers(data)
    base = build_candidate(data)
    more = build_candidate(apply_levers(data, levers, {"rooms.extra": 1, "program.intake.0.rooms.extra": 1}))
    monthly = {r["room"]: r["cost_per_month"] for r in data["finance"]["rooms"]}
    assert fixed_cost_per_year(more) - fixed_cost_per_year(base) == pytest.approx(
        12 * (monthly["Room A"] + monthly["Office"]))
    sizer = LeverSizer(data, levers, [ACCESS], seed=1, min_replications=3, max_replications=6)
    cand = sizer.evaluate(sizer.base, "as written")
    assert cand.cost == pytest.approx(cand.estimate("total_cost_per_year").mean)
    assert cand.cost >= fixed_cost_per_year(base) - 1e-6
