"""Read a scenario (or any pydantic-described) YAML file and report every problem with its line.

A planner edits these files by hand, so the goal is one readable list of `file:line: path: message`
problems per run, rather than a traceback or pydantic's nested error dump. Lines come from the YAML
node tree; paths are dotted (`phases.0.duration_weeks.mode`) so they can be used with `--set`.
"""

from __future__ import annotations

import copy
import difflib
import re
import types
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .checks import check_scenario
from .schema import Scenario

M = TypeVar("M", bound=BaseModel)
Lines = dict[tuple, int]
Checks = Callable[[Any], Sequence[tuple[str, str]]]

OVERRIDE_FILE = "--set"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class Problem(NamedTuple):
    """One thing wrong with an input, located precisely enough to fix it without searching."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """Every problem found in one load, so the planner can fix them all in one pass."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(list(problems))
        self.problems: list[Problem] = list(problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# --------------------------------------------------------------------------- YAML with lines

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """safe_load semantics minus YAML 1.1 base-60 numbers, so `start: 10:30` stays the text '10:30',
    plus YAML 1.2 exponents without a dot or sign (`1e6`), so strict number fields accept them."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    _INT_TAG,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"  # YAML 1.2: 1e6 is a number, not the text '1e6'
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _file_problem(source: str, message: str, line: int | None = None) -> ScenarioError:
    return ScenarioError([Problem(source, line, "", message)])


MAX_FILE_BYTES = 1_000_000
"""Input files are hand-written: shipped scenarios are ~10 kB. PyYAML needs ~75x a file's size in
memory and minutes for tens of MB, so anything larger is refused before parsing."""
MAX_NESTING = 50
"""Deepest nesting of mappings and lists accepted (scenarios need 4); deeper input would exhaust
Python's recursion limit in the YAML constructor."""


def _read_text(path: Path, source: str) -> str:
    if not path.exists():
        raise _file_problem(source, "file not found")
    if path.is_dir():
        raise _file_problem(source, "is a directory, not a file")
    if not path.is_file():
        raise _file_problem(source, "is not a regular file (a device or pipe?); give a YAML file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows meanwhile
        if len(raw) > MAX_FILE_BYTES:
            size = path.stat().st_size
            raise _file_problem(source, f"file is too large ({size / 1e6:.1f} MB); input files are at most "
                                f"{MAX_FILE_BYTES / 1e6:g} MB")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_problem(source, "file is not UTF-8 text") from None
    except OSError as exc:
        raise _file_problem(source, f"cannot read file: {exc.strerror or exc}") from None


def _line_text(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def _yaml_error(source: str, text: str, exc: yaml.YAMLError) -> ScenarioError:
    if not isinstance(exc, yaml.MarkedYAMLError):
        return _file_problem(source, f"invalid YAML: {exc}")
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or "syntax error"
    if exc.context and exc.context.startswith("while"):
        message += f" ({exc.context})"
    elif exc.context:
        message = f"{exc.context}, {message}"
    if mark is not None and "\t" in _line_text(text, mark.line):
        message += "; YAML indentation must use spaces, not tabs"
    return _file_problem(source, f"invalid YAML: {message}", mark.line + 1 if mark else None)


def _key_value(loader: yaml.SafeLoader, key_node: Node) -> Any:
    value = loader.construct_object(key_node, deep=True)
    try:
        hash(value)
    except TypeError:
        raise yaml.constructor.ConstructorError(
            None, None, "found unhashable key", key_node.start_mark
        ) from None
    return value


class _LineWalker:
    """Records the line of every key and item by path, and finds duplicate keys.

    Runs on the composed node tree before construction, because constructing flattens `<<` merge
    keys in place, after which merged and explicit keys would look like duplicates. Each
    collection node is entered once, so aliases cost nothing and recursive aliases terminate;
    paths under an alias fall back to the line where the alias is used.
    """

    def __init__(self, loader: yaml.SafeLoader, source: str):
        self.loader = loader
        self.source = source
        self.lines: Lines = {}
        self.duplicates: list[Problem] = []
        self._entered: set[int] = set()

    def walk(self, node: Node, path: tuple) -> None:
        if id(node) in self._entered:
            return
        if len(path) > MAX_NESTING:
            dotted = ".".join(str(p) for p in path[:3])
            raise ScenarioError([Problem(self.source, node.start_mark.line + 1, dotted + ".…",
                                         f"nested more than {MAX_NESTING} levels deep")])
        self._entered.add(id(node))
        if isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[path + (i,)] = item.start_mark.line + 1
                self.walk(item, path + (i,))
        elif isinstance(node, MappingNode):
            self._walk_mapping(node, path)

    def _walk_mapping(self, node: MappingNode, path: tuple) -> None:
        seen: set = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self._record_merged(value_node, path)
                continue
            key = _key_value(self.loader, key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                dotted = ".".join(str(p) for p in path)
                self.duplicates.append(Problem(self.source, line, dotted, f"duplicate key {key!r}"))
            seen.add(key)
            self.lines[path + (key,)] = line
            self.walk(value_node, path + (key,))

    def _record_merged(self, value_node: Node, path: tuple) -> None:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for merged in sources:
            if isinstance(merged, MappingNode):
                for key_node, _ in merged.value:
                    if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE_TAG:
                        key = _key_value(self.loader, key_node)
                        self.lines.setdefault(path + (key,), key_node.start_mark.line + 1)


def load_yaml(path: str | Path) -> tuple[Any, Lines]:
    """Parse a YAML file into plain data plus {path tuple: 1-based line} for every key and item.

    Raises ScenarioError for anything that stops us from having a mapping to validate: missing or
    unreadable file, empty document, YAML syntax error, non-mapping top level, duplicate keys
    (which plain YAML loaders silently resolve by keeping the last one).
    """
    source = str(path)
    text = _read_text(Path(path), source)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise _file_problem(source, "file is empty")
        walker = _LineWalker(loader, source)
        walker.walk(root, ())
        if walker.duplicates:
            raise ScenarioError(walker.duplicates)
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise _yaml_error(source, text, exc) from None
    except RecursionError:  # the pure-Python composer, where LibYAML is missing
        raise _file_problem(source, f"nested more than {MAX_NESTING} levels deep") from None
    finally:
        loader.dispose()
    if data is None:
        raise _file_problem(source, "file is empty")
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the value {data!r}"
        raise _file_problem(
            source, f"the top level must be a mapping of 'field: value', not {kind}", root.start_mark.line + 1
        )
    walker.lines[()] = root.start_mark.line + 1
    return data, walker.lines


# --------------------------------------------------------------------------- --set overrides


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
        value = yaml.load(raw_value, Loader=_Loader)  # _Loader is a SafeLoader
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
            [_override_problem(dotted, f"index {index} is past the end of {where} ({len(items)} items)")]
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


# --------------------------------------------------------------------------- validation


class _Missing:
    """Marks a loc below a key the data does not have (a missing field)."""


def _clean_loc(data: Any, loc: Sequence[Any]) -> tuple:
    """Keep the loc elements that are real keys/indices of `data`.

    Pydantic inserts the union member's tag ('triangular') into locs, and a number written for a
    distribution is validated as {kind: fixed, value: n}; neither exists in the planner's file.
    """
    node: Any = data
    out: list[Any] = []
    for part in loc:
        if node is _Missing:
            out.append(part)
        elif isinstance(node, dict):
            if part in node:
                out.append(part)
                node = node[part]
            elif not (isinstance(part, str) and part in {v for v in node.values() if isinstance(v, str)}):
                out.append(part)  # a missing or unknown key: keep it, nothing exists below
                node = _Missing
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        else:
            break  # below a scalar: nothing the planner wrote
    return tuple(out)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the type that does the validating."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif _is_union(tp) and len(_union_members(tp)) == 1:
            tp = _union_members(tp)[0]
        else:
            return tp


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _union_members(tp: Any) -> list[Any]:
    return [a for a in get_args(tp) if a is not type(None)]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tags(model: Any) -> set[Any]:
    """Literal values a union member declares (its discriminator tag)."""
    if not _is_model(model):
        return set()
    return {
        v
        for f in model.model_fields.values()
        if get_origin(f.annotation) is Literal
        for v in get_args(f.annotation)
    }


def _step(tp: Any, part: Any) -> Any:
    tp = _unwrap(tp)
    if _is_union(tp):
        return next((m for m in _union_members(tp) if part in _tags(m)), None)
    if _is_model(tp):
        for name, field in tp.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin, args = get_origin(tp), get_args(tp)
    if origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _type_at(model_cls: type[BaseModel], loc: Sequence[Any]) -> Any:
    """The annotation pydantic validated at a raw loc (tags included), or None if unknown."""
    tp: Any = model_cls
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return None
    return _unwrap(tp)


def _input_names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _union_tags(tp: Any) -> str:
    tags = [t for m in _union_members(tp) for t in sorted(_tags(m))] if _is_union(tp) else []
    return ", ".join(repr(t) for t in tags)


def _unknown_field(model_cls: type[BaseModel], loc: tuple) -> str:
    owner = _type_at(model_cls, loc[:-1])
    message = "unknown field (typo?)"
    if _is_model(owner):
        match = difflib.get_close_matches(str(loc[-1]), _input_names(owner), n=1)
        if match:
            message += f" did you mean {match[0]!r}?"
    return message


def _not_a_mapping(model_cls: type[BaseModel], loc: tuple) -> str:
    tags = _union_tags(_type_at(model_cls, loc))
    return (
        f"expected a mapping with a 'kind' (one of {tags})"
        if tags
        else "expected a mapping of 'field: value'"
    )


def _describe_input(value: Any) -> str:
    if value is None:
        return " (got an empty value)"
    if isinstance(value, (str, int, float, bool)):
        return f" (got {value!r})"
    return ""


_NUMBER_TYPES = {"float_type": "a number", "int_type": "a whole number", "int_from_float": "a whole number"}


def _wrong_type(kind: str, value: Any) -> str:
    """Strict types, said plainly: YAML turns yes/no/on/off/true/false into booleans, quotes into text."""
    expected = _NUMBER_TYPES.get(kind, "true or false")
    if isinstance(value, bool):
        got = f"the boolean {str(value).lower()} (YAML reads yes/no/on/off/true/false as booleans)"
    elif isinstance(value, str):
        got = f"the text {value!r}" + (" (remove the quotes)" if kind in _NUMBER_TYPES and _is_number(value) else "")
    elif isinstance(value, float) and kind != "bool_type":
        got = f"{value!r}, which has a fractional part" if not value.is_integer() else f"{value!r} (write it without .0)"
    elif value is None:
        got = "an empty value"
    else:
        got = f"{type(value).__name__} {value!r}" if isinstance(value, (int, float)) else "a " + _kind_of(value)
    return f"expected {expected}, got {got}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _kind_of(value: Any) -> str:
    return "list" if isinstance(value, list) else "mapping" if isinstance(value, dict) else type(value).__name__


def _friendly(model_cls: type[BaseModel], err: ErrorDetails) -> str:
    """Pydantic's message reworded for someone editing YAML, not Python."""
    kind, loc, ctx = err["type"], tuple(err["loc"]), err.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return _unknown_field(model_cls, loc)
    if kind == "union_tag_invalid":
        return f"unknown kind {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        tags = _union_tags(_type_at(model_cls, loc))
        return f"'kind' is missing; expected one of {tags}" if tags else err["msg"]
    if kind in ("value_error", "assertion_error"):
        return re.sub(r"^(Value error|Assertion failed), ", "", err["msg"])
    if kind in _NUMBER_TYPES or kind == "bool_type":
        return _wrong_type(kind, err.get("input"))
    if kind == "finite_number":
        return "must be a finite number (.inf and .nan are not allowed)" + _describe_input(err.get("input"))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _not_a_mapping(model_cls, loc) + _describe_input(err.get("input"))
    return err["msg"] + _describe_input(err.get("input"))


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
            _locate(_clean_loc(data, err["loc"]), _friendly(model_cls, err), source, lines, overridden)
            for err in exc.errors()
        ]
        raise ScenarioError(_sorted(problems)) from None
    if checks is not None:
        found = checks(model)
        if found:
            problems = [_locate(_dotted_to_loc(path), msg, source, lines, overridden) for path, msg in found]
            raise ScenarioError(_sorted(problems))
    return model


# --------------------------------------------------------------------------- entry points


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
