"""The HTML report: every KPI, every chart, every parameter, a methods paragraph, and nothing external."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

from click.testing import CliRunner

from iopsim import __version__
from iopsim.cli import main
from iopsim.reports.assumptions import describe_distribution, flatten_scenario
from iopsim.reports.charts import CHARTS, render
from iopsim.reports.report import figure_data_uri, render_report


class Page(HTMLParser):
    """The tags and attributes of a page, and the rows of its tables."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict]:
        return [attrs for t, attrs in self.tags if t == tag]


def test_every_kpi_is_in_the_report(base, single_html):
    for name, v in base.kpis.items():
        assert f"<code>{name}</code>" in single_html, name
        assert v["unit"] in single_html


def test_key_results_say_what_binds(base, single_html):
    import html

    from iopsim.analysis.bottleneck import sentence

    text = sentence(base.summary["bottleneck"])
    assert text.startswith("Binding: ")
    key_results = single_html.split('<section id="key-results">', 1)[1].split("</section>", 1)[0]
    assert html.escape(text, quote=False) in key_results or text in key_results


def test_every_chart_embedded_as_a_valid_image(single_html):
    page = Page(single_html)
    imgs = page.all("img")
    assert len(imgs) == len(CHARTS)
    for chart, img in zip(CHARTS, imgs, strict=True):
        assert chart.title in img["alt"]
        head, data = img["src"].split(",", 1)
        assert head == "data:image/svg+xml;base64"
        svg = base64.b64decode(data, validate=True)
        assert b"<svg" in svg[:500] and len(svg) > 20_000
        assert f'id="A-{chart.name}"' in single_html


def test_comparison_section_and_chart(multi_html):
    imgs = Page(multi_html).all("img")
    assert len(imgs) == 2 * len(CHARTS) + 1  # each run's charts and the comparison chart
    assert all(img["src"].startswith("data:image/svg+xml;base64,") for img in imgs)
    assert imgs[0]["alt"].startswith("Comparison chart")
    assert 'id="comparison"' in multi_html and "B: three-counselors vs A: base" in multi_html
    assert "Confidence intervals of the differences: paired (common random numbers)." in multi_html
    assert 'id="B-08-groups"' in multi_html


def test_png_embedding(base):
    uri = figure_data_uri(render(base, CHARTS[0]), "png")
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_external_requests_scripts_or_links(single_html, multi_html):
    for html in (single_html, multi_html):
        page = Page(html)
        assert not page.all("script") and not page.all("link") and not page.all("iframe")
        for tag, attrs in page.tags:
            for key in ("src", "href", "srcset", "poster", "data", "action"):
                value = attrs.get(key)
                if value is not None:
                    assert value.startswith(("data:", "#")), (tag, key, value[:80])
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", html, re.I)


def test_assumptions_list_every_parameter_with_its_value(base, single_html):
    def leaves(d, path=""):
        for k, v in d.items():
            p = f"{path}.{k}" if path else k
            if isinstance(v, dict) and "kind" not in v:
                yield from leaves(v, p)
            elif not isinstance(v, list):
                yield p, v

    rows = {path: value for path, _, value in flatten_scenario(base.scenario)}
    for path, _ in leaves(base.scenario):
        assert f"<code>{path}</code>" in single_html, path
    for phase in base.scenario["phases"]:
        assert rows[f"phases[{phase['name']}].relapse_prob_per_week"] == f"{phase['relapse_prob_per_week']:g}"
    assert rows["counselors.count"] == "4"
    assert rows["rooms[Room A].seats"] == "14"
    assert rows["closures.dates"] == "01-01, 05-25, 07-04, 09-07, 11-26, 12-25"
    assert rows["phases[early].duration_weeks"] == "gamma (mean 2.9, sd 0.7)"
    timetable = [v for p, v in rows.items() if p.startswith("timetable[")]
    assert len(timetable) == len(base.scenario["timetable"])
    assert "group: early-day-1" in timetable[0] and "room: Room A" in timetable[0]
    assert rows["admission.waitlist_capacity"] == "none"
    # and the schema's own words explain them
    assert "Longest waitlist accepted" in single_html


def test_differing_parameters_are_highlighted(multi_html):
    row = re.search(r'<tr class="differs"><td><code>counselors\.count</code></td><td>4</td><td>3</td>', multi_html)
    assert row, "counselors.count differs between the runs and should be highlighted"
    assert '<tr class="differs"><td><code>referrals.rate_per_week</code>' not in multi_html


def test_methods_paragraph(base, single_html, multi_html):
    methods = re.search(r'<p class="methods">(.*?)</p>', single_html, re.S).group(1)
    for part in (f"iopsim {__version__}", "discrete-event simulation", "3 replications of 2 years",
                 f"base seed {base.seed}", "first 10 weeks discarded", "95% confidence interval", "Student"):
        assert part in methods, part
    assert "paired" not in methods
    assert "common random numbers" in re.search(r'<p class="methods">(.*?)</p>', multi_html, re.S).group(1)


def test_describe_distribution():
    assert describe_distribution({"kind": "fixed", "value": 52.0}) == "52"
    assert describe_distribution({"kind": "exponential", "mean": 45.0}) == "exponential (mean 45)"


def test_report_command_default_output_in_the_run_folder(base_dir, tmp_path):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(base_dir, folder)
    before = {p.name for p in folder.iterdir()}
    result = CliRunner().invoke(main, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in folder.iterdir()} - before == {"report.html"}  # and no temp file left behind
    assert (folder / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_report_command_bad_folder_exits_2(base_dir, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(base_dir), str(tmp_path), "-o", str(out)])
    assert result.exit_code == 2
    assert f"{tmp_path}: not a run folder" in result.stderr
    assert not out.exists()


def test_single_replication_report_says_there_are_no_intervals(runs_root, monkeypatch):
    """The words and tables without intervals (charts of such runs: test_charts.test_degenerate_runs_still_draw)."""
    import iopsim.reports.report as report
    from iopsim.reports.rundir import RunDir

    from .conftest import make_run

    monkeypatch.setattr(report, "_charts", lambda run, fmt: [])
    one = RunDir(make_run(runs_root / "one-rep", ["run.horizon_years=1"], replications=1))
    html = render_report([one])
    assert "no confidence intervals could be computed" in html
    ci_cells = re.findall(r'<td class="num">([^<]*)</td></tr>', html)
    assert ci_cells and all(cell == "" for cell in ci_cells)  # the 95% CI column stays empty
