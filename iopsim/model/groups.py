"""Groups: rosters with a size cap, the seats patients move between, and the weekly sessions.

A group is a roster of enrolled patients (capped by the group size and its room's seats);
its sessions are timetable slots that serve some phases (or aftercare). Each timetable slot
is one scheduled event a week that walks the roster (`Scheduler.every_week`): one event per
scheduled session, never one per patient per session.

For the bottleneck diagnosis the seat board meters, exactly and only when a group fills up or
frees its last seat, the time each seat pool (`seat_pools`) has no seat free, and the queues in
front of seats (patients waiting to move into a phase's group, graduates waiting for aftercare).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, NamedTuple

from ..scenario.checks import AFTERCARE, INTAKE
from ..scenario.schema import MAX_COUNT, Session
from ..scenario.vocabulary import DAYS_PER_WEEK, MINUTES_PER_HOUR, group_size_cap
from .meters import CapacityMeter, StockMeter
from .queues import without_expired
from .records import AftercareStatus, Outcome
from .tracks import SHARED

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic
    from .pathway import Patient
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

    @staticmethod
    def _roomiest(groups: list[Group]) -> Group | None:
        """The group with most free seats (first in timetable order on ties), or None if all full."""
        best = None
        most = 0
        for g in groups:
            free = g.capacity - len(g.roster)
            if free > most:
                best, most = g, free
        return best

    def seat_for_phase(self, phase_index: int, track: int = 0) -> Group | None:
        return self._roomiest(self.by_phase[track][phase_index])

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
        now = self.c.env.now
        for meter in g.pools:
            meter.take(now)

    def _freed(self, g: Group) -> None:
        now = self.c.env.now
        for meter in g.pools:
            meter.give(now)

    def _leave_transfer_queue(self, p: Patient) -> None:
        self.transfer_meters[p.track][p.seat_queue].leave(self.c.env.now)
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
        g = self.seat_for_phase(phase_index, p.track)
        if g is not None:
            self.sit(p, g)
            return True
        self.c.log(p, "waiting_for_phase_seat")
        self.transfer_queues[p.track][phase_index].append(p)
        self.transfer_meters[p.track][phase_index].enter(self.c.env.now)
        p.seat_queue = phase_index
        return False

    # --- aftercare ---------------------------------------------------------------------------
    def wait_for_aftercare(self, p: Patient, then: Step) -> bool:
        """Seat a graduate in aftercare now (True), or queue them for up to their patience (False):
        resumed into `then` once seated; one who gives up is finished by the queue, at their deadline."""
        now = self.c.env.now
        p.waiting_for = then
        p.aftercare_queue_in = now
        g = self._roomiest(self.aftercare_for[p.track])
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
        now = self.c.env.now
        while self.aftercare_queue:
            g = self._roomiest(self.aftercare_groups)
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
        now = self.c.env.now
        keep: deque[Patient] = deque()
        for p in self.aftercare_queue:
            if p.deadline < now:
                self._no_aftercare_seat(p)
                continue
            g = self._roomiest(self.aftercare_for[p.track])
            if g is None:
                keep.append(p)
                continue
            self._start_aftercare(p, g)
            self.c.scheduler.resume(p, True)
        self.aftercare_queue = keep

    def _start_aftercare(self, p: Patient, g: Group) -> None:
        self.sit(p, g)
        now = self.c.env.now
        p.aftercare_start = now
        self.aftercare_meter.enter(now)

    def purge_aftercare_queue(self) -> None:
        self.aftercare_queue = without_expired(self.aftercare_queue, self.c.env.now, self._no_aftercare_seat)

    def _no_aftercare_seat(self, p: Patient) -> None:
        """Gave up waiting for a seat (noticed lazily): the graduate leaves at their deadline."""
        self.aftercare_queue_meter.leave(self.c.env.now, at=p.deadline)
        p.aftercare_status = AftercareStatus.NO_SEAT
        p.aftercare_end = p.deadline
        self.c.finish(p, Outcome.GRADUATED, at=p.deadline)

    def leave_aftercare(self, p: Patient) -> None:
        now = self.c.env.now
        p.aftercare_end = now
        self.aftercare_meter.leave(now)
        self.stand_up(p)


SLOT_OUTCOMES = ("run", "closed", "empty", "cancelled_small", "cancelled_no_counselor")
_WEEK_COUNTER = {outcome: f"sessions_{outcome}" for outcome in SLOT_OUTCOMES}  # WeekTally field per outcome


class TimetableSlot:
    """A weekly slot of the timetable; tallies what became of it after the warm-up."""

    def __init__(self, c: Clinic, spec: Session):
        self.c = c
        self.spec = spec
        self.room = spec.room or ""  # "": online (virtual sessions book no room hours)
        self.tally = dict.fromkeys(SLOT_OUTCOMES, 0)
        self.room_hours = 0.0
        self.attendees = 0
        self.enrolled = 0
        self.full = 0  # sessions that ran with every seat of the group taken

    def _record(self, outcome: str, now: float, room_hours: float = 0.0, present: int = 0, enrolled: int = 0) -> None:
        c = self.c
        week = c.week
        if outcome == "run":
            week.sessions_run += 1
        else:
            name = _WEEK_COUNTER[outcome]
            setattr(week, name, getattr(week, name) + 1)
        week.room_hours[self.room] += room_hours
        if now >= c.warmup_days:
            self.tally[outcome] += 1
            self.room_hours += room_hours
            self.attendees += present
            self.enrolled += enrolled

    def summary(self) -> dict:
        spec = self.spec
        return {"group": spec.group, "day": spec.day, "start": spec.start, "hours": spec.hours, "room": spec.room,
                "serves": "+".join(spec.serves), **self.tally, "room_hours": self.room_hours,
                "attendees": self.attendees, "enrolled": self.enrolled, "full": self.full}


class TherapySession(TimetableSlot):
    """One weekly timetable slot of a treatment or aftercare group."""

    def __init__(self, c: Clinic, spec: Session, group: Group):
        super().__init__(c, spec)
        self.group = group
        self.hours = spec.hours
        self.serves = group.phases.intersection(
            i for i, name in enumerate(c.scenario.phase_names()) if name in spec.serves
        )
        self.documentation_hours = spec.hours * c.scenario.counselors.documentation_minutes_per_group_hour / MINUTES_PER_HOUR
        self.min_size = c.scenario.groups.min_size
        self.by_expected = c.scenario.groups.min_size_counts == "expected_attendees"
        # The same every week: worked out once.
        self.booked_hours = self.hours + self.documentation_hours
        self.room_hours_per_session = 0.0 if spec.room is None else spec.hours  # a virtual session takes no room
        self.booking = {"group": self.hours, "documentation": self.documentation_hours}
        self.on_shift = c.counselors.covering(spec.day, spec.start_hours, spec.hours, tuple(spec.serves))  # None: anyone
        self.count_for_track = c.tracks.count_session if c.tracks.declared and not group.is_aftercare else None
        self.drop_prob = 0.0 if group.is_aftercare else c.scenario.attendance.dropout_prob_per_missed_session
        self.billing = None if group.is_aftercare else c.billing  # program days count treatment groups only
        self.closed_days = c.closed_days

    def meet(self, now: float) -> None:
        """Walk the roster once: who is expected, whether the session runs, who comes."""
        c = self.c
        if self.closed_days and c.is_closed(now):
            self._record("closed", now)
            return
        g = self.group
        if g.is_aftercare:
            expected = list(g.roster.values())
        else:
            serves = self.serves
            expected = [p for p in g.roster.values() if p.phase_index in serves]
        n = len(expected)
        if not n:
            self._record("empty", now)
            return
        if n < self.min_size or (self.by_expected and sum(p.attend_prob for p in expected) < self.min_size):
            self._record("cancelled_small", now)
            return
        counselors = c.counselors
        counselor = counselors.facilitator(now, self.booked_hours, self.on_shift)
        if counselor is None:
            self._record("cancelled_no_counselor", now)
            return
        counselors.book(counselor, now, self.booking)
        attend = c.attendance
        drop_prob = self.drop_prob
        hours = self.hours
        present = 0
        billing = self.billing
        if billing is None:
            for p in expected:
                if attend() < p.attend_prob:  # the patient's own probability (attendance.py)
                    present += 1
                    p.sessions_attended += 1
                    p.group_hours_attended += hours
                else:
                    p.sessions_missed += 1
                    if drop_prob and attend() < drop_prob:
                        c.pathway.drop_out(p)
        else:  # the same walk, also adding up each attendee's group hours of the day (billing.py)
            day = now // 1
            by_hours = billing.days_by_hours
            window_start = billing.start
            for p in expected:
                if attend() < p.attend_prob:
                    present += 1
                    p.sessions_attended += 1
                    p.group_hours_attended += hours
                    if p.attend_day == day:
                        p.day_hours += hours
                    else:  # close the patient's previous day (BillableUnits.close_day, written out)
                        closed = p.day_hours
                        if closed and p.attend_day >= window_start:
                            by_hours[closed] = by_hours.get(closed, 0) + 1
                        p.attend_day = day
                        p.day_hours = hours
                else:
                    p.sessions_missed += 1
                    if drop_prob and attend() < drop_prob:
                        c.pathway.drop_out(p)
        week = c.week
        week.sessions_run += 1
        week.room_hours[self.room] += self.room_hours_per_session
        week.seat_capacity += g.capacity
        week.attendees += present
        week.enrolled += n
        full = len(g.roster) >= g.capacity
        if full:
            week.sessions_full += 1
        if now >= c.warmup_days:  # TimetableSlot._record("run", ...), written out
            self.tally["run"] += 1
            self.room_hours += self.room_hours_per_session
            self.attendees += present
            self.enrolled += n
            if full:
                self.full += 1
        if self.count_for_track is not None:
            self.count_for_track(g.track, g.capacity, present, n)


class IntakeClinic(TimetableSlot):
    """One weekly timetable slot in which a counselor sees intake appointments."""

    def __init__(self, c: Clinic, spec: Session):
        super().__init__(c, spec)
        self.on_shift = c.counselors.covering(spec.day, spec.start_hours, spec.hours, tuple(spec.serves))  # None: anyone

    def meet(self, now: float) -> None:
        c = self.c
        if c.is_closed(now):
            c.intake.clinic_closed(now)
            self._record("closed", now)
            return
        before = c.counselors.week_hours["intake"]
        outcome = c.intake.hold_clinic(self.spec.hours, now, self.on_shift)
        used = c.counselors.week_hours["intake"] - before
        self._record(outcome, now, used)
