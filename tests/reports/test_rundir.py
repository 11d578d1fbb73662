"""Loading run folders: what is accepted, what is refused (naming the folder), and the window views."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from iopsim.reports.rundir import RunDir, RunDirError


def test_summary_facts(base):
    assert base.name == "baseline"
    assert base.replications == 3
    assert base.warmup_days == 70.0
    assert base.horizon_days == 730.0
    assert base.window_years == pytest.approx(660 / 365)
    footer = base.footer()
    for part in ("baseline", "3 replications", f"seed {base.seed}", f"iopsim {base.version}", "10 weeks"):
        assert part in footer


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "not a folder"),
    (lambda p: p, "summary.json is missing"),
])
def test_not_a_run_folder(tmp_path, make, message):
    with pytest.raises(RunDirError) as err:
        RunDir(make(tmp_path))
    assert message in str(err.value)
    assert str(make(tmp_path)) in str(err.value)


def test_unreadable_or_foreign_summary(tmp_path):
    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(RunDirError, match="not readable JSON"):
        RunDir(tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps({"name": "something else"}))
    with pytest.raises(RunDirError, match="lacks iopsim_version"):
        RunDir(tmp_path)


def test_missing_csv_is_named_when_needed(tmp_path, base_dir):
    folder = tmp_path / "partial"
    shutil.copytree(base_dir, folder)
    (folder / "patients.csv.gz").unlink()
    run = RunDir(folder)  # the summary alone is enough to open it
    assert run.replication_kpis.shape[0] == 3
    with pytest.raises(RunDirError, match=r"partial: patients\.csv\.gz is missing"):
        run.patients  # noqa: B018


def test_window_weeks_start_at_the_warmup(base):
    ts = base.timeseries
    w = base.window_weeks()
    assert (ts.loc[w, "week_end_days"] - 7 >= 70 - 1e-9).all()
    assert (ts.loc[~w, "week_end_days"] - 7 < 70).all()
    assert w.sum() == 3 * (int(730 // 7) - 10)


def test_weekly_band_is_mean_and_t_interval_across_replications(base):
    years, mean, lo, hi = base.weekly_band("waitlist")
    ts = base.timeseries
    by_week = ts.pivot(index="week_end_days", columns="replication", values="waitlist")
    np.testing.assert_allclose(years, by_week.index.to_numpy() / 365)
    np.testing.assert_allclose(mean, by_week.mean(axis=1).to_numpy())
    sd = by_week.std(axis=1, ddof=1).to_numpy()
    t = 4.302652729911275  # t(0.975, df=2)
    np.testing.assert_allclose(hi - mean, t * sd / np.sqrt(3), atol=1e-9)
    np.testing.assert_allclose(mean - lo, t * sd / np.sqrt(3), atol=1e-9)
