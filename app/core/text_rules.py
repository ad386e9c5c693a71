"""One rule for text that every store accepts, applied at the edges (API bodies, uploads, webhooks).

PostgreSQL's text cannot hold NUL and its UTF-8 encoding cannot hold a lone surrogate, while SQLite
takes both: a value one store refuses must never get past the edge, or it turns into a 500 (or a run
log that can no longer be loaded) on one database only. Other C0 control characters are refused too:
nothing a person types needs them, and they garble chat messages and terminals. Tab and line breaks
(LF, CR) are ordinary text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schedules.source import FORBIDDEN as SCHEDULE_FORBIDDEN

# The same characters the schedule loader refuses, so every edge applies one rule: C0 controls but
# tab, LF and CR; DEL and C1 controls; lone UTF-16 surrogates (from a \ud800 escape); U+FFFE/U+FFFF.
FORBIDDEN = SCHEDULE_FORBIDDEN
REPLACEMENT = "\ufffd"


def describe(char: str) -> str:
    """How a refused character is named in an error: `NUL (U+0000)`, `control character U+001B`."""
    code = f"U+{ord(char):04X}"
    if char == "\x00":
        return f"NUL ({code})"
    if "\ud800" <= char <= "\udfff":
        return f"lone surrogate {code}"
    if char in "\ufffe\uffff":
        return f"noncharacter {code}"
    return f"control character {code}"


def first_forbidden(text: str) -> tuple[int, str] | None:
    """(index, character) of the first character the rule refuses, or None if the text is fine."""
    match = FORBIDDEN.search(text)
    return (match.start(), match.group()) if match else None


def problems(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, message) for every string in a JSON-like value (keys included) that breaks the rule."""
    if isinstance(value, str):
        found = first_forbidden(value)
        if found:
            index, char = found
            yield path, f"{describe(char)} at character {index + 1} is not allowed; remove it"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from problems(key, (*path, "(key)"))
            yield from problems(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from problems(item, (*path, index))


def neutralise(value: Any) -> Any:
    """The same JSON-like value with every refused character replaced by U+FFFD (for data we must
    keep rather than refuse, such as a participant's display name in a Zoom webhook)."""
    if isinstance(value, str):
        return FORBIDDEN.sub(REPLACEMENT, value) if FORBIDDEN.search(value) else value
    if isinstance(value, dict):
        return {neutralise(k): neutralise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [neutralise(item) for item in value]
    return value


def dotted(path: tuple[str | int, ...]) -> str:
    """A field path as the API names it: `targets.1`, `message`."""
    return ".".join(str(part) for part in path)
