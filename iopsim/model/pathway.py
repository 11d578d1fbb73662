"""The patient's way through the program, written as the clinical pathway reads.

    referral -> 1. intake assessment -> 2. eligibility (or detox and back) -> 3. waitlist
    -> 4. phases, each ending in the next phase, a relapse response, dropout or graduation
    -> 5. relapse-prevention aftercare group -> one outcome (`records.Outcome`).

A patient is always in exactly one of these states:
- waiting in a queue (intake, waitlist, a seat in the next phase's group, an aftercare seat):
  the queue was given the next step at `join(p, then=...)` and resumes the patient into it
  (`Scheduler.resume`), or finishes them itself if they give up (at their deadline);
- asleep until the next thing that happens to them (an assessment ending, return from detox,
  a phase or aftercare ending, a relapse, dropout): one pending wake-up (`p.wake`) into the
  step that handles it. Group sessions walk their own rosters (see `sessions.py`), so a patient
  is not woken for every session; a missed session that tips them into leaving interrupts
  their pathway (`drop_out`), cancelling that wake-up;
- finished: their row is in `Records`.

Each step is a callback the scheduler calls when the patient wakes (see `scheduler.py`), not a
SimPy generator process: the wake-ups are the same events, at the same times and in the same
order as a process would yield them, so the results are too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .patient import INF, Patient
from .records import AftercareStatus, Outcome
from .scheduler import Step
from .streams import draws_of

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic
    from .scheduler import Wake

# The outcomes and aftercare statuses the pathway sets, read once: Python 3.11 looks `Outcome.X` up
# through the enum metaclass's slow path (about 60 ns, five times a plain class attribute).
GRADUATED, DROPPED_OUT, TRANSFERRED = Outcome.GRADUATED, Outcome.DROPPED_OUT, Outcome.TRANSFERRED
NON_STARTER, RELAPSE_DISCHARGE, STEPPED_UP = Outcome.NON_STARTER, Outcome.RELAPSE_DISCHARGE, Outcome.STEPPED_UP
DECLINED, ATTENDING, COMPLETED, RELAPSED_RETURNED = (
    AftercareStatus.DECLINED, AftercareStatus.ATTENDING, AftercareStatus.COMPLETED, AftercareStatus.RELAPSED_RETURNED)


class Race:
    """The steps that may end a stretch of a phase or of aftercare, whichever comes first.

    A slotted class rather than a NamedTuple: `_race` reads its fields every stretch, and a slot
    is read faster than a named tuple's field.
    """

    __slots__ = ("relapse_found", "relapse_undetected", "dropout", "completed", "redraw_dropout")

    def __init__(self, relapse_found: Step, relapse_undetected: Step | None, dropout: Step, completed: Step,
                 redraw_dropout: bool):
        self.relapse_found = relapse_found
        self.relapse_undetected = relapse_undetected  # None: every relapse counts at once (aftercare has no tests)
        self.dropout = dropout
        self.completed = completed
        # a phase's dropout clock restarts with every stretch; aftercare's runs from its start
        self.redraw_dropout = redraw_dropout


class Pathway:
    """The steps of one referral, from arrival to its single outcome.

    Steps named `_on_*` run when a scheduled wake-up fires (they get the `Wake`); the others
    run at once, inside whichever step or session got there. `ON_*` are the callback tuples
    handed to the scheduler and the queues, built once.
    """

    def __init__(self, c: Clinic):
        self.c = c
        self.env = c.env
        self.rules = c.rules
        self.scheduler = c.scheduler  # called as self.scheduler.sleep(...): 3.11 specialises that, not a kept bound method
        self.logging = c.logging  # the event log is on (`Clinic.log`)
        self.ON_ASSESSED = (self._on_assessed,)
        self.ON_BACK_FROM_DETOX = (self._on_back_from_detox,)
        self.ON_ADMITTED = (self._on_admitted,)
        self.ON_SEATED = (self._on_seated,)
        self.ON_DROPOUT = (self._on_dropout_after_missed_session,)
        self.ON_AFTERCARE_SEAT = (self._on_aftercare_seat,)
        self.ON_NON_STARTER_DISCHARGED = (self._on_non_starter_discharged,)
        self.IN_PHASE = Race(relapse_found=(self._on_relapse_found,),
                             relapse_undetected=(self._on_relapse_undetected,),
                             dropout=(self._on_phase_dropout,),
                             completed=(self._on_phase_completed,),
                             redraw_dropout=True)
        self.IN_AFTERCARE = Race(relapse_found=(self._on_aftercare_relapse,),
                                 relapse_undetected=None,
                                 dropout=(self._on_aftercare_dropout,),
                                 completed=(self._on_aftercare_completed,),
                                 redraw_dropout=False)
        self.n_phases = len(c.phases)
        self.max_relapses = c.scenario.relapse.max_relapses_before_discharge
        self.beyond_max_relapses = (STEPPED_UP if c.scenario.relapse.after_max_relapses == "step_up"
                                    else RELAPSE_DISCHARGE)
        self.attendance = c.attendance_rules
        self.hazards_follow_pace = self.attendance.hazards_follow_pace
        self.aftercare_enabled = c.scenario.aftercare.enabled
        # Step-down entries (off unless referrals.step_down_share > 0: then drawn per admission).
        ref = c.scenario.referrals
        self.step_down_share = ref.step_down_share
        if self.step_down_share > 0:
            names = c.scenario.phase_names()
            self.step_down_phase = names.index(ref.step_down_phase) if ref.step_down_phase else 1
            self.step_down_draw = draws_of(c.streams.uniforms("step_down"))

    # 1. Intake assessment: wait for an appointment, possibly missing some. ------------------------
    def start(self, p: Patient) -> None:
        self.attendance.start_episode(p)  # propensity and pace (a returning patient keeps theirs), non-starter
        if self.logging:
            self.c.log(p, "referral")
        self.c.intake.join(p, self.ON_ASSESSED)  # then: woken when the assessment is over

    # 2. Eligibility, in the article's terms. ----------------------------------------------------
    def _on_assessed(self, ev: Wake) -> None:
        p = ev.p
        c = self.c
        p.decided = self.env._now
        if c.logging:
            c.log(p, "assessed")
        referred_out = c.eligibility.decide(p)
        if referred_out is not None:
            c.finish(p, referred_out)
            return
        if c.eligibility.needs_detox():
            if c.logging:
                c.log(p, "sent_to_detox")
            if not c.eligibility.returns_from_detox():
                c.finish(p, Outcome.REFERRED_OUT_DETOX)
                return
            self.scheduler.sleep(p, next(c.eligibility.detox_delay_days), self.ON_BACK_FROM_DETOX)
            return
        c.waitlist.join(p, self.ON_ADMITTED)  # 3. below

    def _on_back_from_detox(self, ev: Wake) -> None:
        p = ev.p
        p.detox_returner = 1
        if self.logging:
            self.c.log(p, "returned_from_detox")
        self.c.waitlist.join(p, self.ON_ADMITTED)

    # 3. Waitlist until a phase-1 seat and a primary counselor are free: admission (`Clinic.admit`)
    # enters phase 1 and resumes the patient here. -----------------------------------------------
    def _on_admitted(self, ev: Wake) -> None:
        p = ev.p
        if p.non_starter:  # holds the seat, attends nothing, and is discharged
            self.scheduler.sleep(p, self.attendance.non_starter_discharge_days, self.ON_NON_STARTER_DISCHARGED)
            return
        if self.step_down_share > 0.0 and next(self.step_down_draw) < self.step_down_share:
            # From partial hospitalization or residential: admitted into phase 1, moving at once to the
            # entry phase (waiting in the phase-1 seat if its groups are full); phases between are skipped.
            if self.logging:
                self.c.log(p, "step_down_entry")
            self._move(p, self.step_down_phase)
            return
        self._live_through_phase(p)

    def _on_non_starter_discharged(self, ev: Wake) -> None:
        self._end_treatment(ev.p, NON_STARTER)

    # 4. Treatment phases. -----------------------------------------------------------------------
    def _live_through_phase(self, p: Patient) -> None:
        """Start the phase's clocks (the phase was entered by admission or a move)."""
        rules = self.rules
        i = p.phase_index
        pace = p.pace
        p.clock_end = self.env._now + next(rules.phase_duration_days[i]) * pace
        relapse = rules.relapse_rates[i][p.self_help_per_week]  # computed once per (phase, meetings)
        dropout = rules.dropout_rate_per_day[i]  # dropout and early transfer together
        if self.hazards_follow_pace:  # the patient's course runs slower: the same risks per phase
            relapse /= pace
            dropout /= pace
        p.relapse_rate = relapse
        p.dropout_rate = dropout
        p.phase_attended0 = p.sessions_attended
        p.phase_missed0 = p.sessions_missed
        p.extensions = 0
        self._race(p, self.IN_PHASE)

    def _race(self, p: Patient, race: Race) -> None:
        """Sleep until the stretch ends, the patient drops out, or a relapse happens (or, when
        tests look for it, is found).

        Relapse and dropout are competing risks with constant weekly hazards, so the time to each
        is exponential; a relapse nobody detects is counted and the clocks restart (memoryless).
        """
        now = self.env._now
        rules = self.rules
        if race.redraw_dropout:
            rate = p.dropout_rate
            p.clock_dropout_at = now + next(rules.dropout_clock) / rate if rate > 0.0 else INF
        end, dropout_at = p.clock_end, p.clock_dropout_at
        relapse_at = now + next(rules.relapse_clock) / p.relapse_rate if p.relapse_rate > 0.0 else INF
        first_other = dropout_at if dropout_at < end else end  # min(end, dropout_at) without the call
        if relapse_at < first_other:
            if race.relapse_undetected is None:
                self.scheduler.sleep(p, relapse_at - now, race.relapse_found)
                return
            detected_at = relapse_at + rules.detection_delay_days(p.phase_index)
            if detected_at < first_other:
                self.scheduler.sleep(p, detected_at - now, race.relapse_found)
            else:
                self.scheduler.sleep(p, relapse_at - now, race.relapse_undetected)
        elif dropout_at < end:
            self.scheduler.sleep(p, dropout_at - now, race.dropout)
        else:
            self.scheduler.sleep(p, end - now, race.completed)

    def _on_relapse_undetected(self, ev: Wake) -> None:
        p = ev.p
        p.relapses += 1
        if self.logging:
            self.c.log(p, "relapse_undetected")
        self._race(p, self.IN_PHASE)

    def _on_phase_dropout(self, ev: Wake) -> None:
        p = ev.p
        self._end_treatment(p, TRANSFERRED if self.rules.is_transfer(p.phase_index) else DROPPED_OUT)

    def _on_phase_completed(self, ev: Wake) -> None:
        p = ev.p
        now = self.env._now
        if not self.rules.may_advance(p, now):  # criteria-based advancement: stay on a little longer
            p.extensions += 1
            p.clock_end = now + self.rules.extension_days(p.phase_index)
            if self.logging:
                self.c.log(p, "phase_extended")
            self._race(p, self.IN_PHASE)
            return
        if p.phase_index + 1 == self.n_phases:
            self._end_treatment(p, GRADUATED)
        else:
            self._move(p, p.phase_index + 1)

    def _on_relapse_found(self, ev: Wake) -> None:
        p = ev.p
        p.relapses += 1
        p.relapses_detected += 1
        p.last_relapse_found = self.env._now
        if self.logging:
            self.c.log(p, "relapse_detected")
        if p.relapses_detected > self.max_relapses:
            self._end_treatment(p, self.beyond_max_relapses)
            return
        response = self.rules.relapse_response()
        if response == "discharge":
            self._end_treatment(p, RELAPSE_DISCHARGE)
        elif response == "step_up":
            self._end_treatment(p, STEPPED_UP)
        elif response == "step_back":
            self._move(p, max(0, p.phase_index - 1))
        else:
            self._move(p, p.phase_index)

    def _move(self, p: Patient, phase_index: int) -> None:
        """Into a group serving the next phase, waiting in the old seat if all are full."""
        p.target_phase = phase_index
        if self.c.seats.move(p, phase_index, self.ON_SEATED):
            self._enter_phase(p)

    def _on_seated(self, ev: Wake) -> None:
        self._enter_phase(ev.p)

    def _enter_phase(self, p: Patient) -> None:
        self.c.enter_phase(p, p.target_phase)
        self._live_through_phase(p)

    def drop_out(self, p: Patient) -> None:
        """A missed session tipped the patient into leaving: interrupt their pathway.

        Urgent, like a SimPy interrupt: it comes before anything else due at this instant, even
        the patient's own admission or seat if those were granted a moment ago.
        """
        if p.in_treatment and not p.dropping:
            p.dropping = True
            self.c.scheduler.interrupt(p, self.ON_DROPOUT)

    def _on_dropout_after_missed_session(self, ev: Wake) -> None:
        """Whatever the patient was waiting for is off."""
        p = ev.p
        if not p.in_treatment:  # pragma: no cover - drop_out only marks patients in treatment
            return
        if p.wake is not None:
            p.wake.cancel()
        if self.logging:
            self.c.log(p, "dropout_after_missed_session")
        self._end_treatment(p, NON_STARTER if p.non_starter else DROPPED_OUT)

    def _end_treatment(self, p: Patient, outcome: Outcome) -> None:
        c = self.c
        c.leave_treatment(p, outcome)  # closes the phase first
        if outcome is not GRADUATED:
            c.readmissions.after_treatment(p, outcome)
            c.finish(p, outcome)
            return
        self._offer_aftercare(p)

    # 5. Relapse-prevention aftercare group, for about a year after graduation. -----------------
    def _offer_aftercare(self, p: Patient) -> None:
        c = self.c
        if not self.aftercare_enabled:
            c.finish(p, GRADUATED)
            return
        if not self.rules.takes_up_aftercare():
            p.aftercare_status = DECLINED
            c.finish(p, GRADUATED)
            return
        if c.seats.wait_for_aftercare(p, self.ON_AFTERCARE_SEAT):  # seated at once
            self._attend_aftercare(p)

    def _on_aftercare_seat(self, ev: Wake) -> None:
        """Seated from the aftercare queue (one who gives up is finished by the queue, at their deadline)."""
        self._attend_aftercare(ev.p)

    def _attend_aftercare(self, p: Patient) -> None:
        """Aftercare's dropout clock runs from the start, unlike a phase's."""
        rules = self.rules
        now = self.env._now
        p.aftercare_status = ATTENDING
        if self.logging:
            self.c.log(p, "aftercare_start")
        p.clock_end = now + next(rules.aftercare_duration_days)
        rate = rules.aftercare_dropout_rate
        p.clock_dropout_at = now + next(rules.dropout_clock) / rate if rate > 0.0 else INF
        p.relapse_rate = rules.aftercare_relapse_rate
        self._race(p, self.IN_AFTERCARE)

    def _on_aftercare_relapse(self, ev: Wake) -> None:
        p = ev.p
        p.aftercare_relapses += 1
        if self.logging:
            self.c.log(p, "aftercare_relapse")
        if self.c.readmissions.after_aftercare_relapse(p):  # back to treatment, as a new referral
            p.aftercare_status = RELAPSED_RETURNED
            self._leave_aftercare(p)
            return
        self._race(p, self.IN_AFTERCARE)

    def _on_aftercare_dropout(self, ev: Wake) -> None:
        ev.p.aftercare_status = AftercareStatus.DROPPED_OUT
        self._leave_aftercare(ev.p)

    def _on_aftercare_completed(self, ev: Wake) -> None:
        ev.p.aftercare_status = COMPLETED
        self._leave_aftercare(ev.p)

    def _leave_aftercare(self, p: Patient) -> None:
        c = self.c
        c.seats.leave_aftercare(p)
        if c.logging:
            c.log(p, "aftercare_end")
        c.finish(p, GRADUATED)
