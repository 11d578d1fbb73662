"""The patient: a referral's state while in the system, one slot per fact the pathway keeps.

The pathway (`pathway.py`) moves a patient through the program; the groups, queues, sessions and
counselors read and change the fields they own (noted beside each); `Records` copies the recorded
ones when the patient leaves.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .records import AftercareStatus, Outcome

if TYPE_CHECKING:  # pragma: no cover
    from .groups import Group
    from .scheduler import Step, Wake

NAN = math.nan
INF = math.inf
# Read once: Python 3.11 looks `Outcome.X` up through the enum metaclass's slow path.
IN_SYSTEM = Outcome.IN_SYSTEM
NOT_OFFERED = AftercareStatus.NOT_OFFERED


class Patient:
    """A referral's state while in the system; copied to `Records` when it leaves."""

    __slots__ = (
        "pid", "waiting_for", "wake", "deadline", "in_treatment", "dropping",
        "phase_index", "phase_started", "group", "counselor", "self_help_per_week", "track", "flexible",
        "target_phase", "seat_queue", "clock_end", "clock_dropout_at", "relapse_rate", "dropout_rate", "phase_starts",
        "attend_day", "day_hours",  # the day's attended group hours (billing.py)
        "attend_prob", "propensity", "non_starter",  # attendance (attendance.py)
        "phase_attended0", "phase_missed0", "last_relapse_found", "extensions",  # advancement criteria
        "pace",  # multiplier on the person's planned phase lengths (progression:, attendance.py)
        # recorded
        "referred", "assessment_start", "decided", "waitlist_in", "waitlist_out", "admitted",
        "treatment_end", "aftercare_queue_in", "aftercare_start", "aftercare_end", "ended",
        "drug_tests", "breathalyzers", "self_help_meetings", "group_hours_attended",
        "outcome", "aftercare_status", "relapses", "relapses_detected", "sessions_attended",
        "sessions_missed", "no_shows", "detox_returner", "phase_reached", "aftercare_relapses",
        "prior_episodes",  # recorded only when readmission is on (readmission.py)
    )

    def __init__(self, pid: int, now: float):
        self.pid = pid
        self.waiting_for: Step | None = None  # the step the queue the patient waits in resumes them into
        self.wake: Wake | None = None  # the patient's latest scheduled wake-up (cancelled if they drop out)
        self.deadline = INF  # when the patient stops waiting for the current queue
        self.in_treatment = False
        self.dropping = False
        self.phase_index = -1
        self.phase_started = NAN
        self.group: Group | None = None
        self.counselor = -1
        self.track = 0  # index into the scenario's tracks (0: the one pooled track when none are declared)
        self.flexible = False  # prefers its track but accepts a phase-1 seat in another
        self.self_help_per_week = 0.0
        self.target_phase = -1  # the phase a patient waiting for a seat moves into
        self.seat_queue = -1  # the phase whose seat queue the patient is in (-1: none)
        self.clock_end = self.clock_dropout_at = INF  # the current phase or aftercare: its end, dropout
        self.relapse_rate = self.dropout_rate = 0.0
        self.referred = now
        self.assessment_start = self.decided = self.waitlist_in = self.waitlist_out = NAN
        self.admitted = self.treatment_end = self.aftercare_queue_in = NAN
        self.aftercare_start = self.aftercare_end = self.ended = NAN
        self.drug_tests = self.breathalyzers = self.self_help_meetings = self.group_hours_attended = 0.0
        self.outcome = IN_SYSTEM
        self.aftercare_status = NOT_OFFERED
        self.relapses = self.relapses_detected = 0
        self.sessions_attended = self.sessions_missed = self.no_shows = 0
        self.detox_returner = 0
        self.phase_reached = -1
        self.phase_starts: list[float] = []  # when each phase was first entered
        self.aftercare_relapses = 0
        self.attend_day = -1.0
        self.day_hours = 0.0
        self.attend_prob = 0.0  # this episode's probability of attending a session (0: a non-starter)
        self.propensity = -1.0  # the person's own attendance probability (-1: not drawn yet)
        self.non_starter = False
        self.pace = 1.0
        self.phase_attended0 = self.phase_missed0 = self.extensions = 0
        self.last_relapse_found = NAN
        self.prior_episodes = 0
