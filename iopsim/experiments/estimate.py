"""How long an experiment will take, from a short calibration run, before anything heavy starts.

`--dry-run` counts the points and simulations and times a few of them: a handful of points spread
over the design (first, last and evenly between) are checked and simulated once each (replication
0) in this process. The per-point check time and the mean simulation time, scaled to every point and
replication and divided over the workers, give the estimate. Simulation time grows with what a
point simulates (referral rate, horizon), so points spread over the design average that out; the
first simulation in a process also pays for loading the model, as the real run does. Times are the
CPU time of this process (the estimate assumes each worker has a core to itself). Nothing is
written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..scenario.schema import Scenario

CALIBRATION_POINTS = 4


def _clock() -> float:
    """CPU time of this process: what a simulation costs with a core to itself. On a busy shared machine
    wall time also holds the waits for other processes, which no calibration can predict."""
    return time.process_time()


@dataclass(frozen=True)
class Estimate:
    points: int
    replications: int
    workers: int  # simulations running at once (assumed to get a core each)
    check_seconds: float  # checking one point (building and validating its scenario)
    simulation_seconds: list[float]  # each calibration simulation
    output_seconds: float = 0.0  # building and writing the tables (measured on the calibration points)
    mean_simulation: float | None = None  # expected over the design; None: the calibration's mean

    @property
    def simulations(self) -> int:
        return self.points * self.replications

    @property
    def per_simulation(self) -> float:
        if self.mean_simulation is not None:
            return self.mean_simulation
        return sum(self.simulation_seconds) / len(self.simulation_seconds)

    @property
    def seconds(self) -> float:
        """Checking every point, every simulation spread over the workers, then the tables."""
        return self.checking_seconds + self.simulating_seconds + self.output_seconds

    @property
    def checking_seconds(self) -> float:
        """Twice per point: checked while planning, rebuilt when it runs (plans keep no scenarios)."""
        return 2 * self.points * self.check_seconds

    @property
    def simulating_seconds(self) -> float:
        return self.simulations * self.per_simulation / max(1, min(self.workers, self.simulations))


def spread(n: int, k: int = CALIBRATION_POINTS) -> list[int]:
    """Up to k indices evenly over 0..n-1, the first and last included."""
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def calibrate(points: int, replications: int, workers: int, build: Callable[[int], Scenario], seed: int,
              evaluate: Callable[[Scenario, int, int], Any] | None = None,
              indices: Sequence[int] | None = None) -> Estimate:
    """Time building point i (`build(i)`) and one replication of it, for a few points spread over the design."""
    if evaluate is None:
        from .executors import simulate_kpis

        evaluate = simulate_kpis
    checks, runs = [], []
    for i in spread(points) if indices is None else indices:
        start = _clock()
        scenario = build(i)
        checks.append(_clock() - start)
        start = _clock()
        evaluate(scenario, seed, 0)
        runs.append(_clock() - start)
    return Estimate(points, replications, workers, sum(checks) / len(checks), runs)


WEIGHING_POINTS = 400
"""Points (all, or this many spread over the design) whose expected referrals weigh the calibration."""


def calibrate_sweep(loaded, raw_points: Sequence[Any], replications: int, workers: int, kind: str) -> Estimate:
    """A sweep of a few points spread over the design, one replication each, in a temporary folder and
    through the same steps as the real one (check, run, tables, write), each step timed.

    Points differ in their referrals (rate, horizon), and a simulation's cost grows with them (README,
    Performance): the calibration fits cost = fixed + per referral x referrals (cost_at), and the mean
    referrals of up to WEIGHING_POINTS points spread over the design (built and checked, which also
    times the check) give the design's mean simulation, so a few calibration points that happen to be
    the design's smallest or largest do not bias the estimate."""
    import dataclasses
    import shutil
    import tempfile
    from pathlib import Path

    from ..execution import Executor
    from ..scenario.workload import expected_referrals
    from . import sweep as sw
    from .executors import simulate_kpis
    from .resolve import scenario_for
    from .store import ResultStore

    calibrated = spread(len(raw_points))
    weighed = sorted(set(spread(len(raw_points), WEIGHING_POINTS)) | set(calibrated))
    start = _clock()
    referrals = {i: expected_referrals(scenario_for(loaded, *raw_points[i])) for i in weighed}
    check = (_clock() - start) / len(weighed)
    plan = sw.plan(loaded, [raw_points[i] for i in calibrated], kind=kind)
    plan = dataclasses.replace(plan, replications=1)
    plan.manifest = sw.manifest(loaded, plan)
    runs: list[float] = []

    def timed(scenario: Scenario, seed: int, replication: int) -> Any:
        begin = _clock()
        try:
            return simulate_kpis(scenario, seed, replication)
        finally:
            runs.append(_clock() - begin)

    folder = Path(tempfile.mkdtemp(prefix="iopsim-calibration-"))
    try:
        store = ResultStore(folder / "sweep", plan.manifest)
        sw.run(plan, store, Executor(timed))
        start = _clock()
        sw.write_tables(sw.tables(plan, store), folder / "sweep")
        output = _clock() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    mean_referrals = sum(referrals.values()) / len(referrals)
    mean = cost_at([referrals[i] for i in calibrated], runs, mean_referrals)
    return Estimate(len(raw_points), replications, workers, check, runs, output, mean)


def cost_at(referrals: Sequence[float], seconds: Sequence[float], at: float) -> float | None:
    """Seconds of a simulation with `at` referrals, from calibration (referrals, seconds) pairs.

    A simulation costs a fixed part (weekly sessions, the calendar) plus a part per referral: a
    least-squares line through the pairs when they differ in referrals and the fit is sensible (both
    parts >= 0); otherwise proportional to referrals; None (the plain mean) without referrals."""
    import numpy as np

    x, y = np.asarray(referrals, dtype=float), np.asarray(seconds, dtype=float)
    if len(set(x.tolist())) >= 2:
        slope, intercept = np.polyfit(x, y, 1)
        if slope >= 0 and intercept >= 0:
            return float(intercept + slope * at)
    if x.sum() > 0:
        return float(y.sum() / x.sum() * at)
    return None


def duration_text(seconds: float) -> str:
    """'45 s', '3 min 20 s', '2 h 05 min'."""
    s = round(seconds)
    if s < 60:
        return f"{max(seconds, 0.1):.1f} s" if seconds < 10 else f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
