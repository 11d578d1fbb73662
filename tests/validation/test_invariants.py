"""Conservation, ordering, capacity and Little's law on the shipped baseline and variants."""

from __future__ import annotations

import numpy as np
import pytest

from iopsim.analysis.kpis import kpis
from iopsim.analysis.stats import mean_ci
from iopsim.model.clinic import Clinic, simulate
from iopsim.scenario.calendar import DAYS_PER_WEEK
from iopsim.scenario.loader import load_scenario
from tests.validation.invariants import check_records, run_checking_capacity

BASELINE = "scenarios/baseline.yaml"


@pytest.fixture(scope="module")
def short_baseline():
    return load_scenario(BASELINE, ["run.horizon_years=3", "run.warmup_weeks=26"])


def test_baseline_records_conserve_every_referral(short_baseline):
    result = simulate(short_baseline, seed=7)
    check_records(result)
    assert len(result.records["pid"]) > 1000


REALISM_ON = ["relapse.policy={repeat_phase: 0.3, step_back: 0.1, discharge: 0.4, step_up: 0.2}",
              "relapse.max_relapses_before_discharge=2", "relapse.after_max_relapses=step_up",
              "phases.0.transfer_prob_per_week=0.01", "attendance.non_starter_prob=0.1", "attendance.propensity_sd=0.15",
              "readmission.after_dropout_prob=0.3", "readmission.after_aftercare_relapse_prob=0.5",
              "readmission.delay_days=60", "groups.min_size_counts=expected_attendees",
              "phases.1.advancement.min_attendance_pct=80"]


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["counselors.count=2"],  # staff-bound: sessions cancelled for want of a counselor
        ["groups.max_size=6", "referrals.rate_per_week=14"],  # seat-bound: long waitlist
        ["counselors.allow_overtime=true", "counselors.count=2"],
        ["admission.waitlist_capacity=5", "referrals.rate_per_week=14"],
        REALISM_ON,  # transfers, non-starters holding seats, propensities, readmissions feeding demand
    ],
)
def test_capacity_is_never_exceeded(short_baseline, overrides):
    scenario = load_scenario(BASELINE, ["run.horizon_years=2", "run.warmup_weeks=10", *overrides])
    result = run_checking_capacity(Clinic(scenario, seed=3), every=1)
    check_records(result)
    series = {k: np.asarray(v) for k, v in result.series.items()}
    c = scenario.counselors
    clinical = sum(series[f"counselor_hours_{a}"] for a in ("group", "documentation", "intake", "individual"))
    if not c.allow_overtime:
        assert (clinical <= c.count * (c.contracted_hours_per_week - c.other_duties_hours_per_week) + 1e-6).all()
        assert (series["counselor_overtime_hours"] == 0).all()
    assert (series["caseload_max"] <= c.max_caseload).all()
    for room in scenario.rooms:
        assert (series[f"room_hours_{room.name}"] <= room.available_hours_per_week + 1e-9).all()


def test_staff_shortage_shows_up_as_cancelled_sessions():
    scenario = load_scenario(BASELINE, ["run.horizon_years=2", "run.warmup_weeks=10", "counselors.count=1"])
    k = kpis(simulate(scenario, seed=1))
    assert k["sessions_cancelled_pct"] > 10
    assert k["counselor_overtime_hours_per_week"] == 0


def _lambda_w(result, enter: str, leave: np.ndarray) -> tuple[float, float]:
    """(entry rate after the warm-up x mean time in the stock of those entrants, that mean time).

    Times are cut at the horizon, so lambda*W misses what late entrants spend after it, while L
    counts what early entrants (before the warm-up) spend in the window: the two differ by about
    L x W / T, which the test allows for.
    """
    r = result.records
    start, end = result.warmup_days, result.horizon_days
    entered = ~np.isnan(r[enter]) & (r[enter] >= start) & (r[enter] <= end)
    left = np.where(np.isnan(leave), end, np.minimum(leave, end))
    mean_time = float((left[entered] - r[enter][entered]).mean())
    return float(entered.sum() / (end - start) * mean_time), mean_time


def _intake_left(r):
    return np.where(np.isnan(r["assessment_start"]), r["decided"], r["assessment_start"])


STOCKS = {
    "census": ("admitted", lambda r: r["treatment_end"]),
    "waitlist": ("waitlist_in", lambda r: r["waitlist_out"]),
    "aftercare": ("aftercare_start", lambda r: r["aftercare_end"]),
    "intake_queue": ("referred", _intake_left),
}


@pytest.fixture(scope="module")
def littles_law_terms() -> dict[str, list[tuple[float, float, float]]]:
    """Per stock, one (L, lambda*W, allowed bias) per replication: six long replications simulated
    once for all four stocks (each simulation is the slow part)."""
    scenario = load_scenario(BASELINE, ["run.horizon_years=8", "run.warmup_weeks=52", "referrals.rate_per_week=10"])
    terms: dict[str, list[tuple[float, float, float]]] = {stock: [] for stock in STOCKS}
    for rep in range(6):
        result = simulate(scenario, seed=11, replication=rep)
        for stock, (enter, leave) in STOCKS.items():
            L = result.stats[f"{stock}_time_average"]
            lam_w, w = _lambda_w(result, enter, leave(result.records))
            terms[stock].append((L, lam_w, L * w / (result.horizon_days - result.warmup_days)))
    return terms


@pytest.mark.parametrize("stock", sorted(STOCKS))
def test_littles_law_on_every_stock(stock, littles_law_terms):
    """L (exact time-average of the model's live counter) = lambda * W (from patient records), within CI."""
    terms = littles_law_terms[stock]
    assert len(terms) == 6
    sizes = [L for L, _, _ in terms]
    est = mean_ci([L - lam_w for L, lam_w, _ in terms])
    tolerance = float(np.mean([bound for _, _, bound in terms]))
    assert est.lo - tolerance <= 0 <= est.hi + tolerance, (est, np.mean(sizes), tolerance)
    assert tolerance < 0.1 * np.mean(sizes)  # the check is tight enough to mean something
    assert np.mean(sizes) > 0.5


def test_kpi_stock_means_agree_with_snapshots():
    scenario = load_scenario(BASELINE, ["run.horizon_years=6", "run.warmup_weeks=52"])
    result = simulate(scenario, seed=5)
    k = kpis(result)
    week_end = np.asarray(result.series["week_end_days"])
    after = week_end > result.warmup_days
    snap = np.asarray(result.series["census"])[after].mean()
    assert k["census_mean"] == pytest.approx(snap, rel=0.05)
    assert k["waitlist_mean"] == pytest.approx(np.asarray(result.series["waitlist"])[after].mean(), abs=1.0)


def test_horizon_weeks_in_series():
    scenario = load_scenario(BASELINE, ["run.horizon_years=1", "run.warmup_weeks=0"])  # the 60-week warm-up would leave no week to measure
    result = simulate(scenario, seed=1)
    assert len(result.series["week_end_days"]) == int(365 // DAYS_PER_WEEK)


@pytest.mark.parametrize("overrides", [[], ["referrals.rate_per_week=14", "admission.waitlist_capacity=8"],
                                       ["counselors.count=2"], REALISM_ON])
def test_streaming_kpis_equal_the_full_table_reference(overrides):
    """KPIs tallied in chunks as patients leave (bounded memory) = KPIs from the whole patient table."""
    from iopsim.analysis.kpis import PatientTally
    from tests.validation.reference_kpis import reference_kpis

    scenario = load_scenario(BASELINE, ["run.horizon_years=4", "run.warmup_weeks=30", *overrides])
    tally = PatientTally(30 * 7, 4 * 365)
    streamed = kpis(simulate(scenario, seed=4, patient_sink=tally.fold, keep_patients=False), tally)
    reference = reference_kpis(simulate(scenario, seed=4))
    assert streamed.keys() == reference.keys()
    for name, value in reference.items():
        assert streamed[name] == pytest.approx(value, rel=1e-9, abs=1e-9, nan_ok=True), name


def test_memory_does_not_keep_patients_when_asked_not_to():
    from iopsim.analysis.kpis import PatientTally

    scenario = load_scenario(BASELINE, ["run.horizon_years=3"])
    tally = PatientTally(60 * 7, 3 * 365)
    result = simulate(scenario, seed=1, patient_sink=tally.fold, keep_patients=False)
    assert len(result.records["pid"]) == 0
    assert tally.n["referred"] > 500
