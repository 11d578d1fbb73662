"""Property: whatever value lands in any field, `iopsim validate` answers 0 or 2, fast, never a traceback.

Values are hypothesis-generated YAML: inf/nan, booleans, huge and tiny numbers, wrong types, text,
nested junk. They reach the loader both through `--set` and written into the scenario file.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iopsim.cli import main
from iopsim.scenario.finance_schema import MAX_AMOUNT
from iopsim.scenario.loader import load_scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
SECONDS_PER_EXAMPLE = 3.0
LARGEST_BOUND = 10_000_000
"""No field accepts a larger number (waitlist_capacity has this bound) except run.seed and the money
amounts of `finance:` (at most MAX_AMOUNT in the scenario's currency, which may be one of small units)."""


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key and list item of the baseline, so values land in every field and section."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, prefix + (i,))
    return out


BASE_DATA = yaml.safe_load(BASELINE.read_text())
PATHS = _paths(BASE_DATA) + [("nosuch",), ("referrals", "typo"), ("intake", "patience_days", "mean")]


def _at(path: tuple) -> Any:
    node = BASE_DATA
    for part in path:
        node = node[part]
    return node


NUMERIC_PATHS = [p for p in _paths(BASE_DATA) if isinstance(_at(p), (int, float)) and not isinstance(_at(p), bool)]
paths = st.one_of(st.sampled_from(NUMERIC_PATHS), st.sampled_from(PATHS))  # numbers are where most can go wrong

special_numbers = st.sampled_from([1e308, -1e308, 1e-300, 5e-324, 10**400, 1e7, 1e12, math.inf, -math.inf, math.nan])
scalars = st.one_of(
    special_numbers,
    st.booleans(),
    st.none(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["yes", "off", "12", "1e6", "09:00", "13-45", "poisson", "fixed", "Room A", "early"]),
)
distributions = st.fixed_dictionaries(
    {"kind": st.sampled_from(["fixed", "exponential", "uniform", "triangular", "normal", "lognormal", "gamma",
                              "empirical", "weibull"])},
    optional={k: scalars for k in ("value", "mean", "sd", "low", "mode", "high")}
    | {"values": st.lists(scalars, max_size=4), "weights": st.lists(scalars, max_size=4)},
)
values = st.recursive(
    st.one_of(scalars, distributions),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _set(data: Any, path: tuple, value: Any) -> Any:
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def _numbers(node: Any, path: str = "") -> list[tuple[str, float]]:
    if isinstance(node, dict):
        return [n for k, v in node.items() for n in _numbers(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [n for i, v in enumerate(node) for n in _numbers(v, f"{path}.{i}")]
    return [(path, node)] if isinstance(node, (int, float)) and not isinstance(node, bool) else []


def _assert_clean(result: Result, seconds: float, scenario: Path, overrides: tuple[str, ...] = ()) -> None:
    """Exit 0 or 2, never a traceback, in time; and what passes is finite and bounded."""
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert seconds < SECONDS_PER_EXAMPLE
    if result.exit_code == 2:
        assert result.output.strip().splitlines()[-1].endswith("nothing was run or written.")
        return
    accepted = load_scenario(scenario, overrides).model_dump()
    for path, number in _numbers(accepted):
        assert math.isfinite(number), path
        bound = MAX_AMOUNT if path.startswith(".finance.") else LARGEST_BOUND
        assert path == ".run.seed" or abs(number) <= bound, (path, number)


def _invoke(args: list[str]) -> tuple[Result, float]:
    start = time.perf_counter()
    result = CliRunner().invoke(main, args)
    return result, time.perf_counter() - start


fuzz = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(path=paths, value=values)
def test_any_value_through_set(path, value):
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    if text.endswith("..."):  # a bare scalar document
        text = text[: -len("...")].strip()
    override = f"{_dotted(path)}={text}"
    result, seconds = _invoke(["validate", str(BASELINE), "--set", override])
    _assert_clean(result, seconds, BASELINE, (override,))


@settings(fuzz, max_examples=60)
@given(path=paths, value=values)
def test_any_value_in_the_file(path, value):
    import copy

    data = _set(copy.deepcopy(BASE_DATA), path, value)
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "scenario.yaml"
        file.write_text(yaml.safe_dump(data, sort_keys=False))
        result, seconds = _invoke(["validate", str(file)])
        _assert_clean(result, seconds, file)


@settings(max_examples=40, deadline=None)
@given(raw=st.text(max_size=40))
def test_any_text_after_set(raw):
    override = f"referrals.rate_per_week={raw}"
    result, seconds = _invoke(["validate", str(BASELINE), "--set", override])
    _assert_clean(result, seconds, BASELINE, (override,))
