"""The program template: how a planner describes the week ("phase 1 meets Mon/Wed/Fri at 09:00, two groups").

`program_generate` turns it into the concrete `timetable` the model reads when the scenario is
validated; the generator's rules (rooms, hours, overlaps) live there.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .sections import DayName, Section, clock_hours, distinct_days

CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


class _Block(Section):

    track: str | None = Field(
        None, min_length=1, description="Optional track name (e.g. day, evening); part of the group names."
    )
    groups: int = Field(1, ge=1, le=50, description="Parallel groups (each meets on every listed day).")
    days: list[DayName] = Field(min_length=1, description="Days each group meets, e.g. [mon, wed, fri].")
    start: str = Field(pattern=CLOCK, description="Preferred start HH:MM (the earliest the generator tries).")
    latest_start: str | None = Field(
        None, pattern=CLOCK,
        description="Latest acceptable start HH:MM; the generator tries every 30 minutes from `start` (default: start only).",
    )
    rooms: list[str] | None = Field(
        None, min_length=1, description="Rooms to use, in order of preference (default: every room with enough seats)."
    )
    mode: Literal["in_person", "virtual", "hybrid"] = Field(
        "in_person", description="virtual: the groups meet online and are placed in no room; hybrid: in a room, "
        "with others joining online (the room's seats do not cap the group).",
    )

    @field_validator("days")
    @classmethod
    def _week_days(cls, v: list[str]) -> list[str]:
        return distinct_days(v)

    def start_hours(self) -> float:
        return clock_hours(self.start)

    def latest_start_hours(self) -> float:
        return clock_hours(self.latest_start or self.start)


class PhaseBlock(_Block):
    """Groups of one phase: each meets phases[].group_sessions_per_week times (one per day) for session_hours."""

    max_size: int | None = Field(None, ge=1, le=10_000, description="Overrides groups.max_size for these groups.")


class AftercareBlock(_Block):
    """Aftercare (relapse-prevention) groups; their length is not a phase field, so it is given here."""

    hours: float = Field(gt=0, le=12, description="Length of each session, hours (e.g. 1.5).")
    max_size: int | None = Field(None, ge=1, le=10_000, description="Overrides groups.max_size for these groups.")


class IntakeBlock(_Block):
    """Intake clinics: `groups` parallel clinics, each open `hours` on every listed day."""

    hours: float = Field(gt=0, le=12, description="Length of each clinic, hours.")


class JoinBlock(Section):
    """A phase that meets inside another phase's groups (e.g. phase 3 joins phase 2 on its Thursday session)."""


    phase: str = Field(min_length=1, description="The phase that joins (it gets no groups of its own).")
    joins: str = Field(min_length=1, description="The phase whose generated groups it joins.")
    days: list[DayName] = Field(min_length=1, description="Which of those groups' days, one per weekly session.")
    track: str | None = Field(None, min_length=1, description="Join only the groups of this track (default: all).")

    @field_validator("days")
    @classmethod
    def _once_each(cls, v: list[str]) -> list[str]:
        return distinct_days(v)


class Program(Section):
    """A week described as a planner's checklist; generates the sessions the timetable leaves out."""


    phases: dict[str, list[PhaseBlock]] = Field(
        default_factory=dict, description="Phase name -> blocks of groups (one block per track or day pattern)."
    )
    aftercare: list[AftercareBlock] = Field(default_factory=list)
    intake: list[IntakeBlock] = Field(default_factory=list)
    joins: list[JoinBlock] = Field(
        default_factory=list, description="Phases that share other phases' groups instead of having their own."
    )
