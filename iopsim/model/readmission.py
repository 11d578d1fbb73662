"""Readmission: patients who leave can be referred again after a delay, carrying their history.

Addiction is often a chronic, relapsing condition: many people go through several treatment
episodes (TIP 47; Dennis et al. 2005). With `readmission:` probabilities above 0, a patient who
drops out (or never starts), is discharged after relapse, is transferred elsewhere, or relapses
in aftercare comes back as a new referral after `readmission.delay_days`, with the same track and
attendance propensity and one more prior episode (`prior_episodes`). The return feeds demand:
it goes through intake and the waitlist like any referral. With every probability 0 (the default)
nothing is drawn and no column is added, so results are those of a model without readmission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .records import Outcome
from .streams import draws_of

if TYPE_CHECKING:  # pragma: no cover
    from .clinic import Clinic
    from .patient import Patient
    from .scheduler import Wake


class Readmissions:
    def __init__(self, c: Clinic):
        self.c = c
        spec = c.scenario.readmission
        self.enabled = spec.enabled
        self.prob = {
            Outcome.DROPPED_OUT: spec.after_dropout_prob,
            Outcome.NON_STARTER: spec.after_dropout_prob,
            Outcome.RELAPSE_DISCHARGE: spec.after_relapse_discharge_prob,
            Outcome.STEPPED_UP: spec.after_transfer_prob,
            Outcome.TRANSFERRED: spec.after_transfer_prob,
        }
        self.after_aftercare_prob = spec.after_aftercare_relapse_prob
        if self.enabled:
            self.coin = draws_of(c.streams.uniforms("readmission"))  # iterators: see streams.draws_of
            self.delay_days = draws_of(c.streams.sampler("readmission_delay", spec.delay_days))
        self.ON_RETURN = (self._on_return,)

    def after_treatment(self, p: Patient, outcome: Outcome) -> None:
        """A patient leaving treatment early may be referred again later."""
        if self.enabled:
            prob = self.prob.get(outcome, 0.0)
            if prob > 0.0 and next(self.coin) < prob:
                self._schedule_return(p)

    def after_aftercare_relapse(self, p: Patient) -> bool:
        """Whether this relapse in aftercare sends the graduate back to treatment (then they leave aftercare)."""
        prob = self.after_aftercare_prob
        if self.enabled and prob > 0 and next(self.coin) < prob:
            self._schedule_return(p)
            return True
        return False

    def _schedule_return(self, p: Patient) -> None:
        if self.c.logging:
            self.c.log(p, "will_return")
        self.c.scheduler.after(next(self.delay_days), self.ON_RETURN, p=(p.track, p.flexible, p.propensity,
                                                                     p.prior_episodes + 1))

    def _on_return(self, ev: Wake) -> None:
        track, flexible, propensity, prior_episodes = ev.p
        self.c.referral_returns(track, flexible, propensity, prior_episodes)
