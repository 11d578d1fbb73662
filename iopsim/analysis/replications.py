"""How many replications? The sequential confidence-interval method.

Replications are added one at a time until every KPI's confidence interval is narrow
relative to its mean (half-width / |mean| <= precision) (Robinson 2014, *Simulation: the
practice of model development and use*, ch. 9). Because the estimated variance is itself
noisy, the criterion can be met by luck after a few replications; following Hoad, Robinson
& Davies (2010, "Automated selection of the number of replications for a discrete-event
simulation", JORS 61) it must keep holding for `look_ahead` further replications (their
kLimit) before the first n of that run is accepted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from iopsim.analysis.stats import Estimate, mean_ci

__all__ = ["ReplicationsResult", "replications_needed"]

RunOne = Callable[[int], Mapping[str, float]]
RunBatch = Callable[[list[int]], Sequence[Mapping[str, float]]]


@dataclass
class ReplicationsResult:
    """Outcome of the sequential procedure.

    history[j] holds the KPI estimates after min_replications + j replications, up to the
    last replication the procedure consumed (needed + look_ahead when reached). `values`
    keeps the per-replication KPI values consumed so the caller can reuse the runs.
    """

    needed: int | None
    history: list[dict[str, Estimate]]
    kpis: list[str]
    precision: float
    reached: bool
    values: dict[str, list[float]] = field(default_factory=dict)

    @property
    def replications_run(self) -> int:
        return len(next(iter(self.values.values()))) if self.values else 0


def replications_needed(
    run_one: RunOne | None,
    kpis: Sequence[str],
    precision: float = 0.05,
    min_replications: int = 3,
    max_replications: int = 200,
    confidence: float = 0.95,
    run_batch: RunBatch | None = None,
    look_ahead: int = 5,
    batch_size: int = 8,
) -> ReplicationsResult:
    """Run replications 0, 1, 2, ... until every KPI meets `precision`, confirmed.

    `needed` is the first n (>= min_replications) from which the criterion held for n and
    the `look_ahead` following replication counts; if that is not confirmed within
    `max_replications`, `needed` is None and `reached` False. A KPI whose mean is near
    zero will rarely meet a relative criterion; pick KPIs accordingly.

    With `run_batch`, replications are requested in contiguous index lists of at least
    `batch_size` (more when the procedure provably needs more), so the caller can run them
    in parallel. Results are consumed in index order, so the outcome is identical to
    `run_one`; replications computed beyond the stopping point are discarded.
    """
    kpis = list(kpis)
    if not kpis:
        raise ValueError("at least one KPI is required")
    if run_one is None and run_batch is None:
        raise ValueError("give run_one or run_batch")
    if not precision > 0:
        raise ValueError("precision must be > 0")
    if not 2 <= min_replications <= max_replications:
        raise ValueError("need 2 <= min_replications <= max_replications")
    if look_ahead < 0 or batch_size < 1:
        raise ValueError("look_ahead must be >= 0 and batch_size >= 1")

    values: dict[str, list[float]] = {k: [] for k in kpis}
    history: list[dict[str, Estimate]] = []
    pending: deque[Mapping[str, float]] = deque()
    candidate: int | None = None  # first n of the current run of n's meeting the criterion
    n = 0
    while n < max_replications:
        if not pending:
            if run_batch is None:
                assert run_one is not None
                pending.append(run_one(n))
            else:
                # Earliest replication count at which the procedure could stop.
                earliest = (candidate if candidate is not None else max(min_replications, n + 1)) + look_ahead
                size = min(max(batch_size, earliest - n), max_replications - n)
                indices = list(range(n, n + size))
                results = list(run_batch(indices))
                if len(results) != size:
                    raise ValueError(f"run_batch returned {len(results)} results for {size} indices")
                pending.extend(results)
        result = pending.popleft()
        n += 1
        for k in kpis:
            values[k].append(float(result[k]))
        if n < min_replications:
            continue
        estimates = {k: mean_ci(values[k], confidence) for k in kpis}
        history.append(estimates)
        if all(e.relative_precision <= precision for e in estimates.values()):
            if candidate is None:
                candidate = n
            if n - candidate >= look_ahead:
                return ReplicationsResult(candidate, history, kpis, precision, True, values)
        else:
            candidate = None
    return ReplicationsResult(None, history, kpis, precision, False, values)
