"""The assumptions table of the report: every parameter of the resolved scenarios, side by side.

Lists of named things (phases, rooms, payers) are matched by name, and timetable rows by group
and day, never by position: inserting a session into one scenario must not make every later row
look different. The schema's own field descriptions say what each parameter means.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence

from .rundir import RunDir


def plain_number(x) -> str:
    """A scenario value in words: yes/no, numbers without trailing zeros."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def describe_distribution(d: dict) -> str:
    """{'kind': 'triangular', 'low': 3, ...} -> 'triangular (low 3, mode 4, high 6)'; fixed -> its value."""
    if d.get("kind") == "fixed":
        return plain_number(d.get("value"))
    params = ", ".join(f"{k} {_value_text(v)}" for k, v in d.items() if k != "kind" and v is not None)
    return f"{d.get('kind')} ({params})"


def friendly_distribution(d) -> str:
    """A distribution in words for the summary: '3–6 (most often 4)', 'mean 45', or its parameters."""
    if not isinstance(d, dict):
        return plain_number(d)
    kind = d.get("kind")
    if kind == "triangular":
        return f"{plain_number(d['low'])}–{plain_number(d['high'])} (most often {plain_number(d['mode'])})"
    if kind == "uniform":
        return f"{plain_number(d['low'])}–{plain_number(d['high'])}"
    if kind == "exponential" and "mean" in d:
        return f"mean {plain_number(d['mean'])}"
    return describe_distribution(d)


def _value_text(v) -> str:
    if v is None:
        return "none"
    if isinstance(v, dict):
        return describe_distribution(v) if "kind" in v else "; ".join(f"{k}: {_value_text(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(_value_text(x) for x in v) if v else "none"
    return plain_number(v)


def item_keys(items: list[dict]) -> list[str]:
    """What identifies each item of a list, whatever its position: its name, its room, its group and day
    (a timetable session; with the start time when a group meets twice that day), else its position."""
    def key(item: dict) -> str | None:
        if item.get("name") is not None:
            return str(item["name"])
        if "group" in item and "day" in item:
            return f"{item['group']}, {item['day']}"
        if "room" in item:
            return str(item["room"])
        return None

    keys = [key(item) for item in items]
    out = []
    for i, (item, k) in enumerate(zip(items, keys, strict=True), start=1):
        if k is None:
            out.append(str(i))
        elif keys.count(k) > 1:
            out.append(f"{k}, {item['start']}" if "start" in item else f"{k}, #{i}")
        else:
            out.append(k)
    return out


def flatten_scenario(data, path: str = "", pattern: str = "") -> list[tuple[str, str, str]]:
    """Every parameter as (path, schema pattern, value text): nested sections dotted, list items by name.

    The pattern ('phases[].duration_weeks') finds the parameter's description in the schema.
    """
    if isinstance(data, dict) and not ("kind" in data and path):
        rows = []
        for key, value in data.items():
            rows += flatten_scenario(value, f"{path}.{key}" if path else key, f"{pattern}.{key}" if pattern else key)
        return rows
    if isinstance(data, list) and data and all(isinstance(x, dict) and "kind" not in x for x in data):
        rows = []
        keys = item_keys(data)
        for item, key in zip(data, keys, strict=True):
            if "name" in item:
                rows += flatten_scenario({k: v for k, v in item.items() if k != "name"}, f"{path}[{key}]",
                                         f"{pattern}[]")
            else:
                rows.append((f"{path}[{key}]", f"{pattern}[]", _value_text(item)))
        return rows
    return [(path, pattern, _value_text(data))]


def _model_of(annotation):
    """The pydantic model inside an annotation (Model, Model | None, list[Model]) and whether it is a list."""
    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    if origin is list:
        model, _ = _model_of(typing.get_args(annotation)[0])
        return model, True
    if origin in (typing.Union, types.UnionType):
        models = [m for m, _ in map(_model_of, typing.get_args(annotation)) if m is not None]
        return (models[0], False) if len(models) == 1 else (None, False)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def field_descriptions(model=None, prefix: str = "") -> dict[str, str]:
    """Schema pattern -> the field's description, for the assumptions table."""
    if model is None:
        from ..scenario.schema import Scenario

        model = Scenario
    out = {}
    for name, f in model.model_fields.items():
        path = f"{prefix}.{f.alias or name}" if prefix else (f.alias or name)
        if f.description:
            out[path] = f.description
        sub, is_list = _model_of(f.annotation)
        if sub is not None:
            out.update(field_descriptions(sub, f"{path}[]" if is_list else path))
    return out


def assumptions(runs: Sequence[RunDir]) -> list[dict]:
    """One row per parameter path (union over runs, in order), with each run's value and whether they differ."""
    docs = field_descriptions()
    per_run = [{p: (pat, v) for p, pat, v in flatten_scenario(run.scenario)} for run in runs]
    order = list(dict.fromkeys(p for table in per_run for p in table))
    rows = []
    for path in order:
        values = [table.get(path, (None, "—"))[1] for table in per_run]
        pattern = next(table[path][0] for table in per_run if path in table)
        rows.append({"path": path, "values": values, "differs": len(set(values)) > 1,
                     "description": docs.get(pattern, "")})
    return rows
