"""Tests for iopsim.analysis.stats: CIs against hand/scipy values, coverage, time averages."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from iopsim.analysis.stats import (
    Estimate,
    interval_occupancy_mean,
    mean_ci,
    paired_difference_ci,
    time_weighted_mean,
    welch_difference_ci,
)

T_975_DF4 = 2.7764451051977987  # t_{0.975, 4} from tables


def test_mean_ci_hand_computed():
    est = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    hw = T_975_DF4 * math.sqrt(2.5) / math.sqrt(5)  # s^2 = 10/4
    assert est.n == 5
    assert est.mean == pytest.approx(3.0)
    assert est.lo == pytest.approx(3.0 - hw)
    assert est.hi == pytest.approx(3.0 + hw)
    assert est.half_width == pytest.approx(hw)
    assert est.relative_precision == pytest.approx(hw / 3.0)


def test_mean_ci_other_confidence_is_wider():
    x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0]
    assert mean_ci(x, 0.99).half_width > mean_ci(x, 0.95).half_width > mean_ci(x, 0.80).half_width
    with pytest.raises(ValueError):
        mean_ci(x, 1.0)


def test_mean_ci_coverage():
    rng = np.random.default_rng(20240601)
    samples = rng.normal(loc=7.0, scale=3.0, size=(2000, 10))
    covered = sum(e.lo <= 7.0 <= e.hi for e in map(mean_ci, samples))
    assert 0.93 <= covered / 2000 <= 0.97


def test_mean_ci_drops_nan():
    assert mean_ci([1.0, np.nan, 2.0, 3.0, np.nan, 4.0, 5.0]) == mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])


def test_mean_ci_small_n():
    empty = mean_ci([])
    assert empty.n == 0 and all(math.isnan(v) for v in (empty.mean, empty.lo, empty.hi))
    assert mean_ci([np.nan, np.nan]).n == 0
    one = mean_ci([4.2])
    assert one.n == 1 and one.mean == 4.2
    assert math.isnan(one.lo) and math.isnan(one.hi) and math.isnan(one.relative_precision)


def test_mean_ci_zero_variance():
    est = mean_ci([2.5] * 4)
    assert (est.mean, est.lo, est.hi, est.n) == (2.5, 2.5, 2.5, 4)
    assert est.half_width == 0.0 and est.relative_precision == 0.0


def test_relative_precision_edge_cases():
    assert Estimate(0.0, -1.0, 1.0, 3).relative_precision == math.inf
    assert Estimate(0.0, 0.0, 0.0, 3).relative_precision == 0.0
    assert Estimate(-4.0, -5.0, -3.0, 3).relative_precision == pytest.approx(0.25)


def _correlated_pairs(seed=7, n=12):
    rng = np.random.default_rng(seed)
    common = rng.normal(50.0, 10.0, n)  # shared randomness, as with common random numbers
    a = common + rng.normal(0.0, 1.0, n)
    b = common + 2.0 + rng.normal(0.0, 1.0, n)
    return a, b


def test_paired_matches_scipy_ttest_rel():
    a, b = _correlated_pairs()
    est = paired_difference_ci(a, b)
    ci = sps.ttest_rel(b, a).confidence_interval(0.95)
    assert est.mean == pytest.approx(np.mean(b - a))
    assert (est.lo, est.hi) == pytest.approx((ci.low, ci.high))
    assert est.n == 12


def test_welch_matches_scipy_ttest_ind():
    rng = np.random.default_rng(3)
    a, b = rng.normal(10, 1, 8), rng.normal(12, 4, 15)
    est = welch_difference_ci(a, b, confidence=0.9)
    ci = sps.ttest_ind(b, a, equal_var=False).confidence_interval(0.9)
    assert est.mean == pytest.approx(b.mean() - a.mean())
    assert (est.lo, est.hi) == pytest.approx((ci.low, ci.high))
    assert est.n == 23


def test_paired_narrower_than_welch_under_positive_correlation():
    a, b = _correlated_pairs()
    paired, welch = paired_difference_ci(a, b), welch_difference_ci(a, b)
    assert paired.mean == pytest.approx(welch.mean)
    assert paired.half_width < welch.half_width / 3


def test_difference_cis_nan_handling():
    a = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    b = np.array([1.5, np.nan, 3.0, 4.5, 6.0])
    assert paired_difference_ci(a, b) == mean_ci([0.5, 0.5, 1.0])
    assert welch_difference_ci(a, b) == welch_difference_ci([1, 2, 4, 5], [1.5, 3, 4.5, 6])
    with pytest.raises(ValueError):
        paired_difference_ci([1.0, 2.0], [1.0])
    single = welch_difference_ci([1.0], [2.0, 3.0])
    assert single.mean == 1.5 and math.isnan(single.lo)


def test_time_weighted_mean_hand_made_step():
    times = [0.0, 2.0, 5.0, 6.0]
    values = [1.0, 3.0, 0.0, 4.0]
    # [0,2)->1, [2,5)->3, [5,6)->0, [6,10]->4: (2 + 9 + 0 + 16) / 10
    assert time_weighted_mean(times, values, 0.0, 10.0) == pytest.approx(2.7)
    # window [1, 5.5]: 1*1 + 3*3 + 0*0.5 = 10 over 4.5
    assert time_weighted_mean(times, values, 1.0, 5.5) == pytest.approx(10 / 4.5)
    # events after `end` are ignored; a window inside the last step is that step's value
    assert time_weighted_mean(times, values, 7.0, 8.0) == pytest.approx(4.0)
    assert time_weighted_mean(times + [20.0], values + [100.0], 0.0, 10.0) == pytest.approx(2.7)


def test_time_weighted_mean_rejects_bad_input():
    with pytest.raises(ValueError):
        time_weighted_mean([1.0, 2.0], [0.0, 1.0], 0.5, 3.0)  # start before first record
    with pytest.raises(ValueError):
        time_weighted_mean([0.0, 2.0], [0.0, 1.0], 3.0, 3.0)
    with pytest.raises(ValueError):
        time_weighted_mean([0.0, 2.0, 1.0], [0.0, 1.0, 2.0], 0.0, 3.0)


def _occupancy_sampled(enter, leave, start, end, points=200_000):
    t = start + (np.arange(points) + 0.5) * (end - start) / points  # midpoint rule
    leave = np.where(np.isnan(leave), np.inf, leave)
    counts = ((enter[:, None] <= t) & (t < leave[:, None])).sum(axis=0)
    return counts.mean()


def test_interval_occupancy_mean_vs_fine_grid():
    rng = np.random.default_rng(11)
    enter = rng.uniform(-20, 100, 60)
    leave = enter + rng.exponential(15, 60)
    leave[::7] = np.nan  # still in the stock
    leave[3] = np.inf
    got = interval_occupancy_mean(enter, leave, 0.0, 100.0)
    assert got == pytest.approx(_occupancy_sampled(enter, leave, 0.0, 100.0), abs=2e-3)


def test_interval_occupancy_mean_simple_and_invalid():
    # one item present for half the window, one for all of it
    assert interval_occupancy_mean([0.0, -5.0], [5.0, np.nan], 0.0, 10.0) == pytest.approx(1.5)
    assert interval_occupancy_mean([], [], 0.0, 1.0) == 0.0
    with pytest.raises(ValueError):
        interval_occupancy_mean([2.0], [1.0], 0.0, 10.0)
    with pytest.raises(ValueError):
        interval_occupancy_mean([0.0], [1.0], 5.0, 5.0)


def _occupancy_exact(enter, leave, start, end):
    """Integrate the piecewise-constant count exactly: evaluate it between breakpoints."""
    leave = np.where(np.isnan(leave), np.inf, leave)
    cuts = np.unique(np.clip(np.concatenate([enter, leave, [start, end]]), start, end))
    total = 0.0
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        mid = (lo + hi) / 2
        total += ((enter <= mid) & (mid < leave)).sum() * (hi - lo)
    return total / (end - start)


_time = st.integers(-50, 150).map(float)


@settings(max_examples=150, deadline=None)
@given(
    items=st.lists(st.tuples(_time, st.one_of(st.integers(0, 80).map(float), st.just(np.nan))), max_size=25),
    window=st.tuples(_time, st.integers(1, 120).map(float)),
)
def test_interval_occupancy_mean_property(items, window):
    enter = np.array([e for e, _ in items], dtype=float)
    leave = np.array([e + d for e, d in items], dtype=float)  # NaN duration -> NaN leave
    start, length = window
    got = interval_occupancy_mean(enter, leave, start, start + length)
    assert got == pytest.approx(_occupancy_exact(enter, leave, start, start + length), abs=1e-9)


def test_summary_clips_shares_at_100_but_not_utilisations_that_overtime_takes_past_it():
    from iopsim.analysis.stats import summarise

    rows = [{"admitted_within_14_days_pct": v, "counselor_utilization_pct": v + 5,
             "shift_evening_counselor_utilization_pct": v + 5} for v in (96.0, 98.0, 100.0)]
    out = summarise(rows, {"shift_evening_counselor_utilization_pct": "%"})
    assert out["admitted_within_14_days_pct"]["ci95"][1] == 100.0  # a share of admissions cannot pass 100
    for name in ("counselor_utilization_pct", "shift_evening_counselor_utilization_pct"):
        mean, (lo, hi) = out[name]["mean"], out[name]["ci95"]
        assert mean == 103.0 and lo < mean < hi and hi > 105  # the interval still holds its mean


def test_the_written_out_t_table_is_scipy_to_the_last_bit():
    from scipy.special import stdtrit

    from iopsim.analysis.stats import _t_quantile
    from iopsim.analysis.t_table import T_975

    assert len(T_975) == 200
    for df, t in enumerate(T_975, start=1):
        assert t == float(stdtrit(df, 0.975)), df
        assert _t_quantile(0.95, df) == t and _t_quantile(0.95, float(df)) == t
    assert _t_quantile(0.95, 201) == float(stdtrit(201, 0.975))  # beyond the table: scipy
    assert _t_quantile(0.95, 7.5) == float(stdtrit(7.5, 0.975))  # Welch's fractional df: scipy
    assert _t_quantile(0.9, 4) == float(stdtrit(4, 0.95))
