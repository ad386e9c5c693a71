"""'Did you mean' hints: the nearest known name by edit distance, and lists short enough to show."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import available_timezones

SHOW_ALL = 20  # a list this short is shown in full


def distance(a: str, b: str) -> int:
    """Levenshtein edit distance (insert, delete, substitute), case-insensitive."""
    a, b = a.lower(), b.lower()
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def nearest(word: str, known: Iterable[str]) -> str | None:
    """The closest known name, if it is close enough to be a typo (at most a third of it differs)."""
    if len(word) > 100:
        return None
    best = min(((distance(word, k), k) for k in known), default=None)
    if best is None or best[0] > max(2, len(word) // 3):
        return None
    return best[1]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """ "did you mean 'x'? If not, " or ""."""
    close = nearest(word, known)
    return f"did you mean '{close}'? If not, " if close is not None else ""


def known_list(names: list[str]) -> str:
    """Every name when the list is short, else the first ones and how many there are."""
    if not names:
        return "none defined"
    if len(names) <= SHOW_ALL:
        return ", ".join(names)
    return ", ".join(names[:SHOW_ALL]) + f", ... ({len(names)} in all)"


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA zone name the zone database knows."""
    return tuple(sorted(available_timezones()))
