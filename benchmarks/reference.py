"""A deliberately minimal plain-SimPy IOP: the yardstick iopsim's speed is judged against.

It models only what every IOP simulation must: Poisson referrals, an intake assessment by a
pool of assessors (a SimPy `Resource`, one process per referral), no-shows, a FIFO waitlist,
and treatment groups whose weekly sessions each walk their roster (one process per scheduled
session, never one per patient per session). No eligibility, phases, relapse, tests,
counselors, intake slots or aftercare: whatever iopsim costs beyond this is the price of the
model it adds, and the benchmark reports the ratio per referral.

Run on its own for the issue's workload: `python benchmarks/reference.py`; with `--rate R
--replications N`, N runs at R referrals/week (the reference for a whole `iopsim run`).
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from dataclasses import dataclass

import simpy

DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Workload:
    """The minimal IOP; the defaults are the issue's (15 referrals/week, two tracks)."""

    referrals_per_week: float = 15.0
    assessors: int = 2
    assessment_hours: float = 1.5
    tracks: int = 2  # groups (morning, evening, ...), each meeting `sessions_per_week`
    sessions_per_week: int = 3
    program_weeks: float = 12.0
    group_size: int = 12
    no_show_prob: float = 0.15
    attendance_prob: float = 0.85
    years: float = 10.0

    @classmethod
    def carrying(cls, referrals_per_week: float, **changes) -> Workload:
        """A workload at this referral rate with enough tracks that the waitlist stays bounded."""
        w = cls(referrals_per_week=referrals_per_week, **changes)
        admitted_per_week = referrals_per_week * (1 - w.no_show_prob)
        seats = admitted_per_week * w.program_weeks / 0.9  # groups about 90% full
        return cls(referrals_per_week=referrals_per_week, tracks=max(1, math.ceil(seats / w.group_size)), **changes)


@dataclass
class ReferenceResult:
    referrals: int
    admitted: int
    attended: int
    scheduler_events: int
    wall_seconds: float


def run_reference(w: Workload, seed: int = 1) -> ReferenceResult:
    """Simulate the workload for `w.years`; count referrals, admissions, attendances and events."""
    rng = random.Random(seed)
    env = simpy.Environment()
    horizon = w.years * DAYS_PER_YEAR
    assessors = simpy.Resource(env, capacity=w.assessors)
    waitlist: deque[float] = deque()  # referral times, FIFO
    rosters: list[dict[int, float]] = [{} for _ in range(w.tracks)]  # pid -> program end (days)
    tally = {"referrals": 0, "admitted": 0, "attended": 0}
    program_days = w.program_weeks * DAYS_PER_WEEK

    def admit() -> None:
        for roster in rosters:
            while waitlist and len(roster) < w.group_size:
                waitlist.popleft()
                roster[tally["admitted"]] = env.now + program_days
                tally["admitted"] += 1

    def referral():
        with assessors.request() as req:
            yield req
            yield env.timeout(w.assessment_hours / 24)
        if rng.random() < w.no_show_prob:
            return
        waitlist.append(env.now)
        admit()

    def referrals():
        rate = w.referrals_per_week / DAYS_PER_WEEK
        while True:
            yield env.timeout(rng.expovariate(rate))
            tally["referrals"] += 1
            env.process(referral())

    def session(roster: dict[int, float], offset: float):
        yield env.timeout(offset)
        while True:
            now = env.now
            done = [pid for pid, end in roster.items() if end <= now]
            for pid in done:
                del roster[pid]
            for _ in roster:
                if rng.random() < w.attendance_prob:
                    tally["attended"] += 1
            if done:
                admit()
            yield env.timeout(DAYS_PER_WEEK)

    env.process(referrals())
    for g, roster in enumerate(rosters):
        hour = 9 / 24 if g % 2 == 0 else 18 / 24
        for k in range(w.sessions_per_week):
            env.process(session(roster, 2 * k + hour))  # Mon, Wed, Fri
    t0 = time.perf_counter()
    env.run(until=horizon)
    wall = time.perf_counter() - t0
    return ReferenceResult(tally["referrals"], tally["admitted"], tally["attended"], next(env._eid), wall)


def main(argv: list[str] | None = None) -> None:
    """The issue's workloads, or (--rate) `--replications` runs of one workload: the reference
    for a whole `iopsim run` (benchmarks/run.py times both commands side by side)."""
    import argparse

    ap = argparse.ArgumentParser(description="the minimal plain-SimPy IOP")
    ap.add_argument("--rate", type=float, help="referrals per week (default: the issue's workloads)")
    ap.add_argument("--replications", type=int, default=1)
    ap.add_argument("--years", type=float, default=10.0)
    args = ap.parse_args(argv)
    if args.rate is None:
        workloads = [Workload(years=args.years), Workload.carrying(15.0, years=args.years)]
    else:
        workloads = [Workload.carrying(args.rate, years=args.years)] * args.replications
    for seed, workload in enumerate(workloads, start=1):
        r = run_reference(workload, seed)
        print(f"{workload.referrals_per_week:g}/week, {workload.tracks} tracks: {r.wall_seconds:.3f} s, "
              f"{r.referrals} referrals, {r.scheduler_events / r.referrals:.2f} events/referral, "
              f"{r.wall_seconds / r.referrals * 1e6:.1f} us/referral")


if __name__ == "__main__":
    main()
