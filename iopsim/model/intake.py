"""The intake assessment: a FIFO queue served in the timetable's intake clinics or by a pool
of dedicated assessors.

Waiting patients who give up are removed lazily: each carries the time it stops waiting
(`deadline`), and whoever looks at the queue (a clinic, an assessor, the weekly monitor) first
takes out those whose deadline has passed, recording their departure at that deadline. That is
exact and costs no event per patient.

The intake is at capacity (`capacity_meter`, for the bottleneck diagnosis) while every dedicated
assessor is busy, or, with timetable clinics, from a clinic that could not see everyone waiting
(all its appointments booked, no counselor, or closed) until the next one that could.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from ..scenario.vocabulary import HOURS_PER_DAY
from .meters import CapacityMeter
from .queues import earliest_deadline, without_expired
from .records import Outcome

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic
    from .patient import Patient
    from .scheduler import Step, Wake

INF = math.inf


class IntakeDesk:
    def __init__(self, c: Clinic):
        self.c = c
        self.spec = c.scenario.intake
        self.queue: deque[Patient] = deque()
        # No one in the queue gives up before this: a lower bound of their deadlines, exact after each
        # purge, so that a look at the queue walks it only when someone may have given up.
        self.earliest_deadline = INF
        self.free_assessors = self.spec.assessors if self.spec.mode == "dedicated_assessors" else 0
        self.no_show = c.streams.uniforms("intake_no_show")
        self.duration_hours = c.streams.sampler("intake_duration", self.spec.assessment_hours)
        patience = self.spec.patience_days
        self.patience_days = c.streams.sampler("intake_patience", patience) if patience is not None else None
        self.assessor_busy_hours = 0.0  # dedicated assessors, for utilisation
        self.meter = c.meters["intake_queue"]
        dedicated = self.spec.mode == "dedicated_assessors"
        self.capacity_meter = CapacityMeter(c.warmup_days, self.free_assessors if dedicated else 1)
        self._on_assessment_done = (self._assessment_done,)
        self.no_show_prob = self.spec.no_show_prob  # the schema's numbers, read once
        self.appointment_hours = self.spec.appointment_hours
        self.allow_overtime = c.counselors.spec.allow_overtime

    def join(self, p: Patient, then: Step) -> None:
        """Queue for an assessment. A kept appointment wakes the patient into `then` when the
        assessment is over; a closed referral is finished here and never resumed."""
        now = self.c.env._now
        p.waiting_for = then
        deadline = p.deadline = now + self.patience_days() if self.patience_days is not None else INF
        if deadline < self.earliest_deadline:
            self.earliest_deadline = deadline
        self.queue.append(p)
        self.meter.enter(now)
        if self.free_assessors:
            self._dispatch()

    def waiting(self) -> int:
        self.purge()
        return len(self.queue)

    def purge(self, now: float | None = None) -> None:
        """Take out everyone whose patience ran out."""
        if now is None:
            now = self.c.env._now
        if self.earliest_deadline < now:  # else nobody can have given up (see queues.earliest_deadline)
            self.queue = without_expired(self.queue, now, self._gave_up)
            self.earliest_deadline = earliest_deadline((self.queue,))

    def _next_patient(self, now: float) -> Patient | None:
        while self.queue:
            p = self.queue.popleft()
            if p.deadline < now:
                self._gave_up(p)
                continue
            return p
        return None

    def _gave_up(self, p: Patient) -> None:
        self.meter.leave(self.c.env._now, at=p.deadline)
        p.decided = p.deadline
        self.c.log(p, "reneged_intake", at=p.deadline)
        self.c.finish(p, Outcome.RENEGED_INTAKE, at=p.deadline)

    def _missed(self, p: Patient, at: float) -> None:
        """A no-show: rebook at the back of the queue, or close the referral."""
        p.no_shows += 1
        self.c.log(p, "intake_no_show", at=at)
        if p.no_shows > self.spec.max_rebookings:
            self.meter.leave(self.c.env._now, at=at)
            p.decided = at
            self.c.finish(p, Outcome.INTAKE_NO_SHOW, at=at)
        else:
            self.queue.append(p)
            if p.deadline < self.earliest_deadline:  # keep the bound (p joined earlier, so it holds already)
                self.earliest_deadline = p.deadline

    # --- timetable intake clinics ------------------------------------------------------------
    def hold_clinic(self, hours: float, now: float, on_shift: tuple[int, ...] | None = None) -> str:
        """An intake session of the timetable: book consecutive appointments from the queue.

        Returns what became of the slot ('run', 'empty' or 'cancelled_no_counselor'). `on_shift`:
        the counselors whose shift covers the clinic (None: anyone).
        """
        c = self.c
        self.purge(now)
        if not self.queue:
            self.capacity_meter.set_full(now, False)
            return "empty"
        appointment = self.appointment_hours
        slots = int(hours // appointment + 1e-9)
        counselor = c.counselors.facilitator(now, appointment, on_shift)
        if counselor is None:
            self.capacity_meter.set_full(now, True)
            return "cancelled_no_counselor"
        if not self.allow_overtime:
            slots = min(slots, int(c.counselors.budget[counselor] // appointment + 1e-9))
        queue = self.queue
        self.capacity_meter.set_full(now, len(queue) > slots)  # someone waiting cannot be seen
        slots = min(slots, len(queue))
        used_hours = 0.0
        no_show, no_show_prob = self.no_show, self.no_show_prob
        for k in range(slots):
            # Purged above, so nobody's patience has run out; a no-show goes to the back, behind
            # the `slots` patients seen.
            p = queue.popleft()
            start = now + k * appointment / HOURS_PER_DAY
            if no_show() < no_show_prob:
                used_hours += appointment
                self._missed(p, start)
                continue
            duration = self.duration_hours()
            used_hours += duration
            p.assessment_start = start
            self.meter.leave(now, at=start)
            c.scheduler.sleep(p, (start - now) + duration / HOURS_PER_DAY, p.waiting_for)  # type: ignore[arg-type]  # set at join
        c.counselors.book(counselor, now, "intake", used_hours)
        c.week.intake_appointments += slots
        return "run"

    def clinic_closed(self, now: float) -> None:
        """A closed clinic sees no one: anyone still waiting (patience left) is a backlog."""
        self.capacity_meter.set_full(now, any(p.deadline >= now for p in self.queue))

    # --- dedicated assessors -------------------------------------------------------------------
    def _dispatch(self) -> None:
        """Start assessments while an assessor is free and someone waits."""
        env = self.c.env
        after = self.c.scheduler.after
        while self.free_assessors:
            p = self._next_patient(env._now)
            if p is None:
                return
            self.free_assessors -= 1
            self.capacity_meter.take(env._now)
            hours = self.duration_hours()
            self.assessor_busy_hours += hours
            if self.no_show() < self.spec.no_show_prob:  # the booked time is lost all the same
                self._missed(p, env._now)
                p = None
            else:
                p.assessment_start = env._now
                self.meter.leave(env._now)
            after(hours / HOURS_PER_DAY, self._on_assessment_done, p)  # p None: a no-show's lost slot

    def _assessment_done(self, ev: Wake) -> None:
        if ev.p is not None:
            self.c.scheduler.resume(ev.p, 0.0)
        self.free_assessors += 1
        self.capacity_meter.give(self.c.env._now)
        self._dispatch()
