"""Builds one simulated IOP from a Scenario and runs it to a RunResult.

The Clinic owns the SimPy environment and the shared state the pathway needs (queues, seats,
counselors, random streams); `pathway.py` says what happens to a patient, `groups.py` what
happens in a session. Time is in days throughout; day 0 is a Monday, 00:00.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import simpy

from ..scenario.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, day_of_year, month_index
from ..scenario.checks import INTAKE
from ..scenario.distributions import BufferedDraws
from ..scenario.schema import Phase, Scenario
from .admission import Eligibility, Waitlist
from .groups import Group, IntakeClinic, SeatBoard, TherapySession, TimetableSlot
from .intake import IntakeDesk
from .meters import StockMeter
from .pathway import Patient, patient_pathway
from .records import Outcome, Records
from .staff import ACTIVITIES, CounselorTeam

INF = math.inf
STOCKS = ("intake_queue", "waitlist", "census", "aftercare")
LAST_AT_INSTANT = 2  # event priority after SimPy's URGENT (0) and NORMAL (1)


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


@dataclass
class RunResult:
    """Everything one replication produced, as plain data."""

    scenario: Scenario
    seed: int
    replication: int
    warmup_days: float
    horizon_days: float
    records: dict[str, np.ndarray]
    series: dict[str, list[float]]
    events: list[tuple[int, float, str, str]] | None = None
    stats: dict[str, float] = field(default_factory=dict)
    slots: list[dict] = field(default_factory=list)  # per timetable slot, after the warm-up


def _weekly_hazard_to_rate_per_day(prob_per_week: float) -> float:
    """A constant hazard giving this probability of the event within a week."""
    if prob_per_week <= 0:
        return 0.0
    return -math.log1p(-min(prob_per_week, 1 - 1e-12)) / DAYS_PER_WEEK


def _weeks_to_days(draw: BufferedDraws):
    return lambda: draw() * DAYS_PER_WEEK


class Clinic:
    def __init__(self, scenario: Scenario, seed: int, replication: int = 0, record_events: bool = False):
        from .streams import RandomStreams

        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        self.env = simpy.Environment()
        self.streams = RandomStreams(seed, replication)
        self.phases: list[Phase] = list(scenario.phases)
        self.horizon_days = scenario.run.horizon_years * DAYS_PER_YEAR
        self.warmup_days = min(scenario.run.warmup_weeks * DAYS_PER_WEEK, self.horizon_days)
        self.closed_days = frozenset(day_of_year(d) for d in scenario.closures.dates)

        self.records = Records()
        self.events: list[tuple[int, float, str, str]] | None = [] if record_events else None
        self.active: dict[int, Patient] = {}
        self.in_treatment: dict[int, Patient] = {}
        self.census_by_phase = [0] * len(self.phases)
        self.week = WeekTally()
        self.meters = {name: StockMeter(self.warmup_days) for name in STOCKS}
        self.series: dict[str, list[float]] = defaultdict(list)
        self._next_pid = 0

        self._draw_streams()
        self.counselors = CounselorTeam(scenario.counselors)
        self.eligibility = Eligibility(self)
        self.intake = IntakeDesk(self)
        self.waitlist = Waitlist(self)
        self.seats = SeatBoard(self)
        self._schedule_timetable()
        self.env.process(self._referrals())
        self.env.process(self._weekly_monitor())

    # --- random draws, one stream per purpose ---------------------------------------------------
    def _draw_streams(self) -> None:
        st = self.streams
        s = self.scenario
        self.phase_duration_days = [
            _weeks_to_days(st.sampler(f"phase_duration:{i}", ph.duration_weeks)) for i, ph in enumerate(self.phases)
        ]
        self.self_help_rngs = [st.generator(f"self_help:{i}") for i in range(len(self.phases))]
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

    def relapse_rate_per_day(self, phase: Phase, meetings_per_week: float) -> float:
        """Weekly relapse risk, lowered (dose-response) by each self-help meeting a week."""
        return _weekly_hazard_to_rate_per_day(phase.relapse_prob_per_week * self.self_help_multiplier**meetings_per_week)

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

    # --- processes ---------------------------------------------------------------------------------
    def _referrals(self):
        """Poisson referrals; seasonality and growth by thinning (Lewis & Shedler 1979)."""
        spec = self.scenario.referrals
        base = spec.rate_per_week / DAYS_PER_WEEK
        months = spec.monthly_multipliers
        growth = 1 + spec.growth_per_year_pct / 100
        years = self.horizon_days / DAYS_PER_YEAR
        peak = base * (max(months) if months else 1.0) * max(1.0, growth**years)
        if peak <= 0:
            return
        if spec.arrival_process == "fixed_interval":
            gap = lambda: 1.0  # noqa: E731 - every 1/rate, no thinning needed
        else:
            gap = self.streams.exponentials("referral_gaps")
        accept = self.streams.uniforms("referral_thinning")
        env = self.env
        t = 0.0
        while True:
            t += gap() / peak
            if t >= self.horizon_days:
                return
            rate = base * (months[month_index(t)] if months else 1.0) * growth ** (t / DAYS_PER_YEAR)
            if accept() * peak < rate:
                yield env.timeout(t - env.now)
                self._admit_referral()

    def _admit_referral(self) -> None:
        p = Patient(self._next_pid, self.env.now)
        self._next_pid += 1
        self.active[p.pid] = p
        p.process = self.env.process(patient_pathway(self, p))

    def _schedule_timetable(self) -> None:
        groups = {g.name: g for g in self.seats.groups}
        self.slots: list[TimetableSlot] = []
        for spec in self.scenario.timetable:
            if INTAKE in spec.serves:
                if self.scenario.intake.mode != "timetable_slots":
                    continue
                session = IntakeClinic(self, spec)
            else:
                session = TherapySession(self, spec, groups[spec.group])
            self.slots.append(session)
            self.env.process(self._weekly(spec.week_offset_days, session.meet))

    def _weekly(self, offset_days: float, action):
        env = self.env
        t = offset_days
        while True:
            yield env.timeout(t - env.now)
            action()
            t += DAYS_PER_WEEK

    def _weekly_monitor(self):
        """Close each week at Monday 00:00: individual sessions, then one row of the time series.

        The snapshot is taken after everything else due at that instant (a lower priority than
        SimPy's own), so a patient leaving and another arriving at 00:00 are both counted.
        """
        env = self.env
        week_end = DAYS_PER_WEEK
        while week_end <= self.horizon_days + 1e-9:
            tick = env.event()
            tick._ok, tick._value = True, None
            env.schedule(tick, LAST_AT_INSTANT, week_end - env.now)
            yield tick
            self._close_week()
            week_end += DAYS_PER_WEEK

    def _close_week(self) -> None:
        c = self.counselors
        hours = self.scenario.counselors.individual_session_hours
        demand = [0.0] * c.size
        for p in self.in_treatment.values():
            demand[p.counselor] += self.phases[p.phase_index].individual_sessions_per_week * hours
        delivered = c.deliver_individual_sessions(demand)
        w = self.week
        row = self.series
        row["week_end_days"].append(self.env.now)
        row["referrals_total"].append(self._next_pid)
        row["intake_queue"].append(self.intake.waiting())
        row["waitlist"].append(self.waitlist.waiting())
        for i, ph in enumerate(self.phases):
            row[f"census_{ph.name}"].append(self.census_by_phase[i])
        row["census"].append(len(self.in_treatment))
        self.seats.purge_aftercare_queue()
        row["aftercare_census"].append(sum(len(g.roster) for g in self.seats.aftercare_groups))
        row["aftercare_queue"].append(len(self.seats.aftercare_queue))
        row["room_hours"].append(sum(w.room_hours.values()))
        for room in self.scenario.rooms:
            row[f"room_hours_{room.name}"].append(w.room_hours.get(room.name, 0.0))
        for activity in ACTIVITIES:
            row[f"counselor_hours_{activity}"].append(c.week_hours[activity])
        row["counselor_hours_other_duties"].append(c.size * self.scenario.counselors.other_duties_hours_per_week)
        row["counselor_hours_contracted"].append(c.size * self.scenario.counselors.contracted_hours_per_week)
        row["counselor_overtime_hours"].append(c.week_overtime)
        row["individual_hours_demanded"].append(sum(demand))
        row["individual_hours_delivered"].append(delivered)
        row["caseload_max"].append(max(c.caseload, default=0))
        for name in WeekTally.__slots__:
            if name != "room_hours":
                row[name].append(getattr(w, name))
        self.week = WeekTally()
        c.start_week()

    # --- state changes the pathway asks for ------------------------------------------------------
    def admit(self, p: Patient, group: Group, counselor: int) -> None:
        now = self.env.now
        p.waitlist_out = p.admitted = now
        p.counselor = counselor
        p.in_treatment = True
        self.counselors.take_on(counselor)
        self.seats.sit(p, group)
        self.in_treatment[p.pid] = p
        self.meters["census"].enter(now)
        self.log(p, "admitted")
        self.enter_phase(p, 0)
        p.event.succeed(True)

    def enter_phase(self, p: Patient, phase_index: int) -> None:
        self.close_phase(p)
        p.phase_index = phase_index
        p.phase_started = self.env.now
        if phase_index > p.phase_reached:
            p.phase_reached = phase_index
        self.census_by_phase[phase_index] += 1
        mean_meetings = self.phases[phase_index].self_help_meetings_per_week
        p.self_help_per_week = float(self.self_help_rngs[phase_index].poisson(mean_meetings)) if mean_meetings else 0.0
        self.log(p, "phase_start")

    def close_phase(self, p: Patient) -> None:
        """Account the weeks spent in the current phase (tests, meetings) and leave its census."""
        if math.isnan(p.phase_started):
            return
        ph = self.phases[p.phase_index]
        weeks = (self.env.now - p.phase_started) / DAYS_PER_WEEK
        p.drug_tests += weeks * ph.drug_tests_per_week
        p.breathalyzers += weeks * ph.breathalyzers_per_week
        p.self_help_meetings += weeks * p.self_help_per_week
        self.census_by_phase[p.phase_index] -= 1
        p.phase_started = math.nan

    def drop_out(self, p: Patient) -> None:
        """A missed session tipped the patient into leaving: interrupt their pathway."""
        if p.in_treatment and not p.dropping:
            p.dropping = True
            p.process.interrupt("missed sessions")

    def leave_treatment(self, p: Patient, outcome: Outcome) -> None:
        p.outcome = outcome  # graduates keep it through aftercare
        p.treatment_end = self.env.now
        p.in_treatment = False
        del self.in_treatment[p.pid]
        self.meters["census"].leave(self.env.now)
        self.log(p, outcome.name.lower())
        self.counselors.release(p.counselor)
        self.seats.stand_up(p)
        self.waitlist.admit_while_possible()

    def finish(self, p: Patient, outcome: Outcome, at: float | None = None) -> None:
        p.outcome = outcome
        p.ended = self.env.now if at is None else at
        if outcome in (Outcome.REFERRED_OUT_MILD, Outcome.REFERRED_OUT_HOME, Outcome.REFERRED_OUT_DETOX):
            self.log(p, outcome.name.lower(), at=at)
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
        for p in list(self.active.values()):  # still waiting or in care: recorded as in the system
            if p.in_treatment:
                self.close_phase(p)
            self.records.add(p)
        self.active.clear()
        return RunResult(
            scenario=self.scenario,
            seed=self.seed,
            replication=self.replication,
            warmup_days=self.warmup_days,
            horizon_days=self.horizon_days,
            records=self.records.to_numpy(),
            series=dict(self.series),
            events=self.events,
            slots=[slot.summary() for slot in self.slots],
            stats={
                "assessor_busy_hours": self.intake.assessor_busy_hours,
                "peak_caseload": self.counselors.peak_caseload,
                "scheduler_events": self._events_processed(),
                **{f"{name}_time_average": m.mean(self.horizon_days) for name, m in self.meters.items()},
            },
        )

    def _events_processed(self) -> float:
        return float(next(self.env._eid))  # SimPy numbers every scheduled event; called once, at the end


def simulate(scenario: Scenario, seed: int, replication: int = 0, record_events: bool = False) -> RunResult:
    """Run one replication."""
    return Clinic(scenario, seed, replication, record_events).run()
