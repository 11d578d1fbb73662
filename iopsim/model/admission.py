"""Eligibility decisions and the waitlist for admission.

Admission needs two things at once: a seat in a group serving the first phase, and a primary
counselor with room in their caseload. Eligible patients wait first-come first-served (detox
returners first, if the scenario says so) and may give up; those who give up are taken out
lazily, at their own deadline, like the intake queue.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from .queues import without_expired
from .records import Outcome

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic
    from .pathway import Patient
    from .scheduler import Step


class Eligibility:
    """The article's criteria: moderate or severe SUD, no detox need, a supportive home."""

    def __init__(self, c: Clinic):
        spec = c.scenario.eligibility
        self.spec = spec
        self.severity = c.streams.uniforms("severity")
        self.home = c.streams.uniforms("home_environment")
        self.detox = c.streams.uniforms("detox_need")
        self.detox_return = c.streams.uniforms("detox_return")
        self.detox_delay_days = c.streams.sampler("detox_delay", spec.detox_return_delay_days)

    def decide(self, p: Patient) -> Outcome | None:
        """Referred-out reason, or None if the patient may be admitted (pending detox)."""
        if self.severity() < self.spec.severity_mix.mild:
            return Outcome.REFERRED_OUT_MILD
        if self.home() < self.spec.unsupportive_home_prob:
            return Outcome.REFERRED_OUT_HOME
        return None

    def needs_detox(self) -> bool:
        return self.detox() < self.spec.needs_detox_prob

    def returns_from_detox(self) -> bool:
        return self.detox_return() < self.spec.detox_return_prob


class Waitlist:
    def __init__(self, c: Clinic):
        self.c = c
        self.spec = c.scenario.admission
        self.regular: deque[Patient] = deque()
        self.priority: deque[Patient] = deque()  # detox returners, when they go first
        self.meter = c.meters["waitlist"]
        patience = self.spec.patience_days
        self.patience_days = c.streams.sampler("waitlist_patience", patience) if patience is not None else None

    def __len__(self) -> int:
        return len(self.regular) + len(self.priority)

    def join(self, p: Patient, then: Step) -> None:
        """Join the waitlist, or be turned away if it is full. Admission (`Clinic.admit`) resumes
        the patient into `then`; one who gives up is finished when noticed, at their deadline."""
        c = self.c
        now = c.env.now
        p.waiting_for = then
        p.waitlist_in = now
        cap = self.spec.waitlist_capacity
        self.purge()  # so the count a newcomer joins is exact (the peak waitlist is read from it)
        if cap is not None and len(self) >= cap and not (cap == 0 and self._can_admit_now()):
            p.waitlist_out = now
            c.finish(p, Outcome.REFERRED_OUT_WAITLIST_FULL)
            return
        p.deadline = now + self.patience_days() if self.patience_days is not None else math.inf
        queue = self.priority if (p.detox_returner and self.spec.detox_returners_first) else self.regular
        queue.append(p)
        self.meter.enter(now)
        c.log(p, "waitlisted")
        self.admit_while_possible()
        self.meter.observe_peak(now)  # the count can only rise when someone joins

    def _can_admit_now(self) -> bool:
        """A seat and a counselor are free: with no waitlist (capacity 0) the patient is admitted at once."""
        return self.c.seats.seat_for_phase(0) is not None and self.c.counselors.counselor_with_room() is not None

    def waiting(self) -> int:
        self.purge()
        return len(self)

    def purge(self) -> None:
        now = self.c.env.now
        self.priority = without_expired(self.priority, now, self._gave_up)
        self.regular = without_expired(self.regular, now, self._gave_up)

    def _gave_up(self, p: Patient) -> None:
        self.meter.leave(self.c.env.now, at=p.deadline)
        p.waitlist_out = p.deadline
        self.c.log(p, "reneged_waitlist", at=p.deadline)
        self.c.finish(p, Outcome.RENEGED_WAITLIST, at=p.deadline)

    def _head(self, now: float) -> Patient | None:
        for queue in (self.priority, self.regular):
            while queue:
                if queue[0].deadline < now:
                    self._gave_up(queue.popleft())
                    continue
                return queue[0]
        return None

    def admit_while_possible(self) -> None:
        """Admit from the head of the waitlist while a seat and a counselor are both free."""
        if not (self.regular or self.priority):
            return
        c = self.c
        now = c.env.now
        while True:
            head = self._head(now)
            if head is None:
                return
            group = c.seats.seat_for_phase(0)
            counselor = c.counselors.counselor_with_room()
            if group is None or counselor is None:
                return
            (self.priority if self.priority and self.priority[0] is head else self.regular).popleft()
            self.meter.leave(now)
            c.admit(head, group, counselor)
