"""The Clinic's state changes: phases entered and closed, closures, a run's window."""

from __future__ import annotations

import math

from iopsim.model.clinic import Clinic, simulate
from iopsim.model.patient import Patient
from iopsim.scenario.window import Window
from tests.factories import build, deterministic_dict


def test_closing_a_phase_accounts_its_weeks_and_leaves_its_census():
    c = Clinic(build(deterministic_dict(), phases__0__drug_tests_per_week=2, phases__0__breathalyzers_per_week=0.5),
               seed=1)
    p = Patient(0, 0.0)
    c.enter_phase(p, 0)
    assert c.census_by_phase == [1, 0, 0] and p.phase_starts == [0.0] and p.phase_reached == 0
    c.close_phase(p, now=21.0)  # three weeks
    assert p.drug_tests == 6.0 and p.breathalyzers == 1.5
    assert c.census_by_phase == [0, 0, 0] and math.isnan(p.phase_started)
    c.close_phase(p)  # not in a phase: nothing more
    assert p.drug_tests == 6.0


def test_re_entering_a_phase_does_not_record_its_first_start_again():
    c = Clinic(build(deterministic_dict()), seed=1)
    p = Patient(0, 0.0)
    c.enter_phase(p, 0)
    c.enter_phase(p, 1)
    c.enter_phase(p, 0)  # stepped back
    assert p.phase_starts == [0.0, 0.0] and p.phase_reached == 1 and c.census_by_phase == [1, 0, 0]


def test_closures_recur_every_year():
    c = Clinic(build(deterministic_dict(), closures={"dates": ["01-02"]}), seed=1)
    assert c.is_closed(1.5) and c.is_closed(366.2)
    assert not c.is_closed(2.0) and not c.is_closed(0.9)


def test_a_run_reports_its_window():
    r = simulate(build(deterministic_dict(), run__horizon_years=1, run__warmup_weeks=10), seed=1)
    assert r.window == Window(70.0, 365.0)
    assert (r.warmup_days, r.horizon_days) == (70.0, 365.0)
