"""Who runs the sessions: counselors, their shifts (working windows), and the tracks patients attend.

Kept out of schema.py (which re-exports every name) so the staffing models and their validators
read as one piece.
"""

from __future__ import annotations

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from .availability_schema import CaseloadPaperwork, Leave, Roles, Turnover
from .distributions import Text
from .sections import MAX_COUNT, DayName, Section, clock_hours, distinct_days, drop_if, prob

WEEKDAYS: tuple[DayName, ...] = ("mon", "tue", "wed", "thu", "fri")
CLOCK_END = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"


class Shift(Section):
    """Counselors who work the same window: a session needs a counselor whose shift covers it."""

    name: Text = Field(min_length=1)
    count: int = Field(ge=1, le=MAX_COUNT, description="Counselors on this shift.")
    days: list[DayName] = Field(
        default_factory=lambda: list(WEEKDAYS), min_length=1, description="Days worked (default Monday to Friday)."
    )
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Start of the working window, HH:MM.")
    end: str = Field(pattern=CLOCK_END, description="End of the working window, HH:MM (24:00 for midnight).")
    contracted_hours_per_week: float | None = Field(
        None, gt=0, le=80, description="Hours per counselor (part time: fewer); default counselors.contracted_hours_per_week."
    )
    other_duties_hours_per_week: float | None = Field(
        None, ge=0, le=80,
        description="Non-clinical hours per counselor; default counselors.other_duties_hours_per_week scaled by "
        "contracted hours (a half-time counselor has half the other duties).",
    )

    @field_validator("days")
    @classmethod
    def _once_each(cls, v: list[str]) -> list[str]:
        return distinct_days(v)

    @property
    def start_hours(self) -> float:
        return clock_hours(self.start)

    @property
    def end_hours(self) -> float:
        return clock_hours(self.end)

    def covers(self, day: str, start_hours: float, hours: float) -> bool:
        """Whether a session on `day` from `start_hours` for `hours` lies inside this window."""
        return day in self.days and self.start_hours - 1e-9 <= start_hours and start_hours + hours <= self.end_hours + 1e-9


class Counselors(Section):
    count: int = Field(ge=0, le=MAX_COUNT, description="Counselors on staff (with shifts: may be left out, it is their sum).")
    contracted_hours_per_week: float = Field(40.0, gt=0, le=80)
    other_duties_hours_per_week: float = Field(
        8.0, ge=0, le=80, description="Supervision, meetings, case management: not available for clinical work."
    )
    max_caseload: int = Field(24, ge=1, le=MAX_COUNT, description="Most IOP patients one counselor is primary for.")
    documentation_minutes_per_group_hour: float = Field(15.0, ge=0, le=600)
    individual_session_hours: float = Field(1.0, gt=0, le=12)
    allow_overtime: bool = Field(False, description="Let sessions run on counselors beyond their hours (counted).")
    shifts: list[Shift] = Field(
        default_factory=list,
        description="Working windows (e.g. day 08:00-17:00, evening 12:00-21:00); none: everyone works any hour.",
    )

    # Staff availability and workload (issue 11): each optional, left out of dumps when absent,
    # so scenarios without them run and fingerprint as before.
    leave: Leave | None = Field(
        None, exclude_if=lambda v: v is None, description="Vacation, training and sick leave (optional)."
    )
    turnover: Turnover | None = Field(
        None, exclude_if=lambda v: v is None, description="Posts falling vacant and staying empty (optional)."
    )
    roles: Roles | None = Field(
        None, exclude_if=lambda v: v is None, description="Licensed counselors and what only they may run (optional)."
    )
    caseload_paperwork: CaseloadPaperwork | None = Field(
        None, exclude_if=lambda v: v is None,
        description="Notes and treatment plans that scale with caseload and admissions (optional).",
    )

    @model_validator(mode="before")
    @classmethod
    def _count_from_shifts(cls, data: object) -> object:
        """With shifts, `count` may be left out: it is the shifts' counselors added up."""
        if isinstance(data, dict) and "count" not in data and isinstance(data.get("shifts"), list):
            counts = [s.get("count") for s in data["shifts"] if isinstance(s, dict)]
            if counts and all(isinstance(n, int) for n in counts):
                return {**data, "count": sum(counts)}
        return data

    @model_serializer(mode="wrap")
    def _without_empty_shifts(self, handler: SerializerFunctionWrapHandler) -> dict:
        return drop_if(handler(self), "shifts", not self.shifts)

    @property
    def has_absences(self) -> bool:
        """Whether leave or turnover can take a counselor away (adds the staffing KPIs)."""
        return self.leave is not None or self.turnover is not None

    def shift_hours(self, shift: Shift) -> tuple[float, float]:
        """(contracted, other duties) hours per week of one counselor on `shift`."""
        contracted = shift.contracted_hours_per_week or self.contracted_hours_per_week
        other = shift.other_duties_hours_per_week
        if other is None:
            other = self.other_duties_hours_per_week * contracted / self.contracted_hours_per_week
        return contracted, other

    def team_hours(self) -> tuple[float, float]:
        """(contracted, other duties) hours per week of the whole team."""
        if not self.shifts:
            return self.count * self.contracted_hours_per_week, self.count * self.other_duties_hours_per_week
        pairs = [(s.count, self.shift_hours(s)) for s in self.shifts]
        return sum(n * c for n, (c, _) in pairs), sum(n * o for n, (_, o) in pairs)


class Track(Section):
    """A track patients attend (e.g. day, evening): its groups are its own and its patients stay in it."""

    name: Text = Field(min_length=1)
    only_share: float = prob(0.0, "Share of referrals who can attend only this track (a planner's estimate).")
    prefers_share: float = prob(
        0.0, "Share who prefer this track but accept a phase-1 seat in another one if it frees up first."
    )
