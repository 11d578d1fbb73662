"""The house style of every chart, and how charts are written to disk.

One palette (Okabe & Ito 2008, distinguishable with the common colour-vision deficiencies and in
greyscale by lightness), font sizes that stay legible on a slide and on paper, and a provenance
footer. Figures are built on matplotlib's object API with the Agg canvas, never pyplot, so
drawing a chart does not change the backend of a notebook that imported iopsim.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from ..files import atomic_write  # noqa: F401  (charts and reports write through it)
from ..scenario.calendar import DAYS_PER_YEAR

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.layout_engine import ConstrainedLayoutEngine

# Okabe-Ito, in the order series take them.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILLION = "#D55E00"
SKY = "#56B4E9"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
BLACK = "#000000"
GREY = "#7F7F7F"
LIGHT_GREY = "#E6E6E6"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, BLACK)
SEQUENTIAL_CMAP = "cividis"  # perceptually uniform and colour-blind safe

FORMATS = ("png", "svg", "pdf")
PNG_DPI = 200
WIDE = (11.0, 5.6)  # inches: 16:9-ish for slides, fits an A4/Letter page at 200 dpi

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 11.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#D9D9D9",
    "grid.linewidth": 0.7,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "legend.fontsize": 10,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "path",  # text as outlines: identical in every browser, no font lookup
    "pdf.fonttype": 42,
    "svg.hashsalt": "iopsim",  # stable element ids, so the same run gives the same SVG
}


def rc() -> dict:
    from cycler import cycler

    return {**RC, "axes.prop_cycle": cycler(color=PALETTE)}


def new_figure(footer: str, title: str, figsize: tuple[float, float] = WIDE, nrows: int = 1, ncols: int = 1,
               **kwargs):
    """A figure with the house title and a provenance footer (RunDir.footer()); returns (figure, axes).

    Call inside `style_context()` so the rcParams apply to the axes created here.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    # layout="constrained" above: the engine is a ConstrainedLayoutEngine, which takes the pads
    cast("ConstrainedLayoutEngine", fig.get_layout_engine()).set(h_pad=0.06, w_pad=0.06)
    fig.suptitle(title, x=0.01, ha="left", fontsize=15, fontweight="bold")
    # supxlabel, not fig.text: constrained layout keeps room for it under every axes
    fig.supxlabel(footer, x=0.01, ha="left", fontsize=8, color=GREY)
    axes = fig.subplots(nrows, ncols, squeeze=True, **kwargs)
    return fig, axes


def legend_below(ax, ncols: int, drop_inches: float = 0.62, **kwargs):
    """A legend under the axes' x label (a fixed distance, so it never overlaps the label or the footer)."""
    from matplotlib.transforms import ScaledTranslation

    shift = ScaledTranslation(0, -drop_inches, ax.figure.dpi_scale_trans)
    return ax.legend(loc="upper left", bbox_to_anchor=(0, 0), bbox_transform=ax.transAxes + shift, ncols=ncols,
                     **kwargs)


def style_context():
    import matplotlib

    return matplotlib.rc_context(rc())


def shade_warmup(ax, run, over: bool = False) -> None:
    """Grey band over the warm-up, which every KPI leaves out; `over` veils filled areas instead."""
    end = run.warmup_days / DAYS_PER_YEAR
    if end <= 0:
        return
    label = "warm-up (excluded from KPIs)"
    if over:
        ax.axvspan(0, end, fc="white", alpha=0.55, lw=0, zorder=3, label=label, hatch="///", ec=GREY)
        ax.axvline(end, color=GREY, lw=1.2, ls="--", zorder=4)
    else:
        ax.axvspan(0, end, color=LIGHT_GREY, lw=0, zorder=0, label=label)


def save_figure(fig, stem: Path, formats: Iterable[str]) -> list[Path]:
    """Write fig as stem.<fmt> for each format, each atomically (temp file + rename)."""
    paths = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]

        def write(f: IO[bytes], fmt: str = fmt, md: dict[str, None] = metadata) -> None:
            fig.savefig(f, format=fmt, dpi=PNG_DPI, metadata=md)

        with style_context():
            atomic_write(path, write)
        paths.append(path)
    return paths


def parse_formats(text: str) -> list[str]:
    """'png,svg' -> ['png', 'svg']; ValueError naming anything unsupported."""
    formats = [f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"unsupported format {', '.join(bad) or repr(text)}; choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(formats))


# --- words for numbers -----------------------------------------------------------------------------
# Sections of the KPI table: KPI_UNITS order, split where the subject changes.
KPI_SECTIONS: dict[str, tuple[str, ...]] = {
    "Demand and flow": (
        "referrals_per_year", "admissions_per_year", "readmissions_per_year", "readmission_share_pct",
        "referred_out_per_year", "referred_out_mild_per_year",
        "referred_out_home_per_year", "referred_out_detox_per_year", "referred_out_waitlist_full_per_year",
        "intake_no_show_closed_per_year", "reneged_per_year", "reneged_intake_per_year", "reneged_waitlist_per_year",
    ),
    "Access and waiting": (
        "wait_to_assessment_days_mean", "wait_to_admission_days_mean", "wait_to_admission_days_p90",
        "waitlist_days_mean", "admitted_within_14_days_pct", "intake_queue_mean", "waitlist_mean", "waitlist_max",
    ),
    "Patients in care": ("census_mean", "aftercare_census_mean"),
    "Treatment outcomes": (
        "completion_rate_pct", "dropout_rate_pct", "relapse_discharge_rate_pct", "transfer_rate_pct",
        "non_starter_rate_pct", "length_of_stay_days_mean", "length_of_stay_days_median", "relapses_per_admission",
        "detected_relapses_per_admission", "group_hours_attended_per_admission",
    ),
    "Length of stay by reason for discharge": tuple(
        f"length_of_stay_days_{stat}_{reason}" for reason in ("graduated", "dropped_out", "relapse_discharge",
                                                              "transferred") for stat in ("mean", "median")
    ),
    "Aftercare": ("aftercare_uptake_pct", "aftercare_completion_pct", "aftercare_relapse_pct"),
    "Rooms, staff and groups": (
        "room_utilization_pct", "counselor_utilization_pct", "counselor_overtime_hours_per_week",
        "individual_sessions_delivered_pct", "group_fill_pct", "group_enrollment_pct", "sessions_cancelled_pct",
    ),
    "Money": (  # with finance: only; revenue by payer (revenue_<payer>_per_year) joins it too
        "staff_cost_per_year", "room_cost_per_year", "total_cost_per_year", "revenue_per_year", "net_per_year",
        "cost_per_admission", "cost_per_completion", "billable_days_per_year", "individual_sessions_per_year",
        "drug_tests_per_year", "break_even_census",
    ),
}

KPI_LABELS: dict[str, str] = {
    "referrals_per_year": "Referrals",
    "admissions_per_year": "Admissions",
    "readmissions_per_year": "Readmissions (patients treated here before)",
    "readmission_share_pct": "Admissions that are readmissions",
    "referred_out_per_year": "Referred elsewhere (all reasons)",
    "referred_out_mild_per_year": "Referred out: mild use disorder",
    "referred_out_home_per_year": "Referred out: home does not support recovery",
    "referred_out_detox_per_year": "Referred out: needed detox, did not return",
    "referred_out_waitlist_full_per_year": "Referred out: waitlist full",
    "intake_no_show_closed_per_year": "Closed after intake no-shows",
    "reneged_per_year": "Gave up waiting (all)",
    "reneged_intake_per_year": "Gave up waiting for intake",
    "reneged_waitlist_per_year": "Gave up waiting for admission",
    "wait_to_assessment_days_mean": "Wait from referral to assessment, mean",
    "wait_to_admission_days_mean": "Wait from referral to admission, mean",
    "wait_to_admission_days_p90": "Wait from referral to admission, 90th percentile",
    "waitlist_days_mean": "Time on the waitlist, mean",
    "admitted_within_14_days_pct": "Admitted within 14 days of referral (% of admissions)",
    "intake_queue_mean": "Waiting for intake, average",
    "waitlist_mean": "Waitlist length, average",
    "waitlist_max": "Waitlist length, maximum",
    "census_mean": "Patients in treatment, average",
    "aftercare_census_mean": "Patients in aftercare, average",
    "completion_rate_pct": "Completed treatment (% of discharges)",
    "dropout_rate_pct": "Dropped out (% of discharges)",
    "relapse_discharge_rate_pct": "Discharged after relapse (% of discharges)",
    "transfer_rate_pct": "Transferred, step-up or early transfer (% of discharges)",
    "non_starter_rate_pct": "Never started, non-starters (% of discharges)",
    **{f"length_of_stay_days_{stat}_{reason}": f"Length of stay, {stat}: {label}"
       for reason, label in (("graduated", "completed"), ("dropped_out", "dropped out or never started"),
                             ("relapse_discharge", "discharged after relapse"), ("transferred", "transferred"))
       for stat in ("mean", "median")},
    "length_of_stay_days_mean": "Length of stay, mean",
    "length_of_stay_days_median": "Length of stay, median",
    "relapses_per_admission": "Relapses per discharge (episodes ended)",
    "detected_relapses_per_admission": "Detected relapses per discharge (episodes ended)",
    "group_hours_attended_per_admission": "Group hours attended per discharge (episodes ended)",
    "aftercare_uptake_pct": "Started aftercare (% of graduates)",
    "aftercare_completion_pct": "Completed aftercare (% of those who left it)",
    "aftercare_relapse_pct": "Relapsed in aftercare (% of those who started it)",
    "room_utilization_pct": "Room hours used (% of hours available)",
    "counselor_utilization_pct": "Counselor clinical time used (% of contracted clinical hours)",
    "counselor_overtime_hours_per_week": "Counselor overtime",
    "individual_sessions_delivered_pct": "Individual session hours delivered (% of hours needed)",
    "group_fill_pct": "Attended per session (% of seats)",
    "group_enrollment_pct": "Seats held (% of group capacity)",
    "sessions_cancelled_pct": "Sessions cancelled (% of sessions due to run)",
    "staff_cost_per_year": "Staff cost",
    "room_cost_per_year": "Room cost",
    "total_cost_per_year": "Total cost",
    "revenue_per_year": "Revenue (after denials)",
    "net_per_year": "Net (revenue - cost)",
    "cost_per_admission": "Cost per admission",
    "cost_per_completion": "Cost per completed treatment",
    "billable_days_per_year": "Billable program days",
    "individual_sessions_per_year": "Individual sessions delivered",
    "drug_tests_per_year": "Drug tests",
    "break_even_census": "Break-even census",
}


# One line each for the measures a reader could take for one another (shown where they appear).
KPI_DEFINITIONS: dict[str, str] = {
    "group_enrollment_pct": "Patients enrolled in a group (holding a seat across all its sessions, whether or not "
                            "they come), as a share of the group's seats.",
    "group_fill_pct": "Patients who attended a session, as a share of the group's seats: below seats held "
                      "when enrolled patients miss sessions.",
    "completion_rate_pct": "Of the treatment episodes that ended after the warm-up (graduated, dropped out or "
                           "discharged after relapse), the share that graduated.",
    "admitted_within_14_days_pct": "Of the patients admitted after the warm-up, the share whose wait from referral "
                                   "was 14 days or less.",
    "aftercare_uptake_pct": "Of the patients who graduated after the warm-up, the share who started aftercare.",
    "counselor_utilization_pct": "Group, individual, intake and documentation hours as a share of contracted hours "
                                 "less other duties.",
    "individual_sessions_delivered_pct": "Individual counseling hours given as a share of the hours patients' plans "
                                         "called for.",
    "sessions_cancelled_pct": "Group sessions cancelled (too few patients, or no counselor free), as a share of "
                              "sessions run or cancelled (holiday closures and groups with nobody enrolled left out).",
}


def kpi_label(name: str) -> str:
    if name not in KPI_LABELS and name.startswith("revenue_") and name.endswith("_per_year"):
        return f"Revenue from {name[len('revenue_'):-len('_per_year')].replace('_', ' ')}"
    return KPI_LABELS.get(name, name.replace("_", " "))


def kpi_sections(names: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Group KPI names into the sections above, in their given order; unknown names go last."""
    names = list(names)
    placed = {n for members in KPI_SECTIONS.values() for n in members}
    payers = [n for n in names if n not in placed and n.startswith("revenue_") and n.endswith("_per_year")]
    out = [(title, [n for n in names if n in members or (title == "Money" and n in payers)])
           for title, members in KPI_SECTIONS.items()]
    placed.update(payers)
    other = [n for n in names if n not in placed]
    if other:
        out.append(("Other", other))
    return [(title, members) for title, members in out if members]
