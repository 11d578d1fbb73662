"""Pydantic's validation errors, reworded for someone editing YAML rather than Python.

Pydantic's locs include things the planner never wrote (a union member's tag, the `fixed` wrapper a
bare number is validated as), and its messages speak of Python types; here each error becomes the
path the planner can find in the file (and use with `--set`) and a plain message.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails


class _Missing:
    """Marks a loc below a key the data does not have (a missing field)."""


def clean_loc(data: Any, loc: Sequence[Any]) -> tuple:
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


def _patterns() -> dict[str, str]:
    """Each field pattern of the schema -> what it asks for, in words (never the regular expression)."""
    from .finance_schema import CURRENCY
    from .program_schema import CLOCK
    from .staffing_schema import CLOCK_END

    return {
        CLOCK: "must be HH:MM (24-hour)",
        CLOCK_END: "must be HH:MM (24-hour; 24:00 for midnight)",
        CURRENCY: "must be a three-letter currency code in capitals (ISO 4217, e.g. USD, EUR, GBP)",
    }


_AM_PM = re.compile(r"^\s*(\d{1,2})(?:[:.](\d\d))?\s*([ap])\.?\s*m\.?\s*$", re.IGNORECASE)


def _clock_hint(value: Any) -> str:
    """'9am' -> " (write '09:00')": the 24-hour time the planner meant, when it is clear."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    m = _AM_PM.match(text)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if 1 <= hour <= 12 and minute < 60:
            hour = hour % 12 + (12 if m.group(3).lower() == "p" else 0)
            return f" (write '{hour:02d}:{minute:02d}')"
        return ""
    m = re.fullmatch(r"(\d)[:.](\d\d)", text)
    if m and int(m.group(2)) < 60:
        return f" (write '0{m.group(1)}:{m.group(2)}')"
    return ""


def _number(x: Any) -> str:
    """A bound as the planner would write it in YAML: 100000, 0.5, never 1e+05."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


_BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than"),
           "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}


def _got(value: Any) -> str:
    return f", got {value!r}" if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def _planner_words(kind: str, ctx: dict, value: Any) -> str | None:
    """Pydantic's constraint messages ('Input should be greater than or equal to 0', a regular
    expression) said as a planner would: 'must be at least 0 (got -6)'."""
    if kind == "string_pattern_mismatch":
        wanted = _patterns().get(ctx.get("pattern", ""), "does not have the expected form")
        hint = _clock_hint(value) if wanted.startswith("must be HH:MM") else ""
        return f"{wanted}{_got(value)}{hint}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"must be {words} {_number(ctx.get(key))}" + _describe_input(value)
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}" + _describe_input(value)
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must have at least {n} characters" + _describe_input(value)
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} characters"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        entry = "entry" if bound == 1 else "entries"
        return f"needs {'at least' if kind == 'too_short' else 'at most'} {bound} {entry} (has {ctx.get('actual_length')})"
    if kind == "string_type":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"expected text, got the number {value!r} (put it in quotes)"
        return "expected text" + (f", got a {_kind_of(value)}" if value is not None else ", got an empty value")
    if kind == "list_type":
        return f"expected a list (- item lines, or [a, b]), got {'an empty value' if value is None else _kind_of(value)}"
    return None


def friendly(model_cls: type[BaseModel], err: ErrorDetails) -> str:
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
    worded = _planner_words(kind, ctx, err.get("input"))
    return worded if worded is not None else err["msg"] + _describe_input(err.get("input"))
