"""Tracks (e.g. day and evening): which groups a patient can attend, for the whole episode.

A scenario without `tracks:` has one implicit track holding every group, so every code path
below reduces to the pooled model (same draws, same order, same results). With tracks declared,
each referral draws its track once, on a stream of its own ("track", so no other purpose's draws
move): it can attend only that track, or prefers it and accepts a phase-1 seat in another track
if one frees up first (after which it stays there). Each track keeps its own census and waitlist
meters and its own weekly seat tallies, for the per-track KPIs.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING

from .meters import StockMeter

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic
    from .patient import Patient

SHARED = -1  # the track of an aftercare group open to every track
WEEK_FIELDS = ("seat_capacity", "attendees", "enrolled")  # weekly tallies per track, as in WeekTally


def track_column(name: str, field: str) -> str:
    """The weekly-series column of one per-track tally."""
    return f"{field}_track_{name}"


class Tracks:
    def __init__(self, c: Clinic):
        spec = c.scenario.tracks
        self.declared = bool(spec)
        self.names = [t.name for t in spec] or [""]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.n = len(self.names)
        # One outcome per (track, only/prefers), with cumulative shares to look a uniform draw up in.
        self._outcomes = [(i, flexible) for i in range(len(spec)) for flexible in (False, True)]
        self._edges = list(accumulate(share for t in spec for share in (t.only_share, t.prefers_share)))
        self._draw = c.streams.uniforms("track") if self.declared else None
        self.census = [StockMeter(c.warmup_days) for _ in self.names] if self.declared else []
        self.waitlist = [StockMeter(c.warmup_days) for _ in self.names] if self.declared else []
        self.week = [[0] * len(WEEK_FIELDS) for _ in self.names]

    def of_group(self, track: str | None, is_aftercare: bool) -> int:
        """A group's track index; aftercare without a track is shared by all tracks."""
        if not self.declared:
            return SHARED if is_aftercare else 0
        if track is None:
            return SHARED
        return self.index[track]

    def assign(self, p: Patient) -> None:
        """Draw the referral's track (only when tracks are declared: the pooled model draws nothing)."""
        if self._draw is None:
            return
        u = self._draw() * self._edges[-1]
        p.track, p.flexible = self._outcomes[min(bisect_right(self._edges, u), len(self._outcomes) - 1)]

    def count_session(self, track: int, capacity: int, present: int, enrolled: int) -> None:
        tally = self.week[track]
        tally[0] += capacity
        tally[1] += present
        tally[2] += enrolled

    def week_row(self) -> dict[str, float]:
        """This week's per-track tallies by series column (empty without tracks), then reset them."""
        if not self.declared:
            return {}
        row = {track_column(name, field): float(self.week[i][j])
               for i, name in enumerate(self.names) for j, field in enumerate(WEEK_FIELDS)}
        self.week = [[0] * len(WEEK_FIELDS) for _ in self.names]
        return row

    def stats(self, end_days: float) -> dict[str, float]:
        out: dict[str, float] = {}
        for i, name in enumerate(self.names if self.declared else []):
            out[f"census_track_{name}_time_average"] = self.census[i].mean(end_days)
            out[f"waitlist_track_{name}_time_average"] = self.waitlist[i].mean(end_days)
        return out
