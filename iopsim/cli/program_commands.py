"""The `timetable` command: show (and export) the week a scenario runs, generated or hand-written."""

from __future__ import annotations

from pathlib import Path

import click

from .common import formats_option, main, scenario_argument, set_option
from .common import load_or_exit as _load


@main.command()
@scenario_argument
@set_option
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the sessions as CSV to this file.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write timetable.csv and the room-by-hour chart (timetable.<format>) to this folder.")
@formats_option("Chart formats for --out.")
def timetable(scenario: Path, overrides: tuple[str, ...], csv_path: Path | None, out: Path | None,
              formats: list[str]) -> None:
    """Print SCENARIO's weekly timetable (generated from its `program:` template, if any) and room use."""
    from ..files import atomic_write_text
    from ..reports.terminal import add_column, new_table
    from ..reports.terminal import console as new_console
    from ..reports.timetable import room_use, timetable_csv, timetable_rows

    s = _load(scenario, overrides)
    console = new_console()
    source = "generated from the program template" if s.program is not None else "as written"
    rows = timetable_rows(s)
    with_tracks = any(r.track for r in rows)  # the Track column only when some session has one
    table = new_table(f"{s.name}: weekly timetable ({source})")
    # group names whole; "Max size" on two lines leaves the room for them
    for column in ("Day", "Start", "End", "Room", "Group", *(["Track"] if with_tracks else []), "Serves", "Max\nsize"):
        add_column(table, column, right=column == "Max\nsize", no_wrap=column == "Group")
    for r in rows:
        table.add_row(r.day, r.start, r.end, r.room, r.group, *([r.track] if with_tracks else []), r.serves,
                      "" if r.max_size is None else str(r.max_size))
    console.print(table)
    console.print()
    rooms = new_table("Room use")
    for column in ("Room", "Seats", "Booked h/week", "Available h/week", "Used"):
        add_column(rooms, column, right=column != "Room")
    for u in room_use(s):
        rooms.add_row(u.room, str(u.seats), f"{u.booked_hours:g}", f"{u.available_hours:g}", f"{u.used_pct:.0f}%")
    console.print(rooms)
    text = timetable_csv(s)
    if csv_path is not None:
        atomic_write_text(csv_path, text)
        click.echo(f"Timetable written to {csv_path}")
    if out is not None:
        from .. import __version__
        from ..reports.style import save_figure
        from ..reports.timetable import timetable_chart

        atomic_write_text(out / "timetable.csv", text)
        footer = f"Scenario: {s.name}  ·  {scenario}  ·  timetable {source}  ·  iopsim {__version__}"
        save_figure(timetable_chart(s, footer), out / "timetable", formats)
        click.echo(f"Timetable table and chart written to {out}/")
