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
    (folder / "patients.parquet").unlink()
    run = RunDir(folder)  # the summary alone is enough to open it
    assert run.replication_kpis.shape[0] == 3
    with pytest.raises(RunDirError, match=r"partial: patients\.parquet is missing"):
        run.patients  # noqa: B018


def test_older_run_folder_with_csv_tables_reads_the_same(tmp_path, base_dir, base):
    """Run folders written before Parquet hold timeseries.csv and patients.csv.gz: still read, same values."""
    folder = tmp_path / "older"
    shutil.copytree(base_dir, folder)
    base.timeseries.to_csv(folder / "timeseries.csv", index=False, float_format="%.10g")
    base.patients.to_csv(folder / "patients.csv.gz", index=False, float_format="%.6f")
    (folder / "timeseries.parquet").unlink()
    (folder / "patients.parquet").unlink()
    older = RunDir(folder)
    assert older.has_patients
    assert list(older.timeseries.columns) == list(base.timeseries.columns)
    np.testing.assert_allclose(older.timeseries.to_numpy(dtype=float), base.timeseries.to_numpy(dtype=float),
                               rtol=1e-9)
    assert list(older.patients.columns) == list(base.patients.columns)
    assert (older.patients["outcome"] == base.patients["outcome"]).all()
    np.testing.assert_allclose(older.patients["admitted"], base.patients["admitted"], atol=1e-6)
    assert older.weekly_mean("waitlist")[1] == pytest.approx(base.weekly_mean("waitlist")[1])


def test_unreadable_parquet_is_named(tmp_path, base_dir):
    folder = tmp_path / "broken"
    shutil.copytree(base_dir, folder)
    (folder / "timeseries.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(RunDirError, match=r"broken: timeseries\.parquet is not readable"):
        RunDir(folder).timeseries  # noqa: B018


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


def test_a_series_whole_in_one_replication_and_fractional_in_another_is_written_as_floats(tmp_path):
    from types import SimpleNamespace

    import pyarrow.parquet as pq

    from iopsim.reports.rundir_write import _timeseries_table, _write_parquet
    from iopsim.runner import ReplicationOutput

    run = SimpleNamespace(outputs=[ReplicationOutput(0, {}, {"room_hours": [0, 0]}),
                                   ReplicationOutput(1, {}, {"room_hours": [0.5, 3.0]})])
    _write_parquet(_timeseries_table(run), tmp_path / "timeseries.parquet")
    table = pq.read_table(tmp_path / "timeseries.parquet").to_pydict()
    assert table == {"replication": [0, 0, 1, 1], "week": [1, 2, 1, 2], "room_hours": [0.0, 0.0, 0.5, 3.0]}


def test_names_by_code_are_arrow_strings_in_code_order(tmp_path):
    """Outcome and track names go into the patients table by numpy indexing (not `take`, which
    would import pyarrow.compute): names of any length, non-ASCII and empty ones included."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from iopsim.reports.rundir_write import _names, _write_parquet

    names = ["", "évening", "a", "a much longer track name"]
    codes = [3, 0, 1, 1, 2, 3, 0]
    column = _names(names, codes)
    assert column.to_pylist() == [names[c] for c in codes]
    assert _names(names, []).to_pylist() == []
    _write_parquet(pa.table({"track": column, "x": [0.5] * len(codes)}), tmp_path / "t.parquet")
    assert pq.read_table(tmp_path / "t.parquet").to_pydict() == {"track": [names[c] for c in codes], "x": [0.5] * 7}
