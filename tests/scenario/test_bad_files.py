"""Issue 9, item 8 (files): huge, endless or deeply nested inputs are refused up front, exit 2."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from iopsim.cli import main
from iopsim.scenario.loader import MAX_FILE_BYTES, MAX_NESTING

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def validate(path: Path | str):
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["validate", str(path)])
    return result, time.perf_counter() - start


def test_a_file_over_the_size_cap_is_refused_without_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    padding = "# " + "x" * 98 + "\n"
    path.write_text(BASELINE.read_text() + padding * (MAX_FILE_BYTES // len(padding) + 1))
    result, seconds = validate(path)
    assert result.exit_code == 2
    assert f"{path}: file is too large (1.0 MB); input files are at most 1 MB" in result.output
    assert seconds < 5


def test_a_file_just_under_the_cap_is_read(tmp_path):
    path = tmp_path / "padded.yaml"
    text = BASELINE.read_text()
    path.write_text(text + "#" * (MAX_FILE_BYTES - len(text.encode()) - 10) + "\n")
    result, _ = validate(path)
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused_not_read_forever():
    result, seconds = validate("/dev/zero")
    assert result.exit_code == 2
    assert "/dev/zero: is not a regular file" in result.output
    assert seconds < 5


@pytest.mark.parametrize("depth", [MAX_NESTING + 5, 600, 5000])
def test_deep_nesting_is_a_problem_not_a_recursion_error(tmp_path, depth):
    path = tmp_path / "deep.yaml"
    path.write_text("name: " + "{a: " * depth + "1" + "}" * depth + "\n")
    result, _ = validate(path)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{path}:1: " in result.output
    assert "nest" in result.output


def test_deep_block_nesting_is_refused(tmp_path):
    path = tmp_path / "deep-block.yaml"
    path.write_text("".join("  " * i + f"k{i}:\n" for i in range(600)) + "  " * 600 + "v\n")
    result, _ = validate(path)
    assert result.exit_code == 2, result.output
    assert "nested more than 50 levels deep" in result.output
