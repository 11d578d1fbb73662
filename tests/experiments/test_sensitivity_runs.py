"""The (points, KPIs, replications) array the sensitivity analysis reads from a sweep's results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from iopsim.experiments.sensitivity_runs import replication_array


def test_replication_array_puts_each_value_at_its_point_kpi_and_replication():
    points, replications, kpis = 3, 2, ["a", "b"]
    rows = [{"point": p, "rep": r, "a": 100 * p + r, "b": -(100 * p + r)}
            for p in range(points) for r in range(replications)]
    Y = replication_array(pd.DataFrame(rows), kpis, points, replications)
    assert Y.shape == (points, len(kpis), replications)
    for p in range(points):
        for r in range(replications):
            assert Y[p, 0, r] == 100 * p + r
            assert Y[p, 1, r] == -(100 * p + r)
    assert Y.dtype == np.float64


def test_replication_array_follows_the_kpi_order_asked_for_not_the_columns():
    frame = pd.DataFrame({"b": [1.0, 2.0], "a": [3.0, 4.0]})
    Y = replication_array(frame, ["a", "b"], 1, 2)
    assert Y[0].tolist() == [[3.0, 4.0], [1.0, 2.0]]
