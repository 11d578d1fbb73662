"""Small scenarios built in code, for tests that need exact answers."""

from __future__ import annotations

import copy
from typing import Any

from iopsim.scenario.checks import check_scenario
from iopsim.scenario.schema import Scenario


def _phase(name: str, weeks: float) -> dict[str, Any]:
    return {
        "name": name,
        "duration_weeks": weeks,
        "group_sessions_per_week": 1,
        "session_hours": 3,
        "self_help_meetings_per_week": 0,
        "drug_tests_per_week": 1,
        "breathalyzers_per_week": 1,
        "individual_sessions_per_week": 0.5,
        "relapse_prob_per_week": 0,
        "dropout_prob_per_week": 0,
    }


def deterministic_dict() -> dict[str, Any]:
    """One referral a week, exactly; 4+4+4-week phases; nobody relapses, drops out or waits."""
    return {
        "name": "deterministic",
        "run": {"horizon_years": 5, "warmup_weeks": 52, "replications": 1, "seed": 1},
        "referrals": {"rate_per_week": 1, "arrival_process": "fixed_interval"},
        "intake": {"mode": "dedicated_assessors", "assessors": 1, "assessment_hours": 0, "no_show_prob": 0},
        "eligibility": {
            "severity_mix": {"mild": 0, "moderate": 1, "severe": 0},
            "unsupportive_home_prob": 0,
            "needs_detox_prob": 0,
        },
        "phases": [_phase("first", 4), _phase("second", 4), _phase("third", 4)],
        "attendance": {"group_attendance_prob": 1, "dropout_prob_per_missed_session": 0},
        "aftercare": {"enabled": False},
        "groups": {"min_size": 0, "max_size": 12},
        "timetable": [
            {"group": "g1", "day": "mon", "start": "09:00", "hours": 3, "room": "R", "serves": ["first"]},
            {"group": "g2", "day": "tue", "start": "09:00", "hours": 3, "room": "R", "serves": ["second"]},
            {"group": "g3", "day": "wed", "start": "09:00", "hours": 3, "room": "R", "serves": ["third"]},
        ],
        "rooms": [{"name": "R", "seats": 12, "available_hours_per_week": 30}],
        "counselors": {"count": 1, "max_caseload": 24, "other_duties_hours_per_week": 0},
    }


def build(data: dict[str, Any], **changes: Any) -> Scenario:
    """Scenario from a dict with dotted-path changes ('phases.0.relapse_prob_per_week': 0.1); must pass checks."""
    data = copy.deepcopy(data)
    for dotted, value in changes.items():
        node: Any = data
        parts = dotted.split("__")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    scenario = Scenario.model_validate(data)
    problems = check_scenario(scenario)
    assert not problems, problems
    return scenario
