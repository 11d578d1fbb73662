"""The report of a run with finance and of a sizing folder in a real browser (headless Chromium):
every section there, no script or console error, no resource that fails to load, and the numbers
on the rendered page equal those in summary.json / sizing.json.

Skipped where no chromium exists, failed instead in CI (IOPSIM_REQUIRE_CHROMIUM=1), as test_browser.py.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from .test_browser import chromium, headless  # noqa: F401  (the fixture and the runner of the browser)

REPO_SCENARIOS = __import__("pathlib").Path(__file__).resolve().parents[2] / "scenarios"
# First in <head>: records every error event (scripts, images, any resource) and console.error call,
# then, once loaded, writes them and the ids of the page's sections where --dump-dom shows them.
PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(String(e.message || (e.target && (e.target.src || e.target.href)) || "error").slice(0, 200));
}, true);
var __consoleError = console.error;
console.error = function () { window.__errors.push(Array.prototype.join.call(arguments, " ")); __consoleError.apply(console, arguments); };
window.addEventListener("load", function () {
  document.body.setAttribute("data-errors", JSON.stringify(window.__errors));
  document.body.setAttribute("data-sections", Array.prototype.map.call(
    document.querySelectorAll("section[id]"), function (s) { return s.id; }).join(" "));
});
</script>"""
RUN_SECTIONS = ("executive-summary", "summary", "key-results", "budget", "kpis", "charts", "assumptions", "methods",
                "stress-des")
SIZING_SECTIONS = ("executive-summary", "recommendation", "frontier", "candidates")


def _rendered(chromium, tmp_path, page: str):  # noqa: F811
    """The DOM after Chromium loaded the page, its section ids, and every error it met."""
    probe = tmp_path / "probe.html"
    probe.write_text(re.sub(r"<head>", "<head>" + PROBE, page, count=1, flags=re.I))
    result = headless(chromium, tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom", probe.as_uri())
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    dom = result.stdout.decode()
    errors = re.search(r'data-errors="([^"]*)"', dom)
    assert errors, "the page did not finish loading"
    console = [line for line in result.stderr.decode(errors="replace").splitlines()
               if ":CONSOLE(" in line or "Uncaught" in line]
    sections = re.search(r'data-sections="([^"]*)"', dom).group(1).split()
    return dom, sections, json.loads(errors.group(1).replace("&quot;", '"')) + console


def _number(cell: str) -> float:
    text = re.sub(r"<[^>]+>", "", cell).replace(",", "").replace("⚠", "").replace("▼", "").strip()
    return float(text)


def _decimals(cell: str) -> int:
    text = re.sub(r"<[^>]+>", "", cell).strip()
    return len(text.split(".")[1]) if "." in text else 0


def test_run_report_with_finance_in_a_browser(chromium, base, single_html, tmp_path):  # noqa: F811
    assert base.scenario.get("finance")  # the baseline prices the program
    dom, sections, errors = _rendered(chromium, tmp_path, single_html)
    assert errors == []
    assert [s for s in RUN_SECTIONS if s not in sections] == []
    assert sections.index("executive-summary") == 0

    key = dom.split('<section id="key-results">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<code>(\w+)</code>.*?</td>\s*<td>[^<]*</td>\s*<td class=\"num[^\"]*\"[^>]*>(.*?)</td>", key,
                      re.S)
    assert len(rows) >= 15
    for name, cell in rows:  # each shown mean is summary.json's, to the decimals shown
        mean = base.kpis[name]["mean"]
        assert abs(_number(cell) - mean) <= 0.5 * 10 ** -_decimals(cell) + 1e-9, (name, cell, mean)

    budget = dom.split('<section id="budget">', 1)[1].split("</section>", 1)[0]
    for item, name in (("Total cost", "total_cost_per_year"), ("Revenue total", "revenue_per_year"),
                       ("Net (revenue - cost)", "net_per_year")):
        cell = re.search(rf"<td>{re.escape(item)}</td>\s*<td>[^<]*</td>\s*<td class=\"num\">([^<]*)</td>", budget).group(1)
        assert _number(cell) == round(base.kpis[name]["mean"]), item

    summary = dom.split('<section id="executive-summary">', 1)[1].split("</section>", 1)[0]
    k = base.kpis["admitted_within_14_days_pct"]
    assert f"{k['mean']:.1f}% (95% CI {k['ci95'][0]:.1f}–" in summary
    assert f"net {round(base.kpis['net_per_year']['mean']):,} USD a year" in summary


@pytest.fixture(scope="module")
def sizing_folder(tmp_path_factory):
    """A small lever sizing of the template with the baseline's finance: costs in money."""
    import yaml

    from iopsim.cli import main

    data = yaml.safe_load((REPO_SCENARIOS / "template-example.yaml").read_text())
    data["finance"] = yaml.safe_load((REPO_SCENARIOS / "baseline.yaml").read_text())["finance"]
    root = tmp_path_factory.mktemp("sizing")
    scenario = root / "template-finance.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False))
    out = root / "size"
    res = CliRunner().invoke(main, ["size", str(scenario), "--target", "admitted_within_14_days_pct>=85",
                                    "--min-replications", "3", "--max-replications", "4", "--out", str(out), "--yes",
                                    "--set", "run.horizon_years=1.5", "--set", "run.warmup_weeks=12",
                                    "--set", "referrals.rate_per_week=6"])
    assert res.exit_code == 0, res.output
    return out


def test_sizing_report_in_a_browser(chromium, sizing_folder, tmp_path):  # noqa: F811
    from iopsim.cli import main

    res = CliRunner().invoke(main, ["report", str(sizing_folder)])
    assert res.exit_code == 0, res.output
    page = (sizing_folder / "report.html").read_text()
    dom, sections, errors = _rendered(chromium, tmp_path, page)
    assert errors == []
    assert [s for s in SIZING_SECTIONS if s not in sections] == []
    doc = json.loads((sizing_folder / "sizing.json").read_text())
    rec = doc["recommended"]
    assert rec is not None
    assert f"{round(rec['cost']):,} USD a year" in dom.split("</section>", 1)[0]  # in the executive summary
    assert "e+0" not in dom  # money never in e-notation
    table = dom.split("<section id=\"recommendation\">", 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr data-kpi=\"(\w+)\"><td>.*?</td>\s*<td>[^<]*</td>\s*<td class=\"num\">([^<]*)</td>", table,
                      re.S)
    assert "admitted_within_14_days_pct" in dict(rows) and len(rows) >= 10
    for name, cell in rows:
        mean = rec["kpis"][name]["mean"]
        assert abs(_number(cell) - mean) <= 0.5 * 10 ** -_decimals(cell) + 1e-9, (name, cell, mean)


def test_the_probe_sees_broken_images_and_console_errors(chromium, tmp_path):  # noqa: F811
    """So that 'no errors' above means something."""
    page = ("<!DOCTYPE html><html><head><title>t</title></head><body><section id='x'>"
            "<img src='data:image/png;base64,AAAA' alt='broken'><script>console.error('boom')</script>"
            "</section></body></html>")
    _, sections, errors = _rendered(chromium, tmp_path, page)
    assert sections == ["x"]
    assert any("boom" in e for e in errors) and any(e.startswith("data:image/png") for e in errors)
