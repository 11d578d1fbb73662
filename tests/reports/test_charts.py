"""Every chart from a small real run is a valid, non-blank image, and its numbers agree with the KPIs.

The KPI cross-checks recompute from the run folder's CSVs what kpis.py computed inside the model:
if a chart used another window or definition than the KPI table next to it, they would disagree.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from iopsim.reports import charts as ch
from iopsim.reports.flow import patient_flow
from iopsim.reports.style import atomic_write, parse_formats, save_figure


@pytest.fixture(scope="session")
def png_charts(charted_run):
    """The PNG charts `iopsim run --charts` drew of a small real run (test_cli_reports.py checks the command)."""
    run, _ = charted_run
    return {p.stem: p for p in (run / "charts").glob("*.png")}


def pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        im.verify()  # a complete, uncorrupted PNG
    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=float)


@pytest.mark.parametrize("chart", ch.CHARTS, ids=[c.name for c in ch.CHARTS])
def test_chart_is_a_valid_non_blank_png(png_charts, chart):
    path = png_charts[chart.name]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = pixels(path)
    assert img.shape[1] >= 2000 and img.shape[0] >= 700  # 200 dpi at slide size
    dark = (img < 128).mean()
    assert 0.01 < dark < 0.9, f"{chart.name}: {dark:.3f} of pixels dark: blank or solid"
    assert img.std() > 20


def test_every_chart_written_and_no_temp_files_left(png_charts):
    folder = next(iter(png_charts.values())).parent
    assert sorted(p.name for p in folder.iterdir()) == sorted([".iopsim-output", *(f"{c.name}.png" for c in ch.CHARTS)])


def test_default_folder_and_other_formats(base_dir, tmp_path):
    import shutil

    from iopsim.reports.rundir import RunDir

    folder = tmp_path / "run"
    shutil.copytree(base_dir, folder)
    paths = ch.plot_run(RunDir(folder), formats=["svg", "pdf"], charts=[ch.chart_by_name("waitlist")])
    assert [p.relative_to(folder).as_posix() for p in paths] == ["charts/01-waitlist.svg", "charts/01-waitlist.pdf"]
    svg = paths[0].read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<text" not in svg  # text as outlines
    assert paths[1].read_bytes()[:5] == b"%PDF-"


def test_parse_formats():
    assert parse_formats("png, SVG,png") == ["png", "svg"]
    for bad in ("gif", "", "png,jpg"):
        with pytest.raises(ValueError, match="unsupported format"):
            parse_formats(bad)


def test_footer_names_scenario_replications_seed_version(base):
    fig = ch.render(base, ch.chart_by_name("census"))
    texts = [t.get_text() for t in fig.texts] + [fig._supxlabel.get_text()]
    assert any(base.footer() == t for t in texts)


# --- the numbers agree with the KPIs -----------------------------------------------------------------
def _kpi(run, name):
    return run.kpis[name]


def test_share_within_14_days_is_the_kpi(base):
    est = ch.share_within_target(base)
    kpi = _kpi(base, "admitted_within_14_days_pct")
    assert est.mean == pytest.approx(kpi["mean"], rel=1e-9)
    assert est.lo == pytest.approx(kpi["ci95"][0], rel=1e-9)


def test_waits_are_the_admissions_counted_by_the_kpi(base):
    wait, rep = ch.admission_waits(base)
    per_rep = [wait[rep == r].mean() for r in range(3)]
    assert np.mean(per_rep) == pytest.approx(_kpi(base, "wait_to_admission_days_mean")["mean"], rel=1e-6)
    admissions = np.bincount(rep) / base.window_years
    np.testing.assert_allclose(admissions, base.replication_kpis["admissions_per_year"], rtol=1e-9)


def test_length_of_stay_is_the_kpi(base):
    stay, outcome = ch.stays(base)
    assert set(outcome) <= {"graduated", "dropped_out", "relapse_discharge", "transferred"}
    p = base.patients
    treated = ["graduated", "dropped_out", "relapse_discharge", "stepped_up", "transferred", "non_starter"]
    rep = p.loc[base.within_window("treatment_end") & p["outcome"].isin(treated), "replication"]
    per_rep = [stay[rep.to_numpy() == r].mean() for r in range(3)]
    assert np.mean(per_rep) == pytest.approx(_kpi(base, "length_of_stay_days_mean")["mean"], rel=1e-6)


def test_counselor_hours_add_up_and_match_utilization(base):
    hours = ch.counselor_hours(base)
    activities = ["group", "documentation", "intake", "individual", "other_duties", "idle"]
    worked = hours[activities].sum(axis=1)
    no_overtime = hours["overtime"] == 0
    np.testing.assert_allclose(worked[no_overtime], hours.loc[no_overtime, "contracted"])
    w = hours[base.window_weeks().to_numpy()]
    c = base.scenario["counselors"]
    available = c["count"] * (c["contracted_hours_per_week"] - c["other_duties_hours_per_week"])
    per_rep = w.groupby("replication").apply(
        lambda d: 100 * d[["group", "documentation", "intake", "individual"]].to_numpy().sum() / (available * len(d)))
    np.testing.assert_allclose(per_rep, base.replication_kpis["counselor_utilization_pct"], rtol=1e-6)


def test_room_use_matches_weekly_room_hours(base):
    slots = ch._slots(base)
    assert (slots["used_share"].between(0, 1)).all()
    weeks_per_slot = slots["scheduled"] / base.replications
    for room in (r["name"] for r in base.scenario["rooms"]):
        mine = slots[slots["room"] == room]
        from_slots = float((mine["used_share"] * mine["hours"] * weeks_per_slot).sum() / weeks_per_slot.max())
        weekly = base.window_mean_per_week(f"room_hours_{room}")
        assert from_slots == pytest.approx(weekly, rel=0.03), room


def test_group_capacity_follows_the_model(base):
    cap = ch.group_capacity(base.scenario)
    assert cap["early-day-1"] == 12  # groups.max_size 12, Room A seats 14
    assert cap["aftercare-1"] == 14  # its own max_size 14, Room A seats 14
    assert cap["aftercare-4"] == 12  # max_size 12, Room B seats 12
    assert "intake-1" not in cap
    g = ch.group_sessions(base)
    assert list(g.index) == list(cap)  # timetable order, intake clinics excluded
    assert (g["enrolled"] / g["run"] <= g["capacity"] + 1e-9).all()


def test_patient_flow_balances_and_starts_from_the_referrals_kpi(base):
    root = patient_flow(base)
    assert root.count == pytest.approx(_kpi(base, "referrals_per_year")["mean"], rel=1e-9)
    for node in root.walk():
        if node.children:  # children fill the bar: the node's own count and what it carried over
            assert sum(c.count for c in node.children) == pytest.approx(node.height, rel=1e-9), node.label
            assert all(c.count > 0 for c in node.children)
            assert node.carried_in >= 0
    labels = {n.label for n in root.walk()}
    assert {"Assessed", "Admitted", "Graduated", "Dropped out", "Discharged after relapse"} <= labels
    assert any(label.startswith("Referred out: ") for label in labels)
    assert "Other" not in labels  # every outcome of the model has its own place in the flow


def test_flow_and_stay_charts_count_as_the_kpis(base):
    """One number for one thing: admissions and graduations a year in the flow, the wait and the
    length-of-stay charts equal the KPIs (graduations from the money KPIs: cost / cost per completion)."""
    nodes = {n.label: n for n in patient_flow(base).walk()}
    reps = base.replication_kpis
    assert nodes["Admitted"].count == pytest.approx(reps["admissions_per_year"].mean(), rel=1e-9)
    assert nodes["Admitted"].count == pytest.approx(_kpi(base, "admissions_per_year")["mean"], rel=1e-9)
    graduations = (reps["total_cost_per_year"] / reps["cost_per_completion"]).mean()
    assert nodes["Graduated"].count == pytest.approx(graduations, rel=1e-9)
    stay, outcome = ch.stays(base)
    per_year = 1.0 / (base.replications * base.window_years)
    assert (outcome == "graduated").sum() * per_year == pytest.approx(graduations, rel=1e-9)
    # every treatment end in the flow, by its TEDS reason: non-starters count as dropouts, step-ups as transfers
    ends = {"graduated": ("Graduated",), "dropped_out": ("Dropped out", "Never started"),
            "relapse_discharge": ("Discharged after relapse",),
            "transferred": ("Stepped up to a higher level of care", "Transferred early / stepped down")}
    for reason, labels in ends.items():
        assert (outcome == reason).sum() * per_year == pytest.approx(
            sum(nodes[k].count for k in labels if k in nodes), rel=1e-9, abs=1e-12), reason
    assert stay.size * per_year == pytest.approx(
        sum(nodes[k].count for labels in ends.values() for k in labels if k in nodes), rel=1e-9)
    assert {c.label for c in nodes["Admitted"].children} <= {k for labels in ends.values() for k in labels} | {
        "Still in treatment (rise over the window)"}  # no treatment end left out of the count
    wait, _ = ch.admission_waits(base)
    assert wait.size * per_year == pytest.approx(nodes["Admitted"].count, rel=1e-9)
    for label, kpi in (("Gave up on the waitlist", "reneged_waitlist_per_year"),
                       ("Referred out: mild (standard outpatient)", "referred_out_mild_per_year"),
                       ("Closed after intake no-shows", "intake_no_show_closed_per_year")):
        expected = _kpi(base, kpi)["mean"]
        assert (nodes[label].count if label in nodes else 0.0) == pytest.approx(expected, rel=1e-9, abs=1e-12), label
    started = sum(nodes[k].count for k in ("Completed aftercare", "Left aftercare early", "Relapsed in aftercare, referred again",
                                            "In aftercare at end of run") if k in nodes)
    uptake = 100 * started / nodes["Graduated"].count
    assert uptake == pytest.approx(_kpi(base, "aftercare_uptake_pct")["mean"], rel=0.05)  # a ratio of means


# --- atomic writes ------------------------------------------------------------------------------------
def test_interrupted_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "chart.png"
    target.write_bytes(b"old")

    def half_then_ctrl_c(f):
        f.write(b"half a file")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, half_then_ctrl_c)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]


def test_interrupted_savefig_writes_nothing(base, tmp_path, monkeypatch):
    fig = ch.render(base, ch.chart_by_name("waitlist"))

    def interrupted(f, **kwargs):
        f.write(b"\x89PNG partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(fig, "savefig", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_figure(fig, tmp_path / "01-waitlist", ["png"])
    assert list(tmp_path.iterdir()) == []



def test_per_group_at_capacity_counts_are_used_when_the_run_folder_has_them(base_dir, tmp_path):
    """sessions.csv may carry a per-slot `full` count; then each group shows its own at-capacity share."""
    import shutil

    import pandas as pd

    from iopsim.reports.rundir import RunDir

    folder = tmp_path / "with-full"
    shutil.copytree(base_dir, folder)
    sessions = pd.read_csv(folder / "sessions.csv")
    sessions["full"] = sessions["run"] // 2
    sessions.to_csv(folder / "sessions.csv", index=False)
    run = RunDir(folder)
    g = ch.group_sessions(run)
    np.testing.assert_array_equal(g["full"] + g["run_below"], g["run"])
    fig = ch.render(run, ch.chart_by_name("groups"))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:2] == ["Ran with every seat held", "Ran with seats free to hold"]


def test_degenerate_runs_still_draw(runs_root):
    """One replication (no confidence intervals) and no referrals at all: every chart still renders."""
    from iopsim.reports.rundir import RunDir

    from .conftest import make_run

    empty = RunDir(make_run(runs_root / "no-referrals", ["referrals.rate_per_week=0", "run.horizon_years=1"],
                            replications=1))
    for chart in ch.CHARTS:
        fig = ch.render(empty, chart)
        assert fig.axes, chart.name
    assert patient_flow(empty).count == 0


def test_census_chart_draws_the_seat_totals(base):
    """Baseline: four treatment groups of 12 (group size 12 in rooms of 14 and 12 seats) and aftercare
    groups of 14, 14, 14 and 12 seats."""
    fig = ch.render(base, ch.chart_by_name("census"))
    lines = {line.get_label(): line.get_ydata()[0] for line in fig.axes[0].lines}
    assert lines["Treatment seats (48)"] == 48
    assert lines["Treatment and aftercare seats (102)"] == 48 + 54
    assert base.summary["bottleneck"]["resources"]["aftercare_seats"]["capacity"] == 54  # as the model sizes them
    assert fig.axes[0].get_ylim()[1] >= 102


def test_chart_numbers_come_without_matplotlib(base_dir):
    """The data behind the charts is plain tables and arrays: reading it never imports matplotlib."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from iopsim.reports import charts as ch\n"
        "from iopsim.reports.rundir import RunDir\n"
        f"run = RunDir({str(base_dir)!r})\n"
        "ch.admission_waits(run); ch.share_within_target(run); ch.stays(run); ch.counselor_hours(run)\n"
        "ch.session_slots(run); ch.group_sessions(run); ch.full_share_program(run); ch.seat_totals(run.scenario)\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
