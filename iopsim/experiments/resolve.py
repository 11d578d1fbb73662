"""Experiment file -> the validated scenario of every point, with scenario-style error reports.

Everything is checked before anything runs: the experiment file (its own schema), the base
scenario (its file, its lines), the fixed `overrides`, and every point's scenario. A problem a
parameter value causes is reported at that value's line in the experiment file as
`FILE:LINE: parameters.1.values.2: counselors.count = 0: ...`, through the same loader, Problem and
ScenarioError the scenario commands use, so a sweep either starts on valid input or writes nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analysis.kpi_names import UnknownKpi, resolve_kpi
from ..scenario.checks import check_scenario
from ..scenario.loader import (
    OVERRIDE_FILE,
    Lines,
    Problem,
    ScenarioError,
    apply_overrides,
    load_yaml,
    validate_data,
)
from ..scenario.schema import Scenario
from .rooms import RoomScalingError, with_group_rooms
from .schema import GROUP_ROOMS, Experiment, check_experiment

MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Point:
    """A validated point. It keeps its parameters and scenario hash, not its scenario: a plan of tens of
    thousands of points stays small, and `scenario` rebuilds the (valid) scenario when the point runs."""

    point_id: str
    params: dict[str, Any]
    where: dict[str, str] = field(repr=False)
    scenario_sha256: str = ""
    loaded: LoadedExperiment | None = field(default=None, repr=False, compare=False)

    @property
    def scenario(self) -> Scenario:
        assert self.loaded is not None
        return scenario_for(self.loaded, self.params, self.where)


@dataclass
class LoadedExperiment:
    path: Path
    experiment: Experiment
    lines: Lines
    scenario_path: Path  # the experiment's directory joined with `scenario:`, as problems name it
    scenario_lines: Lines
    base_data: dict = field(default_factory=dict)  # the base scenario's data with `overrides` applied
    base: Scenario | None = None

    @property
    def scenario(self) -> Scenario:
        assert self.base is not None, "load_experiment sets it"
        return self.base

    @property
    def seed(self) -> int:
        return self.scenario.run.seed if self.experiment.seed is None else self.experiment.seed

    @property
    def replications(self) -> int:
        e = self.experiment
        return self.scenario.run.replications if e.replications is None else e.replications

    @property
    def fixed(self) -> dict[str, tuple[Any, str]]:
        """The experiment's `overrides` as {path: (value, where in the file)}."""
        return {k: (v, f"overrides.{k}") for k, v in self.experiment.overrides.items()}

    @property
    def design_file(self) -> Path | None:
        """The CSV of points of a `sampling: {method: file}` experiment."""
        s = self.experiment.sampling
        return None if s is None or s.file is None else Path(os.path.normpath(self.path.parent / s.file))

    def problem(self, where: str, message: str) -> Problem:
        """A problem at a dotted location of the experiment file (line of its deepest existing part),
        or at `design:LINE` of the design file."""
        if where.startswith("design:"):
            return Problem(str(self.design_file), int(where.removeprefix("design:")), "", message)
        if where.startswith("overrides."):  # its keys are dotted paths themselves
            loc: tuple = ("overrides", where.removeprefix("overrides."))
        else:
            loc = tuple(int(p) if p.isdigit() else p for p in where.split(".")) if where else ()
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return Problem(str(self.path), self.lines[loc[:end]], where, message)
        return Problem(str(self.path), None, where, message)


def load_experiment(path: str | Path) -> LoadedExperiment:
    """Read and validate an experiment file and its base scenario; raises ScenarioError."""
    path = Path(path)
    data, lines = load_yaml(path)
    experiment = validate_data(data, Experiment, str(path), lines, check_experiment)
    scenario_path = Path(os.path.normpath(path.parent / experiment.scenario))
    if not scenario_path.is_file():
        line = lines.get(("scenario",))
        raise ScenarioError([Problem(str(path), line, "scenario", f"scenario file not found: {scenario_path}")])
    scenario_data, scenario_lines = load_yaml(scenario_path)
    loaded = LoadedExperiment(path, experiment, lines, scenario_path, scenario_lines)
    loaded.base_data = _apply(loaded, scenario_data, loaded.fixed)
    loaded.base = _validate(loaded, loaded.base_data, loaded.fixed, {})
    loaded.experiment = experiment.model_copy(update={"kpis": _kpi_names(loaded)})
    return loaded


def _kpi_names(loaded: LoadedExperiment) -> list[str]:
    """`kpis` as the KPI names runs of the base scenario report (KPI:TRACK spellings turned into names);
    raises ScenarioError naming each unknown one with the nearest names."""
    names, problems = [], []
    for j, name in enumerate(loaded.experiment.kpis):
        try:
            names.append(resolve_kpi(name, loaded.scenario))
        except UnknownKpi as exc:
            problems.append(loaded.problem(f"kpis.{j}", str(exc)))
    if problems:
        raise ScenarioError(problems)
    return list(dict.fromkeys(names))


def build_points(
    loaded: LoadedExperiment, points: Sequence[tuple[dict[str, Any], dict[str, str]]], ids: Sequence[str],
    on_point: Callable[[int], None] | None = None,
) -> list[Point]:
    """Validate every ({path: value}, {path: where}) point; raises ScenarioError with every problem.

    `on_point(1)` after each point: validating tens of thousands of points takes a while."""
    from ..files import fingerprint

    out: list[Point] = []
    problems: list[Problem] = []
    for pid, (params, where) in zip(ids, points, strict=True):
        try:
            scenario = scenario_for(loaded, params, where)
            out.append(Point(pid, params, where, fingerprint(scenario.model_dump(mode="json", by_alias=True)),
                             loaded))
        except ScenarioError as err:
            problems += [p for p in err.problems if p not in problems]
        if on_point is not None:
            on_point(1)
    if problems:
        problems.sort(key=lambda p: (p.file != str(loaded.path), p.file, p.line is None, p.line or 0, p.path))
        raise ScenarioError(_capped(problems))
    return out


def scenario_for(loaded: LoadedExperiment, params: dict[str, Any], where: dict[str, str]) -> Scenario:
    """One point's scenario: the base with the overrides, the parameter values, then the room scaling."""
    sets = {p: (v, where[p]) for p, v in params.items() if p != GROUP_ROOMS}
    data = _apply(loaded, loaded.base_data, sets)
    scenario = _validate(loaded, data, sets, loaded.fixed)
    if GROUP_ROOMS in params:
        try:
            scenario = with_group_rooms(scenario, int(params[GROUP_ROOMS]))
        except RoomScalingError as err:
            value = params[GROUP_ROOMS]
            raise ScenarioError([
                loaded.problem(where[GROUP_ROOMS], f"{GROUP_ROOMS} = {value}: {_join(path, msg)}")
                for path, msg in err.problems
            ]) from None
    return scenario


def _join(path: str, message: str) -> str:
    return f"{path}: {message}" if path else message


def _set_shared(data: dict, values: dict[str, Any]) -> dict | None:
    """`data` with `values` set by dotted path, copying only the dicts and lists on those paths (the rest
    is shared with `data`, which stays as it was: a deep copy per point made planning slow and big).
    None when a path does not lead to an existing field: `apply_overrides` then explains why."""
    root = dict(data)
    copied = {id(root)}
    for dotted, value in values.items():
        node: Any = root
        parts = dotted.split(".")
        for depth, part in enumerate(parts):
            key: Any = part
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    return None
                key = int(part)
            elif not isinstance(node, dict) or part not in node:
                return None
            if depth == len(parts) - 1:
                node[key] = json.loads(json.dumps(value))  # what the loader would parse back: a fresh copy
                break
            child = node[key]
            if not isinstance(child, (dict, list)):
                return None
            if id(child) not in copied:
                child = dict(child) if isinstance(child, dict) else list(child)
                copied.add(id(child))
                node[key] = child
            node = child
    return root


def _override_text(path: str, value: Any) -> str:
    return f"{path}={json.dumps(value)}"  # JSON is YAML, so the loader parses the value back exactly


def _apply(loaded: LoadedExperiment, data: dict, sets: dict[str, tuple[Any, str]]) -> dict:
    shared = _set_shared(data, {p: v for p, (v, _) in sets.items()})
    if shared is not None:
        return shared
    try:  # the loader's way, which names what is wrong with a path
        return apply_overrides(data, [_override_text(p, v) for p, (v, _) in sets.items()])
    except ScenarioError as err:
        raise ScenarioError([_remap(loaded, p, sets, {}) for p in err.problems]) from None


def _validate(loaded: LoadedExperiment, data: dict, sets: dict, fixed: dict) -> Scenario:
    overridden = set(sets) | set(fixed)
    try:
        return validate_data(data, Scenario, str(loaded.scenario_path), loaded.scenario_lines, check_scenario, overridden)
    except ScenarioError as err:
        raise ScenarioError([_remap(loaded, p, sets, fixed) for p in err.problems]) from None


def _remap(loaded: LoadedExperiment, problem: Problem, sets: dict, fixed: dict) -> Problem:
    """Blame the experiment file's line for what it set; a point's parameters for what they broke."""
    if problem.file == OVERRIDE_FILE:
        for path, (value, where) in {**fixed, **sets}.items():
            if problem.path == path or problem.path.startswith(path + ".") or path.startswith(problem.path + "."):
                return _blame(loaded, where, path, f"{problem.path} = {json.dumps(value)}: {problem.message}")
    point = sets and not any(where.startswith("overrides.") for _, where in sets.values())
    if problem.file == str(loaded.scenario_path) and point:  # the base was valid: this point's values broke it
        section = problem.path.split(".")[0]
        blamed = [p for p in sets if p.split(".")[0] == section] or list(sets)
        values = ", ".join(f"{p} = {json.dumps(sets[p][0])}" for p in blamed)
        line = f":{problem.line}" if problem.line else ""
        return _blame(loaded, sets[blamed[0]][1], blamed[0],
                      f"{values} make{'s' if len(blamed) == 1 else ''} the base scenario invalid: "
                      f"{problem.file}{line}: {problem.path}: {problem.message}")
    return problem._replace(message=problem.message.replace("(after --set ", "(after the experiment set "))


def _blame(loaded: LoadedExperiment, where: str, path: str, message: str) -> Problem:
    """A problem at `where` in the experiment file; a sampled range is named `parameters.N (its.path)`."""
    problem = loaded.problem(where, message)
    if where.startswith("design:"):
        return problem._replace(path=path)
    if where.endswith(".range"):
        return problem._replace(path=f"{where.removesuffix('.range')} ({path})")
    return problem


def _capped(problems: Iterable[Problem]) -> list[Problem]:
    problems = list(problems)
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [Problem(problems[0].file, None, "", f"... and {rest} more problems")]
