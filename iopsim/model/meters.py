"""Exact time-averages of live counts (census, waitlist, ...) after the warm-up, and the exact
time resources spend at capacity (for the bottleneck diagnosis, `analysis/bottleneck.py`).

A meter integrates its count over time as it changes. Patients who gave up waiting are removed
lazily (see intake.py), after the fact: `leave(at=deadline)` takes back the area counted since
the deadline, so the integral stays exact.
"""

from __future__ import annotations


class StockMeter:
    __slots__ = ("start", "count", "area", "last", "peak")

    def __init__(self, start: float):
        self.start = start  # integrate from here (the end of the warm-up)
        self.count = 0.0  # a float, so that count x time is a float product (3.11 specialises it; exact either way)
        self.area = 0.0
        # Integrated up to here: never before `start`, so a change during the warm-up adds nothing
        # and later ones add count x (now - last), without comparing with `start` every time.
        self.last = start
        self.peak = 0.0  # most at once after `start`, as seen by `observe_peak`

    def _advance(self, now: float) -> None:
        last = self.last
        if now > last:
            self.area += self.count * (now - last)
            self.last = now

    def enter(self, now: float) -> None:
        last = self.last  # _advance, inlined: a meter moves several times per referral
        if now > last:
            self.area += self.count * (now - last)
            self.last = now
        self.count += 1.0

    def leave(self, now: float, at: float | None = None) -> None:
        """Someone left now, or at another time `at`: earlier (noticed lazily) or later (booked)."""
        last = self.last
        if now > last:
            self.area += self.count * (now - last)
            self.last = now
        self.count -= 1.0
        if at is not None:
            start = self.start
            if now > start:  # take back the area counted since `at` (or since `start`, if later)
                self.area -= now - (start if start > at else at)

    def observe_peak(self, now: float) -> None:
        """Take the count now as a candidate maximum (callers look when the count can have risen,
        after everything due at that instant, with lazily removed patients already taken out)."""
        if now >= self.start and self.count > self.peak:
            self.peak = self.count

    def mean(self, end: float) -> float:
        self._advance(end)
        return self.area / (end - self.start) if end > self.start else float("nan")


class CapacityMeter:
    """Exact time a resource spends at capacity (no unit free) after `start`.

    A resource is a number of units, each free or taken (a group with a seat left, a counselor
    with room in their caseload, an idle assessor). The owner calls `take`/`give` as a unit's
    state flips, on the state changes that already happen; only the flips into and out of
    "none free" cost more than a subtraction.
    """

    __slots__ = ("start", "free", "since", "full_time")

    def __init__(self, start: float, free: int):
        self.start = start
        self.free = free  # units free now
        self.since = 0.0  # when the resource last became full
        self.full_time = 0.0  # time at capacity after `start`, up to `since`

    def take(self, now: float) -> None:
        self.free -= 1
        if self.free == 0:
            self.since = now

    def give(self, now: float) -> None:
        if self.free == 0:
            self._close(now)
        self.free += 1

    def set_free(self, now: float, free: int) -> None:
        """For a resource whose units change (a post falls empty, a new hire ramps up): `free` units now."""
        if free and not self.free:
            self._close(now)
        elif not free and self.free:
            self.since = now
        self.free = free

    def set_full(self, now: float, full: bool) -> None:
        """For a one-unit resource whose state is judged, not counted (an intake backlog)."""
        if full and self.free:
            self.free = 0
            self.since = now
        elif not full and not self.free:
            self._close(now)
            self.free = 1

    def _close(self, now: float) -> None:
        since = self.since if self.since > self.start else self.start
        if now > since:
            self.full_time += now - since

    def share(self, end: float) -> float:
        """Fraction of [start, end] spent at capacity (NaN for an empty window)."""
        if end <= self.start:
            return float("nan")
        full = self.full_time
        if self.free == 0:
            since = self.since if self.since > self.start else self.start
            full += max(0.0, end - since)
        return full / (end - self.start)
