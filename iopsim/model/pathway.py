"""The patient's way through the program, written as the clinical pathway reads.

referral -> intake assessment -> eligibility -> waitlist -> phases (with relapses and
dropout) -> graduation -> relapse-prevention aftercare group.

Each referral is one SimPy process. A patient sleeps until the next thing that happens to
them (phase end, relapse found by a test, dropout) rather than waking every week or for every
group session: group sessions walk their own rosters (see `groups.py`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simpy import Interrupt

from .records import AftercareStatus, Outcome

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic

NAN = math.nan
INF = math.inf


class Patient:
    """A referral's state while in the system; copied to `Records` when it leaves."""

    __slots__ = (
        "pid", "process", "event", "deadline", "in_treatment", "dropping",
        "phase_index", "phase_started", "group", "counselor", "self_help_per_week",
        # recorded
        "referred", "assessment_start", "decided", "waitlist_in", "waitlist_out", "admitted",
        "treatment_end", "aftercare_queue_in", "aftercare_start", "aftercare_end", "ended",
        "drug_tests", "breathalyzers", "self_help_meetings", "group_hours_attended",
        "outcome", "aftercare_status", "relapses", "relapses_detected", "sessions_attended",
        "sessions_missed", "no_shows", "detox_returner", "phase_reached", "aftercare_relapses",
    )

    def __init__(self, pid: int, now: float):
        self.pid = pid
        self.process = None
        self.event = None  # what the patient is waiting for (intake, admission, seat)
        self.deadline = INF  # when the patient stops waiting for the current queue
        self.in_treatment = False
        self.dropping = False
        self.phase_index = -1
        self.phase_started = NAN
        self.group = None
        self.counselor = -1
        self.self_help_per_week = 0.0
        self.referred = now
        self.assessment_start = self.decided = self.waitlist_in = self.waitlist_out = NAN
        self.admitted = self.treatment_end = self.aftercare_queue_in = NAN
        self.aftercare_start = self.aftercare_end = self.ended = NAN
        self.drug_tests = self.breathalyzers = self.self_help_meetings = self.group_hours_attended = 0.0
        self.outcome = Outcome.IN_SYSTEM
        self.aftercare_status = AftercareStatus.NOT_OFFERED
        self.relapses = self.relapses_detected = 0
        self.sessions_attended = self.sessions_missed = self.no_shows = 0
        self.detox_returner = 0
        self.phase_reached = -1
        self.aftercare_relapses = 0


def patient_pathway(c: Clinic, p: Patient):
    """One referral from arrival to its single outcome."""
    env = c.env
    c.log(p, "referral")

    # 1. Intake assessment: wait for an appointment, possibly missing some.
    assessed = yield from c.intake.assess(p)
    if not assessed:
        return

    # 2. Eligibility, in the article's terms.
    c.log(p, "assessed")
    referred_out = c.eligibility.decide(p)
    if referred_out is not None:
        c.finish(p, referred_out)
        return
    if c.eligibility.needs_detox():
        c.log(p, "sent_to_detox")
        if not c.eligibility.returns_from_detox():
            c.finish(p, Outcome.REFERRED_OUT_DETOX)
            return
        yield env.timeout(c.eligibility.detox_delay_days())
        p.detox_returner = 1
        c.log(p, "returned_from_detox")

    # 3. Waitlist until a phase-1 seat and a primary counselor are free.
    admitted = yield from c.waitlist.wait_for_admission(p)
    if not admitted:
        return

    # 4. Treatment phases.
    outcome = yield from treatment(c, p)
    c.leave_treatment(p, outcome)
    if outcome is not Outcome.GRADUATED:
        c.finish(p, outcome)
        return

    # 5. Relapse-prevention aftercare group.
    yield from aftercare(c, p)
    c.finish(p, Outcome.GRADUATED)


def treatment(c: Clinic, p: Patient):
    """Move through the phases (admission started the first); return the outcome that ends treatment."""
    phase_index = p.phase_index
    try:
        while True:
            ending = yield from live_through_phase(c, p)
            if ending == "completed":
                if phase_index + 1 == len(c.phases):
                    return Outcome.GRADUATED
                phase_index += 1
            elif ending == "dropout":
                return Outcome.DROPPED_OUT
            else:  # a relapse found by a test
                c.log(p, "relapse_detected")
                if p.relapses_detected > c.scenario.relapse.max_relapses_before_discharge:
                    return Outcome.RELAPSE_DISCHARGE
                response = c.relapse_response()
                if response == "discharge":
                    return Outcome.RELAPSE_DISCHARGE
                if response == "step_back":
                    phase_index = max(0, phase_index - 1)
            yield from c.seats.move(p, phase_index)
            c.enter_phase(p, phase_index)
    except Interrupt:  # missed sessions made the patient drop out
        c.log(p, "dropout_after_missed_session")
        return Outcome.DROPPED_OUT
    finally:
        c.close_phase(p)


def live_through_phase(c: Clinic, p: Patient):
    """Sleep until the phase ends, the patient drops out, or a test finds a relapse.

    Relapse and dropout are competing risks with constant weekly hazards, so the time to each
    is exponential; a relapse nobody detects is counted and the clocks restart (memoryless).
    """
    env = c.env
    phase = c.phases[p.phase_index]
    end = env.now + c.phase_duration_days[p.phase_index]()
    relapse_rate = c.relapse_rate_per_day(phase, p.self_help_per_week)
    dropout_rate = c.dropout_rate_per_day[p.phase_index]
    while True:
        now = env.now
        relapse_at = now + c.relapse_clock() / relapse_rate if relapse_rate > 0 else INF
        dropout_at = now + c.dropout_clock() / dropout_rate if dropout_rate > 0 else INF
        first_other = min(end, dropout_at)
        if relapse_at < first_other:
            detected_at = relapse_at + c.detection_delay_days(phase)
            if detected_at < first_other:
                yield env.timeout(detected_at - now)
                p.relapses += 1
                p.relapses_detected += 1
                return "relapse"
            yield env.timeout(relapse_at - now)
            p.relapses += 1
            c.log(p, "relapse_undetected")
            continue
        if dropout_at < end:
            yield env.timeout(dropout_at - now)
            return "dropout"
        yield env.timeout(end - now)
        return "completed"


def aftercare(c: Clinic, p: Patient):
    """Weekly relapse-prevention group for about a year after graduation."""
    env = c.env
    spec = c.scenario.aftercare
    if not spec.enabled:
        return
    if c.aftercare_uptake() >= spec.uptake_prob:
        p.aftercare_status = AftercareStatus.DECLINED
        return
    seated = yield from c.seats.wait_for_aftercare(p)
    if not seated:
        return
    p.aftercare_status = AftercareStatus.ATTENDING
    c.log(p, "aftercare_start")
    end = env.now + c.aftercare_duration_days()
    dropout_at = env.now + c.dropout_clock() / c.aftercare_dropout_rate if c.aftercare_dropout_rate > 0 else INF
    relapse_rate = c.aftercare_relapse_rate
    while True:
        now = env.now
        relapse_at = now + c.relapse_clock() / relapse_rate if relapse_rate > 0 else INF
        if relapse_at < min(end, dropout_at):
            yield env.timeout(relapse_at - now)
            p.aftercare_relapses += 1
            c.log(p, "aftercare_relapse")
            continue
        break
    if dropout_at < end:
        yield env.timeout(dropout_at - env.now)
        p.aftercare_status = AftercareStatus.DROPPED_OUT
    else:
        yield env.timeout(end - env.now)
        p.aftercare_status = AftercareStatus.COMPLETED
    c.seats.leave_aftercare(p)
    c.log(p, "aftercare_end")
