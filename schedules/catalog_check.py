"""Drafts never reach a live channel (issue 30): what a catalog lacks, counted by us, and which of
the strings an event needs a target's locale cannot write.

Babel's statistics count a fuzzy entry as translated; here a fuzzy entry is a draft and is counted
apart (and left out of the compiled catalog, schedules/i18n.py). A translation whose `{placeholders}`
differ from its msgid's would fail or drop a value when formatted: counted as a mismatch. Burmese
entries are checked for Zawgyi, the legacy font encoding that looks right only with a Zawgyi font
(`myanmartools`' detector).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message

from schedules.i18n import SHIPPED, Catalogs, Words, as_search, placeholders, read_catalog, translations
from schedules.locales import Reader, language_of
from schedules.model import CueKind, Schedule, Target

ZAWGYI_THRESHOLD = 0.95  # myanmartools' probability above which a text is taken for Zawgyi


@dataclass
class CatalogReport:
    """What one locale's catalog lacks: each list holds msgids."""

    locale: str
    path: Path | None
    total: int = 0
    fuzzy: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    zawgyi: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every entry is translated, reviewed and well formed."""
        return self.path is not None and not (self.fuzzy or self.missing or self.mismatched or self.zawgyi)


def _ids(message: Message) -> list[str]:
    return [str(x) for x in message.id] if isinstance(message.id, tuple | list) else [str(message.id)]


def _strings(message: Message) -> list[str]:
    if isinstance(message.string, tuple | list):
        return [str(x) for x in message.string]
    return [str(message.string or "")]


def _mismatched(message: Message) -> bool:
    wanted = set().union(*(placeholders(i) for i in _ids(message)))
    return any(s and placeholders(s) != wanted for s in _strings(message))


@lru_cache(maxsize=1)
def _detector() -> Any:
    import warnings

    from myanmartools import ZawgyiDetector  # type: ignore[import-untyped]  # ships no type hints

    with warnings.catch_warnings():  # it loads its model with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        return ZawgyiDetector()


def _looks_zawgyi(texts: list[str]) -> bool:
    return any(t and _detector().get_zawgyi_probability(t) > ZAWGYI_THRESHOLD for t in texts)


def check_catalog(catalog: Catalog, locale: str, path: Path | None, template: Catalog | None = None) -> CatalogReport:
    """Count fuzzy, missing, placeholder-mismatched (and, for Burmese, Zawgyi) entries of `catalog`;
    with `template` (the extraction), a msgid the catalog does not have at all counts as missing."""
    report = CatalogReport(locale, path)
    burmese = language_of(locale) == "my"
    for message in catalog:
        if not message.id:
            continue  # the header
        report.total += 1
        key = _ids(message)[0]
        if message.fuzzy:
            report.fuzzy.append(key)
        elif not all(_strings(message)):
            report.missing.append(key)
        if any(_strings(message)) and _mismatched(message):
            report.mismatched.append(key)
        if burmese and _looks_zawgyi(_strings(message)):
            report.zawgyi.append(key)
    if template is not None:
        have = {_ids(m)[0] for m in catalog if m.id}
        wanted = {_ids(m)[0] for m in template if m.id}
        report.missing += sorted(wanted - have)
        report.total += len(wanted - have)
        report.obsolete = sorted(have - wanted)
    return report


def check_locale(locale: str, catalogs: Catalogs = SHIPPED, template: Catalog | None = None) -> CatalogReport:
    """The report of the catalog `catalogs` finds for `locale` (no catalog: everything is missing)."""
    path = as_search(catalogs).find(locale)
    if path is None:
        report = CatalogReport(locale, None)
        if template is not None:
            report.missing = sorted(_ids(m)[0] for m in template if m.id)
            report.total = len(report.missing)
        return report
    return check_catalog(read_catalog(path, locale), locale, path, template)


def needed_strings(schedule: Schedule, target: Target, reader: Reader) -> set[str]:
    """Every msgid target `target` may be sent for this event, found by writing each of its cues
    (the planned ones, plus what hosts and timers cause on the day) in `reader`'s locale."""
    from schedules import cue_words
    from schedules.timeline import plan_cues, targets_for

    asked: set[str] = set()

    class Asking:
        """A catalog that notes each msgid and answers with it."""

        def gettext(self, message: str) -> str:
            asked.add(message)
            return message

        def ngettext(self, singular: str, plural: str, n: int) -> str:
            asked.add(singular)
            return singular if n == 1 else plural

    words = Words(reader, Asking())  # type: ignore[arg-type]  # duck-typed: gettext and ngettext
    mine = [c for c in plan_cues(schedule) if target.id in c.targets]
    for cue in mine:
        cue_words.render_cue(words, schedule, cue.kind, cue.id, cue.segment, cue.data, cue.title, cue.message)
    gets = {k for k in CueKind if target.id in targets_for(schedule, k, None)}
    first = schedule.segments[0]
    if CueKind.readiness_check in gets:
        cue_words.readiness_checked(
            words, first, 1, [{"id": "a", "name": "A", "role": r} for r in cue_words.ROLE_WORDS], [{"id": None}]
        )
        cue_words.readiness_checked(words, first, 1, [{"id": "a", "name": "A", "role": "speaker", "waiting": True}], [])
        cue_words.readiness_checked(words, first, 2, [], [])
    if gets & {CueKind.timer_start, CueKind.timer_warning, CueKind.timer_danger, CueKind.timer_up}:
        cue_words.timer_start(words, "t", 180)
        cue_words.timer_left(words, "t", 60)
        cue_words.timer_up(words, "t")
    if CueKind.delay in gets:
        for seconds in (60, -60):
            for mode in ("absorb", "shift"):
                cue_words.delay_notice(words, None, seconds, mode)
    if CueKind.announcement in gets:
        words._(cue_words.ANNOUNCEMENT)
    if gets & {CueKind.segment_start, CueKind.segment_end}:
        from schedules.i18n import N_

        for late in (N_("{seconds} s"), N_("{minutes} min"), N_("(Posted {size} late: it was due at {due}.)")):
            words._(late)
    # Any target that was sent something may get an undo's correction, written in its words.
    for status, held in (("ended", False), ("scheduled", False), ("live", True), ("live", False)):
        situation = cue_words.correction_situation(words, schedule, status, first, held)
        labels = [cue_words.withdrawn_cue(words, "t"), cue_words.withdrawn_announcement(words, "14:00", "x")]
        cue_words.correction(words, situation, [*labels, cue_words.withdrawn_announcement(words, None, "x")])
    asked |= set(FIELD_LABELS)
    asked |= {cue_words.HOST_CONSOLE, cue_words.JOIN_ZOOM}  # the links a message may carry
    if target.buttons and target.hosts:  # its host action buttons, and what its chat shows after a click
        from schedules import button_words

        asked |= button_words.ALL
    return asked


# The labels compose() puts on a message's time fields (app/engine/compose.py marks them too).
FIELD_LABELS = ("Ends", "Starts", "Next", "Next starts", "Time up at", "its time")


def untranslated_for(
    schedule: Schedule, target: Target, reader: Reader, catalogs: Catalogs = SHIPPED
) -> dict[str, str]:
    """The strings target `target` needs that its locale's catalog cannot write on the day, each
    with why: 'missing' (no catalog, no entry, or an empty one) or 'draft' (fuzzy, never sent live;
    a search with drafts still counts them: they are what a preview marks)."""
    search = as_search(catalogs).live()
    catalog = translations(reader.locale or "en", search)
    path = search.find(reader.locale or "en")
    drafts: set[str] = set()
    if path is not None:
        drafts = {_ids(m)[0] for m in read_catalog(path, reader.locale) if m.id and m.fuzzy}
    out = {}
    for msgid in sorted(needed_strings(schedule, target, reader)):
        if catalog.gettext(msgid) is msgid:
            out[msgid] = "draft" if msgid in drafts else "missing"
    return out
