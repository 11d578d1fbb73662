"""Terminal tables at 80 columns (reports/terminal.py) and counts in words (scenario/wording.py)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from iopsim.analysis.kpis import KPI_UNITS
from iopsim.reports.terminal import (
    HEADLINE_KPIS,
    MONEY_HEADLINE_KPIS,
    Column,
    folded_tables,
    headline_names,
    kpi_table,
    split_columns,
)
from iopsim.scenario.wording import plural
from tests.terminal_fit import WIDTH, assert_fits


def render(*tables, width: int = WIDTH) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None)
    for table in tables:
        console.print(table)
    return buffer.getvalue()


def summary(money: bool = False) -> dict:
    units = {**KPI_UNITS, **({"total_cost_per_year": "USD/yr", "net_per_year": "USD/yr",
                              "cost_per_completion": "USD", "revenue_commercial_per_year": "USD/yr"} if money else {})}
    big = 1_234_567.0
    return {name: {"mean": big if unit.startswith("USD") else 12.345, "unit": unit,
                   "ci95": [big - 98_765, big + 98_765] if unit.startswith("USD") else [10.1, 14.6]}
            for name, unit in units.items()}


@pytest.mark.parametrize("money", [False, True])
def test_the_headline_table_fits_80_columns_in_plain_words(money):
    s = summary(money)
    text = render(kpi_table("a scenario with a long name: 20 replications, seed 20261127 (warm-up 60 weeks)", s,
                            every=False))
    assert_fits(text)
    assert "Admitted within 14 days of referral" in text and "admitted_within_14_days_pct" not in text
    assert ("1,234,567" in text) == money and "e+0" not in text
    expected = list(HEADLINE_KPIS) + (list(MONEY_HEADLINE_KPIS) if money else [])
    assert headline_names(s) == expected
    assert ("Total cost" in text) == money


def test_every_kpi_table_fits_80_columns_with_the_names_targets_take():
    text = render(kpi_table("every KPI", summary(money=True), every=True))
    assert_fits(text)
    for name in KPI_UNITS:  # the longest, referred_out_waitlist_full_per_year, is whole on its line
        assert name in text.split(), name
    assert "Access and waiting" in text and "Money" in text


def test_value_columns_that_do_not_fit_are_split_into_tables_repeating_the_key():
    key = [Column("point", [f"p{i:04d}" for i in range(3)], right=False), Column("counselors.count", ["3", "4", "5"])]
    values = [Column(f"A long KPI label number {k} [%]", ["94.3\n[86.8 – 100.0]"] * 3) for k in range(6)]
    groups = split_columns(key, values, WIDTH)
    assert len(groups) > 1 and [c for g in groups for c in g] == values
    tables = folded_tables("a sweep", key, values, WIDTH)
    text = render(*tables)
    assert_fits(text)
    assert text.count("p0002") == len(groups)  # the key columns repeat in every part
    assert f"(1 of {len(groups)})" in text
    assert len(split_columns(key, values, 1000)) == 1


def test_a_column_wider_than_the_screen_still_gets_a_table_of_its_own():
    key = [Column("point", ["p0"])]
    values = [Column("x", ["9" * 120]), Column("y", ["1"])]
    assert [len(g) for g in split_columns(key, values, WIDTH)] == [1, 1]


@pytest.mark.parametrize("count, noun, text", [
    (1, "counselor", "1 counselor"), (0, "counselor", "0 counselors"), (2, "group room", "2 group rooms"),
    (1, "group room", "1 group room"), (1.5, "week", "1.5 weeks"), (1.0, "week", "1 week"),
    (3, "replication", "3 replications"), (2, "batch", "2 batches"), (2, "candidacy", "2 candidacies"),
    (2, "day", "2 days"), (2, "analysis", "2 analyses"), (1, "point", "1 point"),
])
def test_plural(count, noun, text):
    assert plural(count, noun) == text


def test_plural_takes_an_irregular_form():
    assert plural(2, "person", "people") == "2 people"
    assert plural(1, "person", "people") == "1 person"
