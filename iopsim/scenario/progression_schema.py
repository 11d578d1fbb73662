"""How fast each patient moves through the phases: their own pace (issue 11, right-skewed stays).

Real stays are right-skewed (TEDS: mean above median for every reason for discharge) because
patients differ: some need longer in every phase (slow to stabilise, missing sessions, extended
for not meeting the phase's criteria). A per-patient pace multiplies every planned phase length
of that patient; it is drawn once per person (a returning patient keeps it). Off by default (and
left out of dumps), so a scenario without `progression:` runs and fingerprints exactly as before.
"""

from __future__ import annotations

from pydantic import Field

from .sections import Section


class Progression(Section):
    """Each patient's pace: a lognormal multiplier (median 1) on every phase length, times a
    factor for missing sessions (fewer sessions attended a week: more weeks for the same dose)."""

    pace_sd: float = Field(
        0.0, ge=0, le=3,
        description="Spread between patients of how long they need in every phase: the sd of the log of a "
        "lognormal multiplier, median 1 (0: everyone takes the planned lengths).",
    )
    attendance_pace_exponent: float = Field(
        0.0, ge=0, le=3,
        description="Phase lengths also scale with (mean attendance / the patient's own attendance propensity) to "
        "this power (1: in proportion, dose-based advancement; 0: attendance does not change pace).",
    )
    hazards_follow_pace: bool = Field(
        True,
        description="A slower patient's weekly relapse, dropout and transfer risks in a phase are divided by their "
        "pace, so the risk per phase is the same (their whole course runs slower); false: the weekly risks stay, so "
        "slow patients leave more often before they finish.",
    )
    max_pace_multiplier: float = Field(
        4.0, ge=1, le=100, description="The pace multiplier is capped here: no phase lasts more than this x planned."
    )

    @property
    def is_on(self) -> bool:
        return self.pace_sd > 0 or self.attendance_pace_exponent > 0
