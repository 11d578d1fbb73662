"""What the report says: the executive summary, warnings with their causes, the key results that can get
worse, assumptions matched by name and by group/day, and the STRESS-DES appendix, all from the run data."""

from __future__ import annotations

import json
import re

import pytest
from markupsafe import escape

from iopsim.reports.assumptions import assumptions
from iopsim.reports.compare import compare_all
from iopsim.reports.report import report_context
from iopsim.reports.rundir import RunDir
from iopsim.reports.style import KPI_DEFINITIONS
from iopsim.reports.summary import executive_summary
from iopsim.reports.thresholds import KEY_RESULTS, THRESHOLDS, WORSE, flags, is_worse


def _section(page: str, sid: str) -> str:
    return page.split(f'<section id="{sid}">', 1)[1].split("</section>", 1)[0]


def test_key_results_hold_every_kpi_that_can_get_worse(base, multi_html):
    key = _section(multi_html, "key-results")
    for name in ("individual_sessions_delivered_pct", "sessions_cancelled_pct", "aftercare_uptake_pct",
                 "counselor_utilization_pct", "counselor_overtime_hours_per_week", "net_per_year"):
        assert name in KEY_RESULTS and f"<code>{name}</code>" in key, name
    for t in THRESHOLDS:  # every threshold is on a KPI of the key results, and says which way is worse
        assert t.kpi in KEY_RESULTS and WORSE.get(t.kpi) in (t.worse, None), t.kpi  # utilisation: no better side


def test_fewer_counselors_flags_individual_sessions_with_the_cause(base, fewer_counselors, multi_html):
    """The issue's case: one counselor fewer 'wins' on cost while individual sessions go undelivered."""
    flagged = {f.kpi: f for f in flags(fewer_counselors)}
    sessions = flagged["individual_sessions_delivered_pct"]
    assert sessions.value == fewer_counselors.kpis["individual_sessions_delivered_pct"]["mean"] < 95
    hours = fewer_counselors.summary["bottleneck"]["resources"]["counselor_hours"]
    assert f"short of clinical hours in {hours['at_capacity_pct']:.0f}% of weeks" in sessions.cause
    assert "individual_sessions_delivered_pct" not in {f.kpi for f in flags(base)}
    key = _section(multi_html, "key-results")
    row = re.search(r"<code>individual_sessions_delivered_pct</code>.*?</tr>", key, re.S).group(0)
    assert row.count('class="num flag') == 1 and "worse" in row  # flagged in B only, and worse than A
    assert str(escape(sessions.cause)) in key
    worse = key.split('id="worse-B"', 1)[1].split("</ul>", 1)[0]  # what got worse in B, with its cause
    assert "Individual session hours delivered" in worse and " pp (" in worse and str(escape(sessions.cause)) in worse


def test_aftercare_uptake_is_explained_by_aftercare_seats(base):
    f = next((f for f in flags(base) if f.kpi == "aftercare_uptake_pct"), None)
    uptake = base.kpis["aftercare_uptake_pct"]["mean"]
    limit = 100 * base.scenario["aftercare"]["uptake_prob"] - 5
    assert (f is not None) == (uptake < limit)
    if f is not None:
        seats = base.summary["bottleneck"]["resources"]["aftercare_seats"]
        assert f"aftercare seats were at capacity {seats['at_capacity_pct']:.0f}% of the time" in f.cause


def test_worse_follows_the_difference_interval():
    assert is_worse("wait_to_admission_days_mean", 0.2, 1.0) and not is_worse("wait_to_admission_days_mean", -0.2, 1.0)
    assert is_worse("admitted_within_14_days_pct", -5.0, -1.0) and not is_worse("admitted_within_14_days_pct", 1, 5)
    assert not is_worse("census_mean", 1.0, 2.0)  # neither better nor worse


def test_executive_summary_comes_first_and_is_built_from_the_runs(base, fewer_counselors, multi_html):
    assert multi_html.index('id="executive-summary"') < multi_html.index('id="summary"')
    runs = [base, fewer_counselors]
    points = {p.heading: p.text for p in executive_summary(runs, compare_all(runs))}
    assert list(points) == ["What was modelled", "Results", "Binding constraint", "Recommendation",
                            "Main uncertainty"]
    assert "counselors.count 4 vs 3" in points["What was modelled"]
    k = base.kpis["admitted_within_14_days_pct"]
    assert f"A: {k['mean']:.1f}% (95% CI {k['ci95'][0]:.1f}–" in points["Results"]
    assert "counselor hours: short in" in points["Binding constraint"].split("B: ", 1)[1]  # B names it (after seats)
    assert "worse on" in points["Recommendation"] and "individual session hours delivered" in points["Recommendation"]
    assert "95% CI" in points["Main uncertainty"]
    summary = _section(multi_html, "executive-summary")
    for text in points.values():
        assert str(escape(text)) in summary


def test_timetable_rows_are_compared_by_group_and_day_not_position(base, tmp_path):
    """A session added at the top of B's timetable differs; every other session still matches A's."""
    summary = json.loads((base.path / "summary.json").read_text())
    added = {**summary["scenario"]["timetable"][0], "group": "extra-early", "day": "sat"}
    summary["scenario"]["timetable"].insert(0, added)
    other = tmp_path / "added-session"
    other.mkdir()
    (other / "summary.json").write_text(json.dumps(summary))
    rows = {r["path"]: r for r in assumptions([base, RunDir(other)])}
    timetable = {p: r for p, r in rows.items() if p.startswith("timetable[")}
    assert [p for p, r in timetable.items() if r["differs"]] == ["timetable[extra-early, sat]"]
    assert timetable["timetable[extra-early, sat]"]["values"][0] == "—"
    assert "timetable[early-day-1, mon]" in timetable and "timetable[intake-1, fri]" in timetable  # generated names


def test_group_measures_are_named_apart_and_defined(single_html):
    key = _section(single_html, "key-results")
    assert "Seats held (% of group capacity)" in key and "Attended per session (% of seats)" in key
    for name in ("group_enrollment_pct", "group_fill_pct"):
        assert str(escape(KPI_DEFINITIONS[name])) in key


@pytest.mark.parametrize("name", ["completion_rate_pct", "dropout_rate_pct", "admitted_within_14_days_pct",
                                  "aftercare_uptake_pct", "sessions_cancelled_pct", "room_utilization_pct"])
def test_every_rate_says_what_it_is_a_share_of(name):
    from iopsim.reports.style import kpi_label

    assert re.search(r"\(% of [a-z ]+\)", kpi_label(name)), kpi_label(name)


def test_stress_des_appendix_has_every_item_filled_from_the_run(base, single_html):
    ctx = report_context([base])
    items = [i for _, section in ctx["stress_des"] for i in section]
    assert [i.number for i in items] == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5.1", "2.5.2",
                                         "2.5.3", "2.5.4", "2.5.5", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2",
                                         "4.3", "5.1", "5.2", "5.3", "5.4", "6.1"]
    assert all(i.text for i in items)
    by = {i.number: i.text for i in items}
    assert "first 10 weeks" in by["4.1"] and "Simulated length 2 years" in by["4.2"]
    assert f"3 replications, base seed {base.seed}" in by["4.3"]
    assert base.summary["scenario_sha256"] in by["6.1"]
    assert "phases[early].duration_weeks: gamma (mean 2.9, sd 0.7)" in by["2.4"]  # the v2 baseline
    appendix = _section(single_html, "stress-des")
    assert "Monks T" in appendix and "Journal of Simulation 2019;13(1):55-67" in appendix
