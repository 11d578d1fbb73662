"""Builds one simulated IOP from a Scenario and runs it to a RunResult.

The Clinic sets the run up and owns the state every part shares: who is in the system, the
census, the queues, seats, counselors and meters, and the state changes the pathway asks for
(admit, enter and close a phase, leave treatment, finish). The other jobs live beside it:
`scheduler.py` (wake-ups on SimPy's queue), `arrivals.py` (referrals), `pathway.py` and
`rules.py` (what happens to a patient), `groups.py` (seats) and `sessions.py` (the timetable slots), `intake.py` and
`admission.py` (the queues before treatment), `monitor.py` (the weekly series).
Time is in days throughout; day 0 is a Monday, 00:00.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from ..scenario.calendar import day_of_year
from ..scenario.checks import INTAKE
from ..scenario.schema import Phase, Scenario
from ..scenario.vocabulary import DAYS_PER_WEEK, DAYS_PER_YEAR
from ..scenario.window import Window
from .admission import Eligibility, Waitlist
from .arrivals import Referrals
from .attendance import AttendanceRules
from .billing import BillableUnits
from .groups import Group, SeatBoard
from .intake import IntakeDesk
from .meters import StockMeter
from .monitor import WeeklyMonitor
from .pathway import Pathway
from .patient import Patient
from .readmission import Readmissions
from .records import Outcome, Records
from .rules import PathwayRules
from .scheduler import LAST_AT_INSTANT, Scheduler, Wake
from .sessions import IntakeClinic, TherapySession, TimetableSlot
from .staff import CounselorTeam
from .streams import RandomStreams
from .tracks import Tracks

STOCKS = ("intake_queue", "waitlist", "census", "aftercare")
EVENT_NAME = {o: o.name.lower() for o in Outcome}  # event-log name of each outcome
LOGGED_AT_FINISH = frozenset((Outcome.REFERRED_OUT_MILD, Outcome.REFERRED_OUT_HOME, Outcome.REFERRED_OUT_DETOX))


@dataclass
class RunResult:
    """Everything one replication produced, as plain data."""

    scenario: Scenario
    seed: int
    replication: int
    window: Window
    records: dict[str, np.ndarray]
    series: dict[str, list[float]]
    events: list[tuple[int, float, str, str]] | None = None
    stats: dict[str, float] = field(default_factory=dict)
    slots: list[dict] = field(default_factory=list)  # per timetable slot, after the warm-up
    billing: BillableUnits | None = None  # with `finance:` only

    # per resource the model meters (intake, seat pools, caseload): the share of the window at
    # capacity, the mean queue in front of it, its size (see analysis/bottleneck.py)
    capacity: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def warmup_days(self) -> float:
        return self.window.start_days

    @property
    def horizon_days(self) -> float:
        return self.window.end_days


class Clinic:
    # Slots, not an instance dict: with ~40 attributes the dict is not shared between instances, so
    # CPython 3.11's specialised method calls on it (finish, enter_phase, ...) went back to the slow
    # lookup with every replication's new Clinic; a slot's lookup is the same for every instance.
    __slots__ = (
        "scenario", "seed", "replication", "env", "scheduler", "streams", "phases", "window", "warmup_days",
        "horizon_days", "closed_days", "tracks", "records", "events", "logging", "active", "in_treatment",
        "census_by_phase", "tests_per_week", "referrals_total", "meters", "census_meter", "billing", "phase_meters",
        "track_census", "rules", "attendance", "attendance_rules", "readmissions", "counselors", "eligibility",
        "intake", "seats", "waitlist", "pathway", "monitor", "week", "slots", "referrals",
    )

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0, record_events: bool = False,
                 patient_sink=None, keep_patients: bool = True):
        """`patient_sink` receives finished patients' rows in chunks (the KPI tally); with
        `keep_patients=False` the rows are not kept afterwards, so memory stays bounded."""
        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        self.env = simpy.Environment()
        self.scheduler = Scheduler(self.env)
        self.streams = RandomStreams(seed, replication)
        self.phases: list[Phase] = list(scenario.phases)
        self.window = Window.of(scenario)
        self.warmup_days = self.window.start_days
        self.horizon_days = self.window.end_days
        self.closed_days = frozenset(day_of_year(d) for d in scenario.closures.dates)

        self.tracks = Tracks(self)
        extra = (("track",) if self.tracks.declared else ()) + (
            ("prior_episodes",) if scenario.readmission.enabled else ())
        self.records = Records(len(scenario.phases), patient_sink, keep_patients, extra=extra)
        self.events: list[tuple[int, float, str, str]] | None = [] if record_events else None
        # Whether `log` records anything: callers test it first, so a run without the event log
        # (most runs) makes none of its ~8 calls per referral.
        self.logging = record_events
        self.active: dict[int, Patient] = {}
        self.in_treatment: dict[int, Patient] = {}
        self.census_by_phase = [0] * len(self.phases)
        self.tests_per_week = [(ph.drug_tests_per_week, ph.breathalyzers_per_week) for ph in self.phases]
        self.referrals_total = 0
        self.meters = {name: StockMeter(self.warmup_days) for name in STOCKS}
        self.census_meter = self.meters["census"]
        self.billing = BillableUnits(self.warmup_days, len(self.phases)) if scenario.finance is not None else None
        self.phase_meters = self.billing.phase_meters if self.billing is not None else None  # patients per phase

        self.track_census = self.tracks.census  # empty without tracks

        self.rules = PathwayRules(scenario, self.streams)
        self.attendance = self.streams.uniforms("attendance")
        self.attendance_rules = AttendanceRules(scenario, self.streams)
        self.readmissions = Readmissions(self)
        self.counselors = CounselorTeam(scenario.counselors, self.warmup_days, self.streams)
        self.eligibility = Eligibility(self)
        self.intake = IntakeDesk(self)
        self.seats = SeatBoard(self)
        self.waitlist = Waitlist(self)  # after the seats: it looks at the phase-1 groups
        self.pathway = Pathway(self)
        self.monitor = WeeklyMonitor(self)
        self.week = self.monitor.week  # sessions count into it (reset in place every Monday)
        # First occurrences in the order SimPy processes would have scheduled them at time 0.
        self.slots = self._schedule_timetable()
        self.referrals = Referrals(scenario.referrals, self.horizon_days, self.streams, self.scheduler,
                                   self._referral_arrives)
        self.monitor.start()
        if 0 < self.warmup_days < self.horizon_days:
            self.scheduler.after(self.warmup_days, (self._warmup_ends,), priority=LAST_AT_INSTANT)

    def _schedule_timetable(self) -> list[TimetableSlot]:
        groups = {g.name: g for g in self.seats.groups}
        slots: list[TimetableSlot] = []
        for spec in self.scenario.timetable:
            session: IntakeClinic | TherapySession
            if INTAKE in spec.serves:
                if self.scenario.intake.mode != "timetable_slots":
                    continue
                session = IntakeClinic(self, spec)
            else:
                session = TherapySession(self, spec, groups[spec.group])
            slots.append(session)
            self.scheduler.every_week(spec.week_offset_days, session.meet)
        return slots

    def _referral_arrives(self) -> None:
        p = Patient(self.referrals_total, self.env._now)
        self.referrals_total += 1
        if self.tracks.declared:  # else every referral is in the one pooled track (assign draws nothing)
            self.tracks.assign(p)
        self.active[p.pid] = p
        self.pathway.start(p)

    def referral_returns(self, track: int, flexible: bool, propensity: float, prior_episodes: int) -> None:
        """A former patient referred again (readmission.py): same track and propensity, one more episode."""
        p = Patient(self.referrals_total, self.env._now)
        self.referrals_total += 1
        p.track, p.flexible, p.propensity, p.prior_episodes = track, flexible, propensity, prior_episodes
        self.active[p.pid] = p
        self.pathway.start(p)

    def _warmup_ends(self, ev: Wake) -> None:
        """The waitlist's peak includes whoever is waiting when the observation window opens."""
        self.waitlist.purge()
        self.meters["waitlist"].observe_peak(self.env._now)

    # --- state changes the pathway asks for ------------------------------------------------------
    def admit(self, p: Patient, group: Group, counselor: int) -> None:
        now = self.env._now
        p.waitlist_out = p.admitted = now
        p.counselor = counselor
        p.in_treatment = True
        self.counselors.take_on(counselor, now)
        self.seats.sit(p, group)
        self.in_treatment[p.pid] = p
        self.census_meter.enter(now)
        if self.track_census:
            self.track_census[p.track].enter(now)
        if self.logging:
            self.log(p, "admitted")
        self.enter_phase(p, 0)
        self.scheduler.resume(p, True)

    def enter_phase(self, p: Patient, phase_index: int) -> None:
        now = self.env._now
        self.close_phase(p, now)  # moving on, back or repeating it (nothing to close on admission)
        p.phase_index = phase_index
        p.phase_started = now
        if phase_index > p.phase_reached:  # first entry: phases are reached in order
            p.phase_reached = phase_index
            while len(p.phase_starts) < phase_index:  # skipped by a step-down entry: never started
                p.phase_starts.append(math.nan)
            p.phase_starts.append(now)
        self.census_by_phase[phase_index] += 1
        if self.phase_meters is not None:
            self.phase_meters[phase_index].enter(now)
        draw_meetings = self.rules.self_help_draws[phase_index]  # meetings a week kept up in this phase
        p.self_help_per_week = next(draw_meetings) if draw_meetings is not None else 0.0
        if self.logging:
            self.log(p, "phase_start")

    def close_phase(self, p: Patient, now: float | None = None) -> None:
        """Account the weeks spent in the current phase (tests, meetings) and leave its census."""
        started = p.phase_started
        if started != started:  # NaN: not in a phase
            return
        if now is None:
            now = self.env._now
        i = p.phase_index
        drug_tests, breathalyzers = self.tests_per_week[i]
        weeks = (now - started) / DAYS_PER_WEEK
        p.drug_tests += weeks * drug_tests
        p.breathalyzers += weeks * breathalyzers
        p.self_help_meetings += weeks * p.self_help_per_week
        self.census_by_phase[i] -= 1
        if self.phase_meters is not None:
            self.phase_meters[i].leave(now)
        p.phase_started = math.nan

    def leave_treatment(self, p: Patient, outcome: Outcome) -> None:
        """Close the phase, leave the census, the caseload and the seat (offered on at once)."""
        now = self.env._now
        self.close_phase(p, now)
        p.outcome = outcome  # graduates keep it through aftercare
        p.treatment_end = now
        p.in_treatment = False
        del self.in_treatment[p.pid]
        self.census_meter.leave(now)
        if self.billing is not None:
            self.billing.close_day(p)
        if self.track_census:
            self.track_census[p.track].leave(now)
        if self.logging:
            self.log(p, EVENT_NAME[outcome])
        self.counselors.release(p.counselor, now)
        group = p.group
        self.seats.stand_up(p)  # offers the seat: a first-phase group's offer admits from the waitlist
        if group is None or 0 not in group.phases:  # else that offer has just tried, in this same state
            self.waitlist.admit_while_possible()

    def finish(self, p: Patient, outcome: Outcome, at: float | None = None) -> None:
        p.outcome = outcome
        p.ended = self.env._now if at is None else at
        p.wake = None  # the patient and their last wake-up refer to each other: let both go now
        if self.logging and outcome in LOGGED_AT_FINISH:
            self.log(p, EVENT_NAME[outcome], at=at)
        self.records.add(p)
        del self.active[p.pid]

    def log(self, p: Patient, event: str, at: float | None = None) -> None:
        """Append to the event log (`--events`); callers skip the call unless `logging`."""
        if self.events is not None:
            phase = self.phases[p.phase_index].name if p.phase_index >= 0 else ""
            self.events.append((p.pid, self.env._now if at is None else at, event, phase))

    def is_closed(self, t: float) -> bool:
        return bool(self.closed_days) and int(t % DAYS_PER_YEAR) in self.closed_days

    # --- run ---------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        self.scheduler.run_until(self.horizon_days)
        # Patients whose patience ran out before the horizon but whom no one has looked at since
        # left the queues at their deadlines: record them so, not as still waiting.
        self.intake.purge()
        self.waitlist.purge()
        self.seats.purge_aftercare_queue()
        for p in list(self.active.values()):  # still waiting or in care: recorded as in the system
            if p.in_treatment:
                self.close_phase(p)
                if self.billing is not None:
                    self.billing.close_day(p)
            self.records.add(p)
        self.active.clear()
        self.records.flush()
        return RunResult(
            scenario=self.scenario,
            seed=self.seed,
            replication=self.replication,
            window=self.window,
            records=self.records.to_numpy(),
            series=self.monitor.series,  # a new dict of new lists
            events=self.events,
            slots=[slot.summary() for slot in self.slots],
            billing=self.billing,

            capacity=self._capacity_measures(),
            stats={
                "assessor_busy_hours": self.intake.assessor_busy_hours,
                "peak_caseload": self.counselors.peak_caseload,
                "scheduler_events": self.scheduler.events_processed(),
                **{f"{name}_time_average": m.mean(self.horizon_days) for name, m in self.meters.items()},
                "waitlist_peak": int(self.meters["waitlist"].peak),
                **self.tracks.stats(self.horizon_days),
                **self.counselors.availability_stats(),
            },
        )


    def _capacity_measures(self) -> dict[str, dict[str, float]]:
        """What the bottleneck diagnosis needs from the model: exact time shares and queue means."""
        end = self.horizon_days
        waitlist = self.meters["waitlist"].mean(end)
        intake = self.scenario.intake
        if intake.mode == "dedicated_assessors":
            intake_size = float(intake.assessors)
        else:
            intake_size = sum(int(s.hours // intake.appointment_hours + 1e-9)
                              for s in self.scenario.timetable if INTAKE in s.serves)
        out = {"intake": {"at_capacity": self.intake.capacity_meter.share(end),
                          "queue_mean": self.meters["intake_queue"].mean(end), "capacity": intake_size}}
        seats = self.seats
        for pool, meter in zip(seats.pools, seats.pool_meters, strict=True):
            if pool.phase < 0:
                queue = seats.aftercare_queue_meter.mean(end)
            else:
                queue = seats.transfer_meters[pool.track][pool.phase].mean(end)
                if pool.phase == 0:  # the waitlist waits for first-phase seats (of its own track)
                    queue += self.tracks.waitlist[pool.track].mean(end) if self.tracks.declared else waitlist
            out[pool.name] = {"at_capacity": meter.share(end), "queue_mean": queue,
                              "capacity": float(sum(g.capacity for g in pool.groups))}
        team = self.counselors
        out["caseload"] = {"at_capacity": team.caseload_meter.share(end), "queue_mean": waitlist,
                           "capacity": float(team.size * team.spec.max_caseload)}
        return out


def simulate(scenario: Scenario, seed: int, replication: int = 0, record_events: bool = False,
             patient_sink=None, keep_patients: bool = True) -> RunResult:
    """Run one replication."""
    return Clinic(scenario, seed, replication, record_events, patient_sink, keep_patients).run()
