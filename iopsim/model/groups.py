"""Groups: rosters with a size cap, and the seats patients move between.

A group is a roster of enrolled patients (capped by the group size and its room's seats);
its sessions are timetable slots that serve some phases (or aftercare), and walk the roster
(`sessions.py`). Seats change hands here: admission, moving to the next phase's group,
aftercare, leaving.

For the bottleneck diagnosis the seat board meters, exactly and only when a group fills up or
frees its last seat, the time each seat pool (`seat_pools`) has no seat free, and the queues in
front of seats (patients waiting to move into a phase's group, graduates waiting for aftercare).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, NamedTuple

from ..scenario.checks import AFTERCARE, INTAKE
from ..scenario.schema import MAX_COUNT
from ..scenario.vocabulary import DAYS_PER_WEEK, group_size_cap
from .meters import CapacityMeter, StockMeter
from .queues import without_expired
from .records import AftercareStatus, Outcome
from .tracks import SHARED

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic
    from .patient import Patient
    from .scheduler import Step



class Group:
    __slots__ = ("name", "phases", "is_aftercare", "capacity", "roster", "phase_order", "track", "pools")

    def __init__(self, name: str, phases: frozenset[int], is_aftercare: bool, capacity: int, track: int = 0):
        self.name = name
        self.track = track  # index into the tracks (SHARED: an aftercare group open to all)
        self.phases = phases  # phase indices this group's sessions serve
        self.is_aftercare = is_aftercare
        self.capacity = capacity
        self.roster: dict[int, Patient] = {}  # insertion-ordered: deterministic walks
        self.phase_order: tuple[int, ...] = ()  # sorted phases, once the timetable is read
        self.pools: tuple[CapacityMeter, ...] = ()  # the seat pools this group counts in


def build_groups(c: Clinic) -> list[Group]:
    s = c.scenario
    phase_index = {name: i for i, name in enumerate(s.phase_names())}
    seats = {r.name: r.seats for r in s.rooms}
    groups: dict[str, Group] = {}
    for sess in s.timetable:
        if INTAKE in sess.serves:
            continue
        cap = group_size_cap(sess.max_size, s.groups.max_size, seats[sess.room] if sess.room_seats_cap and sess.room else MAX_COUNT)
        phases = frozenset(phase_index[n] for n in sess.serves if n in phase_index)
        g = groups.get(sess.group)
        if g is None:
            is_aftercare = AFTERCARE in sess.serves
            groups[sess.group] = Group(sess.group, phases, is_aftercare, cap, c.tracks.of_group(sess.track, is_aftercare))
        else:
            g.phases = g.phases | phases
            g.capacity = min(g.capacity, cap)
    for g in groups.values():
        g.phase_order = tuple(sorted(g.phases))
    return list(groups.values())


class SeatPool(NamedTuple):
    name: str
    phase: int  # the phase whose patients take these seats; -1 for aftercare
    groups: list[Group]
    track: int = 0  # the track whose patients take them (0: the one pooled track when none are declared)


def seat_pools(groups: list[Group], phase_names: list[str], track_names: list[str] | None = None) -> list[SeatPool]:
    """The seats a patient can take, pooled by what they are for: `seats:PHASE` (groups serving
    the phase), `seats:PHASE:TRACK` when tracks are declared (a patient sits only in its own
    track's groups), and `aftercare_seats`. A pool is at capacity when none of its groups has a
    seat free."""
    if track_names is None:
        pools = [SeatPool(f"seats:{name}", i, [g for g in groups if i in g.phases])
                 for i, name in enumerate(phase_names)]
    else:
        pools = [SeatPool(f"seats:{name}:{track}", i, [g for g in groups if i in g.phases and g.track == t], t)
                 for i, name in enumerate(phase_names) for t, track in enumerate(track_names)]
    aftercare = [g for g in groups if g.is_aftercare]
    if aftercare:
        pools.append(SeatPool("aftercare_seats", -1, aftercare))
    return pools


def roomiest(groups: list[Group]) -> Group | None:
    """The group with most free seats (first in timetable order on ties), or None if all full.

    A function, not a static method: CPython 3.11 does not specialise calling a static method
    through the instance."""
    best = None
    most = 0
    for g in groups:
        free = g.capacity - len(g.roster)
        if free > most:
            best, most = g, free
    return best


class SeatBoard:
    """Who sits in which group; queues of patients waiting to move into a phase's group."""

    def __init__(self, c: Clinic):
        self.c = c
        self.groups = build_groups(c)
        n = len(c.phases)
        tracks = range(c.tracks.n)
        # Per track, then per phase: the groups a patient of that track can sit in, and the queue for them.
        self.by_phase = [[[g for g in self.groups if i in g.phases and g.track == t] for i in range(n)] for t in tracks]
        self.aftercare_groups = [g for g in self.groups if g.is_aftercare]
        self.aftercare_for = [[g for g in self.aftercare_groups if g.track in (t, SHARED)] for t in tracks]
        self.pooled_aftercare = all(g.track == SHARED for g in self.aftercare_groups)
        self.transfer_queues: list[list[deque[Patient]]] = [[deque() for _ in range(n)] for _ in tracks]
        self.aftercare_queue: deque[Patient] = deque()
        self.aftercare_meter = c.meters["aftercare"]
        # Bottleneck meters: time each pool is full, and the queues in front of seats.
        start = c.warmup_days
        self.pools = seat_pools(self.groups, c.scenario.phase_names(), c.tracks.names if c.tracks.declared else None)
        self.pool_meters = [CapacityMeter(start, len(pool.groups)) for pool in self.pools]
        for g in self.groups:
            g.pools = tuple(m for pool, m in zip(self.pools, self.pool_meters, strict=True) if g in pool.groups)
        self.transfer_meters = [[StockMeter(start) for _ in range(n)] for _ in tracks]
        self.aftercare_queue_meter = StockMeter(start)

    def seat_for_phase(self, phase_index: int, track: int = 0) -> Group | None:
        return roomiest(self.by_phase[track][phase_index])

    def sit(self, p: Patient, g: Group) -> None:
        """Seat the patient in g, then offer the seat they left (taking it first, so the offer
        cannot hand g's last seat to someone else meanwhile)."""
        old = p.group
        roster = g.roster
        roster[p.pid] = p
        p.group = g
        if len(roster) == g.capacity:
            self._filled(g)
        if old is not None:
            del old.roster[p.pid]
            if len(old.roster) + 1 == old.capacity:
                self._freed(old)
            self._offer_seat(old)

    def stand_up(self, p: Patient) -> None:
        """Free the patient's seat and offer it to whoever waits for it."""
        g = p.group
        assert g is not None  # only a seated patient stands up
        if p.seat_queue >= 0:  # left treatment while waiting to move: no longer waiting
            self._leave_transfer_queue(p)
        del g.roster[p.pid]
        p.group = None
        if len(g.roster) + 1 == g.capacity:
            self._freed(g)
        self._offer_seat(g)

    def _filled(self, g: Group) -> None:
        now = self.c.env._now
        for meter in g.pools:
            meter.take(now)

    def _freed(self, g: Group) -> None:
        now = self.c.env._now
        for meter in g.pools:
            meter.give(now)

    def _leave_transfer_queue(self, p: Patient) -> None:
        self.transfer_meters[p.track][p.seat_queue].leave(self.c.env._now)
        p.seat_queue = -1

    def _offer_seat(self, g: Group) -> None:
        if g.is_aftercare:
            self._fill_aftercare()
            return
        queues = self.transfer_queues[g.track]
        for phase in g.phase_order:
            queue = queues[phase]
            while queue and len(g.roster) < g.capacity:
                p = queue.popleft()
                if p.seat_queue >= 0:
                    self._leave_transfer_queue(p)
                if p.in_treatment and not p.dropping:
                    self.sit(p, g)
                    self.c.scheduler.resume(p, True)
        if 0 in g.phases:
            self.c.waitlist.admit_while_possible()

    def move(self, p: Patient, phase_index: int, then: Step) -> bool:
        """Take a seat in a group serving `phase_index` (True), or queue for one, waiting in the old
        seat, to be resumed into `then` when one frees up (False)."""
        p.waiting_for = then
        if p.group is not None and phase_index in p.group.phases:
            return True
        g = roomiest(self.by_phase[p.track][phase_index])  # seat_for_phase, without a call
        if g is not None:
            self.sit(p, g)
            return True
        if self.c.logging:
            self.c.log(p, "waiting_for_phase_seat")
        self.transfer_queues[p.track][phase_index].append(p)
        self.transfer_meters[p.track][phase_index].enter(self.c.env._now)
        p.seat_queue = phase_index
        return False

    # --- aftercare ---------------------------------------------------------------------------
    def wait_for_aftercare(self, p: Patient, then: Step) -> bool:
        """Seat a graduate in aftercare now (True), or queue them for up to their patience (False):
        resumed into `then` once seated; one who gives up is finished by the queue, at their deadline."""
        now = self.c.env._now
        p.waiting_for = then
        p.aftercare_queue_in = now
        g = roomiest(self.aftercare_for[p.track])
        if g is not None:
            self._start_aftercare(p, g)
            return True
        p.aftercare_status = AftercareStatus.WAITING
        p.deadline = now + self.c.scenario.aftercare.patience_weeks * DAYS_PER_WEEK
        self.aftercare_queue.append(p)
        self.aftercare_queue_meter.enter(now)
        return False

    def _fill_aftercare(self) -> None:
        if not self.pooled_aftercare:
            self._fill_aftercare_by_track()
            return
        now = self.c.env._now
        while self.aftercare_queue:
            g = roomiest(self.aftercare_groups)
            if g is None:
                return
            p = self.aftercare_queue.popleft()
            if p.deadline < now:
                self._no_aftercare_seat(p)
                continue
            self.aftercare_queue_meter.leave(now)
            self._start_aftercare(p, g)
            self.c.scheduler.resume(p, True)

    def _fill_aftercare_by_track(self) -> None:
        """Some aftercare groups belong to a track: seat, in queue order, whoever a free seat suits."""
        now = self.c.env._now
        keep: deque[Patient] = deque()
        for p in self.aftercare_queue:
            if p.deadline < now:
                self._no_aftercare_seat(p)
                continue
            g = roomiest(self.aftercare_for[p.track])
            if g is None:
                keep.append(p)
                continue
            self._start_aftercare(p, g)
            self.c.scheduler.resume(p, True)
        self.aftercare_queue = keep

    def _start_aftercare(self, p: Patient, g: Group) -> None:
        self.sit(p, g)
        now = self.c.env._now
        p.aftercare_start = now
        self.aftercare_meter.enter(now)

    def purge_aftercare_queue(self) -> None:
        self.aftercare_queue = without_expired(self.aftercare_queue, self.c.env._now, self._no_aftercare_seat)

    def _no_aftercare_seat(self, p: Patient) -> None:
        """Gave up waiting for a seat (noticed lazily): the graduate leaves at their deadline."""
        self.aftercare_queue_meter.leave(self.c.env._now, at=p.deadline)
        p.aftercare_status = AftercareStatus.NO_SEAT
        p.aftercare_end = p.deadline
        self.c.finish(p, Outcome.GRADUATED, at=p.deadline)

    def leave_aftercare(self, p: Patient) -> None:
        now = self.c.env._now
        p.aftercare_end = now
        self.aftercare_meter.leave(now)
        self.stand_up(p)
