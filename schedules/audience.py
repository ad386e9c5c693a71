"""Who reads what in which locale: the event's default, each target's, each person's (issue 30).

`event.language` is everyone's default; a target, a person or an agenda viewer may have its own
locale. Event-specific text (titles, reminder messages) has per-locale overrides in the schedule
file (`titles: {fr: ...}`): the reader's locale, else its language, else the file's own text.
"""

from __future__ import annotations

from collections.abc import Mapping

from schedules.locales import ENGLISH, Reader, has_native_digits, language_of, locale_id
from schedules.model import Person, Schedule, Target


def event_locale(schedule: Schedule) -> str:
    """The event's default locale id ('en' for the default `language: English`)."""
    try:
        return locale_id(schedule.event.language)
    except ValueError:  # refused by the schedule rules; a hand-built schedule reads as English
        return "en"


def _reader(locale: str) -> Reader:
    return ENGLISH if language_of(locale) == "en" else Reader(locale)


def target_reader(schedule: Schedule, target: Target | None) -> Reader:
    """How `target`'s messages are written: its locale (default: the event's), digits, calendar."""
    if target is None:
        return _reader(event_locale(schedule))
    locale = locale_id(target.locale) if target.locale else event_locale(schedule)
    if language_of(locale) == "en" and target.digits == "latin" and target.calendar == "gregorian":
        return ENGLISH
    return Reader(locale, target.digits, target.calendar)


def person_reader(schedule: Schedule, person: Person | None) -> Reader:
    """How `person`'s invites, run sheet and presenter view are written."""
    if person is not None and person.locale:
        return _reader(locale_id(person.locale))
    return _reader(event_locale(schedule))


def translated(text: str, translations: Mapping[str, str], reader: Reader) -> str:
    """`text` for `reader`: the override for its locale, else for its language, else `text`."""
    if reader.locale is None or not translations:
        return text
    by_id = {_safe_id(k): v for k, v in translations.items()}
    return by_id.get(reader.locale) or by_id.get(language_of(reader.locale)) or text


def _safe_id(value: str) -> str:
    try:
        return locale_id(value)
    except ValueError:
        return value


def parse_accept_language(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, most wanted first ('*' and q=0 left out)."""
    ranked = []
    for n, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, n, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def agenda_reader(
    schedule: Schedule,
    lang: str | None,
    accept_language: str | None,
    catalogs: list[str],
    digits: str | None = None,
    calendar: str | None = None,
) -> Reader:
    """How one viewer of the public agenda reads it: `?lang=` when it names a locale CLDR knows,
    else the first of Accept-Language the event can serve (its language, a title override, a
    catalog), else the event's language. `digits=native` and `calendar=buddhist` apply when asked."""
    default = event_locale(schedule)
    served = {default, *catalogs, *(_safe_id(k) for k in schedule.event.titles)}
    served |= {_safe_id(k) for seg in schedule.segments for k in seg.titles}
    chosen = default
    try:
        # Asked for by name: any locale CLDR knows (the browser formats times in it).
        chosen = locale_id(lang) if lang else default
    except ValueError:
        lang = None
    for tag in [] if lang else parse_accept_language(accept_language):
        try:
            code = locale_id(tag)
        except ValueError:
            continue
        if code in served or language_of(code) in {language_of(x) for x in served}:
            chosen = code if code in served else next(x for x in served if language_of(x) == language_of(code))
            break
    native = "native" if digits == "native" and has_native_digits(chosen) else "latin"
    era = "buddhist" if calendar == "buddhist" else "gregorian"
    if language_of(chosen) == "en" and native == "latin" and era == "gregorian":
        return ENGLISH
    return Reader(chosen, native, era)  # type: ignore[arg-type]  # checked just above


def pack_reader(schedule: Schedule, locale: str | None, catalogs: list[str]) -> Reader:
    """Who reads the post-event pack: `locale` when given, else the event's language.

    A locale asked for by name must be one CLDR knows and a catalog serves (English, or a locale
    or its language among `catalogs`), else ValueError says which and how to fix it; the event's
    language without a catalog gives the English pack (its words would be English anyway)."""

    def served(code: str) -> bool:
        return language_of(code) == "en" or code in catalogs or language_of(code) in catalogs

    if locale:
        code = locale_id(locale)  # ValueError: CLDR does not know it
        if not served(code):
            known = ", ".join(["en", *catalogs])
            raise ValueError(
                f"no catalog writes the pack in '{locale}' (catalogs: {known}). "
                f"Fix: pick one of them, or add one (`showcaller locale init {code}`)"
            )
        return _reader(code)
    default = event_locale(schedule)
    return _reader(default) if served(default) else ENGLISH
