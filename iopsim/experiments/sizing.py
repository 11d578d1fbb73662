"""Staffing and room sizing: the cheapest (group rooms, counselors) whose KPIs meet every target.

A candidate meets a target when its 95% confidence bound clears it (see `targets`). Rooms scale
by the rule in `rooms` (whole copied tracks of groups); counselors are `counselors.count`. Every
candidate runs replications 0, 1, ... of the same seed (common random numbers), so candidates are
compared on the same referrals and coin flips, and their differences come from capacity alone.

Two things keep the number of simulations far below brute force:

- Monotonicity in counselors. For a fixed room count, more counselors never make waits worse, so
  "meets every target" switches from no to yes once as counselors grow. A binary search finds the
  switch: a candidate that meets the targets rules out every larger count (they cost more); one
  that does not rules out every smaller count (no better). The search starts at the largest count
  worth paying for, so a room count that caps the KPIs whatever the staff is dismissed after one
  candidate. A count still undecided at the replication cap is treated as not meeting them: the
  evidence is not there to recommend it, and smaller counts can only be worse. Counts whose cost
  cannot beat the best found so far are never simulated. Rooms get no such assumption (more groups also need more counselors to run them), so
  every room count in range is searched. Targets must be on KPIs that improve with staff (waits,
  waitlist, share admitted quickly); evaluated candidates that contradict this are reported.
- Sequential replications. Each candidate starts with a few replications and doubles them, up to
  a cap, only while a target's confidence interval still straddles its threshold, so only the
  candidates near the boundary get many.

The error rate is per decision, not a formal ranking-and-selection guarantee over the whole search.

Money: with `finance:` in the scenario the cost is money, not counts. Objective "cost" ranks
candidates by the mean `total_cost_per_year`; the costs known before simulating (staff, monthly
room costs, other fixed costs: `fixed_cost_per_year`) are a lower bound of it, so pruning stays
safe. Objective "net" ranks by the mean `net_per_year`, highest first; revenue may grow with staff,
so every count from the fewest that meets the targets upwards is evaluated (no pruning by cost).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..analysis.finance import fixed_cost_per_year
from ..analysis.stats import Estimate, mean_ci
from ..execution import Executor, TaskResult
from ..scenario.checks import check_scenario
from ..scenario.schema import Scenario
from .executors import make_tasks
from .rooms import RoomScalingError, with_group_rooms
from .targets import FAIL, PASS, UNSURE, Target

FEASIBLE, INFEASIBLE, UNDECIDED, INVALID, ERROR = "meets targets", "fails a target", "undecided", "invalid", "error"
OBJECTIVES = ("cost", "net")  # with finance: least total cost per year, or most net per year
OBJECTIVE_KPI = {"cost": "total_cost_per_year", "net": "net_per_year"}
SIZING_KPIS = ("admitted_within_14_days_pct", "wait_to_admission_days_mean", "waitlist_mean", "census_mean",
               "counselor_utilization_pct", "room_utilization_pct", "group_fill_pct", "sessions_cancelled_pct")
"""KPIs shown for the recommended configuration besides the targets' own."""
SIZING_MONEY_KPIS = ("total_cost_per_year", "revenue_per_year", "net_per_year", "cost_per_admission",
                     "break_even_census")
"""And these too when the scenario has a finance: section."""
ROOMS_INVALID = "the timetable does not scale to this many rooms: "


@dataclass
class Candidate:
    rooms: int
    counselors: int
    cost: float  # counts x unit costs; with finance the mean total cost per year once simulated
    status: str = ""
    reason: str = ""
    rows: list[dict[str, float]] = field(default_factory=list)  # KPIs of replications 0..n-1
    verdicts: dict[str, str] = field(default_factory=dict)

    @property
    def replications(self) -> int:
        return len(self.rows)

    def estimate(self, kpi: str) -> Estimate:
        return mean_ci([r[kpi] for r in self.rows])

    @property
    def net(self) -> float:
        """Mean net per year (NaN without finance or before any replication)."""
        return self.estimate("net_per_year").mean if self.rows and "net_per_year" in self.rows[0] else math.nan


@dataclass
class SizingResult:
    best: Candidate | None
    candidates: list[Candidate]  # in the order evaluated
    simulations: int
    brute_force: int  # simulations for every candidate at the replication cap
    warnings: list[str]


def settle(cand, run_more: Callable[[range], str | None], targets: Sequence[Target], min_replications: int,
           max_replications: int, cost_kpi: str | None = None) -> None:
    """Simulate a candidate until every target's verdict is clear at its CI bound: `min_replications`
    first, doubling up to `max_replications` only while some target is undecided (the sequential
    rule both searches share). Sets status, reason, verdicts and, with `cost_kpi`, the cost in money.

    `run_more(reps)` simulates the replications in `reps` into the candidate and returns an error
    message, or None."""
    want = min_replications
    while True:
        error = run_more(range(cand.replications, want))
        if error:
            cand.status, cand.reason = ERROR, error
            return
        if cost_kpi is not None:
            cand.cost = cand.estimate(cost_kpi).mean
        cand.verdicts = {str(t): t.verdict(cand.estimate(t.kpi)) for t in targets}
        verdicts = set(cand.verdicts.values())
        if verdicts == {PASS}:
            cand.status = FEASIBLE
        elif FAIL in verdicts:
            cand.status = INFEASIBLE
            cand.reason = "clearly fails " + ", ".join(t for t, v in cand.verdicts.items() if v == FAIL)
        elif want >= max_replications:
            cand.status = UNDECIDED
            cand.reason = (f"still undecided after {want} replications: "
                           + ", ".join(t for t, v in cand.verdicts.items() if v == UNSURE))
        else:
            want = min(max_replications, 2 * want)
            continue
        return



@dataclass
class Sizer:
    scenario: Scenario
    targets: Sequence[Target]
    rooms: Sequence[int]
    counselors: Sequence[int]
    executor: Executor
    seed: int
    cost_room: float = 1.0
    cost_counselor: float = 1.0
    min_replications: int = 5
    max_replications: int = 40
    on_progress: Callable[[int, str], None] | None = None
    objective: str = "cost"  # with finance: "cost" or "net" (see OBJECTIVES)
    _seen: dict[tuple[int, int], Candidate] = field(default_factory=dict, init=False, repr=False)
    _order: list[Candidate] = field(default_factory=list, init=False, repr=False)
    _simulations: int = field(default=0, init=False)

    @property
    def money(self) -> bool:
        """Whether candidates are costed in money (the scenario has `finance:`)."""
        return self.scenario.finance is not None

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        if self.objective == "net" and not self.money:
            raise ValueError("objective 'net' needs a finance: section in the scenario")

    def cost(self, rooms: int, counselors: int) -> float:
        """Counts x unit costs; with finance, the cost known before simulating (a lower bound of the
        mean total cost; infinite for a candidate that is not a valid scenario)."""
        if not self.money:
            return rooms * self.cost_room + counselors * self.cost_counselor
        try:
            return fixed_cost_per_year(self.candidate_scenario(rooms, counselors))
        except ValueError:
            return math.inf

    def _rank(self, c: Candidate) -> tuple[float, int, int]:
        """Smaller is better: cost (or minus net), then fewer rooms, then fewer counselors."""
        return (-c.net if self.objective == "net" else c.cost, c.rooms, c.counselors)

    # ------------------------------------------------------------------ search

    def solve(self, exhaustive: bool = False) -> SizingResult:
        """Cheapest candidate meeting every target; ties go to fewer rooms, then fewer counselors."""
        best: Candidate | None = None
        for r in sorted(self.rooms):
            found = self._sweep_counselors(r) if exhaustive else self._search_counselors(r, best)
            if found is not None and (best is None or self._rank(found) < self._rank(best)):
                best = found
        brute = len(self.rooms) * len(self.counselors) * self.max_replications
        return SizingResult(best, list(self._order), self._simulations, brute, self._monotonicity_warnings())

    def _search_counselors(self, rooms: int, best: Candidate | None) -> Candidate | None:
        """Binary search for the fewest counselors meeting the targets, within the cost still worth paying
        (objective net: then every larger count too, best net first)."""
        net = self.objective == "net"
        counts = sorted(c for c in self.counselors if net or best is None or self.cost(rooms, c) < best.cost)
        if not counts:
            return None
        # The largest affordable count first: if even it does not meet the targets (or the room count is
        # invalid), no smaller one will, so a room count that caps the KPIs costs one candidate, not a search.
        top = self.evaluate(rooms, counts[-1])
        if top.status != FEASIBLE:
            return None
        lo, hi, found = 0, len(counts) - 2, top
        while lo <= hi:
            mid = (lo + hi) // 2
            cand = self.evaluate(rooms, counts[mid])
            if cand.status == FEASIBLE:
                found, hi = cand, mid - 1
            else:
                lo = mid + 1
        if net:  # more staff may bring in more than it costs: the feasible counts above are candidates too
            above = [self.evaluate(rooms, c) for c in counts if c > found.counselors]
            found = min([found, *(c for c in above if c.status == FEASIBLE)], key=self._rank)
        return found

    def _sweep_counselors(self, rooms: int) -> Candidate | None:
        feasible = [c for c in (self.evaluate(rooms, n) for n in sorted(self.counselors)) if c.status == FEASIBLE]
        return min(feasible, key=self._rank, default=None)

    def _monotonicity_warnings(self) -> list[str]:
        out = []
        for r in sorted(self.rooms):
            seen = sorted((c for c in self._order if c.rooms == r), key=lambda c: c.counselors)
            for i, low in enumerate(seen):
                for high in seen[i + 1:]:
                    if low.status == FEASIBLE and FAIL in high.verdicts.values():
                        out.append(f"{r} rooms: {low.counselors} counselors meet the targets but {high.counselors} "
                                   "clearly fail one; the targets may not improve with staff, so the search's "
                                   "pruning is unsafe here (try --exhaustive)")
        return out

    # ------------------------------------------------------------------ one candidate

    def candidate_scenario(self, rooms: int, counselors: int) -> Scenario:
        """The scenario of a candidate; raises ValueError saying what makes it invalid."""
        try:
            scaled = with_group_rooms(self.scenario, rooms)
        except RoomScalingError as err:
            raise ValueError(f"{ROOMS_INVALID}{err}") from None
        scenario = scaled.model_copy(update={"counselors": scaled.counselors.model_copy(update={"count": counselors})})
        problems = check_scenario(scenario)
        if problems:
            raise ValueError("; ".join(f"{p}: {m}" for p, m in problems))
        return scenario

    def evaluate(self, rooms: int, counselors: int) -> Candidate:
        """Simulate a candidate, doubling replications while a target is undecided (memoised)."""
        key = (rooms, counselors)
        if key in self._seen:
            return self._seen[key]
        cand = Candidate(rooms, counselors, self.cost(rooms, counselors))
        self._seen[key] = cand
        self._order.append(cand)
        try:
            scenario = self.candidate_scenario(rooms, counselors)
        except ValueError as exc:
            cand.status, cand.reason = INVALID, str(exc)
            return cand
        settle(cand, lambda reps: self._run(cand, scenario, reps), self.targets, self.min_replications,
               self.max_replications, OBJECTIVE_KPI["cost"] if self.money else None)
        return cand

    def _run(self, cand: Candidate, scenario: Scenario, reps: range) -> str | None:
        results: dict[int, dict[str, float]] = {}
        errors: list[str] = []
        label = f"{cand.rooms} rooms, {cand.counselors} counselors"

        def on_result(res: TaskResult) -> None:
            if res.outputs is None:
                errors.append(res.error or "failed")
            else:
                results.update(zip(res.replications, res.outputs, strict=True))
            if self.on_progress:
                self.on_progress(len(res.replications), label)

        tasks = make_tasks([(label, scenario, reps)], self.seed, self.executor.workers)
        self.executor.run(tasks, on_result)
        self._simulations += len(reps)
        if errors:
            return errors[0]
        cand.rows += [results[r] for r in reps]
        return None

