"""Display-name normalisation used to match Zoom participants to the schedule's people."""

from __future__ import annotations

import re
import unicodedata

# Leading titles people type in front of their Zoom name; compared after casefolding and
# before dots are dropped, so "H.E." is a title while a given name "He" is not.
TITLES = {
    "dr",
    "dr.",
    "mr",
    "mr.",
    "mrs",
    "mrs.",
    "ms",
    "ms.",
    "mx",
    "mx.",
    "miss",
    "prof",
    "prof.",
    "professor",
    "h.e.",
    "h.e",
    "he.",
    "hon",
    "hon.",
    "rev",
    "rev.",
    "sir",
    "madam",
    "mme",
    "mme.",
    "excellency",
    "dato",
    "dato'",
    "datuk",
    "pak",
    "bu",
    "ir.",
    "eng.",
    "engr.",
}
_TRAILING_GROUP = re.compile(r"\s*[\(\[][^\(\)\[\]]*[\)\]]\s*$")
_PUNCT = re.compile(r"[^\w\s'-]+")


def strip_accents(text: str) -> str:
    """'Nguyễn' -> 'Nguyen' (compatibility-decomposed, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_name(text: str | None) -> str:
    """Comparable form of a display name: casefolded, no accents, titles or "(Country)" suffixes."""
    if not text:
        return ""
    value = strip_accents(text).casefold()
    previous = None
    while previous != value:  # "Ana Lima (IOM) (Cambodia)" loses both groups
        previous, value = value, _TRAILING_GROUP.sub("", value)
    words = value.split()
    while words and words[0] in TITLES:
        words = words[1:]
    value = _PUNCT.sub(" ", " ".join(words))
    return " ".join(value.split())


def names_country(display_name: str | None, country: str) -> bool:
    """True when a display name names the country in whole words ("Lao PDR - Ministry ...")."""
    wanted = _plain(country)
    return bool(wanted) and f" {wanted} " in f" {_plain(display_name or '')} "


def _plain(text: str) -> str:
    value = _PUNCT.sub(" ", strip_accents(text).casefold().replace("-", " "))
    return " ".join(value.split())
