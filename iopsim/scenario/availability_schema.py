"""Staff availability and workload beyond group hours: leave, turnover, roles, caseload paperwork.

Every section here is optional and off by default, so a scenario that leaves them out runs
exactly as before (and dumps, and fingerprints, as before). Sources of typical values are in
`scenarios/staff-leave.yaml`.
"""

from __future__ import annotations

from pydantic import Field

from .distributions import Distribution, Fixed, Text
from .sections import MAX_COUNT, Section

WEEKS_PER_YEAR = 52.0


class Leave(Section):
    """Time away from a post that is filled: planned weeks are spread over the year by a rota,
    sick days fall at random."""

    vacation_weeks_per_year: float = Field(
        0.0, ge=0, le=20, description="Paid vacation and holidays taken, weeks per counselor per year (on the rota)."
    )
    training_weeks_per_year: float = Field(
        0.0, ge=0, le=20, description="Training and continuing education away from the program, weeks per counselor per year."
    )
    sick_days_per_year: float = Field(
        0.0, ge=0, le=150, description="Sick and personal days, working days per counselor per year (random days)."
    )

    @property
    def planned_weeks_per_year(self) -> float:
        return self.vacation_weeks_per_year + self.training_weeks_per_year


class Turnover(Section):
    """Posts falling vacant: a filled post's holder leaves at `departures_per_year`, and the post
    stays empty for `vacancy_weeks` (recruiting, credentialing, orientation) before the next one starts."""

    departures_per_year: float = Field(
        0.0, ge=0, le=10,
        description="Departures per filled post per year (0.33: a third of counselors leave each year).",
    )
    vacancy_weeks: Distribution = Field(
        default_factory=lambda: Fixed(value=10), description="Weeks a post stays empty after its holder leaves."
    )
    ramp_up_weeks: float = Field(
        0.0, ge=0, le=104,
        description="Weeks a new hire carries a reduced caseload (orientation, shadowing, credentialing); 0: none.",
    )
    ramp_up_caseload_pct: float = Field(
        50.0, ge=0, le=100, description="A new hire's caseload cap during ramp-up, % of counselors.max_caseload."
    )


class Roles(Section):
    """Licensed counselors (LADC, LPC, LCSW, ...) and the others (certified, in training): who may run what."""

    licensed: int = Field(ge=0, le=MAX_COUNT, description="How many of the counselors are licensed (the first ones).")
    licensed_only: list[Text] = Field(
        default_factory=list, max_length=100,
        description="What only a licensed counselor may run: 'intake', 'aftercare' or phase names.",
    )
    supervision_hours_per_week: float = Field(
        0.0, ge=0, le=40,
        description="Clinical supervision each unlicensed counselor receives a week, given by the licensed ones: "
        "both lose these hours from clinical work.",
    )


class CaseloadPaperwork(Section):
    """Documentation that grows with the caseload and admissions, not with group hours."""

    note_minutes_per_patient_per_week: float = Field(
        0.0, ge=0, le=600, description="Progress notes, per patient in treatment per week (the primary counselor)."
    )
    treatment_plan_minutes_per_admission: float = Field(
        0.0, ge=0, le=6000, description="Writing the initial treatment plan, per admission."
    )
    plan_review_minutes: float = Field(0.0, ge=0, le=6000, description="One treatment plan review.")
    plan_review_every_weeks: float = Field(4.0, gt=0, le=520, description="Weeks between reviews of a patient's plan.")

    def weekly_minutes_per_patient(self) -> float:
        """Notes plus plan reviews, per patient in treatment per week (reviews spread evenly)."""
        return self.note_minutes_per_patient_per_week + self.plan_review_minutes / self.plan_review_every_weeks


def check_availability(c, phase_names: list[str]) -> list[tuple[str, str]]:
    """Cross-field checks of leave and roles: (dotted path, problem) pairs. `c`: the Counselors section."""
    out: list[tuple[str, str]] = []
    if c.leave is not None:
        days_a_week = min((len(s.days) for s in c.shifts), default=5)
        away = c.leave.planned_weeks_per_year + c.leave.sick_days_per_year / days_a_week
        if away >= WEEKS_PER_YEAR:
            out.append(("counselors.leave", f"vacation, training and sick leave add up to {away:g} weeks a year; "
                        f"they must leave some of the {WEEKS_PER_YEAR:g} weeks to work"))
    roles = c.roles
    if roles is None:
        return out
    if roles.licensed > c.count:
        out.append(("counselors.roles.licensed", f"{roles.licensed} licensed counselors but only {c.count} on staff"))
    known = {"intake", "aftercare", *phase_names}
    for i, name in enumerate(roles.licensed_only):
        if name not in known:
            out.append((f"counselors.roles.licensed_only.{i}",
                        f"unknown {name!r}; choose from intake, aftercare or a phase: {', '.join(phase_names)}"))
    if roles.licensed_only and roles.licensed == 0:
        out.append(("counselors.roles.licensed", "0 licensed counselors, but some sessions are licensed_only"))
    clinical = c.contracted_hours_per_week - c.other_duties_hours_per_week
    unlicensed = c.count - roles.licensed
    if roles.supervision_hours_per_week and unlicensed > 0 and roles.licensed > 0:
        given = roles.supervision_hours_per_week * unlicensed / roles.licensed
        if max(given, roles.supervision_hours_per_week) >= clinical:
            out.append(("counselors.roles.supervision_hours_per_week",
                        f"supervision ({roles.supervision_hours_per_week:g} h per unlicensed counselor, {given:.3g} h "
                        f"given by each licensed one) leaves no clinical hours of the {clinical:g} a week"))
    if roles.supervision_hours_per_week and unlicensed > 0 and roles.licensed == 0:
        out.append(("counselors.roles.supervision_hours_per_week", "needs at least one licensed counselor to give it"))
    return out
