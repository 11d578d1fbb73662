"""Step-down entries (issue 11 item 6): admissions from partial hospitalization or residential start at a later phase."""

from __future__ import annotations

import math

import numpy as np
import pytest

from iopsim.analysis.kpis import kpis
from iopsim.model.clinic import simulate
from iopsim.model.records import phase_start_column
from iopsim.scenario.checks import check_scenario
from iopsim.scenario.schema import Scenario
from tests.factories import build, deterministic_dict


def test_every_step_down_admission_skips_the_first_phase():
    """4+4+4 weeks: entering at the second phase, everyone stays exactly 56 days."""
    r = simulate(build(deterministic_dict(), referrals__step_down_share=1.0), seed=1)
    k = kpis(r)
    assert k["length_of_stay_days_mean"] == pytest.approx(56)
    assert k["completion_rate_pct"] == 100
    rec = r.records
    admitted = ~np.isnan(rec["admitted"])
    np.testing.assert_array_equal(rec[phase_start_column(1)][admitted], rec["admitted"][admitted])
    assert set(np.asarray(r.series["census_first"])[52:].tolist()) == {0}
    assert set(np.asarray(r.series["census"])[52:].tolist()) == {8}


def test_skipped_phases_have_no_start_and_the_share_is_drawn_per_admission():
    r = simulate(build(deterministic_dict(), referrals__step_down_share=0.3, referrals__step_down_phase="third",
                       run__horizon_years=20), seed=2)
    rec = r.records
    done = ~np.isnan(rec["treatment_end"])
    stepped = done & np.isnan(rec[phase_start_column(1)])
    share = stepped.sum() / done.sum()
    assert share == pytest.approx(0.3, abs=0.05)
    stay = (rec["treatment_end"] - rec["admitted"])[done]
    assert set(np.round(stay, 9).tolist()) == {28.0, 84.0}  # the third phase only, or all three
    in_window = done & (rec["treatment_end"] >= r.warmup_days)
    window_share = (in_window & stepped).sum() / in_window.sum()
    assert kpis(r)["length_of_stay_days_mean"] == pytest.approx(84 - 56 * window_share, rel=1e-9)


def test_no_step_down_leaves_results_unchanged_and_the_phase_is_checked():
    plain = simulate(build(deterministic_dict()), seed=1)
    zero = simulate(build(deterministic_dict(), referrals__step_down_share=0.0), seed=1)
    assert kpis(plain) == kpis(zero)
    data = deterministic_dict()
    data["referrals"]["step_down_phase"] = "fourth"
    problems = dict(check_scenario(Scenario.model_validate(data)))
    assert "'fourth' is not a phase" in problems["referrals.step_down_phase"]
    assert "step_down_share" not in build(deterministic_dict()).model_dump()["referrals"]
    assert not math.isnan(kpis(zero)["census_mean"])
