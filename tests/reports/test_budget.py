"""Money in reports: the budget table and money differences in comparisons, on the deterministic scenario."""

from __future__ import annotations

import pytest

from iopsim.reports.budget import budget
from iopsim.reports.compare import compare, difference_text
from iopsim.reports.report import render_report
from iopsim.reports.rundir import RunDir
from iopsim.reports.rundir_write import write_run_folder
from iopsim.runner import run_replications
from tests.analysis.test_finance import priced
from tests.factories import deterministic_dict


def _run(folder, counselors: int = 1) -> RunDir:
    data = deterministic_dict()
    data["run"]["horizon_years"] = 2
    data["counselors"]["count"] = counselors
    return RunDir(write_run_folder(run_replications(priced(data), replications=2, jobs=1), folder))


@pytest.fixture(scope="module")
def one(tmp_path_factory) -> RunDir:
    return _run(tmp_path_factory.mktemp("money") / "one")


@pytest.fixture(scope="module")
def two(tmp_path_factory) -> RunDir:
    return _run(tmp_path_factory.mktemp("money") / "two", counselors=2)


def test_budget_lines_show_fte_times_pay(one):
    b = budget(one)
    assert b is not None and b.currency == "USD"
    sections = dict(b.sections)
    counselor, supervisor, assessor, total = sections["Personnel"]
    # the deterministic scenario's dedicated assessor has no pay given: the line says so instead of hiding it
    assert assessor.item == "Intake assessor" and "not costed" in assessor.basis and assessor.amount == "–"
    assert (counselor.item, counselor.basis, counselor.amount) == (
        "Counselor", "1.00 FTE x 65,000 USD (salary + benefits)", "65,000")
    assert supervisor.amount == "17,500"
    assert total.amount == "82,500" and total.ci == "82,500 – 82,500" and total.total
    [room, rooms_total] = sections["Rooms"]
    assert room.basis == "1,000 USD a month x 12 + 469 booked h a year x 20.0 USD"  # 9 h a week
    assert room.amount == rooms_total.amount == "21,386"
    revenue = {line.item: line for line in sections["Revenue"]}
    assert set(revenue) == {"Medicaid", "Commercial", "Revenue total", "Net (revenue - cost)"}
    assert revenue["Commercial"].amount == "15,017"  # 40% x 120 x 6 individual sessions a week
    assert "aftercare not billed" in revenue["Commercial"].basis
    assert revenue["Net (revenue - cost)"].amount.startswith("-")


@pytest.fixture
def no_charts(monkeypatch):
    """The budget and KPI tables without drawing the charts (their cost; drawn in test_report.py)."""
    import iopsim.reports.report as report

    monkeypatch.setattr(report, "_charts", lambda run, fmt: [])


def test_report_has_a_budget_and_money_kpis(one, no_charts):
    html = render_report([one])
    assert 'id="budget"' in html and "Personnel total" in html
    assert "Revenue from medicaid" in html and "USD/yr" in html
    assert "e+0" not in html.split('id="charts"')[0]


def test_report_without_finance_has_no_budget(tmp_path, no_charts):
    from tests.factories import build

    data = deterministic_dict()
    data["run"]["horizon_years"] = 2
    run = RunDir(write_run_folder(run_replications(build(data), replications=2, jobs=1), tmp_path / "plain"))
    assert budget(run) is None
    assert 'id="budget"' not in render_report([run])


def test_compare_shows_money_differences_with_cis(one, two):
    c = compare(one, two)
    staff = c.row("staff_cost_per_year")
    assert staff is not None and staff.unit == "USD/yr"
    # one more counselor FTE (65,000) and 0.1 supervisor FTE per counselor FTE (8,750)
    assert staff.diff.mean == pytest.approx(73_750)
    assert difference_text(staff) == "73,750 (73,750 to 73,750)"
    assert c.row("net_per_year").diff.mean < 0
