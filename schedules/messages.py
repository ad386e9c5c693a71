"""Turn pydantic's validation errors into sentences an organiser can act on."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from schedules.model import Schedule
from schedules.problems import Path
from schedules.suggest import did_you_mean


def _model_at(path: Path) -> type[BaseModel] | None:
    """The pydantic model that owns the mapping at `path` (walking lists and optionals)."""
    current: Any = Schedule
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            inner = _unwrap(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def allowed_keys(path: Path) -> list[str]:
    """The keys a mapping at `path` accepts."""
    model = _model_at(path)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def explain(err: dict[str, Any], path: Path) -> tuple[str, str]:
    """(message, fix) for one pydantic error at `path`."""
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        known = allowed_keys(path[:-1])
        hint = did_you_mean(str(path[-1]), known)
        return f"unknown key '{path[-1]}'", f"{hint}remove it or use one of: {', '.join(known)}"
    if kind == "missing":
        return f"required field '{path[-1]}' is missing", f"add `{path[-1]}:`"
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        if "a-z0-9" in pattern:
            return f"'{value}' is not a valid id", "use lower-case letters, digits, - or _ (max 64)"
        if "A-Z_" in pattern:
            return f"'{value}' is not an environment variable name", "use upper-case letters, digits and _"
        return f"'{value}' does not match {pattern}", "correct the value"
    if kind == "value_error" and "email" in err["msg"]:
        return f"'{value}' is not a valid email address", "write it as name@domain.tld"
    if kind in ("literal_error", "enum"):
        expected = err.get("ctx", {}).get("expected", "")
        shown = _found(value) if isinstance(value, bool) or value is None else f"'{value}'"
        return f"{shown} is not allowed", f"use one of: {expected}"
    if kind in ("greater_than_equal", "less_than_equal") and path and path[-1] == "date":
        return f"{value} is outside the dates a schedule may use", "write a date between 2000-01-01 and 2099-12-31"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"'{value}' is not a date", "write it as YYYY-MM-DD"
    if kind in ("string_too_long", "too_long"):
        limit = err.get("ctx", {}).get("max_length")
        return f"too long (at most {limit})", f"shorten it to {limit} or fewer"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty", "give a value"
    if kind in _SHAPES:
        return f"expected {_SHAPES[kind]}, found {_found(value)}", _SHAPE_FIX[_SHAPES[kind]]
    if kind in _SCALARS:
        return f"expected {_SCALARS[kind]}, found {_found(value)}", _fix_for(kind)
    if kind == "string_type":
        return f"expected text, found {_found(value)}", f'put it in quotes: "{_yaml_text(value)}"'
    message = err["msg"].removeprefix("Value error, ")
    if kind == "value_error" and "; " in message:
        # Our own validators write "what is wrong; how to fix it".
        message, fix = message.split("; ", 1)
        return message, fix
    return message, _fix_for(kind)


_SCALARS = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
}
_SHAPES = {
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_SHAPE_FIX = {
    "a list": "write one `- item` per line under this key, or [a, b] (check the indentation)",
    "a mapping": "write `key: value` lines indented under this key (check the indentation)",
}


def _found(value: Any) -> str:
    """How a wrong YAML value reads to its author: 'a list', 'the number 3', 'nothing'."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off/true/false as true or false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{value!r}"


def _yaml_text(value: Any) -> str:
    """The value as the author probably typed it (YAML turned NO into false)."""
    if isinstance(value, bool):
        return "NO" if value is False else "YES"
    return str(value)


def _fix_for(kind: str) -> str:
    if kind.startswith(("int", "float", "greater", "less")):
        return "give a number within the allowed range"
    if kind.startswith("bool"):
        return "write true or false"
    return "correct the value"
