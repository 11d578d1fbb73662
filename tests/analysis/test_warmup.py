"""Tests for iopsim.analysis.warmup: MSER-5 on known transients, Welch's moving average."""

import numpy as np
import pytest

from iopsim.analysis.warmup import WarmupSuggestion, mser, suggest_warmup, welch_moving_average


def _transient(seed, reps=20, obs=1000):
    rng = np.random.default_rng(seed)
    t = np.arange(obs)
    return 10.0 * np.exp(-t / 50.0) + rng.normal(0.0, 1.0, (reps, obs))


def _mser_brute_force(y, b, frac):
    """Direct transcription of MSER(d) over batch means, O(n^2)."""
    n = len(y) // b
    ybar = np.asarray(y[: n * b]).reshape(n, b).mean(axis=1)
    scores = []
    for d in range(min(int(frac * n), n - 2) + 1):
        tail = ybar[d:]
        scores.append(((tail - tail.mean()) ** 2).sum() / (n - d) ** 2)
    return int(np.argmin(scores)) * b


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mser_finds_known_transient(seed):
    d = mser(_transient(seed))
    assert 100 <= d <= 400
    assert d % 5 == 0


def test_mser_stationary_series_is_small():
    rng = np.random.default_rng(5)
    assert mser(rng.normal(3.0, 1.0, (20, 1000))) < 100


def test_mser_step_down_batch_one():
    y = np.r_[50.0, 40.0, np.tile([1.0, -1.0], 20)]
    assert mser(y, batch_size=1) == 2


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("b,frac", [(5, 0.5), (1, 0.5), (3, 0.9), (7, 0.2)])
def test_mser_matches_brute_force(seed, b, frac):
    rng = np.random.default_rng(seed)
    # The large offset exposes cancellation in a naive sum-of-squares implementation.
    y = 5 * np.exp(-np.arange(203) / rng.uniform(5, 40)) + rng.normal(0, 1, 203) + 1e7
    assert mser(y, batch_size=b, max_truncation_fraction=frac) == _mser_brute_force(y, b, frac)


def test_mser_2d_averages_replications_first():
    y = _transient(9, reps=4, obs=300)
    assert mser(y) == mser(y.mean(axis=0))


def test_mser_rejects_bad_input():
    with pytest.raises(ValueError):
        mser(np.ones(9), batch_size=5)  # one full batch only
    with pytest.raises(ValueError):
        mser(np.ones((2, 3, 4)))
    with pytest.raises(ValueError):
        mser(np.r_[np.ones(20), np.nan])


def test_welch_constant_is_constant_and_shape():
    out = welch_moving_average(np.full((6, 100), 4.2), window=10)
    assert out.shape == (90,)
    np.testing.assert_allclose(out, 4.2)


def test_welch_hand_computed():
    y = np.array([0.0, 0.0, 3.0, 0.0, 0.0, 6.0, 0.0])
    # i=0: {y0}; i=1: y0..y2 (2i+1 = 3 points); i>=1: y[i-1..i+1]
    np.testing.assert_allclose(welch_moving_average(y, 1), [0, 1, 1, 1, 2, 2])
    reps = np.vstack([y, y + 2.0])
    np.testing.assert_allclose(welch_moving_average(reps, 1), [1, 2, 2, 2, 3, 3])
    np.testing.assert_allclose(welch_moving_average(y, 0), y)
    with pytest.raises(ValueError):
        welch_moving_average(y, 7)


def test_welch_start_window_is_symmetric():
    y = np.arange(20.0) ** 2
    out = welch_moving_average(y, 4)
    assert out[2] == pytest.approx(y[0:5].mean())
    assert out[10] == pytest.approx(y[6:15].mean())


def test_suggest_warmup_takes_max():
    rng = np.random.default_rng(4)
    series = {"flat": rng.normal(0, 1, (20, 1000)), "transient": _transient(4)}
    s = suggest_warmup(series)
    assert isinstance(s, WarmupSuggestion)
    assert s.per_series == {"flat": mser(series["flat"]), "transient": mser(series["transient"])}
    assert s.observations == s.per_series["transient"] >= 100
    with pytest.raises(ValueError):
        suggest_warmup({})
