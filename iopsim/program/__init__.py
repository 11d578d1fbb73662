"""Program template -> concrete weekly timetable (pure functions, no simulation)."""

from .generate import Generated, generate_timetable

__all__ = ["Generated", "generate_timetable"]
