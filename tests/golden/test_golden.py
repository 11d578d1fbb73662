"""Every shipped scenario still gives exactly the pinned results (see masters.py for why and how to update)."""

from __future__ import annotations

import json
import math

import pytest

from .masters import CASES, MASTERS, case_id, measure

PINNED = json.loads(MASTERS.read_text())


def test_every_case_is_pinned() -> None:
    assert sorted(PINNED) == sorted(case_id(*c) for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: case_id(*c))
def test_results_match_the_golden_master(case: tuple[str, int, int]) -> None:
    pinned = PINNED[case_id(*case)]
    now = measure(*case)
    assert now["kpis"].keys() == pinned["kpis"].keys(), "KPI names changed"
    changed = {
        k: (pinned["kpis"][k], v)
        for k, v in now["kpis"].items()
        if not (v == pinned["kpis"][k] or (v is not None and pinned["kpis"][k] is not None
                                           and math.isclose(v, pinned["kpis"][k], rel_tol=1e-12, abs_tol=1e-12)))
    }
    assert not changed, f"KPIs changed (pinned, now): {changed}"
    for digest in ("patients_sha256", "series_sha256", "slots_sha256"):
        assert now[digest] == pinned[digest], f"{digest} changed"
