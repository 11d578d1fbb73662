"""The commands as a planner types them: `iopsim run --charts`, `iopsim plot`, and a fast `--help`."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.reports.charts import CHARTS


def test_help_does_not_import_heavy_libraries():
    code = ("import sys\nfrom iopsim.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('matplotlib', 'pandas', 'scipy', 'jinja2', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    for command in ("plot", "compare", "report"):
        assert f"\n  {command} " in out.stdout, command


def test_run_with_charts_draws_them_into_the_run_folder(charted_run):
    out, output = charted_run  # `iopsim run ... --charts`, run once by the fixture
    assert sorted(p.name for p in (out / "charts").iterdir()) == sorted([".iopsim-output",
                                                                         *(f"{c.name}.png" for c in CHARTS)])
    assert f"Charts written to {out / 'charts'}/" in output


def test_plot_command_formats_and_out(base_dir, tmp_path):
    result = CliRunner().invoke(main, ["plot", str(base_dir), "--format", "svg", "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "c").glob("*.svg"))) == len(CHARTS)
    assert not (base_dir / "charts").exists()


def test_plot_bad_input_exits_2(base_dir, tmp_path):
    result = CliRunner().invoke(main, ["plot", str(tmp_path)])
    assert result.exit_code == 2 and f"{tmp_path}: not an iopsim result folder: a run folder holds" in result.stderr
    result = CliRunner().invoke(main, ["plot", str(base_dir), "--format", "gif"])
    assert result.exit_code == 2 and "unsupported format gif" in result.output


@pytest.mark.slow
def test_plot_and_report_skip_per_patient_charts_after_no_patients(tmp_path):
    from click.testing import CliRunner

    from iopsim.cli import main

    out = tmp_path / "np"
    runner = CliRunner()
    result = runner.invoke(main, ["run", "scenarios/baseline.yaml", "--set", "run.horizon_years=2", "--set",
                                  "run.warmup_weeks=10", "-n", "2", "-j", "1", "--no-patients", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "patients.parquet").exists()
    result = runner.invoke(main, ["plot", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in (out / "charts").iterdir()) == [
        ".iopsim-output", "01-waitlist", "02-census", "04-rooms", "05-counselors", "08-groups"]
    assert "need patients.parquet" in result.stdout
    result = runner.invoke(main, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").stat().st_size > 10_000
