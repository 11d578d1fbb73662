"""The weekly timetable as the planner writes it: sessions, the rooms they meet in, and closure days.

Kept apart from schema.py so that the program generator (program_generate.py), which writes
sessions into rooms, sits below the scenario model that calls it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from .calendar import day_of_year
from .distributions import Text
from .sections import MAX_COUNT, DayName, drop_if
from .sections import Section as _Section
from .staffing_schema import clock_hours

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Session(_Section):
    """One weekly slot of the timetable."""

    group: Text = Field(min_length=1, description="Group (roster) this session belongs to; intake sessions name a clinic.")
    day: DayName
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Start time HH:MM.")
    hours: float = Field(gt=0, le=12)
    room: Text | None = Field(None, description="Where it meets; not for a virtual session (it needs no room).")
    serves: list[Text] = Field(min_length=1, description="Phase names, 'aftercare' or 'intake'.")
    max_size: int | None = Field(None, ge=1, le=MAX_COUNT, description="Overrides groups.max_size for this group.")
    track: Text | None = Field(
        None, min_length=1,
        description="The track this group belongs to (one of `tracks`); only read when the scenario declares tracks.",
    )

    mode: Literal["in_person", "virtual", "hybrid"] = Field(
        "in_person",
        description="in_person: in its room; virtual: online, needs no room (still a counselor); hybrid: in its "
        "room with others joining online, so the room's seats do not cap the group.",
    )

    @model_validator(mode="after")
    def _room_unless_virtual(self) -> Session:
        if self.mode == "virtual" and self.room is not None:
            raise ValueError("a virtual session needs no room: leave `room` out")
        if self.mode != "virtual" and self.room is None:
            raise ValueError(f"{'an in_person' if self.mode == 'in_person' else 'a hybrid'} session needs a `room`")
        return self

    @model_serializer(mode="wrap")
    def _without_unset_track(self, handler: SerializerFunctionWrapHandler) -> dict:
        """No `track: null`, `room: null` or `mode: in_person` in dumps, so scenarios without tracks or
        telehealth keep their fingerprints."""
        dumped = drop_if(handler(self), "track", self.track is None)
        dumped = drop_if(dumped, "room", self.room is None)
        return drop_if(dumped, "mode", self.mode == "in_person")

    @property
    def room_seats_cap(self) -> bool:
        """Whether the room's seats limit the group (not when it meets online or partly online)."""
        return self.mode == "in_person"

    @property
    def start_hours(self) -> float:
        return clock_hours(self.start)

    @property
    def week_offset_days(self) -> float:
        return DAYS.index(self.day) + self.start_hours / 24


class Room(_Section):
    name: Text = Field(min_length=1)
    seats: int = Field(ge=1, le=MAX_COUNT)
    available_hours_per_week: float = Field(50.0, gt=0, le=168, description="Hours the room could be booked.")


def _valid_mm_dd(text: str) -> str:
    day_of_year(text)  # raises ValueError with a clear message
    return text


MmDd = Annotated[str, AfterValidator(_valid_mm_dd)]
"""A recurring date; a list of them reports every bad one under its own index."""


class Closures(_Section):
    dates: list[MmDd] = Field(
        default_factory=list, max_length=366, description="Recurring closed days MM-DD (nothing runs those days)."
    )
