"""The observation window and the shared vocabulary."""

from __future__ import annotations

import numpy as np
import pytest

from iopsim.scenario.vocabulary import group_size_cap
from iopsim.scenario.window import Window
from tests.factories import build, deterministic_dict


def test_window_of_a_scenario():
    w = Window.of(build(deterministic_dict()))  # 5 years, 52 weeks of warm-up
    assert (w.start_days, w.end_days) == (364.0, 1825.0)
    assert w.days == 1461.0
    assert w.years == pytest.approx(1461 / 365)
    assert w.weeks == pytest.approx(1461 / 7)


def test_a_warm_up_longer_than_the_horizon_is_clipped_to_it():
    w = Window.of_lengths(warmup_weeks=300, horizon_years=1)
    assert (w.start_days, w.end_days, w.years) == (365.0, 365.0, 0.0)


def test_only_whole_weeks_after_the_warm_up_count():
    w = Window.of_lengths(warmup_weeks=2, horizon_years=1)
    assert w.week_counts(np.array([14.0, 20.9, 21.0, 28.0])).tolist() == [False, False, True, True]
    assert w.week_counts(21.0 - 1e-10)  # week ends are sums of 7.0s: rounding is allowed for


def test_group_size_cap_is_the_sessions_limit_or_the_default_within_the_room():
    assert group_size_cap(None, 12, 10) == 10
    assert group_size_cap(8, 12, 10) == 8
    assert group_size_cap(None, 6, 10) == 6
