"""Experiment points: full factorial grids, Latin hypercube and Sobol samples, and their order."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from iopsim.experiments.design import design_points, point_ids, scale, unit_sample
from iopsim.experiments.schema import Experiment, ValueRange


def experiment(parameters: list[dict], sampling: dict | None = None) -> Experiment:
    return Experiment.model_validate(
        {"name": "t", "scenario": "x.yaml", "parameters": parameters, "sampling": sampling}
    )


def test_grid_is_the_full_factorial_in_file_order_first_parameter_slowest():
    e = experiment([
        {"path": "counselors.count", "values": [3, 4, 5]},
        {"path": "referrals.rate_per_week", "values": [8, 10]},
        {"path": "group_rooms", "values": [2]},
    ])
    points = design_points(e)
    assert [tuple(p.values()) for p, _ in points] == list(itertools.product([3, 4, 5], [8, 10], [2]))
    assert list(points[0][0]) == ["counselors.count", "referrals.rate_per_week", "group_rooms"]
    # where each value comes from, for error messages on the value's own line
    assert points[3][1] == {"counselors.count": "parameters.0.values.1",
                            "referrals.rate_per_week": "parameters.1.values.1", "group_rooms": "parameters.2.values.0"}


def test_latin_hypercube_puts_one_point_in_every_stratum_of_every_range():
    e = experiment(
        [{"path": "referrals.rate_per_week", "range": {"low": 6, "high": 14}},
         {"path": "intake.no_show_prob", "range": {"low": 0.1, "high": 0.3}}],
        {"method": "lhs", "points": 10, "seed": 3},
    )
    points = design_points(e)
    assert len(points) == 10
    rates = np.array([p["referrals.rate_per_week"] for p, _ in points])
    shows = np.array([p["intake.no_show_prob"] for p, _ in points])
    assert sorted(((rates - 6) / 8 * 10).astype(int)) == list(range(10))
    assert sorted(((shows - 0.1) / 0.2 * 10).astype(int)) == list(range(10))
    assert all(w == {"referrals.rate_per_week": "parameters.0.range", "intake.no_show_prob": "parameters.1.range"}
               for _, w in points)


def test_sample_is_reproducible_and_seed_dependent():
    a, b, c = unit_sample("lhs", 8, 2, 1), unit_sample("lhs", 8, 2, 1), unit_sample("lhs", 8, 2, 2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    s = unit_sample("sobol", 8, 3, 0)
    assert s.shape == (8, 3) and ((s >= 0) & (s < 1)).all()


def test_grid_crossed_with_sample_reuses_the_same_sample_in_every_cell():
    e = experiment(
        [{"path": "counselors.count", "values": [4, 5]}, {"path": "referrals.rate_per_week", "range": {"low": 6, "high": 14}}],
        {"method": "sobol", "points": 4},
    )
    points = [p for p, _ in design_points(e)]
    assert [p["counselors.count"] for p in points] == [4, 4, 4, 4, 5, 5, 5, 5]
    assert [p["referrals.rate_per_week"] for p in points[:4]] == [p["referrals.rate_per_week"] for p in points[4:]]


def test_integer_range_gives_every_whole_number_an_equal_share():
    r = ValueRange(low=3, high=6, integer=True)
    values = [scale((k + 0.5) / 40, r) for k in range(40)]
    assert {v: values.count(v) for v in set(values)} == {3: 10, 4: 10, 5: 10, 6: 10}
    assert all(isinstance(v, int) for v in values)


def test_sampled_floats_are_rounded_to_six_significant_figures():
    r = ValueRange(low=0, high=1)
    assert scale(1 / 3, r) == 0.333333


@pytest.mark.parametrize("n, first, last", [(3, "p0000", "p0002"), (12345, "p00000", "p12344")])
def test_point_ids_sort_in_point_order(n, first, last):
    ids = point_ids(n)
    assert ids[0] == first and ids[-1] == last and sorted(ids) == ids
