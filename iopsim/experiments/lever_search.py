"""Sizing a program template over the levers planners pull, guided by what binds.

The space (groups per phase block, intake clinics, counselors per shift, rooms; see `levers`) is a
product of small ranges, far too many to simulate. The search is greedy and uses the bottleneck
diagnosis to choose where to add:

1. Evaluate the program as written.
2. While it misses a target: take the binding resources in pathway order (with none binding, the
   fullest one); of the levers that relieve one, add a unit to the cheapest whose candidate is a
   valid scenario (if none is, the same with one more group room and intake office); evaluate; repeat. A resource whose
   levers are all at their limit or all invalid is recorded, so "nothing meets the targets" can
   say which constraint still binds and which lever ran out.
3. Once the targets are met: try removing one unit of each lever, the largest saving first, and
   keep a removal whenever the targets still hold; repeat until no unit can go (a lever whose unit
   was needed is tried again only after some other removal succeeded).

Each candidate is judged as in `sizing`: replications 0, 1, ... of one seed (common random
numbers), starting with a few and doubling while a target's confidence interval straddles it, and
a target holds only when its 95% bound clears it. The result is the cheapest evaluated candidate
that meets every target: money with `finance:` (the mean total cost per year), otherwise
(counselors + dedicated intake assessors) x cost per counselor + rooms in use x cost per room +
weekly group and clinic hours at the counselor-hour rate (the staff time they take).

Greedy is a heuristic: it finds a program that meets the targets and that no single removal
improves, not a proven optimum.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..analysis import bottleneck
from ..analysis.finance import fixed_cost_per_year
from ..analysis.stats import Estimate, mean_ci
from ..runner import run_replications
from ..scenario.schema import Scenario
from .levers import Lever, apply_levers, build_candidate, describe
from .sizing import ERROR, FEASIBLE, INFEASIBLE, INVALID, OBJECTIVE_KPI, UNDECIDED, settle
from .targets import FAIL, Target

MAX_STEPS = 15
ROOM_KINDS = ("rooms", "intake_rooms")  # tried one more of each when no move for a binding resource fits  # most units the greedy phase adds before giving up


@dataclass
class LeverCandidate:
    values: dict[str, int]
    cost: float
    step: str  # why it was evaluated: "as written", "add ... (relieves intake)", "remove ..."
    change: str = ""  # the changed levers, in words
    status: str = ""
    reason: str = ""
    rows: list[dict[str, float]] = field(default_factory=list)
    measures: list[dict] = field(default_factory=list)  # bottleneck measures per replication
    verdicts: dict[str, str] = field(default_factory=dict)
    binding: list[str] = field(default_factory=list)

    @property
    def replications(self) -> int:
        return len(self.rows)

    def estimate(self, kpi: str) -> Estimate:
        return mean_ci([r[kpi] for r in self.rows])


@dataclass
class Stuck:
    """A binding resource no lever could relieve: why (at its limit, or every candidate invalid)."""

    resource: str
    reasons: list[str]


@dataclass
class LeverResult:
    best: LeverCandidate | None
    candidates: list[LeverCandidate]
    simulations: int
    invalid: Counter  # reason -> candidates skipped for it
    stuck: list[Stuck]
    closest: LeverCandidate | None  # when nothing meets the targets: the one failing the fewest


@dataclass
class LeverSizer:
    data: dict  # the base scenario's data (its program template, not the generated timetable)
    levers: list[Lever]
    targets: Sequence[Target]
    seed: int
    jobs: int = 1
    cost_room: float = 1.0
    cost_counselor: float = 1.0
    min_replications: int = 5
    max_replications: int = 40
    max_steps: int = MAX_STEPS
    on_progress: Callable[[int, str], None] | None = None
    _seen: dict[tuple[int, ...], LeverCandidate] = field(default_factory=dict, init=False, repr=False)
    _order: list[LeverCandidate] = field(default_factory=list, init=False, repr=False)
    _simulations: int = field(default=0, init=False)
    _invalid: Counter = field(default_factory=Counter, init=False)

    @property
    def base(self) -> dict[str, int]:
        return {lv.path: lv.base for lv in self.levers}

    # ------------------------------------------------------------------ search

    def solve(self, remove: bool = True) -> LeverResult:
        """The cheapest candidate found; `remove=False` only adds (growth: what to add to the program as it is)."""
        cand = self.evaluate(self.base, "as written")
        stuck: list[Stuck] = []
        for _ in range(self.max_steps):
            if cand.status == FEASIBLE:
                break
            nxt, stuck = self._add_unit(cand)
            if nxt is None:
                break
            cand = nxt
        if cand.status == FEASIBLE and remove:
            cand = self._remove_units(cand)
        feasible = [c for c in self._order if c.status == FEASIBLE]
        best = min(feasible, key=lambda c: (c.cost, sum(c.values.values())), default=None)
        closest = None if best else self._closest()
        return LeverResult(best, list(self._order), self._simulations, self._invalid, stuck if best is None else [],
                           closest)

    def _add_unit(self, cand: LeverCandidate) -> tuple[LeverCandidate | None, list[Stuck]]:
        """Evaluate one more unit of the cheapest lever relieving what binds in `cand` (None: none can)."""
        stuck: list[Stuck] = []
        for resource in self._pressing(cand):
            levers = [lv for lv in self.levers if lv.relieves(resource)]
            moves, reasons = self._moves(cand.values, levers, +1)
            if not moves:
                rooms = [lv for lv in self.levers if lv.kind in ROOM_KINDS]
                roomy = {**cand.values, **{lv.path: cand.values[lv.path] + 1 for lv in rooms
                                           if cand.values[lv.path] < lv.high}}
                if roomy != cand.values:
                    moves, more = self._moves(roomy, levers, +1)
                    reasons += [f"with one more room: {r}" for r in more]
            if moves:
                values, lever, _ = min(moves, key=lambda m: m[2])
                return self.evaluate(values, f"add {lever.label} (relieves {bottleneck.label(resource)})"), stuck
            stuck.append(Stuck(resource, reasons or ["no lever relieves it"]))
        return None, stuck

    def _pressing(self, cand: LeverCandidate) -> list[str]:
        """The binding resources of a candidate, or, with none binding, the fullest one."""
        if cand.binding:
            return cand.binding
        block = self._block(cand)
        fullest = sorted((n for n, e in block["resources"].items() if bottleneck.kind_of(n) != "room_hours"
                          and e.get("at_capacity_pct") is not None),
                         key=lambda n: -(block["resources"][n]["at_capacity_pct"] or 0.0))
        return fullest

    def _moves(self, values: dict[str, int], levers: list[Lever], step: int):
        """(values, lever, cost) of each valid one-unit change; and why the others were not possible."""
        moves, reasons = [], []
        for lv in levers:
            value = values[lv.path] + step
            if not lv.low <= value <= lv.high:
                reasons.append(f"{lv.label} at its limit ({values[lv.path]})")
                continue
            new = {**values, lv.path: value}
            try:
                cost = self.cost(self.scenario_of(new))
            except ValueError as exc:
                self._invalid[_first_problem(str(exc))] += 1
                reasons.append(f"{lv.label} {value}: {_first_problem(str(exc))}")
                continue
            moves.append((new, lv, cost))
        return moves, reasons

    def _remove_units(self, cand: LeverCandidate) -> LeverCandidate:
        """Drop units while the targets still hold, the largest saving first. A lever whose unit could not
        go is tried again only after another removal succeeds: less of one thing can free another (a
        parallel intake clinic dropped frees the counselor hours it took, so a counselor may go too)."""
        needed: set[str] = set()
        while True:
            moves, _ = self._moves(cand.values, [lv for lv in self.levers if lv.path not in needed], -1)
            for values, lever, _cost in sorted(moves, key=lambda m: m[2]):
                trial = self.evaluate(values, f"remove {lever.label}")
                if trial.status == FEASIBLE:
                    cand = trial
                    needed.clear()
                    break
                needed.add(lever.path)
            else:
                return cand

    def _closest(self) -> LeverCandidate | None:
        simulated = [c for c in self._order if c.rows and c.status in (INFEASIBLE, UNDECIDED)]
        # the fewest targets clearly failed; then the latest evaluated (the greedy phase only adds capacity)
        return min(simulated, key=lambda c: (sum(v == FAIL for v in c.verdicts.values()), -self._order.index(c)),
                   default=None)

    # ------------------------------------------------------------------ one candidate

    def scenario_of(self, values: Mapping[str, int]) -> Scenario:
        return build_candidate(apply_levers(self.data, self.levers, values))

    def cost(self, scenario: Scenario) -> float:
        """Money known before simulating with finance (a lower bound of the total), else counts x unit costs."""
        if scenario.finance is not None:
            return fixed_cost_per_year(scenario)
        c = scenario.counselors
        rooms = {s.room for s in scenario.timetable if s.room is not None}  # virtual sessions take no room
        hours = sum(s.hours for s in scenario.timetable)
        assessors = scenario.intake.assessors if scenario.intake.mode == "dedicated_assessors" else 0
        return ((c.count + assessors) * self.cost_counselor + len(rooms) * self.cost_room
                + hours / c.contracted_hours_per_week * self.cost_counselor)

    def evaluate(self, values: Mapping[str, int], step: str) -> LeverCandidate:
        """Simulate a candidate, doubling replications while a target is undecided (memoised)."""
        values = dict(values)
        key = tuple(values[lv.path] for lv in self.levers)
        if key in self._seen:
            return self._seen[key]
        cand = LeverCandidate(values, math.inf, step, describe(self.levers, values))
        self._seen[key] = cand
        self._order.append(cand)
        try:
            scenario = self.scenario_of(values)
        except ValueError as exc:
            cand.status, cand.reason = INVALID, str(exc)
            self._invalid[_first_problem(str(exc))] += 1
            return cand
        cand.cost = self.cost(scenario)
        settle(cand, lambda reps: self._run(cand, scenario, reps), self.targets, self.min_replications,
               self.max_replications, OBJECTIVE_KPI["cost"] if scenario.finance is not None else None)
        if cand.status != ERROR:
            block = bottleneck.summarise(cand.measures, scenario)
            cand.binding = [b for b in block["binding"] if b != bottleneck.NONE]
        return cand

    def _block(self, cand: LeverCandidate) -> dict:
        return bottleneck.summarise(cand.measures, self.scenario_of(cand.values))

    def _run(self, cand: LeverCandidate, scenario: Scenario, reps: range) -> str | None:
        try:
            run = run_replications(scenario, seed=self.seed, jobs=self.jobs, indices=reps, keep_patients=False)
        except Exception as exc:  # a replication that raises is this candidate's error, not the search's end
            return str(exc).splitlines()[0]
        self._simulations += len(reps)
        if self.on_progress:
            self.on_progress(len(reps), cand.change)
        cand.rows += run.kpi_rows()
        cand.measures += [o.bottleneck for o in run.outputs]
        return None


def _first_problem(message: str) -> str:
    return message.split("; ")[0]


def binding_report(result: LeverResult) -> list[str]:
    """Plain lines for when nothing meets the targets: what binds where the search came closest, and why
    the search could not add more of it."""
    lines = []
    if result.closest is not None:
        c = result.closest
        bound = ", ".join(bottleneck.label(b) for b in c.binding) or "nothing (by the binding rule)"
        lines.append(f"Closest candidate ({c.change}): {c.reason}; still binding: {bound}.")
    for s in result.stuck:
        lines.append(f"Cannot relieve {bottleneck.label(s.resource)}: {'; '.join(s.reasons)}.")
    return lines
