"""Gettext catalogs through Babel: the words Showcaller writes to people, per locale (issue 30).

The catalogs are `catalogs/<locale>/LC_MESSAGES/showcaller.po`, extracted from the code and the
Jinja templates with `pybabel extract` (babel.cfg at the repository root; `showcaller locale`
wraps the steps). No `.mo` is committed: a catalog is compiled in memory the first time it is used
(Babel's `read_po` then `write_mo`), so the `.po` reviewed in a pull request is the only source and
no stale binary can ship. Drafts never reach a live channel: `#, fuzzy` entries are left out of the
compiled catalog (a fuzzy entry reads as missing), and `showcaller locale check` counts them. Only a
rehearsal's preview (`showcaller rehearse --drafts`) compiles them in, each marked `[DRAFT] `.

Catalogs are looked up in a `CatalogSearch`: the organiser's folder (SHOWCALLER_CATALOGS) before the
shipped one, and whether drafts may be read. It is passed as a value to every reader, never kept in
a global, so the compiled catalogs (cached per search) of a preview and of a live service never mix.

Messages use named `{placeholders}` (str.format), so a translation may reorder them; `Words._`
formats, `Words.n_` picks the plural form the catalog's Plural-Forms gives.
"""

from __future__ import annotations

import gettext
import io
import string
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from schedules.locales import ENGLISH, Reader, language_of

DOMAIN = "showcaller"
CATALOGS = Path(__file__).with_name("catalogs")
TEMPLATE = CATALOGS / f"{DOMAIN}.pot"


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "mark for extraction, translate later")
    """Mark `message` for extraction without translating it here (it is translated where shown)."""
    return message


def po_path(locale: str, root: Path = CATALOGS) -> Path:
    """Where the catalog of `locale` lives under `root`."""
    return root / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    """The catalog in the .po file at `path`."""
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def available(root: Path = CATALOGS) -> list[str]:
    """Locales with a catalog under `root`, sorted."""
    return sorted(p.parent.parent.name for p in root.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def find_catalog(locale: str, root: Path = CATALOGS) -> Path | None:
    """The catalog that serves `locale` under `root`: its own, else its language's (pt_BR falls back to pt)."""
    return CatalogSearch((root,)).find(locale)


# A rehearsal's preview marks what nobody reviewed yet, so nobody takes it for the real thing. Not in
# the catalogs: it says the words are not (yet) the translation.
DRAFT_MARK = "[DRAFT] "
DRAFT_ENGLISH_MARK = "[DRAFT: English] "


@dataclass(frozen=True)
class CatalogSearch:
    """Where catalogs are read, in order (the first folder with a locale's catalog wins), and
    whether drafts may be read (only a rehearsal's preview: `showcaller rehearse --drafts`)."""

    roots: tuple[Path, ...] = (CATALOGS,)
    drafts: bool = False

    @classmethod
    def of(cls, organiser: Path | None = None, *, drafts: bool = False) -> CatalogSearch:
        """The organiser's folder (when given) before the shipped catalogs."""
        roots = (organiser, CATALOGS) if organiser is not None and organiser != CATALOGS else (CATALOGS,)
        return cls(roots, drafts)

    def live(self) -> CatalogSearch:
        """The same folders, drafts left out: what a live channel may be sent."""
        return replace(self, drafts=False)

    def find(self, locale: str) -> Path | None:
        """The catalog that serves `locale`: its own in any folder, else its language's."""
        for candidate in (locale, language_of(locale)):
            for root in self.roots:
                path = po_path(candidate, root)
                if path.exists():
                    return path
        return None

    def available(self) -> list[str]:
        """Locales with a catalog in any of the folders, sorted."""
        return sorted({code for root in self.roots for code in available(root)})


SHIPPED = CatalogSearch()
Catalogs = CatalogSearch | Path  # a bare folder is a search of that folder alone


def as_search(catalogs: Catalogs) -> CatalogSearch:
    """`catalogs` as a search (a bare folder: that folder alone, no drafts)."""
    return catalogs if isinstance(catalogs, CatalogSearch) else CatalogSearch((catalogs,))


def compile_catalog(catalog: Catalog, drafts: bool = False) -> gettext.GNUTranslations:
    """`catalog` compiled in memory, its fuzzy entries left out (they read as missing); with
    `drafts` (a rehearsal's preview only), put in with their text prefixed by DRAFT_MARK."""
    if drafts:
        for message in catalog:
            if message.id and message.fuzzy and _filled(message.string):
                message.string = (
                    tuple(DRAFT_MARK + str(s) for s in message.string)
                    if isinstance(message.string, tuple | list)
                    else DRAFT_MARK + str(message.string)
                )
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=drafts)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _filled(string: object) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)


@lru_cache(maxsize=64)
def _compiled(locale: str, search: CatalogSearch) -> gettext.NullTranslations:
    if language_of(locale) == "en":
        return gettext.NullTranslations()
    path = search.find(locale)
    return compile_catalog(read_catalog(path, locale), search.drafts) if path else gettext.NullTranslations()


def translations(locale: str, catalogs: Catalogs = SHIPPED) -> gettext.NullTranslations:
    """The compiled catalog for `locale` (cached per search: a preview's drafts never reach a live
    search's catalog); English (the msgids themselves) when there is none."""
    return _compiled(locale, as_search(catalogs))


def placeholders(text: str) -> set[str]:
    """The named fields of a str.format message: {'title', 'minutes'}."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:  # an unbalanced brace: no usable fields
        return {"(unbalanced brace)"}


@dataclass(frozen=True)
class Words:
    """The product's words for one reader: `_` and `n_` translate and format, numbers in its digits."""

    reader: Reader = ENGLISH
    catalog: gettext.NullTranslations = field(default_factory=gettext.NullTranslations, compare=False)
    # Called with each msgid the catalog does not have (a missing translation is never silent).
    on_missing: Callable[[str], None] | None = field(default=None, compare=False)
    # Put before the English of a missing string (a rehearsal's preview of drafts: DRAFT_ENGLISH_MARK).
    missing_mark: str = ""

    def _(self, message: str, /, **values: object) -> str:
        """`message` in this reader's language, with `values` filled in."""
        text = self.catalog.gettext(message)
        if text is message and not self.reader.english:
            if self.on_missing is not None:
                self.on_missing(message)
            text = self.missing_mark + text
        return text.format(**values) if values else text

    def n_(self, singular: str, plural: str, n: float, /, **values: object) -> str:
        """The singular or plural form for the number `n`, with `values` filled in."""
        whole = int(n) if float(n).is_integer() else 2  # a fraction reads as a plural
        text = self.catalog.ngettext(singular, plural, whole)
        if text in (singular, plural) and not self.reader.english:
            if self.on_missing is not None:
                self.on_missing(singular)
            text = self.missing_mark + text
        return text.format(**values)

    def number(self, value: float) -> str:
        """A count in this reader's digits."""
        return self.reader.number(value)


def words_for(reader: Reader, catalogs: Catalogs = SHIPPED, on_missing: Callable[[str], None] | None = None) -> Words:
    """The words for `reader` from the catalogs `catalogs` finds (a search with drafts: each draft
    marked DRAFT_MARK, each missing string's English DRAFT_ENGLISH_MARK)."""
    if reader.english:
        return Words(reader)
    search = as_search(catalogs)
    mark = DRAFT_ENGLISH_MARK if search.drafts else ""
    return Words(reader, translations(reader.locale or "en", search), on_missing, mark)


ENGLISH_WORDS = Words()


Phrase = dict[str, Any]
"""A sentence kept as data until someone reads it (the pack's notes from the run log are built once
and written in whichever locale the pack is asked for): {"message": msgid, "values": {...}}, each
value the file's own text (a str, never translated), a number ({"number": 2.5}), a length of time
({"mmss": 180}: "3:00") or a phrase of its own (its "lower": true starts it with a small letter)."""


def phrase(message: str, /, **values: object) -> Phrase:
    """A phrase of `message` (marked for extraction where it is written: `N_`) and `values`."""
    return {"message": message, "values": values}


def say(w: Words, said: Phrase) -> str:
    """`said` in `w`'s words, its numbers and lengths of time in the reader's digits (English: ASCII)."""
    values = {key: _said_value(w, value) for key, value in said.get("values", {}).items()}
    text = w._(said["message"], **values)
    return text[:1].lower() + text[1:] if said.get("lower") else text


def _said_value(w: Words, value: object) -> str:
    if isinstance(value, dict):
        if "number" in value:
            return w.number(value["number"])
        if "mmss" in value:
            seconds = int(value["mmss"])
            return w.reader.digits_of(f"{seconds // 60}:{seconds % 60:02d}")
        return say(w, value)
    return str(value)
