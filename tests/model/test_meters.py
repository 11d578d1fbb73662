"""StockMeter: exact time-averages after the warm-up, worked out by hand."""

from __future__ import annotations

import math

import pytest

from iopsim.model.meters import StockMeter


def test_area_counts_only_after_the_start():
    m = StockMeter(start=10.0)
    m.enter(5.0)  # one from day 5: counts from day 10
    m.enter(12.0)  # two from day 12
    m.leave(20.0)  # one from day 20
    # 1 x (12-10) + 2 x (20-12) + 1 x (30-20) = 2 + 16 + 10 = 28 over 20 days
    assert m.mean(30.0) == pytest.approx(1.4, abs=1e-12)


def test_a_lazy_leave_takes_back_the_area_since_its_deadline():
    m = StockMeter(start=10.0)
    m.enter(5.0)
    m.enter(12.0)
    m.leave(20.0, at=15.0)  # noticed at 20, left at 15
    # 1 x 2 + 2 x 3 + 1 x 5 = 13 over 10 days
    assert m.mean(20.0) == pytest.approx(1.3, abs=1e-12)
    assert m.count == 1


def test_a_deadline_before_the_start_takes_back_only_the_window():
    m = StockMeter(start=10.0)
    m.enter(0.0)
    m.leave(14.0, at=3.0)  # gone since day 3: nothing counted inside [10, 14]
    assert m.mean(14.0) == 0.0


def test_peak_is_seen_only_after_the_start_and_when_observed():
    m = StockMeter(start=10.0)
    m.enter(1.0)
    m.enter(2.0)
    m.observe_peak(2.0)  # before the window
    assert m.peak == 0
    m.leave(11.0)
    m.observe_peak(11.0)
    assert m.peak == 1


def test_mean_of_an_empty_window_is_nan():
    assert math.isnan(StockMeter(start=10.0).mean(10.0))


def test_capacity_meter_counts_the_time_no_unit_is_free_after_the_start():
    from iopsim.model.meters import CapacityMeter

    m = CapacityMeter(start=10.0, free=2)
    m.take(4.0)
    m.take(6.0)  # full from day 6: counts from day 10
    m.give(12.0)  # 2 days full
    m.take(15.0)  # full again
    m.take(16.0)  # over capacity is still full, and one give does not end it
    m.give(17.0)
    m.give(18.0)  # 3 days full
    assert m.free == 1
    assert m.share(30.0) == pytest.approx(5 / 20, abs=1e-12)
    m.take(25.0)  # still full at the end: counts up to it
    assert m.share(30.0) == pytest.approx(10 / 20, abs=1e-12)


def test_capacity_meter_judged_state():
    from iopsim.model.meters import CapacityMeter

    m = CapacityMeter(start=0.0, free=1)
    m.set_full(1.0, True)
    m.set_full(2.0, True)  # no change: still since day 1
    m.set_full(4.0, False)
    m.set_full(5.0, False)
    assert m.share(10.0) == pytest.approx(0.3, abs=1e-12)
    assert math.isnan(CapacityMeter(start=5.0, free=1).share(5.0))
