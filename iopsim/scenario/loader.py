"""Read a scenario (or any pydantic-described) YAML file and report every problem with its line.

The public entry: read the YAML with its lines (yaml_lines), apply `--set` overrides (overrides),
validate and cross-check, and blame each problem on the line or the override that caused it
(pydantic_errors words the messages). Paths are dotted (`phases.0.duration_weeks.mode`) so they can
be used with `--set`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .checks import check_scenario
from .overrides import apply_overrides, override_paths
from .problems import OVERRIDE_FILE, Lines, Problem, ScenarioError
from .pydantic_errors import clean_loc, friendly
from .schema import Scenario
from .yaml_lines import MAX_FILE_BYTES, MAX_NESTING, load_yaml

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "OVERRIDE_FILE",
    "Checks",
    "Lines",
    "Problem",
    "ScenarioError",
    "apply_overrides",
    "load_model",
    "load_scenario",
    "load_yaml",
    "override_paths",
    "scenario_json_schema",
    "validate_data",
]

M = TypeVar("M", bound=BaseModel)
Checks = Callable[[Any], Sequence[tuple[str, str]]]


def _line_of(lines: Lines, loc: tuple) -> int | None:
    """Line of the deepest part of `loc` that appears in the file."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _locate(loc: tuple, message: str, source: str, lines: Lines, overridden: AbstractSet[str]) -> Problem:
    """Blame --set for what an override wrote; blame the file (noting overrides inside) otherwise."""
    path = ".".join(str(p) for p in loc)
    inside = sorted(o for o in overridden if not path or o.startswith(path + "."))
    from_override = any(path == o or path.startswith(o + ".") for o in overridden)
    if from_override or (inside and loc not in lines):
        return Problem(OVERRIDE_FILE, None, path, message)
    if inside:
        message += f" (after --set {', '.join(inside)})"
    return Problem(source, _line_of(lines, loc), path, message)


def _dotted_to_loc(path: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in path.split(".")) if path else ()


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.path))


def validate_data(
    data: Any,
    model_cls: type[M],
    source: str,
    lines: Lines,
    checks: Checks | None = None,
    overridden: AbstractSet[str] = frozenset(),
) -> M:
    """Validate `data` as `model_cls`, then its cross-field `checks`; raise ScenarioError with all problems.

    Checks run only on a valid model: they assume well-typed fields.
    """
    try:
        model = model_cls.model_validate(data)
    except ValidationError as exc:
        problems = [
            _locate(clean_loc(data, err["loc"]), friendly(model_cls, err), source, lines, overridden)
            for err in exc.errors()
        ]
        raise ScenarioError(_sorted(problems)) from None
    if checks is not None:
        found = checks(model)
        if found:
            problems = [_locate(_dotted_to_loc(path), msg, source, lines, overridden) for path, msg in found]
            raise ScenarioError(_sorted(problems))
    return model


def load_model(
    path: str | Path, model_cls: type[M], overrides: Sequence[str] = (), checks: Checks | None = None
) -> M:
    """Load any YAML input described by a pydantic model (scenarios, experiment files)."""
    data, lines = load_yaml(path)
    data = apply_overrides(data, overrides)
    return validate_data(data, model_cls, str(path), lines, checks, override_paths(overrides))


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load, override, validate and cross-check a scenario file."""
    return load_model(path, Scenario, overrides, check_scenario)


def scenario_json_schema() -> dict:
    """JSON Schema of the scenario file (for editors and the docs)."""
    return Scenario.model_json_schema()
