"""`iopsim plot` and `iopsim report` on sweep and sizing folders: the kind is told from the files, each
chart draws exactly the means and intervals of summary.csv, an unknown folder is exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result

from iopsim.cli import main
from iopsim.reports.folders import RUN, SIZING, SWEEP, folder_kind
from iopsim.reports.rundir import RunDirError
from iopsim.reports.sizing_charts import frontier_figure
from iopsim.reports.sizing_report import load_sizing
from iopsim.reports.sweep_charts import default_kpis, layout, load_sweep, sweep_chart
from tests.factories import deterministic_dict

KPIS = ["admitted_within_14_days_pct", "census_mean", "counselor_utilization_pct"]


def invoke(*args) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def _scenario(folder: Path) -> Path:
    d = deterministic_dict()
    d["run"].update({"horizon_years": 1, "warmup_weeks": 8})
    d["counselors"]["max_caseload"] = 5
    d["counselors"]["count"] = 3
    d["referrals"]["arrival_process"] = "poisson"  # replications differ: the intervals have width
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(d))
    return path


def _sweep(folder: Path, scenario: Path, name: str, parameters: list[dict]) -> Path:
    experiment = folder / f"{name}.yaml"
    experiment.write_text(yaml.safe_dump({"name": name, "scenario": str(scenario), "replications": 2, "seed": 3,
                                          "parameters": parameters, "kpis": KPIS}))
    out = folder / name
    result = invoke("sweep", experiment, "--out", out, "-j", "1")
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("folders")
    scenario = _scenario(folder)
    line = _sweep(folder, scenario, "line", [{"path": "counselors.count", "values": [2, 3, 4]}])
    grid = _sweep(folder, scenario, "grid", [{"path": "counselors.count", "values": [2, 3]},
                                             {"path": "referrals.rate_per_week", "values": [1, 1.5]}])
    size = invoke("size", scenario, "--target", "admitted_within_14_days_pct>=90", "--rooms", "1",
                  "--counselors", "2..4", "--min-replications", "2", "--max-replications", "4", "-j", "1",
                  "--out", folder / "size")
    assert size.exit_code in (0, 1), size.output  # 1: no candidate met the target; the folder is written
    run = invoke("run", scenario, "-n", "2", "-j", "1", "--out", folder / "run")
    assert run.exit_code == 0, run.output
    return {"line": line, "grid": grid, "size": folder / "size", "run": folder / "run", "root": folder}


def test_the_kind_of_folder_is_told_from_its_files(folders):
    assert folder_kind(folders["line"]) == SWEEP and folder_kind(folders["size"]) == SIZING
    assert folder_kind(folders["run"]) == RUN
    with pytest.raises(RunDirError, match="not an iopsim result folder: a run folder holds summary.json"):
        folder_kind(folders["root"])


def test_one_parameter_is_a_line_of_the_means_in_a_band_of_their_intervals(folders):
    sweep = load_sweep(folders["line"])
    assert layout(sweep) == "line" and sweep.params == ["counselors.count"]
    summary = pd.read_csv(folders["line"] / "summary.csv")  # long: one row per point and KPI
    summary = summary[summary["kpi"] == "census_mean"].sort_values("counselors.count")
    fig = sweep_chart(sweep, "census_mean")
    ax = fig.axes[0]
    (line,) = ax.lines
    np.testing.assert_allclose(line.get_xdata(), [2, 3, 4])
    np.testing.assert_allclose(line.get_ydata(), summary["mean"])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]  # fill_between: the band runs low..high
    assert np.isclose(band.min(), summary["ci_low"].min())
    assert np.isclose(band.max(), summary["ci_high"].max())


def test_two_parameters_on_a_grid_are_a_heatmap_of_the_means(folders):
    sweep = load_sweep(folders["grid"])
    assert layout(sweep) == "heatmap"
    fig = sweep_chart(sweep, "counselor_utilization_pct")
    image = fig.axes[0].images[0].get_array()
    summary = pd.read_csv(folders["grid"] / "summary.csv")
    summary = summary[summary["kpi"] == "counselor_utilization_pct"]
    expected = summary.pivot(index="referrals.rate_per_week", columns="counselors.count",
                             values="mean").sort_index().to_numpy()
    np.testing.assert_allclose(np.asarray(image), expected)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert len(labels) == 4 and all("[" in label for label in labels)  # every cell: mean and its CI


def test_a_sample_that_is_not_a_grid_gets_a_panel_per_parameter(folders, tmp_path):
    target = tmp_path / "lhs"
    target.mkdir()
    plan = json.loads((folders["grid"] / "experiment.json").read_text())
    summary = pd.read_csv(folders["grid"] / "summary.csv")
    first = summary["point_id"] == summary.loc[0, "point_id"]
    summary.loc[first, "referrals.rate_per_week"] = 1.25  # no longer a full grid (every row of that point)
    (target / "experiment.json").write_text(json.dumps(plan))
    summary.to_csv(target / "summary.csv", index=False)
    sweep = load_sweep(target)
    assert layout(sweep) == "panels"
    assert len([ax for ax in sweep_chart(sweep, "census_mean").axes if ax.has_data()]) == 2


def test_a_sweep_is_charted_by_its_headline_kpis_unless_told(folders):
    from iopsim.reports.terminal import HEADLINE_KPIS

    assert default_kpis(load_sweep(folders["grid"])) == list(HEADLINE_KPIS)  # summary.csv has every KPI


def test_plot_of_a_sweep_draws_one_chart_per_kpi(folders, tmp_path):
    result = invoke("plot", folders["grid"], "--kpi", "census_mean", "--kpi", "group_fill_pct",
                    "--out", tmp_path / "charts")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "charts").glob("*.png")) == ["sweep-census_mean.png",
                                                                          "sweep-group_fill_pct.png"]
    assert "Wrote 2 chart files" in result.output
    one = invoke("plot", folders["line"], "--kpi", "census_mean", "--format", "png,svg", "--out", tmp_path / "one")
    assert one.exit_code == 0, one.output
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [".iopsim-output", "sweep-census_mean.png",
                                                                   "sweep-census_mean.svg"]


@pytest.mark.parametrize("args, message", [
    (["--kpi", "census_man"], "--kpi census_man: not in this sweep; it reports referrals_per_year"),
])
def test_plot_refuses_an_unknown_kpi(folders, tmp_path, args, message):
    result = invoke("plot", folders["line"], *args, "--out", tmp_path / "x")
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "x").exists()


def test_kpi_is_for_sweep_folders_only(folders, tmp_path):
    result = invoke("plot", folders["run"], "--kpi", "census_mean", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "is a run folder" in result.output


def test_plot_and_report_refuse_a_folder_of_no_known_kind(folders, tmp_path):
    (tmp_path / "notes").mkdir()
    for command in ("plot", "report"):
        result = invoke(command, tmp_path / "notes")
        assert result.exit_code == 2, result.output
        assert "notes: not an iopsim result folder" in result.output
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == []


def test_plot_of_a_sizing_folder_draws_its_frontier(folders, tmp_path):
    result = invoke("plot", folders["size"], "--out", tmp_path / "frontier")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "frontier" / "frontier.png").stat().st_size > 10_000
    doc = load_sizing(folders["size"])
    fig = frontier_figure(doc)
    ax = fig.axes[0]
    drawn = sorted(x for c in ax.containers for x in c.lines[0].get_xdata())
    assert drawn == sorted(c["cost"] for c in doc["candidates"] if c["replications"])


def test_report_of_a_sweep_folder_has_a_chart_per_kpi_and_every_point(folders, tmp_path):
    out = tmp_path / "sweep.html"
    result = invoke("report", folders["grid"], "--kpi", "census_mean", "--kpi", "counselor_utilization_pct",
                    "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.count("<figure>") == 2 and text.count("src='data:image/svg+xml;base64,") == 2
    assert '<meta name="generator" content="iopsim' in text
    summary = pd.read_csv(folders["grid"] / "summary.csv")
    for point in summary["point_id"].unique():
        assert f"<td>{point}</td>" in text
    assert "heatmap" in text and "src='http" not in text and 'src="http' not in text
    again = invoke("report", folders["grid"], "--kpi", "census_mean", "-o", out)  # kept, written beside it
    assert again.exit_code == 0 and (tmp_path / "sweep-2.html").exists()
