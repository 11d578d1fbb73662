"""Invariants every run must satisfy, shared by example-based and property-based tests."""

from __future__ import annotations

import numpy as np

from iopsim.model.clinic import Clinic, RunResult
from iopsim.model.records import REFERRED_OUT, TREATMENT_ENDS, AftercareStatus, Outcome

PATHWAY_ORDER = ("referred", "assessment_start", "decided", "waitlist_in", "admitted", "treatment_end",
                 "aftercare_start", "aftercare_end")


def check_records(result: RunResult) -> None:
    """Every referral in exactly one end state; times in pathway order; no negative waits."""
    r = result.records
    n = len(r["pid"])
    assert sorted(r["pid"].tolist()) == list(range(n)), "each referral recorded exactly once"
    outcome = r["outcome"]
    assert set(np.unique(outcome).tolist()) <= {int(o) for o in Outcome}
    in_system = outcome == Outcome.IN_SYSTEM
    in_aftercare = np.isin(r["aftercare_status"], (AftercareStatus.WAITING, AftercareStatus.ATTENDING))
    assert (outcome[in_aftercare] == Outcome.GRADUATED).all()
    still_here = in_system | in_aftercare
    assert np.isnan(r["ended"][still_here]).all()
    assert not np.isnan(r["ended"][~still_here]).any()
    assert (r["ended"][~still_here] <= result.horizon_days + 1e-9).all()
    # pathway order: every later step that happened, happened no earlier than the steps before it
    for i, early in enumerate(PATHWAY_ORDER):
        for late in PATHWAY_ORDER[i + 1:]:
            both = ~np.isnan(r[early]) & ~np.isnan(r[late])
            assert (r[late][both] >= r[early][both] - 1e-9).all(), f"{late} before {early}"
    admitted = ~np.isnan(r["admitted"])
    assert (r["admitted"][admitted] >= r["waitlist_in"][admitted]).all()
    # referred out: never admitted
    assert np.isnan(r["admitted"][np.isin(outcome, REFERRED_OUT)]).all()
    treated = np.isin(outcome, TREATMENT_ENDS)
    assert not np.isnan(r["admitted"][treated]).any() and not np.isnan(r["treatment_end"][treated]).any()
    graduated = outcome == Outcome.GRADUATED
    assert (r["phase_reached"][graduated] == len(result.scenario.phases) - 1).all()
    assert (r["relapses_detected"] <= r["relapses"]).all()
    assert (r["sessions_attended"][outcome == Outcome.NON_STARTER] == 0).all(), "non-starters attend nothing"
    started = np.isin(r["aftercare_status"], (AftercareStatus.COMPLETED, AftercareStatus.DROPPED_OUT,
                                              AftercareStatus.ATTENDING, AftercareStatus.RELAPSED_RETURNED))
    assert (started <= graduated).all(), "only graduates start aftercare"
    assert not np.isnan(r["aftercare_start"][started]).any()


def run_checking_capacity(clinic: Clinic, every: int = 1) -> RunResult:
    """Step the simulation event by event, checking capacity limits as it goes."""
    env = clinic.env
    spec = clinic.scenario
    max_caseload = spec.counselors.max_caseload
    n = 0
    while env.peek() < clinic.horizon_days:
        env.step()
        n += 1
        if n % every:
            continue
        for g in clinic.seats.groups:
            assert len(g.roster) <= g.capacity, f"group {g.name} over capacity"
        assert max(clinic.counselors.caseload, default=0) <= max_caseload
        assert min(clinic.counselors.caseload, default=0) >= 0
        assert len(clinic.in_treatment) == sum(clinic.census_by_phase)
        if not spec.counselors.allow_overtime:
            assert clinic.counselors.week_overtime == 0
            assert min(clinic.counselors.budget, default=0) >= 0
        assert clinic.intake.free_assessors >= 0
    result = clinic.run()
    seats = {room.name: room.seats for room in spec.rooms}
    for g in clinic.seats.groups:
        assert g.capacity <= max(seats.values())
    return result
