"""The patient record: what a new referral starts with, and that it can hold everything Records copies."""

from __future__ import annotations

import math

from iopsim.model.patient import Patient
from iopsim.model.records import FIELDS, AftercareStatus, Outcome


def test_a_new_referral_is_in_the_system_with_nothing_yet_happened():
    p = Patient(7, 3.5)
    assert (p.pid, p.referred) == (7, 3.5)
    assert p.outcome is Outcome.IN_SYSTEM and p.aftercare_status is AftercareStatus.NOT_OFFERED
    assert all(math.isnan(getattr(p, name)) for name in ("assessment_start", "decided", "waitlist_in", "admitted",
                                                          "treatment_end", "aftercare_start", "ended"))
    assert (p.phase_index, p.group, p.counselor, p.seat_queue) == (-1, None, -1, -1)
    assert not p.in_treatment and p.wake is None and p.deadline == math.inf
    assert p.phase_starts == [] and p.sessions_attended == p.sessions_missed == p.relapses == 0


def test_every_recorded_field_is_a_slot_set_at_referral():
    """Records copies FIELDS (and "track", "prior_episodes" when those are on) from every patient
    who leaves, whatever way they left: each must exist from the start."""
    p = Patient(1, 0.0)
    for name in (*FIELDS, "track", "prior_episodes"):
        assert name in Patient.__slots__
        getattr(p, name)  # set in __init__: no AttributeError


def test_patients_hold_no_instance_dict():
    """Slots only: a patient is small, and its attributes are read on every session walk."""
    assert not hasattr(Patient(1, 0.0), "__dict__")
