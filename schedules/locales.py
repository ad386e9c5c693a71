"""How each reader sees times, dates, durations, lists and numbers: the locale plumbing (issue 30).

A reader is a target, a person or a viewer of the public agenda; each may have its own locale,
digits and calendar, and `event.language` is everyone's default. Formatting comes from CLDR through
Babel (24-hour skeletons, the CLDR zone name, `format_timedelta`, `format_list`). Two things Babel
does not do are done here: native digits (Babel prints ASCII digits even for Burmese, whose default
numbering is Myanmar digits) and the Buddhist-era year (Babel formats only the Gregorian calendar).

English, the product's own language, keeps the wording and formats it always had ("14:15 (GMT+7)"),
byte for byte. Native digits are applied only to text made for people: ids, URLs and button values
never pass through here, and whatever is parsed from people (durations, times) takes ASCII digits
only (schedules/durations.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError, dates, lists

DEFAULT_LOCALE = "en"
# The four scripts whose digits CLDR lists as native and that Babel prints as ASCII.
NATIVE_DIGITS = {
    "km": "០១២៣៤៥៦៧៨៩",
    "lo": "໐໑໒໓໔໕໖໗໘໙",
    "my": "၀၁၂၃၄၅၆၇၈၉",
    "th": "๐๑๒๓๔๕๖๗๘๙",
}
# The Unicode extension a browser's Intl takes for those digits (th-u-nu-thai).
INTL_NUMBERING = {"km": "khmr", "lo": "laoo", "my": "mymr", "th": "thai"}
BUDDHIST_YEAR_OFFSET = 543  # 2022 CE is 2565 BE
# CLDR's abbreviated era of the Buddhist calendar (root: "BE").
BUDDHIST_ERA = {"th": "พ.ศ.", "lo": "ພ.ສ.", "km": "ព.ស."}
GREGORIAN_ERA_FALLBACK = "AD"

Digits = Literal["native", "latin"]
Calendar = Literal["gregorian", "buddhist"]


@lru_cache(maxsize=1)
def _english_names() -> dict[str, str]:
    """Lower-cased English language names ("french", "khmer") to their codes."""
    names: dict[str, str] = {}
    for code, name in Locale("en").languages.items():
        names.setdefault(name.casefold(), code)
    return names


@lru_cache(maxsize=256)
def locale_id(value: str) -> str:
    """The CLDR id of `value`: a locale id ("fr", "pt-BR", "th_TH") or an English language name
    ("French", "Burmese"); ValueError "what is wrong; how to fix it" when there is none."""
    text = str(value).strip()
    if not text:
        raise ValueError("the locale is empty; write a locale such as fr, th or pt-BR")
    code = _english_names().get(text.casefold(), text)
    try:
        return str(Locale.parse(code.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(
            f"'{value}' is not a locale CLDR knows; write a locale such as fr, th, my, km, lo, vi or pt-BR "
            "(or a language's English name, such as French)"
        ) from None


def language_of(locale: str) -> str:
    """The language part of a locale id: 'pt' for 'pt_BR'."""
    return locale.split("_")[0]


def to_native(text: str, locale: str) -> str:
    """`text` with its ASCII digits written in `locale`'s native digits (km, lo, my, th); unchanged
    for any other locale."""
    digits = NATIVE_DIGITS.get(language_of(locale))
    return text.translate(str.maketrans("0123456789", digits)) if digits else text


def has_native_digits(locale: str) -> bool:
    """Whether `locale` has native digits this module can write."""
    return language_of(locale) in NATIVE_DIGITS


@dataclass(frozen=True)
class Reader:
    """How one reader wants things shown. `locale` None (or English) is the product's English."""

    locale: str | None = None
    digits: Digits = "latin"
    calendar: Calendar = "gregorian"

    @property
    def english(self) -> bool:
        """True for the product's own English wording and formats."""
        return self.locale is None or language_of(self.locale) == DEFAULT_LOCALE

    @property
    def tag(self) -> str:
        """The BCP 47 tag for `lang=` attributes: 'pt-BR', 'th'."""
        return (self.locale or DEFAULT_LOCALE).replace("_", "-")

    @property
    def intl(self) -> str:
        """The BCP 47 tag a browser's Intl formats with for this reader, calendar and digits spelled
        out (Intl's Thai would otherwise pick the Buddhist calendar by itself): 'th-u-ca-buddhist-nu-thai'."""
        calendar = "buddhist" if self.calendar == "buddhist" else "gregory"
        numbering = INTL_NUMBERING.get(language_of(self.locale or DEFAULT_LOCALE), "latn")
        return f"{self.tag}-u-ca-{calendar}-nu-{numbering if self.digits == 'native' else 'latn'}"

    def _babel(self) -> Locale:
        return Locale.parse(self.locale or DEFAULT_LOCALE)

    def digits_of(self, text: str) -> str:
        """`text` in this reader's digits."""
        return to_native(text, self.locale) if self.digits == "native" and self.locale else text

    def number(self, value: float) -> str:
        """A count or a number of minutes: 3, 2.5, in this reader's digits."""
        return self.digits_of(f"{value:g}")

    def clock(self, at: datetime, tz: str) -> str:
        """The time of day at instant `at` in zone `tz`, with the locale's 24-hour skeleton."""
        local = _aware(at).astimezone(ZoneInfo(tz))
        if self.english:
            return local.strftime("%H:%M")
        return self.digits_of(dates.format_skeleton("Hm", local, tzinfo=ZoneInfo(tz), locale=self._babel()))

    def zone_name(self, at: datetime, tz: str) -> str:
        """The zone as CLDR names it for this locale at `at' ("heure d’Indochine", "Myanmar Time")."""
        return dates.format_datetime(_aware(at), "zzzz", tzinfo=ZoneInfo(tz), locale=self._babel())

    def time(self, at: datetime, tz: str, *, with_date: bool = False) -> str:
        """An instant as this reader reads it: "14:15 (heure d’Indochine)"; with its date in front
        when asked. English keeps "14:15 (GMT+7)" (message.format_local's format)."""
        if self.english:
            local = _aware(at).astimezone(ZoneInfo(tz))
            clock = local.strftime("%H:%M")
            if with_date:
                clock = f"{local.strftime('%a')} {local.day} {local.strftime('%b')} {clock}"
            return f"{clock} ({gmt_offset(at, tz)})"
        clock = self.clock(at, tz)
        if with_date:
            clock = f"{self.date(_aware(at).astimezone(ZoneInfo(tz)).date(), 'medium')} {clock}"
        return f"{clock} ({self.zone_name(at, tz)})"

    def date(self, day: date, width: Literal["full", "long", "medium", "short"] = "long") -> str:
        """A date in this reader's calendar; a Buddhist-era date always prints its era (พ.ศ. 2565)."""
        locale = self._babel()
        if self.calendar != "buddhist":
            return self.digits_of(dates.format_date(day, width, locale=locale))
        pattern = str(locale.date_formats[width].pattern)
        era = BUDDHIST_ERA.get(language_of(self.locale or DEFAULT_LOCALE), "BE")
        year = str(day.year + BUDDHIST_YEAR_OFFSET)
        out = dates.format_date(day, _with_year(pattern, year, era), locale=locale)
        return self.digits_of(out)

    def duration(self, value: timedelta) -> str:
        """A length of time in words: "3 minutes", "3 นาที" (CLDR's units, never rounded up to hours)."""
        seconds = abs(value.total_seconds())
        unit: Literal["second", "minute"] = "second" if seconds < 60 or seconds % 60 else "minute"
        return self.digits_of(
            dates.format_timedelta(value, granularity=unit, threshold=10_000, format="long", locale=self._babel())
        )

    def join(self, items: list[str], style: Literal["standard", "unit"] = "standard") -> str:
        """Items joined as the locale lists them: "a, b et c"."""
        if not items:
            return ""
        return lists.format_list(items, style=style, locale=self._babel())


def _with_year(pattern: str, year: str, era: str) -> str:
    """A CLDR date pattern with its year fields replaced by the quoted `year` and its era by `era`;
    the era is put before the year when the pattern has none."""
    out, i, has_era = [], 0, "G" in pattern
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            end = len(pattern) - 1 if end == -1 else end
            out.append(pattern[i : end + 1])
            i = end + 1
            continue
        run = i
        while run < len(pattern) and pattern[run] == ch:
            run += 1
        if ch in "yYu":
            out.append(f"'{year}'" if has_era else f"'{era} {year}'")
        elif ch == "G":
            out.append(f"'{era}'")
        else:
            out.append(pattern[i:run])
        i = run
    return "".join(out)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC)


def gmt_offset(at: datetime, tz: str) -> str:
    """The offset of `tz` at instant `at` as people read it: GMT+7, GMT+5:30, GMT-3, GMT."""
    offset = _aware(at).astimezone(ZoneInfo(tz)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if minutes == 0:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


ENGLISH = Reader()
