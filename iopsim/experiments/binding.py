"""When sizing finds no candidate that meets the targets, say what still binds in the closest one.

"No candidate in range meets every target" alone sends the planner to the raw files; the
constraint that still binds where the search came closest is what to change next (more intake
clinic time, say, when extra rooms and staff no longer help). The closest candidate is the one
that clearly fails the fewest targets, then the one with the most rooms and counselors (the most
capacity the range offered). Its first replications are run again, with the same seed as the
search (common random numbers: the same patients), for the bottleneck measures the search's
workers do not send back.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..runner import run_replications
from .sizing import INFEASIBLE, UNDECIDED, Candidate, Sizer, SizingResult
from .targets import FAIL

DIAGNOSIS_REPLICATIONS = 5


@dataclass
class StillBinding:
    candidate: Candidate
    bottleneck: dict  # the summary.json block (analysis/bottleneck.py)
    replications: int


def closest_candidate(result: SizingResult) -> Candidate | None:
    """The simulated candidate nearest to meeting the targets (None if none was simulated)."""
    simulated = [c for c in result.candidates if c.status in (INFEASIBLE, UNDECIDED) and c.rows]
    if not simulated:
        return None
    return min(simulated, key=lambda c: (sum(v == FAIL for v in c.verdicts.values()), -c.rooms, -c.counselors))


def still_binding(sizer: Sizer, result: SizingResult, jobs: int = 1,
                  replications: int = DIAGNOSIS_REPLICATIONS) -> StillBinding | None:
    cand = closest_candidate(result)
    if cand is None:
        return None
    scenario = sizer.candidate_scenario(cand.rooms, cand.counselors)
    n = max(1, min(replications, cand.replications))
    run = run_replications(scenario, n, sizer.seed, jobs=jobs, keep_patients=False)
    return StillBinding(cand, run.bottleneck(), run.replications)
