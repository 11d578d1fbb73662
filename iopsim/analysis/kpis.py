"""One replication's RunResult -> one row of KPIs (names fixed by the run contract).

Every KPI covers the observation window [warm-up, horizon] only:
- flows (`*_per_year`) count events that happened inside the window;
- waits, lengths of stay and outcome shares belong to the patients whose step ended inside the
  window (e.g. a wait to admission counts if the admission happened after the warm-up, even if
  the referral came before it: patients straddling the boundary are kept, so long waits are not
  cut off);
- stocks (census, waitlist) are exact time averages of the live counts over the window (the
  model's stock meters), not averages of snapshots; the waitlist's maximum is exact too;
- hours and sessions add up whole weeks that start at or after the warm-up.

Patients are tallied in chunks as they leave (`PatientTally.fold`), so a run need not keep a
row per referral: memory stays bounded however long the horizon. The p90 wait and median stay
are exact up to 20,000 values and within 0.5% beyond (see `quantiles.py`).
"""

from __future__ import annotations

import math

import numpy as np

from ..model.clinic import RunResult
from ..model.records import CHUNK_ROWS, REFERRED_OUT, TREATMENT_ENDS, AftercareStatus, Outcome
from ..model.staff import CounselorTeam, shift_column
from ..model.tracks import track_column
from ..scenario.vocabulary import ACCESS_TARGET_DAYS, ACTIVITIES
from .finance import finance_kpis, finance_units
from .quantiles import StreamingQuantiles
from .staffing import STAFFING_KPIS, staffing_kpis, staffing_units

# name -> unit; the order is the order of tables and files.
KPI_UNITS: dict[str, str] = {
    "referrals_per_year": "per year",
    "admissions_per_year": "per year",
    "readmissions_per_year": "per year",
    "readmission_share_pct": "%",
    "referred_out_per_year": "per year",
    "referred_out_mild_per_year": "per year",
    "referred_out_home_per_year": "per year",
    "referred_out_detox_per_year": "per year",
    "referred_out_waitlist_full_per_year": "per year",
    "intake_no_show_closed_per_year": "per year",
    "reneged_per_year": "per year",
    "reneged_intake_per_year": "per year",
    "reneged_waitlist_per_year": "per year",
    "wait_to_assessment_days_mean": "days",
    "wait_to_admission_days_mean": "days",
    "wait_to_admission_days_p90": "days",
    "waitlist_days_mean": "days",
    "admitted_within_14_days_pct": "%",
    "intake_queue_mean": "patients",
    "waitlist_mean": "patients",
    "waitlist_max": "patients",
    "census_mean": "patients",
    "aftercare_census_mean": "patients",
    "completion_rate_pct": "%",
    "dropout_rate_pct": "%",
    "relapse_discharge_rate_pct": "%",
    "transfer_rate_pct": "%",
    "non_starter_rate_pct": "%",
    "length_of_stay_days_mean": "days",
    "length_of_stay_days_median": "days",
    **{f"length_of_stay_days_{stat}_{reason}": "days" for reason in ("graduated", "dropped_out", "relapse_discharge",
                                                                      "transferred") for stat in ("mean", "median")},
    "relapses_per_admission": "per patient",
    "detected_relapses_per_admission": "per patient",
    "group_hours_attended_per_admission": "h per patient",
    "aftercare_uptake_pct": "%",
    "aftercare_completion_pct": "%",
    "aftercare_relapse_pct": "%",
    "room_utilization_pct": "%",
    "counselor_utilization_pct": "%",
    "counselor_overtime_hours_per_week": "h per week",
    "individual_sessions_delivered_pct": "%",
    "group_fill_pct": "%",
    "group_enrollment_pct": "%",
    "sessions_cancelled_pct": "%",
}


def kpi_units(scenario) -> dict[str, str]:
    """Every KPI a run of `scenario` reports -> its unit: KPI_UNITS, the staffing KPIs with leave or
    turnover, then the money KPIs with `finance:`."""
    staffing = staffing_units(scenario)
    if scenario is None or (scenario.finance is None and not staffing):
        return KPI_UNITS
    return {**KPI_UNITS, **staffing, **(finance_units(scenario.finance) if scenario.finance else {})}


def _rate(count: float, years: float) -> float:
    return count / years if years > 0 else math.nan


def _ratio(part: float, whole: float, scale: float = 1.0) -> float:
    return scale * part / whole if whole > 0 else math.nan


def _pct(part, whole) -> float:
    return _ratio(float(np.sum(part)), float(np.sum(whole)), 100.0)


def _within(times: np.ndarray, start: float, end: float) -> np.ndarray:
    return (times >= start) & (times <= end)


_AFTERCARE_STARTED = (AftercareStatus.ATTENDING, AftercareStatus.COMPLETED, AftercareStatus.DROPPED_OUT,
                      AftercareStatus.RELAPSED_RETURNED)
_AFTERCARE_FINISHED = (AftercareStatus.COMPLETED, AftercareStatus.DROPPED_OUT, AftercareStatus.RELAPSED_RETURNED)
# Reasons for discharge as TEDS reports them (completed, dropped out, terminated, transferred) -> the
# model's treatment ends each stands for; stays are reported per reason (length_of_stay_days_*_<reason>).
DISCHARGE_REASONS: dict[str, tuple[Outcome, ...]] = {
    "graduated": (Outcome.GRADUATED,),
    "dropped_out": (Outcome.DROPPED_OUT, Outcome.NON_STARTER),
    "relapse_discharge": (Outcome.RELAPSE_DISCHARGE,),
    "transferred": (Outcome.STEPPED_UP, Outcome.TRANSFERRED),
}
# Referrals that ended without treatment, each counted per year under its own KPI.
END_RATE_KPIS: dict[Outcome, str] = {
    Outcome.REFERRED_OUT_MILD: "referred_out_mild_per_year",
    Outcome.REFERRED_OUT_HOME: "referred_out_home_per_year",
    Outcome.REFERRED_OUT_DETOX: "referred_out_detox_per_year",
    Outcome.REFERRED_OUT_WAITLIST_FULL: "referred_out_waitlist_full_per_year",
    Outcome.INTAKE_NO_SHOW: "intake_no_show_closed_per_year",
    Outcome.RENEGED_INTAKE: "reneged_intake_per_year",
    Outcome.RENEGED_WAITLIST: "reneged_waitlist_per_year",
}


class PatientTally:
    """Running sums over finished patients, enough for every patient-based KPI.

    `fold` takes a chunk of patient rows (columns as in `model.records`) and adds what falls in
    the observation window [start, end]; the order and size of chunks is fixed by the model, so
    the sums, and every KPI, are reproducible to the bit.
    """

    def __init__(self, start: float, end: float):
        self.start, self.end = start, end
        self.n: dict[str, float] = {}
        self.ended = dict.fromkeys((int(o) for o in END_RATE_KPIS), 0)  # covers every REFERRED_OUT code
        self.wait_to_admission = StreamingQuantiles()
        self.length_of_stay = StreamingQuantiles()
        self.stay_by_reason = {reason: StreamingQuantiles() for reason in DISCHARGE_REASONS}

    def _add(self, name: str, value) -> None:
        self.n[name] = self.n.get(name, 0.0) + float(value)

    def fold(self, r: dict[str, np.ndarray]) -> None:
        start, end = self.start, self.end
        outcome = r["outcome"]
        add = self._add
        add("referred", _within(r["referred"], start, end).sum())

        ended = _within(r["ended"], start, end)
        codes, counts = np.unique(outcome[ended], return_counts=True)
        for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
            if code in self.ended:
                self.ended[code] += count

        assessed = _within(r["assessment_start"], start, end)
        add("assessed", assessed.sum())
        add("assessment_wait", (r["assessment_start"][assessed] - r["referred"][assessed]).sum())

        admitted = _within(r["admitted"], start, end)
        wait = r["admitted"][admitted] - r["referred"][admitted]
        add("admitted", admitted.sum())
        if "prior_episodes" in r:  # only when the scenario has readmission
            add("readmitted", (r["prior_episodes"][admitted] > 0).sum())
        add("admission_wait", wait.sum())
        add("admitted_within_14", (wait <= ACCESS_TARGET_DAYS).sum())
        add("waitlist_wait", (r["admitted"][admitted] - r["waitlist_in"][admitted]).sum())
        self.wait_to_admission.add(wait)
        if "track" in r:  # only when the scenario declares tracks
            self._fold_tracks(r, admitted, wait, ended)

        done = _within(r["treatment_end"], start, end) & np.isin(outcome, TREATMENT_ENDS)
        stay = r["treatment_end"][done] - r["admitted"][done]
        add("done", done.sum())
        for code in TREATMENT_ENDS:
            add(f"done_{int(code)}", (outcome[done] == code).sum())
        add("stay", stay.sum())
        add("relapses", r["relapses"][done].sum())
        add("relapses_detected", r["relapses_detected"][done].sum())
        add("group_hours", r["group_hours_attended"][done].sum())
        self.length_of_stay.add(stay)
        ends = outcome[done]
        for reason, reason_codes in DISCHARGE_REASONS.items():
            mine = np.isin(ends, reason_codes)
            add(f"stay_{reason}", stay[mine].sum())
            add(f"done_{reason}", mine.sum())
            self.stay_by_reason[reason].add(stay[mine])

        graduated = done & (outcome == Outcome.GRADUATED)
        status = r["aftercare_status"][graduated]
        started = np.isin(status, _AFTERCARE_STARTED)
        finished = np.isin(status, _AFTERCARE_FINISHED)
        add("graduated", graduated.sum())
        add("aftercare_started", started.sum())
        add("aftercare_finished", finished.sum())
        add("aftercare_completed", (status[finished] == AftercareStatus.COMPLETED).sum())
        add("aftercare_relapsed", (r["aftercare_relapses"][graduated][started] > 0).sum())

    def _fold_tracks(self, r: dict[str, np.ndarray], admitted: np.ndarray, wait: np.ndarray,
                     ended: np.ndarray) -> None:
        """Admissions, waits and reneging per track (the track a patient was admitted into, or
        waited in)."""
        add = self._add
        admitted_track = r["track"][admitted]
        reneged = r["track"][ended & (r["outcome"] == Outcome.RENEGED_WAITLIST)]
        for t in np.unique(r["track"]).tolist():
            mine = admitted_track == t
            add(f"track{t}_admitted", mine.sum())
            add(f"track{t}_admission_wait", wait[mine].sum())
            add(f"track{t}_admitted_within_14", (wait[mine] <= ACCESS_TARGET_DAYS).sum())
            add(f"track{t}_reneged_waitlist", (reneged == t).sum())

    def fold_all(self, r: dict[str, np.ndarray]) -> None:
        """Fold a whole table in the model's chunk sizes (so the sums match a chunked run's)."""
        n = len(r["outcome"])
        for first in range(0, max(n, 1), CHUNK_ROWS):
            self.fold({name: column[first:first + CHUNK_ROWS] for name, column in r.items()})


def kpis(result: RunResult, tally: PatientTally | None = None) -> dict[str, float]:
    """The KPI row of one replication; `tally` is the one the run fed (else built from its records)."""
    if tally is None:
        tally = PatientTally(result.window.start_days, result.window.end_days)
        tally.fold_all(result.records)
    n = tally.n.get
    years = result.window.years
    k: dict[str, float] = {}

    # --- flows -------------------------------------------------------------------------------
    k["referrals_per_year"] = _rate(n("referred", 0), years)
    k["admissions_per_year"] = _rate(n("admitted", 0), years)
    k["readmissions_per_year"] = _rate(n("readmitted", 0), years)
    k["readmission_share_pct"] = _ratio(n("readmitted", 0), n("admitted", 0), 100.0)
    k["referred_out_per_year"] = _rate(sum(tally.ended[int(o)] for o in REFERRED_OUT), years)
    for code, name in END_RATE_KPIS.items():
        k[name] = _rate(tally.ended[int(code)], years)
    k["reneged_per_year"] = k["reneged_intake_per_year"] + k["reneged_waitlist_per_year"]

    # --- waits -------------------------------------------------------------------------------
    k["wait_to_assessment_days_mean"] = _ratio(n("assessment_wait", 0), n("assessed", 0))
    k["wait_to_admission_days_mean"] = _ratio(n("admission_wait", 0), n("admitted", 0))
    k["wait_to_admission_days_p90"] = tally.wait_to_admission.quantile(0.9)
    k["waitlist_days_mean"] = _ratio(n("waitlist_wait", 0), n("admitted", 0))
    k["admitted_within_14_days_pct"] = _ratio(n("admitted_within_14", 0), n("admitted", 0), 100.0)

    # --- stocks: the model's exact time averages ------------------------------------------------
    st = result.stats
    k["intake_queue_mean"] = st["intake_queue_time_average"]
    k["waitlist_mean"] = st["waitlist_time_average"]
    k["waitlist_max"] = float(st["waitlist_peak"])
    k["census_mean"] = st["census_time_average"]
    k["aftercare_census_mean"] = st["aftercare_time_average"]

    # --- treatment outcomes (episodes that ended in the window) -------------------------------
    done = n("done", 0)
    k["completion_rate_pct"] = _ratio(n(f"done_{int(Outcome.GRADUATED)}", 0), done, 100.0)
    k["dropout_rate_pct"] = _ratio(n(f"done_{int(Outcome.DROPPED_OUT)}", 0), done, 100.0)
    k["relapse_discharge_rate_pct"] = _ratio(n(f"done_{int(Outcome.RELAPSE_DISCHARGE)}", 0), done, 100.0)
    k["length_of_stay_days_mean"] = _ratio(n("stay", 0), done)
    k["length_of_stay_days_median"] = tally.length_of_stay.quantile(0.5)
    k["transfer_rate_pct"] = _ratio(n("done_transferred", 0), done, 100.0)
    k["non_starter_rate_pct"] = _ratio(n(f"done_{int(Outcome.NON_STARTER)}", 0), done, 100.0)
    for reason in DISCHARGE_REASONS:
        k[f"length_of_stay_days_mean_{reason}"] = _ratio(n(f"stay_{reason}", 0), n(f"done_{reason}", 0))
        k[f"length_of_stay_days_median_{reason}"] = tally.stay_by_reason[reason].quantile(0.5)
    k["relapses_per_admission"] = _ratio(n("relapses", 0), done)
    k["detected_relapses_per_admission"] = _ratio(n("relapses_detected", 0), done)
    k["group_hours_attended_per_admission"] = _ratio(n("group_hours", 0), done)

    # --- aftercare (graduates who left treatment in the window) -------------------------------
    k["aftercare_uptake_pct"] = _ratio(n("aftercare_started", 0), n("graduated", 0), 100.0)
    k["aftercare_completion_pct"] = _ratio(n("aftercare_completed", 0), n("aftercare_finished", 0), 100.0)
    k["aftercare_relapse_pct"] = _ratio(n("aftercare_relapsed", 0), n("aftercare_started", 0), 100.0)

    # --- capacity (whole weeks after the warm-up) ----------------------------------------------
    k.update(_capacity_kpis(result))
    row = {**{name: k[name] for name in KPI_UNITS}, **staffing_kpis(result, _window_weeks(result)),
           **_track_kpis(result, tally), **_shift_kpis(result)}
    if result.scenario.finance is not None:  # money KPIs only when the scenario prices the program
        completions = _rate(n(f"done_{int(Outcome.GRADUATED)}", 0), years)
        row.update(finance_kpis(result, k["admissions_per_year"], completions, k["census_mean"]))
    return row


# Per-track KPIs (named track_<name>_<kpi>), only when the scenario declares tracks.
TRACK_KPIS = ("admissions_per_year", "reneged_waitlist_per_year", "wait_to_admission_days_mean",
              "admitted_within_14_days_pct", "waitlist_mean", "census_mean", "group_fill_pct",
              "group_enrollment_pct")


def track_kpi(track: str, kpi: str) -> str:
    return f"track_{track}_{kpi}"


def kpi_unit(name: str) -> str:
    """The unit of a KPI, per-track and per-shift ones included (those of the KPI they break down)."""
    if name in KPI_UNITS:
        return KPI_UNITS[name]
    if name in STAFFING_KPIS:
        return STAFFING_KPIS[name]
    for base, unit in KPI_UNITS.items():
        if name.endswith("_" + base) and name.startswith(("track_", "shift_")):
            return unit
    raise KeyError(name)


def _track_kpis(result: RunResult, tally: PatientTally) -> dict[str, float]:
    tracks = result.scenario.tracks
    if not tracks:
        return {}
    n = tally.n.get
    years = result.window.years
    s = {name: np.asarray(v, dtype=float) for name, v in result.series.items()}
    w = _window_weeks(result)
    out: dict[str, float] = {}
    for t, track in enumerate(tracks):
        admitted = n(f"track{t}_admitted", 0)
        k = {
            "admissions_per_year": _rate(admitted, years),
            "reneged_waitlist_per_year": _rate(n(f"track{t}_reneged_waitlist", 0), years),
            "wait_to_admission_days_mean": _ratio(n(f"track{t}_admission_wait", 0), admitted),
            "admitted_within_14_days_pct": _ratio(n(f"track{t}_admitted_within_14", 0), admitted, 100.0),
            "waitlist_mean": result.stats[f"waitlist_track_{track.name}_time_average"],
            "census_mean": result.stats[f"census_track_{track.name}_time_average"],
            "group_fill_pct": _pct(s[track_column(track.name, "attendees")][w],
                                   s[track_column(track.name, "seat_capacity")][w]),
            "group_enrollment_pct": _pct(s[track_column(track.name, "enrolled")][w],
                                         s[track_column(track.name, "seat_capacity")][w]),
        }
        out.update({track_kpi(track.name, name): k[name] for name in TRACK_KPIS})
    return out


# Per-shift KPIs (named shift_<name>_<kpi>), only when the scenario declares counselor shifts.
SHIFT_KPIS = ("counselor_utilization_pct", "counselor_overtime_hours_per_week")


def shift_kpi(shift: str, kpi: str) -> str:
    return f"shift_{shift}_{kpi}"


def _shift_kpis(result: RunResult) -> dict[str, float]:
    """Utilisation and overtime of each shift's counselors (only when shifts are declared)."""
    c = result.scenario.counselors
    if not c.shifts:
        return {}
    s = result.series
    w = _window_weeks(result)
    n_weeks = int(w.sum())
    out: dict[str, float] = {}
    for shift in c.shifts:
        contracted, other = c.shift_hours(shift)
        worked = np.asarray(s[shift_column(shift.name, "hours")], dtype=float)[w]
        overtime = np.asarray(s[shift_column(shift.name, "overtime_hours")], dtype=float)[w]
        available = shift.count * (contracted - other) * n_weeks
        out[shift_kpi(shift.name, "counselor_utilization_pct")] = _pct(worked, available) if n_weeks else math.nan
        out[shift_kpi(shift.name, "counselor_overtime_hours_per_week")] = float(overtime.mean()) if n_weeks else math.nan
    return out


def _window_weeks(result: RunResult) -> np.ndarray:
    return result.window.week_counts(np.asarray(result.series.get("week_end_days", []), dtype=float))


def _capacity_kpis(result: RunResult) -> dict[str, float]:
    s = {name: np.asarray(v, dtype=float) for name, v in result.series.items()}
    w = _window_weeks(result)
    n_weeks = int(w.sum())
    spec = result.scenario
    out: dict[str, float] = {}
    room_available = sum(room.available_hours_per_week for room in spec.rooms) * n_weeks
    out["room_utilization_pct"] = _pct(s["room_hours"][w], room_available) if n_weeks else math.nan
    clinical = sum(s[f"counselor_hours_{a}"][w].sum() for a in ACTIVITIES)
    c = spec.counselors
    if "counselor_hours_available" in s:  # leave or turnover: the hours of those at work
        available = float(s["counselor_hours_available"][w].sum())
    elif c.roles is not None and c.roles.supervision_hours_per_week:  # less supervision given and received
        available = sum(CounselorTeam(c).full_clinical) * n_weeks
    elif c.shifts:
        contracted, other = c.team_hours()
        available = (contracted - other) * n_weeks
    else:
        available = c.count * (c.contracted_hours_per_week - c.other_duties_hours_per_week) * n_weeks
    out["counselor_utilization_pct"] = _pct(clinical, available) if n_weeks else math.nan
    out["counselor_overtime_hours_per_week"] = float(s["counselor_overtime_hours"][w].mean()) if n_weeks else math.nan
    out["individual_sessions_delivered_pct"] = _pct(s["individual_hours_delivered"][w], s["individual_hours_demanded"][w])
    out["group_fill_pct"] = _pct(s["attendees"][w], s["seat_capacity"][w])
    out["group_enrollment_pct"] = _pct(s["enrolled"][w], s["seat_capacity"][w])
    scheduled = s["sessions_run"][w] + s["sessions_cancelled_small"][w] + s["sessions_cancelled_no_counselor"][w]
    out["sessions_cancelled_pct"] = _pct(
        s["sessions_cancelled_small"][w] + s["sessions_cancelled_no_counselor"][w], scheduled
    )
    return out

