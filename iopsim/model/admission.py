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

from .groups import roomiest
from .queues import earliest_deadline, without_expired
from .records import Outcome
from .streams import draws_of

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic
    from .groups import Group
    from .patient import Patient
    from .scheduler import Step


class Eligibility:
    """The article's criteria: moderate or severe SUD, no detox need, a supportive home."""

    def __init__(self, c: Clinic):
        spec = c.scenario.eligibility
        self.spec = spec
        self.severity = draws_of(c.streams.uniforms("severity"))  # iterators: see streams.draws_of
        self.home = draws_of(c.streams.uniforms("home_environment"))
        self.detox = draws_of(c.streams.uniforms("detox_need"))
        self.detox_return = draws_of(c.streams.uniforms("detox_return"))
        self.detox_delay_days = draws_of(c.streams.sampler("detox_delay", spec.detox_return_delay_days))
        self.mild_share = spec.severity_mix.mild  # the schema's numbers, read once
        # and the outcomes (`Outcome.X` is a slow lookup in Python 3.11: see pathway.py)
        self.mild, self.unsupportive_home = Outcome.REFERRED_OUT_MILD, Outcome.REFERRED_OUT_HOME
        self.unsupportive_home_prob = spec.unsupportive_home_prob
        self.needs_detox_prob = spec.needs_detox_prob
        self.detox_return_prob = spec.detox_return_prob

    def decide(self, p: Patient) -> Outcome | None:
        """Referred-out reason, or None if the patient may be admitted (pending detox)."""
        if next(self.severity) < self.mild_share:
            return self.mild
        if next(self.home) < self.unsupportive_home_prob:
            return self.unsupportive_home
        return None

    def needs_detox(self) -> bool:
        return next(self.detox) < self.needs_detox_prob

    def returns_from_detox(self) -> bool:
        return next(self.detox_return) < self.detox_return_prob


class Lane:
    """One track's waitlist: detox returners (when they go first), then everyone else, each FIFO."""

    __slots__ = ("priority", "regular", "flexible")

    def __init__(self) -> None:
        self.regular: deque[Patient] = deque()
        self.priority: deque[Patient] = deque()  # detox returners, when they go first
        self.flexible = 0  # patients here who accept a seat in another track

    def __len__(self) -> int:
        return len(self.regular) + len(self.priority)


class Waitlist:
    """One lane per track (a single lane without tracks). The cap counts every lane."""

    def __init__(self, c: Clinic):
        self.c = c
        self.spec = c.scenario.admission
        self.lanes = [Lane() for _ in range(c.tracks.n)]
        self.meter = c.meters["waitlist"]
        self.track_meters = c.tracks.waitlist  # empty without tracks
        self.capacity = self.spec.waitlist_capacity  # the schema's numbers, read once
        self.returners_first = self.spec.detox_returners_first
        patience = self.spec.patience_days
        self.patience_days = (draws_of(c.streams.sampler("waitlist_patience", patience))
                              if patience is not None else None)
        # No waiting patient gives up before this (a lower bound, raised by each purge): a purge
        # before it has no one to take out, and skips the walk through every lane.
        self.earliest_deadline = math.inf
        # Without tracks (`admit_while_possible`): the phase-1 groups, and their seat pool's meter,
        # which counts the groups with a seat free (0: every phase-1 seat is taken).
        seats = c.seats
        self.phase1_groups = seats.by_phase[0][0]
        self.phase1_seats = next(m for pool, m in zip(seats.pools, seats.pool_meters, strict=True)
                                 if pool.phase == 0 and pool.track == 0)

    @property
    def regular(self) -> deque[Patient]:
        """The first track's regular queue (the only one without tracks)."""
        return self.lanes[0].regular

    @property
    def priority(self) -> deque[Patient]:
        return self.lanes[0].priority

    def __len__(self) -> int:
        return sum(len(lane) for lane in self.lanes)

    def join(self, p: Patient, then: Step) -> None:
        """Join the waitlist of the patient's track, or be turned away if the waitlist is full.
        Admission (`Clinic.admit`) resumes the patient into `then`; one who gives up is finished
        when noticed, at their deadline."""
        c = self.c
        now = c.env._now
        p.waiting_for = then
        p.waitlist_in = now
        cap = self.capacity
        self.purge()  # so the count a newcomer joins is exact (the peak waitlist is read from it)
        if cap is not None and len(self) >= cap and not (cap == 0 and self._can_admit_now()):
            p.waitlist_out = now
            c.finish(p, Outcome.REFERRED_OUT_WAITLIST_FULL)
            return
        p.deadline = now + next(self.patience_days) if self.patience_days is not None else math.inf
        if p.deadline < self.earliest_deadline:
            self.earliest_deadline = p.deadline
        lane = self.lanes[p.track]
        (lane.priority if (p.detox_returner and self.returners_first) else lane.regular).append(p)
        if p.flexible:
            lane.flexible += 1
        meter = self.meter
        meter.enter(now)
        if self.track_meters:
            self.track_meters[p.track].enter(now)
        if c.logging:
            c.log(p, "waitlisted")
        self.admit_while_possible()
        meter.observe_peak(now)  # the count can only rise when someone joins

    def _can_admit_now(self) -> bool:
        """A seat and a counselor are free: with no waitlist (capacity 0) the patient is admitted at once."""
        return self.c.seats.seat_for_phase(0) is not None and self.c.counselors.counselor_with_room() is not None

    def waiting(self) -> int:
        self.purge()
        return len(self)

    def purge(self) -> None:
        now = self.c.env._now
        if now <= self.earliest_deadline:  # nobody can have given up (see queues.earliest_deadline)
            return
        for lane in self.lanes:
            lane.priority = without_expired(lane.priority, now, self._gave_up)
            lane.regular = without_expired(lane.regular, now, self._gave_up)
        self.earliest_deadline = earliest_deadline(q for lane in self.lanes for q in (lane.priority, lane.regular))

    def _left(self, p: Patient, at: float | None = None) -> None:
        """Out of the lane's counts and meters (admitted now, or gave up at `at`)."""
        now = self.c.env._now
        self.meter.leave(now, at=at)
        if self.track_meters:
            self.track_meters[p.track].leave(now, at=at)
        if p.flexible:
            self.lanes[p.track].flexible -= 1

    def _gave_up(self, p: Patient) -> None:
        self._left(p, at=p.deadline)
        p.waitlist_out = p.deadline
        if self.c.logging:
            self.c.log(p, "reneged_waitlist", at=p.deadline)
        self.c.finish(p, Outcome.RENEGED_WAITLIST, at=p.deadline)

    def _head(self, lane: Lane, now: float) -> Patient | None:
        for queue in (lane.priority, lane.regular):
            while queue:
                if queue[0].deadline < now:
                    self._gave_up(queue.popleft())
                    continue
                return queue[0]
        return None

    def _own_track_admission(self, now: float) -> tuple[Patient, Group] | None:
        """The head of a track's lane, where that track has a free phase-1 seat. Across tracks, detox
        returners who go first come first, then the longest waiting."""
        seats = self.c.seats
        best: tuple[Patient, Group] | None = None
        for track, lane in enumerate(self.lanes):
            head = self._head(lane, now)
            if head is None:
                continue
            group = seats.seat_for_phase(0, track)
            if group is None:
                continue
            if best is None or self._before(head, best[0]):
                best = (head, group)
        return best

    def _before(self, a: Patient, b: Patient) -> bool:
        rank_a = bool(a.detox_returner and self.spec.detox_returners_first)
        rank_b = bool(b.detox_returner and self.spec.detox_returners_first)
        return (not rank_a, a.waitlist_in, a.pid) < (not rank_b, b.waitlist_in, b.pid)

    def _flexible_admission(self, now: float) -> tuple[Patient, Group] | None:
        """A patient who accepts another track, for a track with a free phase-1 seat and nobody
        of its own waiting (the earliest such patient, detox returners first)."""
        seats = self.c.seats
        best: tuple[Patient, Group] | None = None
        for track, lane in enumerate(self.lanes):
            if len(lane):
                continue  # its own patients come first (and got the seat, if there was one)
            group = seats.seat_for_phase(0, track)
            if group is None:
                continue
            for other in self.lanes:
                if not other.flexible:
                    continue
                for queue in (other.priority, other.regular):
                    p = next((q for q in queue if q.flexible and q.deadline >= now), None)
                    if p is not None and (best is None or self._before(p, best[0])):
                        best = (p, group)
        return best

    def admit_while_possible(self) -> None:
        """Admit while a phase-1 seat the waiting patient can take and a counselor are both free.

        Without tracks (one lane, one pool of phase-1 seats) the search is written out here: the
        same admissions in the same order as `_admit_by_track`'s, with fewer calls per attempt
        (most attempts find every phase-1 seat or every caseload full)."""
        lanes = self.lanes
        if len(lanes) > 1:
            if any(lanes):
                self._admit_by_track()
            return
        lane = lanes[0]
        now = self.c.env._now
        while True:
            if now > self.earliest_deadline:  # someone may have given up: take expired heads out
                self._head(lane, now)
            queue = lane.priority or lane.regular
            if not queue or not self.phase1_seats.free:  # nobody waiting, or (usually) every phase-1 seat taken
                return
            group = roomiest(self.phase1_groups)
            if group is None:
                return
            counselor = self.c.counselors.counselor_with_room()
            if counselor is None:
                return
            p = queue.popleft()
            self.meter.leave(now)  # _left, without tracks (nobody is flexible)
            self.c.admit(p, group, counselor)

    def _admit_by_track(self) -> None:
        """`admit_while_possible` with tracks: own-track heads first, then flexible patients."""
        c = self.c
        now = c.env._now
        while True:
            pick = self._own_track_admission(now)
            if pick is None:
                pick = self._flexible_admission(now)
            if pick is None:
                return
            counselor = c.counselors.counselor_with_room()
            if counselor is None:
                return
            p, group = pick
            lane = self.lanes[p.track]
            if lane.priority and lane.priority[0] is p:
                lane.priority.popleft()
            elif lane.regular and lane.regular[0] is p:
                lane.regular.popleft()
            else:  # a flexible patient from further back
                (lane.priority if p in lane.priority else lane.regular).remove(p)
            self._left(p)
            p.track = group.track  # a flexible patient stays in the track that took them
            c.admit(p, group, counselor)
