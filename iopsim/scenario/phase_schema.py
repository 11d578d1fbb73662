"""A treatment phase as the planner writes it, and the criteria to move on from it.

Kept apart from schema.py so that the program generator (program_generate.py), which builds
sessions for phases, sits below the scenario model that calls it.
"""

from __future__ import annotations

from pydantic import Field

from .distributions import Distribution, Text
from .sections import MAX_PER_WEEK, prob
from .sections import Section as _Section


class Advancement(_Section):
    """Criteria-based advancement: at the planned end of the phase a patient who misses a criterion
    stays on for `extension_weeks` more (then is checked again), at most `max_extensions` times."""

    min_attendance_pct: float = Field(
        0.0, ge=0, le=100, description="Share of this phase's group sessions attended needed to move on, %."
    )
    negative_test_weeks: float = Field(
        0.0, ge=0, le=520, description="Weeks since the last detected relapse (all tests negative) needed to move on."
    )
    extension_weeks: float = Field(2.0, gt=0, le=52, description="How long a stay is extended when a criterion is missed.")
    max_extensions: int = Field(2, ge=0, le=100, description="Extensions at most; the patient then moves on anyway.")


class Phase(_Section):
    """One treatment phase: fewer group hours and more self-help as patients progress."""

    name: Text = Field(min_length=1)
    duration_weeks: Distribution
    group_sessions_per_week: int = Field(ge=1, le=14)
    session_hours: float = Field(gt=0, le=12)
    self_help_meetings_per_week: float = Field(0.0, ge=0, le=MAX_PER_WEEK, description="Mean AA/NA meetings attended per week.")
    drug_tests_per_week: float = Field(1.0, ge=0, le=MAX_PER_WEEK)
    breathalyzers_per_week: float = Field(1.0, ge=0, le=MAX_PER_WEEK)
    individual_sessions_per_week: float = Field(0.5, ge=0, le=MAX_PER_WEEK)
    relapse_prob_per_week: float = prob(0.05, "Weekly probability of a relapse before the self-help effect.")
    dropout_prob_per_week: float = prob(0.02, "Weekly probability of leaving treatment against advice.")
    transfer_prob_per_week: float = prob(
        0.0, "Weekly probability of an early transfer to another program or a step-down (TEDS 'transferred'); "
        "it competes with dropout."
    )
    advancement: Advancement | None = Field(
        None, description="Criteria to move on at the phase's end (attendance, weeks without a detected relapse); "
        "none: time alone."
    )
