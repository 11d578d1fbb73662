"""Sizing that holds under uncertainty: P(meets every target) across draws of contestable assumptions.

The nominal search (`sizing.Sizer`) finds the cheapest rooms and counselors meeting the targets
with the assumptions as written. Worse assumptions need more of either, never less, so the
candidates are that answer and up to EXTRA_ROOMS more rooms x EXTRA_COUNSELORS more counselors.
For each room count a binary search over the counselors finds the fewest meeting the targets with
the probability asked for (assuming, as the nominal search does, that more counselors never lower
it), skipping counts that cannot beat the cheapest found; each candidate it tries is evaluated at
every draw of the uncertainty file. Common random numbers: draw d runs replications d*R .. d*R+R-1
of the same seed for every candidate, with the same drawn values.

At a draw a candidate meets the targets when the mean of its R replications clears every target
(a point estimate: with few replications the simulation's own noise adds to the spread of the
draws, which errs toward caution only on average). Its probability of meeting the targets is the
share of draws at which it does, reported with a Wilson 95% interval over the D draws. The
recommendation is the cheapest candidate whose probability is at least the one asked for.

Which assumption matters most: for the candidate whose success varies most across the draws (P
nearest 1/2: there the assumptions decide), each assumption's Spearman rank correlation with the
worst target margin across the draws, and the candidate's probability of meeting the targets in
the lower and upper half of the assumption's draws. The largest |correlation| names the
assumption the answer is most sensitive to.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..execution import Executor, TaskResult
from ..scenario.schema import Scenario
from .executors import make_tasks
from .sizing import SizingResult
from .targets import Target
from .uncertainty import Uncertainty, with_draw

DEFAULT_PROBABILITY = 0.8
EXTRA_COUNSELORS = 8
EXTRA_ROOMS = 2
"""Counselors and rooms beyond the nominal recommendation that are also candidates."""
Z95 = 1.959963984540054


@dataclass
class RobustCandidate:
    rooms: int
    counselors: int
    cost: float
    kpis: list[dict[str, float]] = field(default_factory=list)  # per draw: KPI means over its replications
    meets: list[bool] = field(default_factory=list)  # per draw
    error: str = ""

    @property
    def probability(self) -> float:
        return float(np.mean(self.meets)) if self.meets else math.nan

    @property
    def probability_ci95(self) -> tuple[float, float]:
        return wilson(sum(self.meets), len(self.meets))


@dataclass
class Sensitivity:
    path: str
    spearman: float  # rank correlation of the assumption with the worst target margin
    probability_low_half: float  # P(meets) at the draws in the lower half of its values
    probability_high_half: float


@dataclass
class RobustResult:
    candidates: list[RobustCandidate]  # cheapest first
    draws: list[dict[str, Any]]
    probability: float  # asked for
    best: RobustCandidate | None
    sensitivity: list[Sensitivity]  # most sensitive first
    about: RobustCandidate | None  # the candidate the sensitivity describes
    simulations: int = 0


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion (sensible at 0 and n, unlike the normal one)."""
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def promising(nominal: SizingResult, room_counts: Sequence[int], counselor_counts: Sequence[int]
              ) -> dict[int, list[int]]:
    """Per room count, the counselor counts to consider: from the nominal recommendation (r, n), rooms
    r to r+EXTRA_ROOMS and counselors n to n+EXTRA_COUNSELORS, within the counts searched (worse
    assumptions need more, never less, than the nominal answer)."""
    best = nominal.best
    if best is None:
        return {}
    rooms = [r for r in sorted(room_counts) if r >= best.rooms][: EXTRA_ROOMS + 1]
    counts = [n for n in sorted(counselor_counts) if n >= best.counselors][: EXTRA_COUNSELORS + 1]
    return {r: counts for r in rooms}


def search(pool: dict[int, list[int]], cost: Callable[[int, int], float], how_many: int, probability: float,
           run: Callable[[Sequence[tuple[int, int, float]]], RobustResult]) -> RobustResult:
    """For each room count, a binary search of the counselor counts for the fewest meeting the targets
    with `probability` (more counselors are assumed never to lower it, as in the nominal search);
    counts that cannot beat the cheapest found so far are skipped. At most `how_many` candidates."""
    done = RobustResult([], [], probability, None, [], None)
    best: RobustCandidate | None = None
    for rooms in sorted(pool):
        counts = [n for n in pool[rooms] if best is None or cost(rooms, n) < best.cost]
        lo, hi = 0, len(counts) - 1
        while lo <= hi and len(done.candidates) < how_many:
            mid = (lo + hi) // 2
            got = run([(rooms, counts[mid], cost(rooms, counts[mid]))])
            done.draws = got.draws
            done.candidates += got.candidates
            done.simulations += got.simulations
            cand = got.candidates[0]
            if not cand.error and cand.meets and cand.probability >= probability - 1e-12:
                best = cand if best is None or cand.cost < best.cost else best
                hi = mid - 1
            else:
                lo = mid + 1
    done.candidates.sort(key=lambda c: (c.cost, c.rooms, c.counselors))
    return done


def evaluate(candidates: Sequence[tuple[int, int, float]], scenario_of: Callable[[int, int], Scenario],
             uncertainty: Uncertainty, draws: list[dict[str, Any]], targets: Sequence[Target], executor: Executor,
             seed: int, on_progress: Callable[[int, str], None] | None = None) -> RobustResult:
    """Run every (rooms, counselors, cost) candidate at every draw; the probability asked for is set later."""
    reps = uncertainty.replications_per_draw
    out = [RobustCandidate(r, n, cost) for r, n, cost in candidates]
    points = []
    for cand in out:
        try:
            base = scenario_of(cand.rooms, cand.counselors)
            for d, draw in enumerate(draws):
                points.append((f"{cand.rooms}/{cand.counselors}/{d}", with_draw(base, draw), range(d * reps, (d + 1) * reps)))
        except ValueError as err:
            cand.error = str(err)
    rows: dict[str, dict[int, dict[str, float]]] = {}
    errors: dict[str, str] = {}

    def on_result(res: TaskResult) -> None:
        if res.outputs is None:
            errors[res.key] = res.error or "failed"
        else:
            rows.setdefault(res.key, {}).update(zip(res.replications, res.outputs, strict=True))
        if on_progress:
            rooms, counselors, d = res.key.split("/")
            on_progress(len(res.replications), f"{rooms} rooms, {counselors} counselors, draw {int(d) + 1}")

    if points:
        executor.run(make_tasks(points, seed, executor.workers), on_result)
    for cand in out:
        if cand.error:
            continue
        for d in range(len(draws)):
            key = f"{cand.rooms}/{cand.counselors}/{d}"
            if key in errors:
                cand.error = f"draw {d + 1}: {errors[key]}"
                break
            got = [rows[key][r] for r in range(d * reps, (d + 1) * reps)]
            means = {k: float(np.mean([g[k] for g in got])) for k in got[0]}
            cand.kpis.append(means)
            cand.meets.append(all(meets(t, means[t.kpi]) for t in targets))
        if cand.kpis and "total_cost_per_year" in cand.kpis[0]:  # money: the mean cost across the draws
            cand.cost = float(np.mean([k["total_cost_per_year"] for k in cand.kpis]))
    out.sort(key=lambda c: (c.cost, c.rooms, c.counselors))
    return RobustResult(out, draws, math.nan, None, [], None, simulations=sum(len(p[2]) for p in points))


def meets(target: Target, value: float) -> bool:
    if math.isnan(value):
        return False
    return value >= target.threshold if target.at_least else value <= target.threshold


def margin(target: Target, value: float) -> float:
    """How far a value clears the target, relative to the threshold (negative: missed)."""
    scale = max(abs(target.threshold), 1.0)
    if math.isnan(value):
        return -math.inf
    return (value - target.threshold) / scale if target.at_least else (target.threshold - value) / scale


def recommend(result: RobustResult, probability: float, targets: Sequence[Target], uncertainty: Uncertainty
              ) -> RobustResult:
    """The cheapest candidate meeting the targets with at least `probability`, and what it hinges on."""
    result.probability = probability
    valid = [c for c in result.candidates if not c.error and c.meets]
    result.best = next((c for c in valid if c.probability >= probability - 1e-12), None)
    # The candidate whose meeting the targets varies most across the draws (P nearest 1/2, the cheaper
    # on ties): there the assumptions decide the answer, so there their influence shows best.
    result.about = min(valid, key=lambda c: (abs(c.probability - 0.5), c.cost), default=None)
    if result.about is not None:
        result.sensitivity = sensitivity(result.about, result.draws, uncertainty, targets)
    return result


def sensitivity(cand: RobustCandidate, draws: list[dict[str, Any]], uncertainty: Uncertainty,
                targets: Sequence[Target]) -> list[Sensitivity]:
    from scipy.stats import spearmanr

    worst = np.array([min(margin(t, k[t.kpi]) for t in targets) for k in cand.kpis])
    worst = np.where(np.isfinite(worst), worst, np.nanmin(worst[np.isfinite(worst)], initial=0.0) - 1.0)
    met = np.array(cand.meets, dtype=float)
    out = []
    for a in uncertainty.assumptions:
        x = np.array([a.ordinal(d[a.path]) for d in draws])
        rho = math.nan
        if np.ptp(x) > 0 and np.ptp(worst) > 0:
            rho = float(spearmanr(x, worst).statistic)
        order = np.argsort(x, kind="stable")
        half = len(order) // 2
        low, high = order[:half], order[len(order) - half:]
        out.append(Sensitivity(a.path, rho, float(met[low].mean()) if half else math.nan,
                               float(met[high].mean()) if half else math.nan))
    return sorted(out, key=lambda s: -abs(s.spearman) if not math.isnan(s.spearman) else 0.0)
