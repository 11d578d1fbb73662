"""Tracks: a patient keeps the track they can attend through every phase; waiting and KPIs per track."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from iopsim.model.clinic import Clinic
from iopsim.model.patient import Patient
from iopsim.reports.rundir_write import write_run_folder
from iopsim.runner import run_one, run_replications
from iopsim.scenario.checks import check_scenario
from iopsim.scenario.schema import Scenario
from tests.factories import build, deterministic_dict

DAY_ONLY = {"name": "day", "only_share": 0.2}


def one_phase(tracks: list[dict[str, Any]] | None, evening_seats: int = 4) -> dict[str, Any]:
    """One referral a week, one 8-week phase: a day group of 12 and an evening group of `evening_seats`.

    Pooled, 8 patients in treatment fit in the 16 seats and nobody waits; with 80% of referrals
    able to come only in the evening, the evening group needs 6.4 seats for its 4.
    """
    d = deterministic_dict()
    d["phases"] = d["phases"][:1]
    d["phases"][0]["duration_weeks"] = 8
    d["timetable"] = [
        {"group": "day-1", "day": "mon", "start": "09:00", "hours": 3, "room": "R", "serves": ["first"],
         "track": "day"},
        {"group": "eve-1", "day": "mon", "start": "18:00", "hours": 3, "room": "R", "serves": ["first"],
         "track": "evening", "max_size": evening_seats},
    ]
    if tracks is not None:
        d["tracks"] = tracks
    return d


def test_evening_demand_beyond_evening_seats_makes_only_the_evening_wait_grow():
    tracked = run_one(build(one_phase([DAY_ONLY, {"name": "evening", "only_share": 0.8}])), 1, 0)
    pooled = run_one(build(one_phase(None)), 1, 0)
    # Pooled, the free day seats hide the evening shortage: nobody ever waits.
    assert pooled.kpis["wait_to_admission_days_mean"] == 0.0 and pooled.kpis["waitlist_max"] == 0.0
    assert not any(k.startswith("track_") for k in pooled.kpis)
    k = tracked.kpis
    assert k["track_day_wait_to_admission_days_mean"] == 0.0
    assert k["track_day_admitted_within_14_days_pct"] == 100.0
    assert k["track_evening_wait_to_admission_days_mean"] > 100
    assert k["track_evening_admitted_within_14_days_pct"] < 10
    assert k["track_evening_census_mean"] == pytest.approx(4.0)  # the evening group is always full
    assert k["track_evening_group_enrollment_pct"] == 100.0
    assert k["track_day_census_mean"] < 3 and k["track_day_group_enrollment_pct"] < 25
    assert k["census_mean"] == pytest.approx(k["track_day_census_mean"] + k["track_evening_census_mean"])
    assert k["waitlist_mean"] == pytest.approx(k["track_evening_waitlist_mean"])
    # The evening wait rises through the run: each admitted evening patient waited longer than the one before.
    p = tracked.patients
    evening = (p["track"] == 1) & ~np.isnan(p["admitted"])
    order = np.argsort(p["admitted"][evening], kind="stable")
    waits = (p["admitted"] - p["referred"])[evening][order]
    assert len(waits) > 50 and waits[:10].mean() < 30 and waits[-10:].mean() > 500
    assert np.polyfit(np.arange(len(waits)), waits, 1)[0] > 0  # rising
    assert np.all((p["admitted"] - p["referred"])[(p["track"] == 0) & ~np.isnan(p["admitted"])] == 0)


def test_patients_who_prefer_the_evening_take_a_free_day_seat_and_stay_there():
    scenario = build(one_phase([DAY_ONLY, {"name": "evening", "prefers_share": 0.8}]))
    out = run_one(scenario, 1, 0)
    assert out.kpis["wait_to_admission_days_mean"] == 0.0  # nobody waits: the day group takes the overflow
    k = out.kpis
    assert k["track_evening_census_mean"] <= 4.0 and k["census_mean"] == pytest.approx(8.0, abs=0.05)
    # Only 20% can come only by day, yet about half the admissions went to the day group.
    assert k["track_day_admissions_per_year"] > 0.4 * k["admissions_per_year"]
    assert k["track_day_admissions_per_year"] + k["track_evening_admissions_per_year"] == k["admissions_per_year"]


def test_track_shares_are_drawn_on_their_own_stream():
    c = Clinic(build(one_phase([{"name": "day", "only_share": 0.5, "prefers_share": 0.1},
                                {"name": "evening", "only_share": 0.3, "prefers_share": 0.1}])), seed=3)
    drawn = []
    for pid in range(4000):
        p = Patient(pid, 0.0)
        c.tracks.assign(p)
        drawn.append((p.track, p.flexible))
    n = len(drawn)
    for outcome, share in {(0, False): 0.5, (0, True): 0.1, (1, False): 0.3, (1, True): 0.1}.items():
        observed = drawn.count(outcome) / n
        assert abs(observed - share) < 4 * (share * (1 - share) / n) ** 0.5, (outcome, observed)
    # Declaring tracks draws nothing from the other streams: the referrals and their times are unchanged.
    pooled = run_one(build(one_phase(None, evening_seats=12)), 5, 0)
    tracked = run_one(build(one_phase([DAY_ONLY, {"name": "evening", "only_share": 0.8}], evening_seats=12)), 5, 0)
    assert np.array_equal(pooled.patients["referred"], tracked.patients["referred"])


def two_phase_tracks() -> Scenario:
    d = deterministic_dict()
    d["phases"] = d["phases"][:2]
    d["tracks"] = [{"name": "day", "only_share": 0.5}, {"name": "evening", "only_share": 0.5}]
    d["timetable"] = [
        {"group": "d1", "day": "mon", "start": "09:00", "hours": 3, "room": "R", "serves": ["first"], "track": "day"},
        {"group": "e1", "day": "mon", "start": "18:00", "hours": 3, "room": "R", "serves": ["first"],
         "track": "evening"},
        {"group": "d2", "day": "tue", "start": "09:00", "hours": 3, "room": "R", "serves": ["second"],
         "track": "day", "max_size": 1},
        {"group": "e2", "day": "tue", "start": "18:00", "hours": 3, "room": "R", "serves": ["second"],
         "track": "evening"},
    ]
    return build(d)


def test_a_phase_change_stays_in_the_patients_track_even_when_another_track_has_more_room():
    c = Clinic(two_phase_tracks(), seed=1)
    d1, e1, d2, e2 = c.seats.groups
    assert [g.track for g in c.seats.groups] == [0, 1, 0, 1]
    first, second = Patient(0, 0.0), Patient(1, 0.0)
    for p in (first, second):
        p.in_treatment = True
        c.seats.sit(p, d1)
    then = (lambda ev: None,)
    assert c.seats.move(first, 1, then) is True and first.group is d2
    # d2 is full and e2 empty, but a day patient waits in their old seat for the day group.
    assert c.seats.move(second, 1, then) is False and second.group is d1
    assert list(c.seats.transfer_queues[0][1]) == [second] and not c.seats.transfer_queues[1][1]
    c.seats.stand_up(first)
    assert second.group is d2


def test_every_patient_in_a_run_sits_only_in_their_own_tracks_groups():
    c = Clinic(two_phase_tracks(), seed=2)
    c.env.run(until=400)
    assert c.in_treatment
    for p in c.in_treatment.values():
        assert p.group is not None and p.group.track == p.track


def problems_of(data: dict[str, Any]) -> list[tuple[str, str]]:
    return check_scenario(Scenario.model_validate(data))


def test_validation_names_each_track_problem():
    d = one_phase([{"name": "day", "only_share": 0.3}, {"name": "evening", "only_share": 0.3}])
    assert problems_of(d) == [("tracks", "only_share + prefers_share over all tracks must sum to 1, got 0.6")]
    d = one_phase([DAY_ONLY, {"name": "evening", "only_share": 0.8}])
    del d["timetable"][1]["track"]
    assert problems_of(d) == [
        ("timetable.1.track", "group 'eve-1' has no track; with tracks declared every phase group belongs to one "
                              "(day, evening)"),
        ("tracks.1.name", "track 'evening' has no group serving phase first: its patients could never move on"),
    ]
    d = one_phase([DAY_ONLY, {"name": "evening", "only_share": 0.8}])
    d["timetable"][1]["track"] = "night"
    assert problems_of(d)[0] == ("timetable.1.track", "'night' is not a track (tracks: day, evening)")


def test_track_labels_without_declared_tracks_change_nothing():
    labelled = run_one(build(one_phase(None)), 4, 0)
    d = one_phase(None)
    for sess in d["timetable"]:
        del sess["track"]
    plain = run_one(build(d), 4, 0)
    assert labelled.kpis == plain.kpis
    assert "track" not in labelled.patients


def test_a_template_block_without_a_track_is_reported_at_the_block():
    d = one_phase([DAY_ONLY, {"name": "evening", "only_share": 0.8}])
    d["timetable"] = d["timetable"][:1]  # the day group by hand; the evening one from a template block
    d["program"] = {"phases": {"first": [{"days": ["mon"], "start": "18:00"}]}}
    assert problems_of(d) == [
        ("program.phases.first.0.track", "no track; with tracks declared every phase block belongs to one "
                                         "(day, evening)"),
        ("tracks.1.name", "track 'evening' has no group serving phase first: its patients could never move on"),
    ]
    d["program"]["phases"]["first"][0]["track"] = "evening"
    scenario = build(d)
    assert [(x.group, x.track) for x in scenario.timetable] == [("day-1", "day"), ("first-evening-1", "evening")]


def test_scenarios_dump_tracks_only_when_declared_and_reload_to_the_same():
    tracked = build(one_phase([DAY_ONLY, {"name": "evening", "only_share": 0.8}]))
    dumped = tracked.model_dump(mode="json")
    assert Scenario.model_validate(dumped).model_dump(mode="json") == dumped
    assert dumped["tracks"][1] == {"name": "evening", "only_share": 0.8, "prefers_share": 0.0}
    d = deterministic_dict()
    plain = build(d).model_dump(mode="json")
    assert "tracks" not in plain and all("track" not in x for x in plain["timetable"])
    assert "shifts" not in plain["counselors"]


def test_a_run_folder_carries_per_track_kpis_with_units_and_track_names(tmp_path):
    run = run_replications(build(one_phase([DAY_ONLY, {"name": "evening", "only_share": 0.8}])), 2, seed=1)
    folder = write_run_folder(run, tmp_path / "out")
    kpis = json.loads((folder / "summary.json").read_text())["kpis"]
    assert kpis["track_evening_wait_to_admission_days_mean"]["unit"] == "days"
    assert kpis["track_day_census_mean"]["unit"] == "patients"
    assert kpis["track_day_admitted_within_14_days_pct"]["mean"] == 100.0
    patients = pq.read_table(folder / "patients.parquet").to_pydict()
    assert list(patients)[-1] == "track" and patients["track"] and set(patients["track"]) <= {"day", "evening"}


def test_the_bottleneck_names_the_evening_seats_not_the_pooled_seats():
    """Seat pools are per track when tracks are declared: the evening pool binds, the day pool has slack."""
    from iopsim.runner import RunSet

    scenario = build(one_phase([DAY_ONLY, {"name": "evening", "only_share": 0.8}]))
    run = RunSet(scenario, 1, [run_one(scenario, 1, r, keep_patients=False) for r in range(2)])
    block = run.bottleneck()
    resources = block["resources"]
    assert "seats:first" not in resources
    evening, day = resources["seats:first:evening"], resources["seats:first:day"]
    assert evening["capacity"] == 4 and day["capacity"] == 12
    assert evening["at_capacity_pct"] > 95 and evening["queue_mean"] > 10  # the evening waitlist waits for it
    assert day["at_capacity_pct"] == 0 and day["queue_mean"] == 0
    assert block["binding"] == ["seats:first:evening"]
