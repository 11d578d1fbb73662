"""When does the program stop meeting its targets, and what to add then: the lever search over rising referrals.

For each referral rate in ascending order the current program is evaluated as it stands; the first
rate at which it misses a target gets the greedy lever search (see `lever_search`) with the program
as it stands as the floor of every lever: units are added where something binds and the ones not
needed dropped again, but nothing the clinic already runs is taken away (the question is what to add). The grown program is carried to the next rate, so the answer reads as a plan:
"at 10/week add an intake clinic day; at 14/week a counselor and an evening phase-1 group". The
search stops at the first rate for which no lever in range meets the targets, saying what binds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from .lever_search import LeverSizer, binding_report
from .levers import apply_levers, find_levers
from .sizing import FEASIBLE
from .targets import Target

MEETS, GROWN, STUCK = "meets the targets", "add", "no lever in range meets the targets"


@dataclass
class GrowthStep:
    rate: float
    status: str  # MEETS, GROWN or STUCK
    change: str = ""  # the levers added at this rate, in words
    simulations: int = 0
    binding: list[str] = field(default_factory=list)  # what binds in the program as it stood at this rate
    notes: list[str] = field(default_factory=list)  # with STUCK: what still binds and which lever ran out


def grow(data: dict, rates: Sequence[float], targets: Sequence[Target], seed: int, jobs: int = 1,
         cost_room: float = 1.0, cost_counselor: float = 1.0, min_replications: int = 5,
         max_replications: int = 40, on_progress: Callable[[int, str], None] | None = None
         ) -> tuple[list[GrowthStep], dict]:
    """The steps, one per rate up to the first that nothing fixes, and the grown program's data."""
    current = copy.deepcopy(data)
    steps: list[GrowthStep] = []
    for rate in sorted(rates):
        current["referrals"]["rate_per_week"] = rate
        # the program as it stands is the floor: units added here may be dropped again, the clinic's are kept
        levers = [replace(lv, low=lv.base) for lv in find_levers(current)]
        sizer = LeverSizer(current, levers, targets, seed, jobs, cost_room, cost_counselor, min_replications,
                           max_replications, on_progress=on_progress)
        result = sizer.solve()
        first = result.candidates[0]
        if first.status == FEASIBLE:
            steps.append(GrowthStep(rate, MEETS, simulations=result.simulations, binding=first.binding))
            continue
        if result.best is None:
            steps.append(GrowthStep(rate, STUCK, simulations=result.simulations, binding=first.binding,
                                    notes=binding_report(result)))
            break
        steps.append(GrowthStep(rate, GROWN, result.best.change, result.simulations, first.binding))
        current = apply_levers(current, levers, result.best.values)
    return steps, current


def growth_lines(steps: Sequence[GrowthStep]) -> list[str]:
    """One plain line per rate."""
    lines = []
    for s in steps:
        rate = f"At {s.rate:g} referrals/week"
        if s.status == MEETS:
            lines.append(f"{rate}: the program meets the targets.")
        elif s.status == GROWN:
            lines.append(f"{rate}: it stops meeting them (binding: {', '.join(s.binding) or 'none'}); add {s.change}.")
        else:
            lines.append(f"{rate}: {STUCK}. " + " ".join(s.notes))
    return lines
