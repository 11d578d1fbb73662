"""The standard charts of a run folder, each drawn only from what the simulation wrote.

Every chart is a function RunDir -> matplotlib Figure, listed in CHARTS with the words the report
prints under it. Numbers that a KPI also reports are computed with the KPI's own window (after
the warm-up) so a chart never disagrees with the table next to it.

- `registry`: CHARTS, rendering in the house style, writing a charts folder;
- `data`: the numbers each chart draws (tables and arrays, no matplotlib), checked against the KPIs;
- `weekly`, `patients`, `sessions`: the drawing, by the run-folder file a chart reads;
- `common`: what the drawing shares (KPI words, time axis, empty panels).

Matplotlib is imported only while a chart is drawn, never on import.
"""

from .data import (
    admission_waits,
    counselor_hours,
    full_share_program,
    group_capacity,
    group_sessions,
    seat_totals,
    session_slots,
    share_within_target,
    stays,
)
from .patients import flow_chart, stay_chart, wait_chart
from .registry import (
    CHARTS,
    Chart,
    chart_by_name,
    choose_charts_folder,
    drawable,
    plot_run,
    render,
    write_charts,
)
from .sessions import group_chart, rooms_chart
from .weekly import census_chart, counselor_chart, waitlist_chart

_slots = session_slots  # the name before the split into modules (tests/reports/test_charts.py)

__all__ = [
    "CHARTS", "Chart", "admission_waits", "census_chart", "chart_by_name", "choose_charts_folder",
    "counselor_chart", "counselor_hours", "drawable", "flow_chart", "full_share_program", "group_capacity",
    "group_chart", "group_sessions", "plot_run", "render", "rooms_chart", "seat_totals", "session_slots",
    "share_within_target", "stay_chart", "stays", "wait_chart", "waitlist_chart", "write_charts",
]
