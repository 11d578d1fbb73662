"""Exact time-averages of live counts (census, waitlist, ...) after the warm-up.

A meter integrates its count over time as it changes. Patients who gave up waiting are removed
lazily (see intake.py), after the fact: `leave(at=deadline)` takes back the area counted since
the deadline, so the integral stays exact.
"""

from __future__ import annotations


class StockMeter:
    __slots__ = ("start", "count", "area", "last", "peak")

    def __init__(self, start: float):
        self.start = start  # integrate from here (the end of the warm-up)
        self.count = 0
        self.area = 0.0
        self.last = 0.0
        self.peak = 0  # most at once after `start`, as seen by `observe_peak`

    def _advance(self, now: float) -> None:
        if now > self.start:
            self.area += self.count * (now - max(self.last, self.start))
        self.last = now

    def enter(self, now: float) -> None:
        start, last = self.start, self.last  # _advance, inlined: a meter moves several times per referral
        if now > start:
            self.area += self.count * (now - (start if start > last else last))
        self.last = now
        self.count += 1

    def leave(self, now: float, at: float | None = None) -> None:
        """Someone left now, or at another time `at`: earlier (noticed lazily) or later (booked)."""
        start, last = self.start, self.last
        if now > start:
            self.area += self.count * (now - (start if start > last else last))
        self.last = now
        self.count -= 1
        if at is not None and now > self.start:
            self.area -= now - max(at, self.start)

    def observe_peak(self, now: float) -> None:
        """Take the count now as a candidate maximum (callers look when the count can have risen,
        after everything due at that instant, with lazily removed patients already taken out)."""
        if now >= self.start and self.count > self.peak:
            self.peak = self.count

    def mean(self, end: float) -> float:
        self._advance(end)
        return self.area / (end - self.start) if end > self.start else float("nan")
