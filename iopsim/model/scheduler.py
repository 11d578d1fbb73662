"""Scheduling on SimPy's own event queue without generator processes.

Everything that happens in a run is a callback of a scheduled `Wake`, processed by SimPy's
scheduler (`env.run`, `env.step`): the timetable slots and the weekly monitor re-arm
themselves, referrals schedule the next one, and a patient sleeps in one pending wake-up at a
time. A process would cost an Initialize and a termination event per referral and SimPy's
resume machinery around every wake-up, which made it the largest single cost of a run.

`Wake` implements the part of SimPy's event protocol its scheduler uses: `env.schedule`
queues it and `env.step` reads `callbacks` and `_ok`, calls each callback with the event and
sets `callbacks` to None. That protocol is internal to SimPy, so pyproject.toml pins
`simpy>=4.1,<5`; this module relies on it. The hot wake-ups (`sleep`, `resume`, the weekly
slots) push onto SimPy's queue themselves, exactly as `env.schedule` does (time, priority, the
event counter, event), saving a call per event; and the model reads the clock as `env._now`,
which `env.now` (a property: a call per read) returns. While `Scheduler.run_until` runs, a
patient resumed now waits beside the heap in a first-in-first-out line of its own (the same
entry, taken in the same turn): on the heap it would climb to the top and sink again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT

from ..scenario.vocabulary import DAYS_PER_WEEK

LAST_AT_INSTANT = 2  # event priority after SimPy's URGENT (0) and NORMAL (1)

# What a wake-up calls, built once per step: one callable, in a 1-tuple because SimPy's `step()`
# walks an event's callbacks (`run_until` calls the one directly).
Step = tuple[Callable[["Wake"], None]]


class Wake:
    """A scheduled call: SimPy's `step()` pops it and calls each of `callbacks` with it.

    The cheapest event the scheduler can process: no generator to resume and one small object
    per wake-up. `p` is whom it is for (a patient, or a timetable slot's action), `value` what
    it brings (as `Event.succeed(value)` would).
    """

    __slots__ = ("callbacks", "p", "value")
    _ok = True

    def __init__(self, callbacks: Step, p: Any, value: Any = None):
        self.callbacks: Step | None = callbacks
        self.p = p
        self.value = value

    def cancel(self) -> None:
        """Make this pending wake-up do nothing when its time comes."""
        self.callbacks = _NOTHING


def _nothing(ev: Wake) -> None:
    """What a cancelled wake-up calls."""


_NOTHING: Step = (_nothing,)


class _Stop(Exception):
    """Raised by the stop wake-up of `Scheduler.run_until`: the run has reached its end."""


def _stop(ev: Wake) -> None:
    raise _Stop


_STOP: Step = (_stop,)


class Scheduler:
    """The ways a run schedules its wake-ups, in days from now."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        # `Wake` duck-types SimPy's `Event` and LAST_AT_INSTANT is a plain int priority, neither
        # of which SimPy's annotations (`Event`, `EventPriority`) can say.
        self.schedule: Callable[[Wake, int, float], None] = env.schedule  # type: ignore[assignment]
        # What `env.schedule` pushes onto (see the module docstring): (time, priority, id, event).
        self._queue: list[tuple[float, int, int, Wake]] = env._queue  # type: ignore[assignment]
        self._eid = env._eid
        self._on_weekly: Step = (self._weekly,)
        # Wake-ups resumed now, while `run_until` runs: due at the current instant with NORMAL
        # priority and numbered in order, so first in, first out. Kept beside the heap, where each
        # would climb to the top and sink again (about 14 tuple comparisons); the loop takes them
        # in their turn (`run_until`).
        self._due_now: deque[tuple[float, int, int, Wake]] = deque()
        self._push_now: Callable[[tuple[float, int, int, Wake]], None] = self._push

    def sleep(self, p, delay: float, then: Step) -> None:
        """Wake the patient after `delay` days into step `then` (what `yield env.timeout(delay)` was)."""
        ev = p.wake
        if ev is None or ev.callbacks is not None:
            ev = p.wake = Wake(then, p)
        else:  # the patient's last wake-up has been processed: re-arm it rather than make another
            ev.callbacks = then
            ev.value = None
        heappush(self._queue, (self.env._now + delay, NORMAL, next(self._eid), ev))  # env.schedule, inlined

    def resume(self, p, value: Any = None) -> None:
        """Let a patient waiting in a queue go on now, into the step the queue was given at `join`
        (what `p.event.succeed(value)` was)."""
        assert p.waiting_for is not None  # a queue resumes only a patient waiting in it
        ev = p.wake
        if ev is None or ev.callbacks is not None:
            ev = p.wake = Wake(p.waiting_for, p, value)
        else:  # processed: re-armed, as in `sleep`
            ev.callbacks = p.waiting_for
            ev.value = value
        self._push_now((self.env._now + 0.0, NORMAL, next(self._eid), ev))  # delay 0.0, as env.schedule adds it

    def _push(self, item: tuple[float, int, int, Wake]) -> None:
        heappush(self._queue, item)

    def interrupt(self, p, then: Step) -> None:
        """Call `then` for the patient now, before anything else due at this instant (like a SimPy
        interrupt, which is urgent)."""
        self.schedule(Wake(then, p), URGENT, 0.0)

    def after(self, delay: float, then: Step, p: Any = None, priority: int = NORMAL) -> Wake:
        """Call `then` in `delay` days (a plain timeout with a callback)."""
        ev = Wake(then, p)
        self.schedule(ev, priority, delay)
        return ev

    def again(self, ev: Wake, then: Step, delay: float, priority: int = NORMAL) -> None:
        """Re-arm a processed wake-up (SimPy set its callbacks to None) instead of making a new one
        (each referral and each week's end re-arm theirs: pushed as `sleep` pushes)."""
        ev.callbacks = then
        heappush(self._queue, (self.env._now + delay, priority, next(self._eid), ev))  # env.schedule, inlined

    def every_week(self, offset_days: float, action: Callable[[float], None]) -> None:
        """Call `action(now)` at `offset_days` into each week, one re-armed event per slot."""
        self.schedule(Wake(self._on_weekly, action, offset_days), NORMAL, offset_days - self.env._now)

    def _weekly(self, ev: Wake) -> None:
        now = self.env._now  # a callback cannot move the clock
        ev.p(now)
        ev.value += DAYS_PER_WEEK
        ev.callbacks = self._on_weekly
        heappush(self._queue, (now + (ev.value - now), NORMAL, next(self._eid), ev))  # env.schedule's sum

    def run_until(self, until: float) -> None:
        """Process every wake-up due before `until` (days), as `env.run(until=until)` does, without
        its `step()` call, exception handlers and failure check per event (a `Wake` cannot fail).

        Like SimPy it queues a stop event at `until`, URGENT, numbered next (so `events_processed`
        counts the same), and stops when that pops: the same wake-ups processed, in the same
        order, and the clock left at `until`. The queue cannot run dry before: the stop is in it.
        """
        env = self.env
        if until <= env._now:
            raise ValueError(f"until ({until}) must be greater than the current simulation time")
        queue = self._queue
        due = self._due_now
        heappush(queue, (until, URGENT, next(self._eid), Wake(_STOP, None)))
        self._push_now = due.append
        try:
            while True:
                # The next wake-up is the smaller of the heap's top and the first one resumed now:
                # SimPy's order (time, priority, number) either way.
                if due and due[0] < queue[0]:
                    env._now, _, _, ev = due.popleft()
                else:
                    env._now, _, _, ev = heappop(queue)
                callback = ev.callbacks[0]  # type: ignore[index]  # a queued wake-up has its one callback
                ev.callbacks = None
                callback(ev)
        except _Stop:
            pass
        finally:  # back onto SimPy's queue: whatever is left is SimPy's to run (env.run, env.step)
            self._push_now = self._push
            while due:
                heappush(queue, due.popleft())

    def events_processed(self) -> float:
        """Events scheduled so far: SimPy numbers each one (read once, at the end of a run)."""
        return float(next(self.env._eid))
