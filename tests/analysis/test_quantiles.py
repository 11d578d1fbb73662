import numpy as np
import pytest

from iopsim.analysis.quantiles import StreamingQuantiles


def test_exact_while_small_whatever_the_chunking():
    rng = np.random.default_rng(1)
    values = rng.exponential(5, 3000)
    q = StreamingQuantiles(exact_limit=5000)
    for chunk in np.array_split(values, 7):
        q.add(chunk)
    assert q.exact
    for p in (0.1, 0.5, 0.9):
        assert q.quantile(p) == np.quantile(values, p)


@pytest.mark.parametrize("p", [0.01, 0.25, 0.5, 0.9, 0.99])
def test_sketch_is_within_its_relative_accuracy(p):
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.lognormal(2, 1.2, 60_000), np.zeros(5000)])
    q = StreamingQuantiles(exact_limit=1000, relative_accuracy=0.005)
    for chunk in np.array_split(values, 30):
        q.add(chunk)
    assert not q.exact
    truth = np.quantile(values, p)
    assert q.quantile(p) == pytest.approx(truth, rel=0.006, abs=1e-12)
    assert len(q._buckets) < 2000  # bounded, whatever the number of values


def test_empty_is_nan_and_zeros_are_exact():
    assert np.isnan(StreamingQuantiles().quantile(0.5))
    q = StreamingQuantiles(exact_limit=0)
    q.add(np.zeros(10))
    assert q.quantile(0.9) == 0.0
