"""`--set a.b.c=value`: change one field of an input file from the command line.

Values are parsed as YAML, so `--set phases.0.duration_weeks=8` gives a number; every malformed or
unreachable override is reported together, blamed on `--set` rather than on the file.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import yaml

from .problems import OVERRIDE_FILE, Problem, ScenarioError
from .wording import plural
from .yaml_lines import YamlLoader


def _override_problem(path: str, message: str) -> Problem:
    return Problem(OVERRIDE_FILE, None, path, message)


def _parse_override(text: str) -> tuple[str, list[str], Any]:
    """'a.b.0=value' -> ('a.b.0', ['a', 'b', '0'], parsed value); raises ScenarioError if malformed."""
    if "=" not in text:
        raise ScenarioError(
            [_override_problem(text.strip(), "expected PATH=VALUE, e.g. referrals.rate_per_week=10")]
        )
    raw_path, raw_value = text.split("=", 1)
    dotted = raw_path.strip()
    parts = dotted.split(".")
    if not dotted or any(not p.strip() for p in parts):
        raise ScenarioError([_override_problem(dotted, f"malformed path in {text!r}; expected a.b.c=VALUE")])
    parts = [p.strip() for p in parts]
    try:
        value = yaml.load(raw_value, Loader=YamlLoader)  # YamlLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise ScenarioError([_override_problem(dotted, f"value is not valid YAML: {exc}")]) from None
    return ".".join(parts), parts, value


def override_paths(overrides: Sequence[str]) -> set[str]:
    """The dotted paths that `overrides` set, normalised as problems name them."""
    return {_parse_override(text)[0] for text in overrides}


def _list_index(items: list, part: str, dotted: str, where: str) -> int:
    if not part.isdigit():
        raise ScenarioError(
            [_override_problem(dotted, f"{where} is a list; index it by number, not {part!r}")]
        )
    index = int(part)
    if index >= len(items):
        raise ScenarioError(
            [_override_problem(dotted, f"index {index} is past the end of {where} ({plural(len(items), 'item')})")]
        )
    return index


def _set_path(root: dict, parts: list[str], value: Any) -> None:
    dotted = ".".join(parts)
    node: Any = root
    for depth, part in enumerate(parts):
        where = ".".join(parts[:depth])
        last = depth == len(parts) - 1
        if isinstance(node, dict):
            if last:
                node[part] = value
            elif node.get(part) is None:
                node[part] = {}  # lets --set fill in an optional section the file leaves out
            node = node[part]
        elif isinstance(node, list):
            index = _list_index(node, part, dotted, where)
            if last:
                node[index] = value
            node = node[index]
        else:
            raise ScenarioError(
                [_override_problem(dotted, f"{where} is the value {node!r}, which has no fields")]
            )


def apply_overrides(data: dict, overrides: Sequence[str]) -> dict:
    """Return a deep copy of `data` with every 'a.b.c=value' applied (values parsed as YAML).

    All malformed or unreachable overrides are reported together as '--set' problems.
    """
    result = copy.deepcopy(data)
    problems: list[Problem] = []
    for text in overrides:
        try:
            _, parts, value = _parse_override(text)
            _set_path(result, parts, value)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return result
