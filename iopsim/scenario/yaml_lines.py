"""Read a YAML file into plain data plus the line of every key and item, refusing what would hurt.

Lines come from the YAML node tree, so every later problem can name the line a planner must edit.
Files that are too large, not regular files or nested too deeply are refused before they can cost
minutes or gigabytes in PyYAML; duplicate keys, which plain loaders silently resolve, are errors.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .problems import Lines, Problem, ScenarioError, file_problem

_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """safe_load semantics minus YAML 1.1 base-60 numbers, so `start: 10:30` stays the text '10:30',
    plus YAML 1.2 exponents without a dot or sign (`1e6`), so strict number fields accept them."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


YamlLoader.add_implicit_resolver(
    _INT_TAG,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
YamlLoader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"  # YAML 1.2: 1e6 is a number, not the text '1e6'
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


MAX_FILE_BYTES = 1_000_000
"""Input files are hand-written: shipped scenarios are ~10 kB. PyYAML needs ~75x a file's size in
memory and minutes for tens of MB, so anything larger is refused before parsing."""
MAX_NESTING = 50
"""Deepest nesting of mappings and lists accepted (scenarios need 4); deeper input would exhaust
Python's recursion limit in the YAML constructor."""


def _read_text(path: Path, source: str) -> str:
    if not path.exists():
        raise file_problem(source, "file not found")
    if path.is_dir():
        raise file_problem(source, "is a directory, not a file")
    if not path.is_file():
        raise file_problem(source, "is not a regular file (a device or pipe?); give a YAML file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows meanwhile
        if len(raw) > MAX_FILE_BYTES:
            size = path.stat().st_size
            raise file_problem(source, f"file is too large ({size / 1e6:.1f} MB); input files are at most "
                                f"{MAX_FILE_BYTES / 1e6:g} MB")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise file_problem(source, "file is not UTF-8 text") from None
    except OSError as exc:
        raise file_problem(source, f"cannot read file: {exc.strerror or exc}") from None


def _line_text(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def _yaml_error(source: str, text: str, exc: yaml.YAMLError) -> ScenarioError:
    if not isinstance(exc, yaml.MarkedYAMLError):
        return file_problem(source, f"invalid YAML: {exc}")
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or "syntax error"
    if exc.context and exc.context.startswith("while"):
        message += f" ({exc.context})"
    elif exc.context:
        message = f"{exc.context}, {message}"
    if mark is not None and "\t" in _line_text(text, mark.line):
        message += "; YAML indentation must use spaces, not tabs"
    return file_problem(source, f"invalid YAML: {message}", mark.line + 1 if mark else None)


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
    loader = YamlLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise file_problem(source, "file is empty")
        walker = _LineWalker(loader, source)
        walker.walk(root, ())
        if walker.duplicates:
            raise ScenarioError(walker.duplicates)
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise _yaml_error(source, text, exc) from None
    except RecursionError:  # the pure-Python composer, where LibYAML is missing
        raise file_problem(source, f"nested more than {MAX_NESTING} levels deep") from None
    finally:
        loader.dispose()
    if data is None:
        raise file_problem(source, "file is empty")
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the value {data!r}"
        raise file_problem(
            source, f"the top level must be a mapping of 'field: value', not {kind}", root.start_mark.line + 1
        )
    walker.lines[()] = root.start_mark.line + 1
    return data, walker.lines
