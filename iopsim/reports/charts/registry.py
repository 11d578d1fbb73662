"""The standard charts in the order a planner reads them, with the words the report prints under each,
and how they are drawn into a charts folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ...files import choose_output, write_output_dir
from ...scenario.vocabulary import ACCESS_TARGET_DAYS
from ..rundir import RunDir
from ..style import save_figure, style_context
from .patients import flow_chart, stay_chart, wait_chart
from .sessions import group_chart, rooms_chart
from .weekly import census_chart, counselor_chart, waitlist_chart


@dataclass(frozen=True)
class Chart:
    name: str  # file stem
    title: str
    caption: str  # how to read it, for the report
    draw: Callable[[RunDir], object]
    needs_patients: bool = False  # drawn from the per-patient table, which `iopsim run --no-patients` skips


CHARTS: tuple[Chart, ...] = (
    Chart("01-waitlist", "Waitlist over time", "Patients waiting for admission at the end of each week: the mean of "
          "all replications with its 95% confidence band. The grey band is the warm-up, which no KPI includes; "
          "the dashed line is the time-averaged waitlist after it.", waitlist_chart),
    Chart("02-census", "Census by phase", "Patients in each treatment phase and in the aftercare group at the end "
          "of each week (mean of replications), stacked: the top edge is everyone in the program. The dashed line is "
          "the treatment groups' seats: a census pressed against it means seats are the limit.", census_chart),
    Chart("03-wait", "Wait from referral to admission", "For every admission after the warm-up, the share admitted "
          "within a given number of days (cumulative distribution), for each replication and all together. The "
          f"dashed line marks {ACCESS_TARGET_DAYS:g} days.", wait_chart, needs_patients=True),
    Chart("04-rooms", "Room use", "Each room's timetabled sessions where they sit in the week; colour and number "
          "give the share of weeks after the warm-up in which the session actually ran (intake clinics: the share "
          "of the clinic's hours spent on assessments). Empty space is time the timetable leaves free.", rooms_chart),
    Chart("05-counselors", "Counselor time", "Counselor hours per week by activity after the warm-up, against the "
          "team's contracted hours (top), and week by week (bottom).", counselor_chart),
    Chart("06-flow", "Patient flow", "What happened after the warm-up, step by step, counted as the KPIs count it "
          "(admissions are admissions_per_year, graduates the graduations of the length-of-stay chart): band widths "
          "are patients per year, shares are of referrals. Grey bands are patients still at a step when the "
          "simulation stopped; hatched parts entered the step before the warm-up ended.", flow_chart,
          needs_patients=True),
    Chart("07-length-of-stay", "Length of stay by outcome", "Days from admission to the end of treatment for "
          "episodes that ended after the warm-up, by how they ended; bars are patients per year.", stay_chart, needs_patients=True),
    Chart("08-groups", "Group fill", "Left: what became of each group's timetabled sessions ('every seat held': "
          "as many patients enrolled as the group has seats). Right, per session that ran: seats held (patients "
          "enrolled, who keep their seat across the group's sessions whether or not they come) and attended per "
          "session (who came), against the group's capacity. A group can hold every seat and still be attended "
          "well below it.", group_chart),
)


def chart_by_name(name: str) -> Chart:
    for chart in CHARTS:
        if chart.name == name or chart.name.split("-", 1)[1] == name:
            return chart
    raise KeyError(name)


def render(run: RunDir, chart: Chart):
    """Draw one chart in the house style."""
    with style_context():
        return chart.draw(run)


def drawable(run: RunDir, charts: Iterable[Chart] = CHARTS) -> list[Chart]:
    """The charts this run folder has the data for (no per-patient charts after --no-patients)."""
    return [c for c in charts if run.has_patients or not c.needs_patients]


def plot_run(run: RunDir, out_dir: Path | None = None, formats: Iterable[str] = ("png",),
             charts: Iterable[Chart] = CHARTS) -> list[Path]:
    """Write every chart the run folder has data for to out_dir (default RUN_DIR/charts); returns the files."""
    out_dir = Path(out_dir) if out_dir is not None else run.path / "charts"
    formats = list(formats)
    paths = []
    for chart in drawable(run, charts):
        fig = render(run, chart)
        paths += save_figure(fig, out_dir / chart.name, formats)
    return paths


CHARTS_KIND = "charts"
_IMAGE_SUFFIXES = {".png", ".svg", ".pdf"}


def _is_legacy_charts(folder: Path) -> bool:
    """A charts folder written before folders carried the iopsim marker: images only."""
    files = list(folder.iterdir())
    return bool(files) and all(f.is_file() and f.suffix in _IMAGE_SUFFIXES for f in files)


def choose_charts_folder(out_dir: Path, overwrite: bool = False) -> Path:
    return choose_output(out_dir, CHARTS_KIND, overwrite, _is_legacy_charts)


def write_charts(run: RunDir, out_dir: Path, formats: Iterable[str] = ("png",), overwrite: bool = False) -> list[Path]:
    """plot_run into a folder swapped in whole: out_dir, or out_dir-2... when it holds earlier charts."""
    folder = choose_charts_folder(out_dir, overwrite)
    names: list[str] = []
    write_output_dir(folder, CHARTS_KIND, lambda tmp: names.extend(p.name for p in plot_run(run, tmp, formats)))
    return [folder / name for name in names]
