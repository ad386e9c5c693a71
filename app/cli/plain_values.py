"""Command-line values that need no pydantic to become what a command receives.

typer coerces each parameter's value with a pydantic TypeAdapter that it builds for the parameter
on first use. For a remote command (`showcaller --server URL --token T state EVENT`) that means
importing pydantic and building a schema for every parameter, a third of the command's start-up
(issue 27; a host types these during a show), to turn a string into the same string. `install`
gives each parameter a coercion that answers the plain cases itself, exactly as typer would, and
hands every other value to typer's own coercion, built when first needed: a string for a `str`
parameter, a value already of an `int`/`float`/`bool` parameter's type, a plain decimal number
for an unbounded `int`/`float` one, strings for a `list[str]`, and no value at all.

This reaches into typer's parameters (`type_descriptor`, `_runtime_param`, typer 0.29): a typer
without them is left as it is, and tests/cli/test_startup.py then fails, since a remote command
imports pydantic again; tests/cli/test_plain_values.py compares these answers with typer's own.
"""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

_INT = re.compile(r"-?[0-9]{1,18}")
_FLOAT = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")
_NONE = object()  # "not a plain case": typer's coercion answers


class PlainValues:
    """One parameter's coercion: the plain cases here, the others by typer's (built when needed)."""

    def __init__(self, descriptor: Any) -> None:
        self.descriptor = descriptor
        self.typer_coercion: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        plain = self.plain(value, multiple=bool(param.multiple or param.nargs == -1))
        if plain is not _NONE:
            return plain
        if self.typer_coercion is None:
            from typer._coercion import build_runtime_param

            self.typer_coercion = build_runtime_param(self.descriptor)
        return self.typer_coercion.coerce(value, param=param, ctx=ctx)

    def plain(self, value: Any, *, multiple: bool) -> Any:
        """What typer's coercion makes of `value` when that needs no pydantic, else _NONE."""
        if value is None:
            return () if multiple else None
        info, kind = self.descriptor.parameter_info, self.descriptor.annotation
        if self.descriptor.file_annotation is not None or info.parser is not None:
            return _NONE
        if multiple:
            plain_list = get_origin(kind) is list and get_args(kind) == (str,)
            if plain_list and isinstance(value, list | tuple) and all(type(item) is str for item in value):
                return list(value)
            return _NONE
        if kind not in (str, bool, int, float):
            return _NONE
        if type(value) is kind and kind in (str, bool):
            return value
        if info.min is not None or info.max is not None:
            return _NONE
        if type(value) is kind:
            return value
        if type(value) is str and kind is int and _INT.fullmatch(value):
            return int(value)
        if type(value) is str and kind is float and _FLOAT.fullmatch(value):
            return float(value)
        return _NONE


def install(command: Any, ctx: Any, *, subcommands: bool = True) -> None:
    """Give every typer parameter of `command` (its help option's included) and, with
    `subcommands`, of the commands under it a PlainValues coercion. `ctx` is the context of
    `command` or of its parent: a help option is named after its context, so one of a command that
    names its own (`context_settings`) is left to typer, as is everything under it."""
    params = list(command.params)
    own_names = "help_option_names" in (command.context_settings or {})
    if not own_names:
        params.append(command.get_help_option(ctx))  # (made once, cached by the command)
    for param in params:
        if param is not None and "type_descriptor" in vars(param) and vars(param).get("_runtime_param", _NONE) is None:
            param._runtime_param = PlainValues(param.type_descriptor)
    if subcommands and not own_names:
        for sub in getattr(command, "commands", {}).values():
            install(sub, ctx)
