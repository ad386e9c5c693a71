"""The plain cases of app/cli/plain_values.py give what typer's own coercion gives (pydantic), and
every other value is left to typer's."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer._coercion import build_runtime_param, resolve_type_descriptor
from typer.models import ArgumentInfo, OptionInfo

from app.cli.plain_values import _NONE, PlainValues

KINDS = [
    (str, OptionInfo()),
    (bool, OptionInfo()),
    (int, OptionInfo()),
    (float, OptionInfo()),
    (int, OptionInfo(min=1, max=3600)),
    (float, OptionInfo(min=0)),
    (str, OptionInfo(parser=str.upper)),
    (list[str], ArgumentInfo()),
    (list[int], OptionInfo()),
]
NUMBERS = st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{1,17})?", fullmatch=True)
VALUES = st.one_of(
    st.none(),
    st.text(max_size=12),
    NUMBERS,
    st.integers(),
    st.floats(),
    st.booleans(),
    st.lists(st.one_of(st.text(max_size=5), NUMBERS, st.integers()), max_size=3).map(tuple),
)


def _same(plain, typers) -> bool:
    if isinstance(plain, float) and isinstance(typers, float):
        return plain == typers and math.copysign(1, plain) == math.copysign(1, typers) or math.isnan(plain)
    return type(plain) is type(typers) and plain == typers


@given(kind=st.sampled_from(range(len(KINDS))), value=VALUES)
def test_a_plain_case_is_what_typer_makes_of_it(kind, value):
    annotation, info = KINDS[kind]
    descriptor = resolve_type_descriptor(annotation, info)
    multiple = annotation in (list[str], list[int])
    plain = PlainValues(descriptor).plain(value, multiple=multiple)
    if plain is _NONE:
        return  # typer's own coercion answers, errors included
    param = SimpleNamespace(multiple=multiple, nargs=-1 if multiple else 1)
    typers = build_runtime_param(descriptor).coerce(value, param=param, ctx=None)
    assert _same(plain, typers), (annotation, value, plain, typers)


@pytest.mark.parametrize(
    ("annotation", "info", "value", "expected"),
    [
        (str, OptionInfo(), "mekong", "mekong"),
        (int, OptionInfo(), "-12", -12),
        (float, OptionInfo(), "2.5", 2.5),
        (bool, OptionInfo(), True, True),
        (list[str], ArgumentInfo(), ("mekong", "Doors open"), ["mekong", "Doors open"]),
        (str, OptionInfo(), None, None),
    ],
)
def test_the_values_of_remote_commands_are_plain(annotation, info, value, expected):
    """What a host types (an event id, a message, a number of minutes or seconds) needs no pydantic."""
    descriptor = resolve_type_descriptor(annotation, info)
    assert PlainValues(descriptor).plain(value, multiple=annotation == list[str]) == expected


@pytest.mark.parametrize(
    ("annotation", "info", "value"),
    [
        (int, OptionInfo(min=1, max=3600), "5"),  # bounds: typer checks them
        (int, OptionInfo(), "5_000"),  # pydantic reads it; not a plain number
        (float, OptionInfo(), "1e3"),
        (str, OptionInfo(parser=str.upper), "x"),  # its own parser
        (bool, OptionInfo(), "yes"),
        (list[int], OptionInfo(), ("1",)),
    ],
)
def test_anything_else_is_left_to_typer(annotation, info, value):
    descriptor = resolve_type_descriptor(annotation, info)
    assert PlainValues(descriptor).plain(value, multiple=annotation == list[int]) is _NONE
