"""The clinical rules the pathway applies, with the random draws each one needs.

How long a phase lasts, how often patients relapse (lowered by self-help meetings) and drop out,
how soon a drug test or breathalyzer finds a relapse, what the program does then, and who takes
up aftercare. Weekly probabilities become constant hazards, so the time to each event is
exponential. Each purpose draws from its own stream (see `streams.py`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..scenario.schema import Scenario
from ..scenario.vocabulary import DAYS_PER_WEEK
from .streams import RandomStreams, draws_of

INF = math.inf


class RelapseRates(dict):
    """One phase's relapse rate per day by self-help meetings a week, each computed on first use:
    weekly risk lowered (dose-response) by each meeting. Meetings are whole numbers, so a run needs
    a few; a lookup (`rates[meetings]`) is a plain dict read."""

    def __init__(self, relapse_prob_per_week: float, multiplier_per_meeting: float):
        super().__init__()
        self.relapse_prob_per_week = relapse_prob_per_week
        self.multiplier_per_meeting = multiplier_per_meeting

    def __missing__(self, meetings_per_week: float) -> float:
        prob = self.relapse_prob_per_week * self.multiplier_per_meeting**meetings_per_week
        rate = self[meetings_per_week] = weekly_hazard_to_rate_per_day(prob)
        return rate


class Advancement(NamedTuple):
    """A phase's advancement criteria in the units the pathway compares (read once, not from the
    schema at every phase end)."""

    max_extensions: int
    min_attendance_pct: float
    clean_days: float  # days since admission or the last detected relapse
    extension_days: float


def weekly_hazard_to_rate_per_day(prob_per_week: float) -> float:
    """A constant hazard giving this probability of the event within a week."""
    if prob_per_week <= 0:
        return 0.0
    return -math.log1p(-min(prob_per_week, 1 - 1e-12)) / DAYS_PER_WEEK


class PathwayRules:
    def __init__(self, scenario: Scenario, streams: RandomStreams):
        self.scenario = scenario
        self.phases = list(scenario.phases)
        st = streams
        # The draws made per phase or stretch are iterators (`next(...)`: see streams.draws_of).
        self.phase_duration_days = [
            draws_of(st.sampler(f"phase_duration:{i}", ph.duration_weeks, scale=DAYS_PER_WEEK))
            for i, ph in enumerate(self.phases)
        ]
        self.self_help_draws = [  # meetings a week a patient entering each phase keeps up (None: no draws: 0)
            draws_of(st.poissons(f"self_help:{i}", ph.self_help_meetings_per_week))
            if ph.self_help_meetings_per_week else None
            for i, ph in enumerate(self.phases)
        ]
        # Dropout and early transfer are competing risks: one clock at their summed hazard, and a coin
        # (drawn only when the phase has transfers) says which it was; without transfers nothing changes.
        dropout = [weekly_hazard_to_rate_per_day(ph.dropout_prob_per_week) for ph in self.phases]
        transfer = [weekly_hazard_to_rate_per_day(ph.transfer_prob_per_week) for ph in self.phases]
        self.dropout_rate_per_day = [d + t for d, t in zip(dropout, transfer, strict=True)]
        self.transfer_share = [t / (d + t) if t > 0 else 0.0 for d, t in zip(dropout, transfer, strict=True)]
        self.transfer_coin = draws_of(st.uniforms("transfer_or_dropout"))
        self.relapse_clock = draws_of(st.exponentials("relapse_clock"))
        self.dropout_clock = draws_of(st.exponentials("dropout_clock"))
        self.detection = draws_of(st.uniforms("relapse_detection"))
        self.policy = draws_of(st.uniforms("relapse_policy"))
        aftercare = scenario.aftercare
        self.aftercare_uptake = draws_of(st.uniforms("aftercare_uptake"))
        self.aftercare_duration_days = draws_of(
            st.sampler("aftercare_duration", aftercare.duration_weeks, scale=DAYS_PER_WEEK))
        self.aftercare_dropout_rate = weekly_hazard_to_rate_per_day(aftercare.dropout_prob_per_week)
        self.aftercare_relapse_rate = weekly_hazard_to_rate_per_day(aftercare.relapse_prob_per_week)
        self.self_help_multiplier = scenario.attendance.self_help_relapse_multiplier_per_meeting
        self.relapse_rates = [RelapseRates(ph.relapse_prob_per_week, self.self_help_multiplier) for ph in self.phases]
        # Per-scenario constants the per-patient rules read, copied out of the schema once.
        r = scenario.relapse
        self._tests = [  # per phase: (days between tests, detection window, sensitivity) of each kind tested
            tuple((DAYS_PER_WEEK / per_week, window, sensitivity) for per_week, window, sensitivity in (
                (ph.drug_tests_per_week, r.drug_test_window_days, r.drug_test_sensitivity),
                (ph.breathalyzers_per_week, r.breathalyzer_window_days, r.breathalyzer_sensitivity),
            ) if per_week > 0 and sensitivity > 0)
            for ph in self.phases
        ]
        pol = r.policy  # cumulative thresholds of the policy's shares, in the order they are tested
        self._policy = (pol.repeat_phase, pol.repeat_phase + pol.step_back,
                        pol.repeat_phase + pol.step_back + pol.discharge, pol.step_up)
        self._advancement = [
            None if (adv := ph.advancement) is None else
            Advancement(adv.max_extensions, adv.min_attendance_pct, adv.negative_test_weeks * DAYS_PER_WEEK,
                        adv.extension_weeks * DAYS_PER_WEEK)
            for ph in self.phases
        ]
        self._uptake_prob = aftercare.uptake_prob

    def relapse_rate_per_day(self, phase_index: int, meetings_per_week: float) -> float:
        """Weekly relapse risk, lowered (dose-response) by each self-help meeting a week (`relapse_rates`)."""
        return self.relapse_rates[phase_index][meetings_per_week]

    def detection_delay_days(self, phase_index: int) -> float:
        """Days from a relapse to the first test that catches it (inf if none does).

        Tests of each kind are evenly spaced with a random offset; each test inside the
        kind's detection window detects the use with the kind's sensitivity.
        """
        first = INF
        detection = self.detection
        for spacing, window, sensitivity in self._tests[phase_index]:
            t = next(detection) * spacing
            while t <= window and t < first:
                if next(detection) < sensitivity:
                    first = t
                    break
                t += spacing
        return first

    def relapse_response(self) -> str:
        """What the program does about a detected relapse: repeat_phase, step_back, discharge or step_up."""
        u = next(self.policy)
        repeat, back, discharge, step_up = self._policy
        if u < repeat:
            return "repeat_phase"
        if u < back:
            return "step_back"
        if step_up <= 0.0 or u < discharge:
            return "discharge"
        return "step_up"

    def is_transfer(self, phase_index: int) -> bool:
        """Whether a patient leaving the phase early is transferred (else they dropped out)."""
        share = self.transfer_share[phase_index]
        return share > 0.0 and next(self.transfer_coin) < share

    def may_advance(self, p, now: float) -> bool:
        """Whether a patient at the planned end of their phase meets its advancement criteria (always
        without `advancement`, or once its extensions are used up)."""
        adv = self._advancement[p.phase_index]
        if adv is None:
            return True
        max_extensions, min_attendance_pct, clean_days, _ = adv
        if p.extensions >= max_extensions:
            return True
        attended = p.sessions_attended - p.phase_attended0
        offered = attended + p.sessions_missed - p.phase_missed0
        if offered and 100.0 * attended < min_attendance_pct * offered:
            return False
        clean_since = p.admitted if math.isnan(p.last_relapse_found) else p.last_relapse_found
        return now - clean_since >= clean_days

    def extension_days(self, phase_index: int) -> float:
        adv = self._advancement[phase_index]
        return adv.extension_days if adv is not None else 0.0

    def takes_up_aftercare(self) -> bool:
        return next(self.aftercare_uptake) < self._uptake_prob
