"""Builds one simulated IOP from a Scenario and runs it to a RunResult.

The Clinic owns the SimPy environment and the shared state the pathway needs (queues, seats,
counselors, random streams); `pathway.py` says what happens to a patient, `groups.py` what
happens in a session. Time is in days throughout; day 0 is a Monday, 00:00.

Everything that happens is a callback of a scheduled `Wake`, processed by SimPy's own scheduler
(`env.run`, `env.step`): the timetable slots, referrals and the weekly monitor re-arm themselves,
and a patient sleeps in one pending wake-up at a time. No generator processes: see `pathway.py`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.events import NORMAL, URGENT

from ..scenario.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, day_of_year, month_index
from ..scenario.checks import INTAKE
from ..scenario.schema import Phase, Scenario
from ..scenario.vocabulary import ACTIVITIES
from ..scenario.window import Window
from .admission import Eligibility, Waitlist
from .groups import Group, IntakeClinic, SeatBoard, TherapySession, TimetableSlot
from .intake import IntakeDesk
from .meters import StockMeter
from .pathway import Pathway, Patient
from .records import Outcome, Records
from .staff import CounselorTeam
from .streams import Draw

INF = math.inf
STOCKS = ("intake_queue", "waitlist", "census", "aftercare")
EVENT_NAME = {o: o.name.lower() for o in Outcome}  # event-log name of each outcome
LOGGED_AT_FINISH = frozenset((Outcome.REFERRED_OUT_MILD, Outcome.REFERRED_OUT_HOME, Outcome.REFERRED_OUT_DETOX))
LAST_AT_INSTANT = 2  # event priority after SimPy's URGENT (0) and NORMAL (1)


class Wake:
    """A scheduled call: SimPy's `step()` pops it and calls each of `callbacks` with it.

    The scheduler reads nothing but `callbacks` and `_ok`, so this is the cheapest event it can
    process: no generator to resume and one small object per wake-up. `p` is the patient it is
    for (or a timetable slot's action), `value` what it brings (as `Event.succeed(value)` would).
    """

    __slots__ = ("callbacks", "p", "value")
    _ok = True

    def __init__(self, callbacks: tuple[Callable[[Wake], None], ...], p, value=None):
        self.callbacks = callbacks
        self.p = p
        self.value = value


class WeekTally:
    """What happened in the current week (reset every Monday 00:00)."""

    __slots__ = (
        "sessions_run", "sessions_empty", "sessions_cancelled_small", "sessions_cancelled_no_counselor",
        "sessions_closed", "sessions_full", "intake_appointments",
        "seat_capacity", "attendees", "enrolled", "room_hours",
    )

    def __init__(self) -> None:
        self.sessions_run = self.sessions_empty = self.sessions_cancelled_small = 0
        self.sessions_cancelled_no_counselor = self.sessions_closed = self.sessions_full = 0
        self.intake_appointments = 0
        self.seat_capacity = self.attendees = self.enrolled = 0
        self.room_hours: defaultdict[str, float] = defaultdict(float)


WEEK_COUNTS = tuple(name for name in WeekTally.__slots__ if name != "room_hours")  # series columns


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

    @property
    def warmup_days(self) -> float:
        return self.window.start_days

    @property
    def horizon_days(self) -> float:
        return self.window.end_days


def _weekly_hazard_to_rate_per_day(prob_per_week: float) -> float:
    """A constant hazard giving this probability of the event within a week."""
    if prob_per_week <= 0:
        return 0.0
    return -math.log1p(-min(prob_per_week, 1 - 1e-12)) / DAYS_PER_WEEK


def _weeks_to_days(draw: Draw) -> Draw:
    return lambda: draw() * DAYS_PER_WEEK


class Clinic:
    def __init__(self, scenario: Scenario, seed: int, replication: int = 0, record_events: bool = False,
                 patient_sink=None, keep_patients: bool = True):
        """`patient_sink` receives finished patients' rows in chunks (the KPI tally); with
        `keep_patients=False` the rows are not kept afterwards, so memory stays bounded."""
        from .streams import RandomStreams

        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        self.env = simpy.Environment()
        # Every wake-up is scheduled through this: `Wake` duck-types SimPy's `Event` (its
        # scheduler reads only `callbacks` and `_ok`) and LAST_AT_INSTANT is a plain int
        # priority, neither of which SimPy's annotations (`Event`, `EventPriority`) can say.
        self._schedule: Callable[[Wake, int, float], None] = self.env.schedule  # type: ignore[assignment]
        self.streams = RandomStreams(seed, replication)
        self.phases: list[Phase] = list(scenario.phases)
        self.window = Window.of(scenario)
        self.warmup_days = self.window.start_days
        self.horizon_days = self.window.end_days
        self.closed_days = frozenset(day_of_year(d) for d in scenario.closures.dates)

        self.records = Records(len(scenario.phases), patient_sink, keep_patients)
        self.events: list[tuple[int, float, str, str]] | None = [] if record_events else None
        self.active: dict[int, Patient] = {}
        self.in_treatment: dict[int, Patient] = {}
        self.census_by_phase = [0] * len(self.phases)
        self.week = WeekTally()
        self.meters = {name: StockMeter(self.warmup_days) for name in STOCKS}
        self.census_meter = self.meters["census"]
        self.series: dict[str, list[float]] = defaultdict(list)
        self._columns: list[list[float]] = []  # the series' lists, in `_series_names` order
        self._next_pid = 0
        # What the weekly monitor needs, worked out once.
        cs = scenario.counselors
        self._individual_hours = [ph.individual_sessions_per_week * cs.individual_session_hours for ph in self.phases]
        self._room_names = [room.name for room in scenario.rooms]
        self._other_duties_hours = cs.count * cs.other_duties_hours_per_week
        self._contracted_hours = cs.count * cs.contracted_hours_per_week

        self._draw_streams()
        self.counselors = CounselorTeam(scenario.counselors)
        self.eligibility = Eligibility(self)
        self.intake = IntakeDesk(self)
        self.waitlist = Waitlist(self)
        self.seats = SeatBoard(self)
        self.pathway = Pathway(self)
        self._ON_DROPOUT = self.pathway.ON_DROPOUT
        self._ON_WEEKLY = (self._weekly,)
        # First occurrences in the order SimPy processes would have scheduled them at time 0.
        self._schedule_timetable()
        self._start_referrals()
        self._start_weekly_monitor()
        if 0 < self.warmup_days < self.horizon_days:
            self._schedule(Wake((self._warmup_ends,), None), LAST_AT_INSTANT, self.warmup_days)

    # --- random draws, one stream per purpose ---------------------------------------------------
    def _draw_streams(self) -> None:
        st = self.streams
        s = self.scenario
        self.phase_duration_days = [
            _weeks_to_days(st.sampler(f"phase_duration:{i}", ph.duration_weeks)) for i, ph in enumerate(self.phases)
        ]
        self.self_help_draws = [  # meetings a week a patient keeps up in each phase (None: no draws)
            st.poissons(f"self_help:{i}", ph.self_help_meetings_per_week) if ph.self_help_meetings_per_week else None
            for i, ph in enumerate(self.phases)
        ]
        self._relapse_rates: dict[tuple[int, float], float] = {}
        self.dropout_rate_per_day = [_weekly_hazard_to_rate_per_day(ph.dropout_prob_per_week) for ph in self.phases]
        self.relapse_clock = st.exponentials("relapse_clock")
        self.dropout_clock = st.exponentials("dropout_clock")
        self.detection = st.uniforms("relapse_detection")
        self.policy = st.uniforms("relapse_policy")
        self.attendance = st.uniforms("attendance")
        self.aftercare_uptake = st.uniforms("aftercare_uptake")
        self.aftercare_duration_days = _weeks_to_days(st.sampler("aftercare_duration", s.aftercare.duration_weeks))
        self.aftercare_dropout_rate = _weekly_hazard_to_rate_per_day(s.aftercare.dropout_prob_per_week)
        self.aftercare_relapse_rate = _weekly_hazard_to_rate_per_day(s.aftercare.relapse_prob_per_week)
        self.self_help_multiplier = s.attendance.self_help_relapse_multiplier_per_meeting

    def relapse_rate_per_day(self, phase_index: int, meetings_per_week: float) -> float:
        """Weekly relapse risk, lowered (dose-response) by each self-help meeting a week.

        Meetings are whole numbers, so the few rates a run needs are computed once each.
        """
        key = (phase_index, meetings_per_week)
        rate = self._relapse_rates.get(key)
        if rate is None:
            prob = self.phases[phase_index].relapse_prob_per_week * self.self_help_multiplier**meetings_per_week
            rate = self._relapse_rates[key] = _weekly_hazard_to_rate_per_day(prob)
        return rate

    def detection_delay_days(self, phase: Phase) -> float:
        """Days from a relapse to the first test that catches it (inf if none does).

        Tests of each kind are evenly spaced with a random offset; each test inside the
        kind's detection window detects the use with the kind's sensitivity.
        """
        r = self.scenario.relapse
        first = INF
        for per_week, window, sensitivity in (
            (phase.drug_tests_per_week, r.drug_test_window_days, r.drug_test_sensitivity),
            (phase.breathalyzers_per_week, r.breathalyzer_window_days, r.breathalyzer_sensitivity),
        ):
            if per_week <= 0 or sensitivity <= 0:
                continue
            spacing = DAYS_PER_WEEK / per_week
            t = self.detection() * spacing
            while t <= window and t < first:
                if self.detection() < sensitivity:
                    first = t
                    break
                t += spacing
        return first

    def relapse_response(self) -> str:
        pol = self.scenario.relapse.policy
        u = self.policy()
        if u < pol.repeat_phase:
            return "repeat_phase"
        if u < pol.repeat_phase + pol.step_back:
            return "step_back"
        return "discharge"

    # --- scheduling ---------------------------------------------------------------------------------
    def sleep(self, p: Patient, delay: float, callbacks: tuple) -> None:
        """Wake the patient after `delay` days (what `yield env.timeout(delay)` was)."""
        ev = p.wake = Wake(callbacks, p)
        self._schedule(ev, NORMAL, delay)

    def resume(self, p: Patient, value=None) -> None:
        """Let a patient waiting in a queue go on, now (what `p.event.succeed(value)` was)."""
        assert p.waiting_for is not None  # a queue resumes only a patient waiting in it
        ev = p.wake = Wake(p.waiting_for, p, value)
        self._schedule(ev, NORMAL, 0.0)

    def _every_week(self, offset_days: float, action) -> None:
        """Call `action(now)` at `offset_days` into each week, one re-armed event per slot."""
        ev = Wake(self._ON_WEEKLY, action, offset_days)
        self._schedule(ev, NORMAL, offset_days - self.env.now)

    def _weekly(self, ev: Wake) -> None:
        now = self.env.now
        ev.p(now)
        ev.value += DAYS_PER_WEEK
        ev.callbacks = self._ON_WEEKLY
        self._schedule(ev, NORMAL, ev.value - now)

    # --- referrals ---------------------------------------------------------------------------------
    def _start_referrals(self) -> None:
        """Poisson referrals; seasonality and growth by thinning (Lewis & Shedler 1979)."""
        spec = self.scenario.referrals
        self._base_rate = spec.rate_per_week / DAYS_PER_WEEK
        self._months = spec.monthly_multipliers
        self._growth = 1 + spec.growth_per_year_pct / 100
        years = self.horizon_days / DAYS_PER_YEAR
        self._peak_rate = self._base_rate * (max(self._months) if self._months else 1.0) * max(1.0, self._growth**years)
        if self._peak_rate <= 0:
            return
        if spec.arrival_process == "fixed_interval":
            self._gap = lambda: 1.0  # every 1/rate, no thinning needed
        else:
            self._gap = self.streams.exponentials("referral_gaps")
        self._accept = self.streams.uniforms("referral_thinning")
        # With neither seasonality nor growth every candidate is accepted (u * peak < peak for
        # u < 1), so the thinning draws, used for nothing else, can be skipped.
        self._thinning = bool(self._months) or self._growth != 1.0
        self._candidate_t = 0.0
        self._ON_REFERRAL = (self._referral_arrives,)
        self._schedule_next_referral()

    def _schedule_next_referral(self) -> None:
        base, months, growth, peak = self._base_rate, self._months, self._growth, self._peak_rate
        gap, accept, thinning = self._gap, self._accept, self._thinning
        t = self._candidate_t
        while True:
            t += gap() / peak
            if t >= self.horizon_days:
                return
            if thinning:
                rate = base * (months[month_index(t)] if months else 1.0) * growth ** (t / DAYS_PER_YEAR)
                if accept() * peak >= rate:
                    continue
            self._candidate_t = t
            self._schedule(Wake(self._ON_REFERRAL, None), NORMAL, t - self.env.now)
            return

    def _referral_arrives(self, ev: Wake) -> None:
        p = Patient(self._next_pid, self.env.now)
        self._next_pid += 1
        self.active[p.pid] = p
        self._schedule_next_referral()  # before the patient's first step, as a process would
        self.pathway.start(p)

    # --- the weekly timetable and monitor ----------------------------------------------------------
    def _schedule_timetable(self) -> None:
        groups = {g.name: g for g in self.seats.groups}
        self.slots: list[TimetableSlot] = []
        for spec in self.scenario.timetable:
            session: IntakeClinic | TherapySession
            if INTAKE in spec.serves:
                if self.scenario.intake.mode != "timetable_slots":
                    continue
                session = IntakeClinic(self, spec)
            else:
                session = TherapySession(self, spec, groups[spec.group])
            self.slots.append(session)
            self._every_week(spec.week_offset_days, session.meet)

    def _start_weekly_monitor(self) -> None:
        """Close each week at Monday 00:00: individual sessions, then one row of the time series.

        The snapshot is taken after everything else due at that instant (a lower priority than
        SimPy's own), so a patient leaving and another arriving at 00:00 are both counted.
        """
        self._week_end = DAYS_PER_WEEK
        self._ON_WEEK_END = (self._week_ends,)
        if self._week_end <= self.horizon_days + 1e-9:
            self._schedule(Wake(self._ON_WEEK_END, None), LAST_AT_INSTANT, self._week_end - self.env.now)

    def _week_ends(self, ev: Wake) -> None:
        self._close_week()
        self._week_end += DAYS_PER_WEEK
        if self._week_end <= self.horizon_days + 1e-9:
            ev.callbacks = self._ON_WEEK_END
            self._schedule(ev, LAST_AT_INSTANT, self._week_end - self.env.now)

    def _warmup_ends(self, ev: Wake) -> None:
        """The waitlist's peak includes whoever is waiting when the observation window opens."""
        self.waitlist.purge()
        self.meters["waitlist"].observe_peak(self.env.now)

    def _close_week(self) -> None:
        c = self.counselors
        individual_hours = self._individual_hours
        demand = [0.0] * c.size
        for p in self.in_treatment.values():
            demand[p.counselor] += individual_hours[p.phase_index]
        delivered = c.deliver_individual_sessions(demand)
        w = self.week
        census = self.census_by_phase
        rooms = w.room_hours
        week_hours = c.week_hours
        values = [
            self.env.now, self._next_pid, self.intake.waiting(), self.waitlist.waiting(),
            *census, len(self.in_treatment),
        ]
        self.seats.purge_aftercare_queue()
        values += [
            sum(len(g.roster) for g in self.seats.aftercare_groups), len(self.seats.aftercare_queue),
            sum(rooms.values()), *[rooms.get(name, 0.0) for name in self._room_names],
            *[week_hours[activity] for activity in ACTIVITIES],
            self._other_duties_hours, self._contracted_hours, c.week_overtime, sum(demand), delivered,
            max(c.caseload, default=0), *[getattr(w, name) for name in WEEK_COUNTS],
        ]
        if not self._columns:  # the first week: the series' columns, in this order
            self._columns = [self.series[name] for name in self._series_names()]
        for column, value in zip(self._columns, values, strict=True):
            column.append(value)
        self.week = WeekTally()
        c.start_week()

    def _series_names(self) -> list[str]:
        """Column names of the weekly series, in the order `_close_week` lists their values."""
        return [
            "week_end_days", "referrals_total", "intake_queue", "waitlist",
            *[f"census_{ph.name}" for ph in self.phases], "census",
            "aftercare_census", "aftercare_queue", "room_hours", *[f"room_hours_{name}" for name in self._room_names],
            *[f"counselor_hours_{activity}" for activity in ACTIVITIES],
            "counselor_hours_other_duties", "counselor_hours_contracted", "counselor_overtime_hours",
            "individual_hours_demanded", "individual_hours_delivered", "caseload_max", *WEEK_COUNTS,
        ]

    # --- state changes the pathway asks for ------------------------------------------------------
    def admit(self, p: Patient, group: Group, counselor: int) -> None:
        now = self.env.now
        p.waitlist_out = p.admitted = now
        p.counselor = counselor
        p.in_treatment = True
        self.counselors.take_on(counselor)
        self.seats.sit(p, group)
        self.in_treatment[p.pid] = p
        self.census_meter.enter(now)
        self.log(p, "admitted")
        self.enter_phase(p, 0)
        self.resume(p, True)

    def enter_phase(self, p: Patient, phase_index: int) -> None:
        now = self.env.now
        self.close_phase(p, now)
        p.phase_index = phase_index
        p.phase_started = now
        if phase_index > p.phase_reached:  # first entry: phases are reached in order
            p.phase_reached = phase_index
            p.phase_starts.append(now)
        self.census_by_phase[phase_index] += 1
        meetings = self.self_help_draws[phase_index]
        p.self_help_per_week = meetings() if meetings is not None else 0.0
        self.log(p, "phase_start")

    def close_phase(self, p: Patient, now: float | None = None) -> None:
        """Account the weeks spent in the current phase (tests, meetings) and leave its census."""
        if math.isnan(p.phase_started):
            return
        ph = self.phases[p.phase_index]
        weeks = ((self.env.now if now is None else now) - p.phase_started) / DAYS_PER_WEEK
        p.drug_tests += weeks * ph.drug_tests_per_week
        p.breathalyzers += weeks * ph.breathalyzers_per_week
        p.self_help_meetings += weeks * p.self_help_per_week
        self.census_by_phase[p.phase_index] -= 1
        p.phase_started = math.nan

    def drop_out(self, p: Patient) -> None:
        """A missed session tipped the patient into leaving: interrupt their pathway.

        Urgent, like a SimPy interrupt: it comes before anything else due at this instant, even
        the patient's own admission or seat if those were granted a moment ago.
        """
        if p.in_treatment and not p.dropping:
            p.dropping = True
            self._schedule(Wake(self._ON_DROPOUT, p), URGENT, 0.0)

    def leave_treatment(self, p: Patient, outcome: Outcome) -> None:
        now = self.env.now
        p.outcome = outcome  # graduates keep it through aftercare
        p.treatment_end = now
        p.in_treatment = False
        del self.in_treatment[p.pid]
        self.census_meter.leave(now)
        self.log(p, EVENT_NAME[outcome])
        self.counselors.release(p.counselor)
        self.seats.stand_up(p)
        self.waitlist.admit_while_possible()

    def finish(self, p: Patient, outcome: Outcome, at: float | None = None) -> None:
        p.outcome = outcome
        p.ended = self.env.now if at is None else at
        p.wake = None  # the patient and their last wake-up refer to each other: let both go now
        if outcome in LOGGED_AT_FINISH:
            self.log(p, EVENT_NAME[outcome], at=at)
        self.records.add(p)
        del self.active[p.pid]

    def log(self, p: Patient, event: str, at: float | None = None) -> None:
        if self.events is not None:
            phase = self.phases[p.phase_index].name if p.phase_index >= 0 else ""
            self.events.append((p.pid, self.env.now if at is None else at, event, phase))

    def is_closed(self, t: float) -> bool:
        return bool(self.closed_days) and int(t % DAYS_PER_YEAR) in self.closed_days

    # --- run ---------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        self.env.run(until=self.horizon_days)
        # Patients whose patience ran out before the horizon but whom no one has looked at since
        # left the queues at their deadlines: record them so, not as still waiting.
        self.intake.purge()
        self.waitlist.purge()
        self.seats.purge_aftercare_queue()
        for p in list(self.active.values()):  # still waiting or in care: recorded as in the system
            if p.in_treatment:
                self.close_phase(p)
            self.records.add(p)
        self.active.clear()
        self.records.flush()
        return RunResult(
            scenario=self.scenario,
            seed=self.seed,
            replication=self.replication,
            window=self.window,
            records=self.records.to_numpy(),
            series=dict(self.series),
            events=self.events,
            slots=[slot.summary() for slot in self.slots],
            stats={
                "assessor_busy_hours": self.intake.assessor_busy_hours,
                "peak_caseload": self.counselors.peak_caseload,
                "scheduler_events": self._events_processed(),
                **{f"{name}_time_average": m.mean(self.horizon_days) for name, m in self.meters.items()},
                "waitlist_peak": self.meters["waitlist"].peak,
            },
        )

    def _events_processed(self) -> float:
        return float(next(self.env._eid))  # SimPy numbers every scheduled event; called once, at the end


def simulate(scenario: Scenario, seed: int, replication: int = 0, record_events: bool = False,
             patient_sink=None, keep_patients: bool = True) -> RunResult:
    """Run one replication."""
    return Clinic(scenario, seed, replication, record_events, patient_sink, keep_patients).run()
