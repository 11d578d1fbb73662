"""Scenario comparison: pairing by common random numbers, the intervals, the CLI and its files."""

from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from iopsim.cli import main
from iopsim.reports.compare import (
    HEADLINE_KPIS,
    PAIRED,
    WELCH,
    compare,
    comparison_frame,
    pairing,
    relative_text,
)


def test_same_seed_and_replications_pair(base, fewer_counselors, other_seed):
    assert pairing(base, fewer_counselors) == PAIRED
    assert pairing(base, other_seed) == WELCH


def test_same_seed_but_other_replications_does_not_pair(base, runs_root):
    from iopsim.reports.rundir import RunDir

    from .conftest import make_run

    two = RunDir(make_run(runs_root / "two-reps", replications=2))
    assert pairing(base, two) == WELCH


def test_paired_difference_is_a_t_interval_of_per_replication_differences(base, fewer_counselors):
    c = compare(base, fewer_counselors)
    row = c.row("counselor_utilization_pct")
    d = (fewer_counselors.replication_kpis["counselor_utilization_pct"]
         - base.replication_kpis["counselor_utilization_pct"]).to_numpy()
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    assert row.diff.mean == pytest.approx(d.mean())
    assert (row.diff.lo, row.diff.hi) == pytest.approx((d.mean() - half, d.mean() + half))
    assert row.diff.excludes_zero and row.diff.mean > 0  # 3 counselors are busier than 4
    assert row.a.mean == base.kpis["counselor_utilization_pct"]["mean"]


def test_welch_difference(base, other_seed):
    row = compare(base, other_seed).row("census_mean")
    a = base.replication_kpis["census_mean"].to_numpy()
    b = other_seed.replication_kpis["census_mean"].to_numpy()
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    assert (row.diff.lo, row.diff.hi) == pytest.approx((b.mean() - a.mean() - half, b.mean() - a.mean() + half))


def test_common_random_numbers_cancel_what_did_not_change(base, fewer_counselors):
    """New referrals do not depend on staffing: with CRN they arrive at identical times in both runs (the
    baseline's readmissions do depend on it, so the referral KPI differs only by the returns)."""
    def first_referrals(run):
        p = run.patients
        return p.loc[p["prior_episodes"] == 0, ["replication", "referred"]].sort_values(["replication", "referred"])

    np.testing.assert_array_equal(first_referrals(base).to_numpy(), first_referrals(fewer_counselors).to_numpy())
    assert compare(base, base).row("referrals_per_year").diff.mean == 0.0


def test_every_kpi_compared_and_run_against_itself_is_zero(base):
    c = compare(base, base)
    assert [r.name for r in c.rows] == list(base.kpis)
    for r in c.rows:
        assert r.diff.mean in (0.0, None), r.name


def test_frame_has_a_row_per_kpi_and_comparison(base, fewer_counselors, other_seed):
    frame = comparison_frame([compare(base, fewer_counselors), compare(base, other_seed)])
    assert len(frame) == 2 * len(base.kpis)
    assert set(frame["method"]) == {"paired", "welch"}


def test_relative_text():
    assert [relative_text(x) for x in (17.2, -2.4, 0.3, None, math.nan)] == ["+17%", "-2%", "0%", "", ""]


# --- command line ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compare_command(base_dir, fewer_counselors_dir, tmp_path_factory):
    """`iopsim compare A B` once, in both image formats and wide enough for the KPI names in words: its
    output, and the folder it wrote."""
    out = tmp_path_factory.mktemp("compare") / "cmp"
    result = CliRunner().invoke(main, ["compare", str(base_dir), str(fewer_counselors_dir), "--out", str(out),
                                       "--format", "png,svg"], env={"COLUMNS": "250"})
    return result, out


def test_compare_command_prints_table_and_writes_chart_and_csv(base, compare_command):
    result, out = compare_command
    assert result.exit_code == 0, result.output
    assert "paired (common random numbers)" in result.output
    assert "Counselor clinical time used (% of contracted clinical hours) [%]" in result.output  # label and unit
    assert sorted(p.name for p in out.iterdir()) == [".iopsim-output", "comparison.csv", "comparison.png",
                                                     "comparison.svg"]
    csv = (out / "comparison.csv").read_text().splitlines()
    assert len(csv) == 1 + len(base.kpis)
    png = (out / "comparison.png").read_bytes()
    assert png[:4] == b"\x89PNG" and len(png) > 50_000
    svg = (out / "comparison.svg").read_text()
    assert "<svg" in svg


@pytest.mark.parametrize("args, message", [
    (["{base}", "{tmp}"], "summary.json is missing"),
    (["{base}", "{tmp}/nope"], "not a folder"),
])
def test_compare_bad_folder_exits_2_naming_it(base_dir, tmp_path, args, message):
    args = [a.format(base=base_dir, tmp=tmp_path) for a in args]
    result = CliRunner().invoke(main, ["compare", *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert message in result.stderr and args[1] in result.stderr
    assert not (tmp_path / "out").exists()


def test_compare_needs_two_folders(base_dir):
    result = CliRunner().invoke(main, ["compare", str(base_dir)])
    assert result.exit_code == 2
    assert "at least two" in result.output


def test_chart_shows_each_difference(base, fewer_counselors, other_seed):
    from iopsim.reports.compare import comparison_chart

    runs = [base, fewer_counselors, other_seed]
    fig = comparison_chart(runs, [compare(base, fewer_counselors), compare(base, other_seed)])
    labels = [ax.get_xlabel() for ax in fig.axes if ax.get_xlabel()]
    assert len(labels) == len(HEADLINE_KPIS) == 12 and all("B−A" in t and "C−A" in t for t in labels)
    footer = fig._supxlabel.get_text()
    assert "B−A paired" in footer and "C−A Welch" in footer
    bars = [p.get_height() for p in fig.axes[0].patches]
    np.testing.assert_allclose(bars, [r.kpis["wait_to_admission_days_mean"]["mean"] for r in runs])


def test_notes_say_what_else_differs(base, base_dir, tmp_path):
    import json
    import shutil

    from iopsim.reports.rundir import RunDir

    folder = tmp_path / "longer-warmup"
    shutil.copytree(base_dir, folder)
    summary = json.loads((folder / "summary.json").read_text())
    summary.update(warmup_weeks=20, iopsim_version="9.9")
    (folder / "summary.json").write_text(json.dumps(summary))
    notes = compare(base, RunDir(folder)).notes
    assert notes[0] == "The warm-up differs (10 vs 20 weeks): the KPIs cover different periods."
    assert notes[1].startswith("Made by different iopsim versions") and "pairing may not hold" in notes[1]
    assert compare(base, base).notes == []


# --- differences of percentages are in percentage points, everywhere ------------------------------
def test_percentage_differences_are_points_not_relative(base, fewer_counselors):
    from iopsim.reports.compare import change_text, difference_text, points_text

    c = compare(base, fewer_counselors)
    shares = [r for r in c.rows if r.unit == "%"]
    assert len(shares) >= 10
    for r in shares:
        assert r.relative_pct is None and r.difference_unit == "pp"
        if r.diff.mean is not None and r.diff.mean != 0:
            assert difference_text(r).split(" (")[0].endswith(" pp"), r.name
            assert change_text(r).endswith(" pp"), r.name
    others = [r for r in c.rows if r.unit != "%" and r.diff.mean not in (None, 0) and r.a.mean not in (None, 0)]
    assert others and all(change_text(r).endswith("%") and "pp" not in difference_text(r) for r in others)
    assert [points_text(x, 1) for x in (3.94, -0.44, 0.01, None)] == ["+3.9 pp", "-0.4 pp", "0.0 pp", "–"]


def test_every_percentage_difference_in_compare_is_labelled_in_points(base, fewer_counselors, compare_command,
                                                                     multi_html):
    """Terminal, CSV, chart and report: each difference of a % KPI carries 'pp', none a relative %."""
    import html
    import re

    import pandas as pd

    from iopsim.reports.compare import comparison_chart

    result, out = compare_command
    assert result.exit_code == 0, result.output
    c = compare(base, fewer_counselors)
    moved = [r for r in c.rows if r.unit == "%" and r.diff.mean not in (None, 0)]
    assert moved
    rows = result.output.splitlines()
    for r in moved:  # terminal: the difference and the change in points, no relative percent
        [line] = [line for line in rows if line.startswith(f"{r.label} [%]")]  # the KPI in words, with its unit
        assert line.count(" pp") >= 2, line
        assert not re.search(r"[+-]\d+%", line), line

    frame = pd.read_csv(out / "comparison.csv")
    pct = frame[frame["unit"] == "%"]
    assert (pct["difference_unit"] == "pp").all() and pct["relative_change_pct"].isna().all()
    assert (frame.loc[frame["unit"] != "%", "difference_unit"] == frame.loc[frame["unit"] != "%", "unit"]
            .fillna("")).all()

    fig = comparison_chart([base, fewer_counselors], [c])
    labels = {ax.get_title(loc="left"): ax.get_xlabel() for ax in fig.axes if ax.get_title(loc="left")}
    pct_panels = [t for t in labels if t.endswith("(%)")]
    assert pct_panels and all(" pp" in labels[t] for t in pct_panels)

    # the report's comparison table as rendered: the difference cell and the change cell of each row
    table = multi_html.split('<section id="comparison">', 1)[1].split("</section>", 1)[0]
    for r in moved:
        row = re.search(rf"<code>{r.name}</code></td><td>%</td>\s*<td class=\"num\">[^<]*</td><td class=\"num\">"
                        rf"[^<]*</td><td class=\"num diff[^\"]*\">([^<]*)(?:<span[^>]*>[^<]*</span>)?</td>"
                        rf"<td class=\"num\">([^<]*)</td></tr>", table)
        assert row, r.name
        diff, change = (html.unescape(g).strip() for g in row.groups())
        assert diff.split(" (")[0].endswith(" pp") and change.endswith(" pp"), (r.name, diff, change)
