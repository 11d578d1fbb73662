"""Tests for iopsim.analysis.replications: the sequential confidence-interval method."""

import numpy as np
import pytest

from iopsim.analysis.replications import replications_needed
from iopsim.analysis.stats import mean_ci


def normal_kpi(r):
    """KPI ~ N(100, 20) per replication, seeded by index as a simulation would be."""
    rng = np.random.default_rng(np.random.SeedSequence(r))
    return {"x": rng.normal(100.0, 20.0), "y": rng.normal(50.0, 1.0)}


def test_needed_near_analytic_and_meets_precision():
    res = replications_needed(normal_kpi, ["x", "y"], precision=0.05, max_replications=300)
    # (1.96 * 20 / 5)^2 ~ 62 replications for a 5% half-width on a mean of 100
    assert res.reached and res.needed is not None
    assert 35 <= res.needed <= 110
    values = [normal_kpi(r)["x"] for r in range(res.needed)]
    assert mean_ci(values).relative_precision <= 0.05
    assert res.history[res.needed - 3]["x"] == mean_ci(values)
    assert res.kpis == ["x", "y"] and res.precision == 0.05


def test_look_ahead_structure_of_history():
    res = replications_needed(normal_kpi, ["x"], look_ahead=5, max_replications=300)
    met = [h["x"].relative_precision <= 0.05 for h in res.history]
    first = res.needed - 3  # history starts at n = min_replications = 3
    assert len(res.history) == first + 6  # needed + 5 confirming replications
    assert all(met[first:])
    assert first == 0 or not met[first - 1]
    assert res.replications_run == res.needed + 5
    assert [h["x"].n for h in res.history] == list(range(3, res.replications_run + 1))


def test_look_ahead_guards_against_early_false_convergence():
    # Three near-identical values look precise; the spread only shows later.
    seq = [100.0, 100.1, 99.9, 60.0, 140.0] + [100.0] * 300

    def run(r):
        return {"k": seq[r]}

    assert replications_needed(run, ["k"], look_ahead=0).needed == 3
    guarded = replications_needed(run, ["k"], look_ahead=5)
    assert guarded.reached and guarded.needed > 5


def test_not_reached_within_max():
    res = replications_needed(normal_kpi, ["x"], precision=0.01, max_replications=20)
    assert not res.reached and res.needed is None
    assert len(res.history) == 18 and res.replications_run == 20


def test_unconfirmed_at_max_is_not_reached():
    res = replications_needed(lambda r: {"k": 1.0}, ["k"], min_replications=3, max_replications=7)
    assert not res.reached  # criterion holds from n=3 but needs confirmation up to n=8
    res = replications_needed(lambda r: {"k": 1.0}, ["k"], min_replications=3, max_replications=8)
    assert res.reached and res.needed == 3


def test_nan_kpi_never_meets_criterion():
    res = replications_needed(lambda r: {"k": float("nan")}, ["k"], max_replications=10)
    assert not res.reached


@pytest.mark.parametrize("batch_size", [1, 3, 8, 64])
def test_run_batch_matches_run_one(batch_size):
    calls = []

    def run_batch(indices):
        calls.append(indices)
        return [normal_kpi(r) for r in indices]

    ref = replications_needed(normal_kpi, ["x", "y"], max_replications=150)
    got = replications_needed(
        None, ["x", "y"], max_replications=150, run_batch=run_batch, batch_size=batch_size
    )
    assert (got.needed, got.reached, got.history, got.values) == (
        ref.needed,
        ref.reached,
        ref.history,
        ref.values,
    )
    flat = [i for batch in calls for i in batch]
    assert flat == list(range(len(flat)))  # contiguous, no index twice
    assert len(flat) <= 150
    assert all(len(b) >= min(batch_size, 150 - b[0]) for b in calls)


def test_run_batch_respects_max_and_length():
    seen = []

    def run_batch(indices):
        seen.extend(indices)
        return [normal_kpi(r) for r in indices]

    res = replications_needed(
        None, ["x"], precision=0.001, max_replications=13, run_batch=run_batch, batch_size=5
    )
    assert not res.reached and seen == list(range(13))
    with pytest.raises(ValueError):
        replications_needed(None, ["x"], run_batch=lambda idx: [normal_kpi(0)])


def test_invalid_arguments():
    with pytest.raises(ValueError):
        replications_needed(normal_kpi, [])
    with pytest.raises(ValueError):
        replications_needed(normal_kpi, ["x"], min_replications=1)
    with pytest.raises(ValueError):
        replications_needed(None, ["x"])
