"""Cutting text people read without breaking what they see as one character.

One user-perceived character is an extended grapheme cluster (UAX #29): a Thai consonant with its
vowel and tone marks, a Khmer or Burmese stack, a flag, a family emoji, a letter with its accents.
Every place Showcaller shortens text for people cuts between clusters (`regex`'s \\X: it follows each
new Unicode version; the stdlib `re` has no \\X). Zero-width characters (CLDR's Khmer strings carry
U+200B between words) count where a service counts them (they are characters), and a cut never
leaves one dangling before the ellipsis.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

ELLIPSIS = "…"
GRAPHEME = regex.compile(r"\X")
# Invisible characters that may sit between words: zero-width space, non-joiner, joiner, word joiner, BOM.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Those a cut may drop before the ellipsis: each is a cluster of its own (the joiners belong to theirs).
_DROPPABLE = "\u200b\u2060\ufeff"


def clusters(text: str) -> list[str]:
    """`text` as its grapheme clusters, in order."""
    return GRAPHEME.findall(text)


def boundaries(text: str) -> set[int]:
    """Every offset (in code points) where `text` may be cut: 0, each cluster's end."""
    return {0} | {m.end() for m in GRAPHEME.finditer(text)}


def visible_length(text: str) -> int:
    """How many characters a reader sees: grapheme clusters, not counting zero-width ones."""
    return sum(1 for c in clusters(text) if c.strip(ZERO_WIDTH))


def prefix(text: str, limit: int, measure: Callable[[str], int] = len) -> str:
    """The longest start of `text` within `limit` (as `measure` counts) that ends between clusters."""
    if measure(text) <= limit:
        return text
    kept, used = [], 0
    for cluster in clusters(text):
        size = measure(cluster)
        if used + size > limit:
            break
        kept.append(cluster)
        used += size
    return "".join(kept)


def cut(
    text: str, limit: int, measure: Callable[[str], int] = len, ellipsis: str = ELLIPSIS, *, trim: bool = True
) -> str:
    """`text` within `limit` as `measure` counts it (code points by default), cut between grapheme
    clusters and ending in `ellipsis` when cut; with `trim`, whitespace and zero-width spaces before
    the ellipsis are dropped. Text that fits is returned unchanged."""
    if measure(text) <= limit:
        return text
    room = limit - measure(ellipsis)
    if room < 0:
        return ""
    kept = prefix(text, room, measure)
    return (_trim(kept) if trim else kept) + ellipsis


def _trim(text: str) -> str:
    """`text` without trailing whitespace or zero-width characters."""
    while text and (text[-1].isspace() or text[-1] in _DROPPABLE):
        text = text[:-1]
    return text
