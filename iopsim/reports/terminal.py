"""Tables for the terminal that stay readable at 80 columns.

Every table the commands print is built here: no column is ever cut with '…' (long text wraps at
spaces, a long name folds onto the next line), units are written short, and a table with more
value columns than the width holds is split into several tables that repeat the key columns.
The width is the terminal's (rich reads COLUMNS when output is not a terminal; 80 by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.table import Table

from .style import kpi_label, kpi_sections
from .tables import decimals_for, format_value

HEADLINE_KPIS = (
    "admissions_per_year",
    "completion_rate_pct",
    "wait_to_admission_days_mean",
    "admitted_within_14_days_pct",
    "waitlist_mean",
    "census_mean",
    "group_fill_pct",
    "counselor_utilization_pct",
    "room_utilization_pct",
)
"""What a planner reads first in `iopsim run` (the binding constraint is the sentence below it)."""

MONEY_HEADLINE_KPIS = ("total_cost_per_year", "net_per_year", "cost_per_completion")
"""Added to the headline when the scenario has a `finance:` section."""

UNIT_TEXT = {"per year": "/year", "per patient": "/patient", "h per patient": "h/patient", "h per week": "h/week"}


def unit_text(unit: str) -> str:
    """A unit written short for a narrow column ('per year' -> '/year'); money and the rest unchanged."""
    return UNIT_TEXT.get(unit, unit)


def console(stderr: bool = False) -> Console:
    """A rich console at the terminal's width; highlighting off so numbers keep one colour."""
    return Console(stderr=stderr, highlight=False)


def new_table(title: str | None = None, caption: str | None = None) -> Table:
    """A table with a rule under the header and no outer edge or padding (more characters for the data)."""
    return Table(title=title, caption=caption, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                 title_justify="left", caption_justify="left")


def add_column(table: Table, header: str, right: bool = False, max_width: int | None = None,
               no_wrap: bool = False) -> None:
    """A column that wraps at spaces and folds a long word: nothing is ever cut off with '…'. A `no_wrap`
    column (a name a reader looks up or copies) keeps each cell on one line; the other columns wrap instead."""
    table.add_column(header, justify="right" if right else "left", overflow="fold", max_width=max_width,
                     no_wrap=no_wrap)


def interval_text(mean: float | None, lo: float | None, hi: float | None, unit: str = "") -> tuple[str, str]:
    """(mean, 'lo – hi') with the mean's decimals; the interval is '' when there is none."""
    d = decimals_for(mean, unit)
    if lo is None or hi is None or lo != lo or hi != hi:
        return format_value(mean, d), ""
    return format_value(mean, d), f"{format_value(lo, d)} – {format_value(hi, d)}"


def headline_names(names: Iterable[str]) -> list[str]:
    """The headline KPIs among `names`, money ones last when there are any."""
    present = set(names)
    return [n for n in (*HEADLINE_KPIS, *MONEY_HEADLINE_KPIS) if n in present]


def kpi_table(title: str, summary: Mapping[str, Mapping], every: bool = False,
              names: Sequence[str] | None = None) -> Table:
    """Mean and 95% CI per KPI: `names` (default the headline) in plain words, or (every) all of them
    by section, under the names `--target`, `--kpi` and summary.json use."""
    table = new_table(title)
    if every:  # two spaces between columns, so the longest name (43 characters) stays whole beside its figures
        table.padding = (0, 1, 0, 0)
        table.add_column("KPI", no_wrap=True, min_width=max((len(n) for n in summary), default=0))
    else:
        add_column(table, "key result")
    add_column(table, "mean", right=True)
    add_column(table, "95% CI", right=True, max_width=17)  # a longer interval wraps after its dash
    add_column(table, "unit")

    def row(name: str, label: str) -> None:
        v = summary[name]
        lo, hi = v["ci95"]
        mean, ci = interval_text(v["mean"], lo, hi, v["unit"])
        table.add_row(label, mean, ci, unit_text(v["unit"]))

    if not every:
        for name in headline_names(summary) if names is None else names:
            row(name, kpi_label(name))
        return table
    for i, (section, members) in enumerate(kpi_sections(summary)):
        if i:
            table.add_row()
        table.add_row(f"[bold]{section}[/]")
        for name in members:
            row(name, name)
    return table


def echo(text: str, err: bool = False) -> None:
    """A line of plain text (no markup), wrapped at spaces to the terminal's width."""
    console(err).print(text, markup=False)


COLUMN_GAP = 3
"""Characters between two columns of `new_table` (padding either side of the rule)."""


@dataclass(frozen=True)
class Column:
    header: str
    cells: Sequence[str]
    right: bool = True


def _width(column: Column) -> int:
    """Columns this one needs: its widest line, its header wrapped at spaces no narrower than its longest word."""
    lines = [line for cell in column.cells for line in cell.split("\n")]
    widest = max((len(line) for line in lines), default=0)
    header_word = max((len(word) for word in column.header.split()), default=0)
    header_line = max(len(line) for line in column.header.split("\n"))
    return max(widest, header_word, min(header_line, 14)) + COLUMN_GAP


def path_header(path: str, width: int = 12) -> str:
    """A dotted parameter path as a column head, broken after its dots when long ('referrals.\nrate_per_week')."""
    return path.replace(".", ".\n") if len(path) > width else path


def split_columns(key: Sequence[Column], values: Sequence[Column], width: int) -> list[list[Column]]:
    """Value columns in groups that fit `width` beside the key columns (at least one per group)."""
    room = width - sum(_width(c) for c in key) + COLUMN_GAP  # the first column has no gap before it
    groups: list[list[Column]] = [[]]
    used = 0
    for column in values:
        w = _width(column)
        if groups[-1] and used + w > room:
            groups.append([])
            used = 0
        groups[-1].append(column)
        used += w
    return groups


def folded_tables(title: str, key: Sequence[Column], values: Sequence[Column], width: int) -> list[Table]:
    """One table, or several that repeat the key columns when the value columns do not fit in `width`."""
    groups = split_columns(key, values, width)
    tables = []
    for i, group in enumerate(groups, start=1):
        part = f" ({i} of {len(groups)})" if len(groups) > 1 else ""
        table = new_table(title + part)
        columns = [*key, *group]
        for c in columns:
            add_column(table, c.header, right=c.right)
        for r in range(len(key[0].cells) if key else 0):
            table.add_row(*(c.cells[r] for c in columns))
        tables.append(table)
    return tables
