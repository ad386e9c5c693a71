"""The neutral notification every target kind renders, and how times are shown to people."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from schedules.locales import ENGLISH, Calendar, Digits, Reader, gmt_offset


class Severity(StrEnum):
    """How loudly a target should show a notification."""

    info = "info"
    warning = "warning"
    danger = "danger"


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; ValueError with a readable message when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"'{name}' is not an IANA time zone (e.g. Asia/Bangkok)") from exc


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC)


def _known_zone(name: str) -> str:
    zone(name)
    return name


AwareUTC = Annotated[datetime, AfterValidator(_aware_utc)]
ZoneName = Annotated[str, AfterValidator(_known_zone)]


@lru_cache(maxsize=4096)  # a cue's time is shown once per target and again in its payload
def format_local(at: datetime, tz: str, *, with_date: bool = False, reader: Reader = ENGLISH) -> str:
    """Show an aware instant in zone `tz`: "14:15 (GMT+7)", or "Tue 14 Jan 14:15 (GMT+7)"; a reader
    in another locale reads it its way ("14:15 (heure d’Indochine)", schedules/locales.py)."""
    if not reader.english:
        zone(tz)
        return reader.time(at, tz, with_date=with_date)
    local = _aware_utc(at).astimezone(zone(tz))
    clock = local.strftime("%H:%M")
    if with_date:
        clock = f"{local.strftime('%a')} {local.day} {local.strftime('%b')} {clock}"
    return f"{clock} ({gmt_offset(at, tz)})"


FieldValue = str | AwareUTC


class Notification(BaseModel):
    """One message for one target: what happened, when, and what people need to act on it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_id: str = Field(min_length=1, max_length=200, description="stable across retries")
    event_id: str
    event_title: str
    cue_id: str
    kind: str = Field(min_length=1, description="cue kind, e.g. segment_start, timer_warning")
    title: str = Field(min_length=1, description="short headline")
    text: str = ""
    at: AwareUTC
    timezone: ZoneName = "UTC"
    segment_title: str | None = None
    fields: tuple[tuple[str, FieldValue], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    # Host action buttons (label, single-use link): rendered as each platform's link buttons.
    buttons: tuple[tuple[str, str], ...] = ()
    # Native buttons of a target in mode app (label, verb, reference, confirm question or ""): pressing
    # one calls this service back with the single-use reference (app/run/chat_clicks.py).
    actions: tuple[tuple[str, str, str, str], ...] = ()
    # A confirm dialog's two answers, in the reader's words (composed with the rest of the message:
    # the renderers never look up a catalog themselves, so every catalog the service reads applies).
    confirm_answers: tuple[str, str] = ("Yes", "Cancel")
    # How a plain-text line writes a field, in the reader's typography ("Fin : 15:00" in French).
    field_line: str = "{label}: {value}"
    severity: Severity = Severity.info
    # Who reads it (issue 30): None is the product's English, as it always was.
    locale: str | None = None
    digits: Digits = "latin"
    calendar: Calendar = "gregorian"

    @property
    def reader(self) -> Reader:
        """How times in this notification are shown."""
        return Reader(self.locale, self.digits, self.calendar) if self.locale else ENGLISH

    @field_validator("links", "buttons")
    @classmethod
    def _http_links(cls, links: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        for label, url in links:
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"link '{label}' must be an http(s) URL")
        return links

    def local(self, at: datetime | None = None, *, tz: str | None = None) -> str:
        """`at` (default: this notification's time) shown in `tz` (default: its timezone)."""
        return format_local(at or self.at, tz or self.timezone, reader=self.reader)

    def display_fields(self, tz: str | None = None) -> list[tuple[str, str]]:
        """Fields as text; datetime values are shown in `tz` (default: the notification's zone)."""
        zone_name = tz or self.timezone
        return [
            (label, format_local(value, zone_name, reader=self.reader) if isinstance(value, datetime) else value)
            for label, value in self.fields
        ]

    def in_zone(self, tz: str | None) -> Notification:
        """This notification displayed in `tz` instead (unchanged when `tz` is None)."""
        if not tz or tz == self.timezone:
            return self
        zone(tz)
        return self.model_copy(update={"timezone": tz})
