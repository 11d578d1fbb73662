"""Reference KPIs computed straight from a run's full patient table (the pre-tally implementation).

Kept as a test oracle: the streaming tally in iopsim.analysis.kpis must agree with it.

Original docstring: One replication's RunResult -> one row of KPIs.

Every KPI covers the observation window [warm-up, horizon] only:
- flows (`*_per_year`) count events that happened inside the window;
- waits, lengths of stay and outcome shares belong to the patients whose step ended inside the
  window (e.g. a wait to admission counts if the admission happened after the warm-up, even if
  the referral came before it: patients straddling the boundary are kept, so long waits are not
  cut off);
- stocks (census, waitlist) are exact time averages of the patient intervals overlapping the
  window, not averages of snapshots;
- hours and sessions add up whole weeks that start at or after the warm-up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from iopsim.analysis.finance import finance_kpis
from iopsim.analysis.kpis import END_RATE_KPIS, KPI_UNITS, _capacity_kpis
from iopsim.analysis.stats import interval_occupancy_mean
from iopsim.model.clinic import RunResult
from iopsim.model.records import REFERRED_OUT, TREATMENT_ENDS, AftercareStatus, Outcome
from iopsim.scenario.calendar import DAYS_PER_YEAR


def _rate(mask: np.ndarray, years: float) -> float:
    return float(mask.sum()) / years if years > 0 else math.nan


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


def _pct(part: np.ndarray | int | float, whole: np.ndarray | int | float) -> float:
    part_total = float(np.sum(part))
    whole_total = float(np.sum(whole))
    return 100.0 * part_total / whole_total if whole_total > 0 else math.nan


def _within(times: np.ndarray, start: float, end: float) -> np.ndarray:
    return (times >= start) & (times <= end)


def occupancy_max(enter: np.ndarray, leave: np.ndarray, start: float, end: float) -> float:
    """Most items in a stock at any instant of [start, end] (leave NaN: still there)."""
    leave = np.where(np.isnan(leave), np.inf, leave)
    keep = ~np.isnan(enter) & (leave > start) & (enter <= end)
    enter, leave = enter[keep], leave[keep]
    if enter.size == 0:
        return 0.0
    already = int((enter <= start).sum())
    later = enter[enter > start]
    times = np.concatenate([later, leave[leave <= end]])
    steps = np.concatenate([np.ones(later.size), -np.ones(int((leave <= end).sum()))])
    order = np.lexsort((steps, times))  # at equal times, departures (-1) first
    running = already + np.cumsum(steps[order])
    return float(max(already, running.max(initial=already)))


def reference_kpis(result: RunResult) -> dict[str, float]:
    r = result.records
    start, end = result.warmup_days, result.horizon_days
    years = (end - start) / DAYS_PER_YEAR
    outcome = r["outcome"]
    k: dict[str, float] = {}

    # --- flows -------------------------------------------------------------------------------
    k["referrals_per_year"] = _rate(_within(r["referred"], start, end), years)
    admitted = _within(r["admitted"], start, end)
    k["admissions_per_year"] = _rate(admitted, years)
    readmitted = admitted & (r["prior_episodes"] > 0) if "prior_episodes" in r else np.zeros_like(admitted)
    k["readmissions_per_year"] = _rate(readmitted, years)
    k["readmission_share_pct"] = _pct(readmitted, admitted)
    ended = _within(r["ended"], start, end)
    k["referred_out_per_year"] = _rate(ended & np.isin(outcome, REFERRED_OUT), years)
    for code, name in END_RATE_KPIS.items():
        k[name] = _rate(ended & (outcome == code), years)
    k["reneged_per_year"] = k["reneged_intake_per_year"] + k["reneged_waitlist_per_year"]

    # --- waits -------------------------------------------------------------------------------
    assessed = _within(r["assessment_start"], start, end)
    k["wait_to_assessment_days_mean"] = _mean(r["assessment_start"][assessed] - r["referred"][assessed])
    wait = r["admitted"][admitted] - r["referred"][admitted]
    k["wait_to_admission_days_mean"] = _mean(wait)
    k["wait_to_admission_days_p90"] = float(np.percentile(wait, 90)) if wait.size else math.nan
    k["waitlist_days_mean"] = _mean(r["admitted"][admitted] - r["waitlist_in"][admitted])
    k["admitted_within_14_days_pct"] = _pct(wait <= 14.0, wait.size)

    # --- stocks ------------------------------------------------------------------------------
    def stock(enter: str, leave: str) -> float:
        return interval_occupancy_mean(*_interval(r, enter, leave), start, end)

    k["intake_queue_mean"] = stock("referred", "intake_left")
    k["waitlist_mean"] = stock("waitlist_in", "waitlist_out")
    k["waitlist_max"] = occupancy_max(*_interval(r, "waitlist_in", "waitlist_out"), start, end)
    k["census_mean"] = stock("admitted", "treatment_end")
    k["aftercare_census_mean"] = stock("aftercare_start", "aftercare_end")

    # --- treatment outcomes (episodes that ended in the window) -------------------------------
    done = _within(r["treatment_end"], start, end) & np.isin(outcome, TREATMENT_ENDS)
    n_done = int(done.sum())
    k["completion_rate_pct"] = _pct(outcome[done] == Outcome.GRADUATED, n_done)
    k["dropout_rate_pct"] = _pct(outcome[done] == Outcome.DROPPED_OUT, n_done)
    k["relapse_discharge_rate_pct"] = _pct(outcome[done] == Outcome.RELAPSE_DISCHARGE, n_done)
    stay = r["treatment_end"][done] - r["admitted"][done]
    k["length_of_stay_days_mean"] = _mean(stay)
    k["length_of_stay_days_median"] = float(np.median(stay)) if stay.size else math.nan
    ends = outcome[done]
    k["transfer_rate_pct"] = _pct(np.isin(ends, (Outcome.STEPPED_UP, Outcome.TRANSFERRED)), n_done)
    k["non_starter_rate_pct"] = _pct(ends == Outcome.NON_STARTER, n_done)
    for reason, codes in (("graduated", (Outcome.GRADUATED,)), ("dropped_out", (Outcome.DROPPED_OUT, Outcome.NON_STARTER)),
                          ("relapse_discharge", (Outcome.RELAPSE_DISCHARGE,)),
                          ("transferred", (Outcome.STEPPED_UP, Outcome.TRANSFERRED))):
        mine = stay[np.isin(ends, codes)]
        k[f"length_of_stay_days_mean_{reason}"] = _mean(mine)
        k[f"length_of_stay_days_median_{reason}"] = float(np.median(mine)) if mine.size else math.nan
    k["relapses_per_admission"] = _pct(r["relapses"][done], n_done) / 100
    k["detected_relapses_per_admission"] = _pct(r["relapses_detected"][done], n_done) / 100
    k["group_hours_attended_per_admission"] = _mean(r["group_hours_attended"][done])

    # --- aftercare (graduates who left treatment in the window) -------------------------------
    graduated = done & (outcome == Outcome.GRADUATED)
    status = r["aftercare_status"][graduated]
    k["aftercare_uptake_pct"] = _pct(np.isin(status, _AFTERCARE_STARTED), status.size)
    finished = np.isin(status, (AftercareStatus.COMPLETED, AftercareStatus.DROPPED_OUT, AftercareStatus.RELAPSED_RETURNED))
    k["aftercare_completion_pct"] = _pct(status[finished] == AftercareStatus.COMPLETED, int(finished.sum()))
    started = np.isin(status, _AFTERCARE_STARTED)
    k["aftercare_relapse_pct"] = _pct(r["aftercare_relapses"][graduated][started] > 0, int(started.sum()))

    # --- capacity (whole weeks after the warm-up) ----------------------------------------------
    k.update(_capacity_kpis(result))
    row = {name: k[name] for name in KPI_UNITS}
    if result.scenario.finance is not None:  # money: the same pricing, fed this table's counts
        row.update(finance_kpis(result, k["admissions_per_year"], _rate(graduated, years), k["census_mean"]))
    return row


_AFTERCARE_STARTED = (AftercareStatus.ATTENDING, AftercareStatus.COMPLETED, AftercareStatus.DROPPED_OUT,
                      AftercareStatus.RELAPSED_RETURNED)


def _interval(r: Mapping[str, np.ndarray], enter: str, leave: str) -> tuple[np.ndarray, np.ndarray]:
    """Enter/leave times of a stock for the patients who entered it; NaN leave = still there."""
    if leave == "intake_left":
        # left the intake queue when the assessment started, or when the referral closed before
        out = np.where(np.isnan(r["assessment_start"]), r["decided"], r["assessment_start"])
    else:
        out = r[leave]
    mask = ~np.isnan(r[enter])
    return r[enter][mask], out[mask]
