"""Neutral desired state of one Zoom meeting or webinar, and the request bodies that create it.

`MeetingSpec` knows nothing about schedule files: the app maps its domain objects onto it.
Settings left as None are not managed (Zoom's account default applies and drift is ignored).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["meeting", "webinar"]
Recording = Literal["none", "local", "cloud"]

MEETING_TYPE_SCHEDULED = 2
WEBINAR_TYPE_SCHEDULED = 5
MAX_BREAKOUT_ROOMS = 100
MAX_BREAKOUT_PEOPLE = 1000


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Interpreter(_Frozen):
    """A language interpreter: email plus exactly two language names (e.g. English, French)."""

    email: str
    languages: tuple[str, str]

    @property
    def interpreter_languages(self) -> str:
        """Zoom's `interpreter_languages` string, e.g. "English,French"."""
        return ",".join(self.languages)


class BreakoutRoom(_Frozen):
    """A pre-assigned breakout room: a name and the emails assigned to it."""

    name: str = Field(min_length=1)
    participants: tuple[str, ...] = ()


class PanelistSpec(_Frozen):
    """A webinar panelist."""

    name: str = Field(min_length=1)
    email: str


# Zoom's standard registration field names (the spec's `field_name` enum).
STANDARD_FIELDS = (
    "last_name",
    "address",
    "city",
    "country",
    "zip",
    "state",
    "phone",
    "industry",
    "org",
    "job_title",
    "purchasing_time_frame",
    "role_in_purchase_process",
    "no_of_employees",
    "comments",
)


class RegistrationQuestion(_Frozen):
    """A standard registration field to ask (Zoom's `field_name`), required or not."""

    field_name: Literal[STANDARD_FIELDS]  # type: ignore[valid-type]
    required: bool = True


class CustomQuestion(_Frozen):
    """A custom question: `single` (one of `answers`) or `short` (free text)."""

    title: str = Field(min_length=1)
    type: Literal["single", "short"] = "single"
    answers: tuple[str, ...] = ()
    required: bool = True


class RegistrationForm(_Frozen):
    """The registration form of a meeting/webinar: standard fields and custom questions."""

    questions: tuple[RegistrationQuestion, ...] = ()
    custom_questions: tuple[CustomQuestion, ...] = ()


class MeetingSpec(_Frozen):
    """What one Zoom meeting or webinar should look like."""

    kind: Kind = "meeting"
    host_user: str = Field(min_length=1, description="host email or Zoom user id")
    topic: str = Field(min_length=1, max_length=200)
    agenda: str = Field(default="", max_length=2000)
    start_time: AwareDatetime
    duration_minutes: int = Field(ge=1, le=1440)
    timezone: str = "UTC"
    password: str | None = Field(default=None, max_length=10)
    waiting_room: bool | None = None
    mute_upon_entry: bool | None = None
    join_before_host: bool | None = None
    auto_recording: Recording | None = None
    registration: bool = False
    manual_approval: bool = False
    registration_form: RegistrationForm | None = Field(
        default=None, description="None: the registration questions are not managed"
    )
    alternative_hosts: tuple[str, ...] = ()
    interpreters: tuple[Interpreter, ...] = ()
    breakout_rooms: tuple[BreakoutRoom, ...] = ()
    meeting_invitees: tuple[str, ...] = ()
    panelists: tuple[PanelistSpec, ...] = ()

    @field_validator("start_time")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        # Zoom keeps whole seconds; dropping microseconds keeps re-runs free of false drift.
        return value.astimezone(UTC).replace(microsecond=0)

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _kind_rules(self) -> MeetingSpec:
        if self.kind == "webinar":
            meeting_only = {
                "waiting_room": self.waiting_room,
                "mute_upon_entry": self.mute_upon_entry,
                "join_before_host": self.join_before_host,
                "breakout_rooms": self.breakout_rooms or None,
                "meeting_invitees": self.meeting_invitees or None,
            }
            bad = sorted(k for k, v in meeting_only.items() if v is not None)
            if bad:
                raise ValueError(f"webinars do not support: {', '.join(bad)}")
        elif self.panelists:
            raise ValueError("panelists are for webinars only")
        if self.registration_form is not None and not self.registration:
            raise ValueError("registration questions need registration on")
        if len(self.breakout_rooms) > MAX_BREAKOUT_ROOMS:
            raise ValueError(f"at most {MAX_BREAKOUT_ROOMS} breakout rooms")
        if sum(len(r.participants) for r in self.breakout_rooms) > MAX_BREAKOUT_PEOPLE:
            raise ValueError(f"at most {MAX_BREAKOUT_PEOPLE} pre-assigned breakout participants")
        return self

    @property
    def approval_type(self) -> int:
        """0 automatic or 1 manual approval when registration is on, else 2 (no registration)."""
        if not self.registration:
            return 2
        return 1 if self.manual_approval else 0


def _zoom_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _alt_hosts(spec: MeetingSpec) -> str:
    # Meetings document ';' as separator; the webinar schema describes a comma list.
    return (";" if spec.kind == "meeting" else ",").join(spec.alternative_hosts)


def settings_body(spec: MeetingSpec) -> dict[str, Any]:
    """The managed part of `settings`, per the create/PATCH schemas of the spec's kind."""
    s: dict[str, Any] = {"approval_type": spec.approval_type}
    if spec.registration:
        s["registration_type"] = 1
    for name in ("waiting_room", "mute_upon_entry", "join_before_host", "auto_recording"):
        value = getattr(spec, name)
        if value is not None:
            s[name] = value
    if spec.waiting_room:
        # Zoom ignores join_before_host with a waiting room; saying so avoids endless drift.
        s["join_before_host"] = False
    s["alternative_hosts"] = _alt_hosts(spec)
    s["language_interpretation"] = {
        "enable": bool(spec.interpreters),
        "interpreters": [
            {"email": i.email, "interpreter_languages": i.interpreter_languages} for i in spec.interpreters
        ],
    }
    if spec.kind == "meeting":
        s["breakout_room"] = {
            "enable": bool(spec.breakout_rooms),
            "rooms": [{"name": r.name, "participants": list(r.participants)} for r in spec.breakout_rooms],
        }
        s["meeting_invitees"] = [{"email": e} for e in spec.meeting_invitees]
    return s


def top_level_body(spec: MeetingSpec) -> dict[str, Any]:
    """Topic, agenda, time and password fields shared by create and PATCH."""
    body: dict[str, Any] = {
        "topic": spec.topic,
        "agenda": spec.agenda,
        "start_time": _zoom_time(spec.start_time),
        "duration": spec.duration_minutes,
        "timezone": spec.timezone,
    }
    if spec.password is not None:
        body["password"] = spec.password
    return body


def to_create_body(spec: MeetingSpec) -> dict[str, Any]:
    """Body for POST /users/{userId}/meetings or /webinars (type 2 meeting / type 5 webinar)."""
    kind_type = MEETING_TYPE_SCHEDULED if spec.kind == "meeting" else WEBINAR_TYPE_SCHEDULED
    return {"type": kind_type, **top_level_body(spec), "settings": settings_body(spec)}


def questions_body(spec: MeetingSpec) -> dict[str, Any] | None:
    """Body for PATCH /meetings|webinars/{id}/registrants/questions (None: not managed).

    Webinars name a single-choice question `single_radio`; meetings call it `single`.
    """
    form = spec.registration_form
    if form is None:
        return None
    single = "single" if spec.kind == "meeting" else "single_radio"
    custom = []
    for q in form.custom_questions:
        item: dict[str, Any] = {"title": q.title, "type": single if q.type == "single" else "short"}
        item["required"] = q.required
        if q.type == "single":
            item["answers"] = list(q.answers)
        custom.append(item)
    return {
        "questions": [{"field_name": q.field_name, "required": q.required} for q in form.questions],
        "custom_questions": custom,
    }


def to_patch_body(spec: MeetingSpec, fields: set[str] | None = None) -> dict[str, Any]:
    """Body for PATCH; `fields` (names as in `plan_changes`) limits it to what changed."""
    full = {**top_level_body(spec), "settings": settings_body(spec)}
    if fields is None:
        return full
    body: dict[str, Any] = {}
    for name in fields:
        if name.startswith("settings."):
            key = name.removeprefix("settings.")
            if key in full["settings"]:
                body.setdefault("settings", {})[key] = full["settings"][key]
        elif name in full:
            body[name] = full[name]
    return body
