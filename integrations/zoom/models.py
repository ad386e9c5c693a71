"""Pydantic models of the Zoom objects the client returns (only fields we use are typed)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _ZoomModel(BaseModel):
    # Zoom adds fields often; keep unknown ones (in .model_extra) instead of failing.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ZoomUser(_ZoomModel):
    """A Zoom user (GET /users/{userId})."""

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    type: int | None = None
    status: str | None = None
    timezone: str | None = None
    account_id: str | None = None


class BreakoutRoomSetting(_ZoomModel):
    """One pre-assigned breakout room."""

    name: str = ""
    participants: list[str] = Field(default_factory=list)


class BreakoutRooms(_ZoomModel):
    """`settings.breakout_room`."""

    enable: bool | None = None
    rooms: list[BreakoutRoomSetting] = Field(default_factory=list)


class InterpreterSetting(_ZoomModel):
    """One language interpreter."""

    email: str = ""
    interpreter_languages: str | None = None
    languages: str | None = None


class LanguageInterpretation(_ZoomModel):
    """`settings.language_interpretation`."""

    enable: bool | None = None
    interpreters: list[InterpreterSetting] = Field(default_factory=list)


class Invitee(_ZoomModel):
    """One entry of `settings.meeting_invitees`."""

    email: str


class MeetingSettings(_ZoomModel):
    """The subset of meeting/webinar settings Showcaller manages."""

    waiting_room: bool | None = None
    mute_upon_entry: bool | None = None
    join_before_host: bool | None = None
    auto_recording: str | None = None
    approval_type: int | None = None
    registration_type: int | None = None
    alternative_hosts: str | None = None
    language_interpretation: LanguageInterpretation | None = None
    breakout_room: BreakoutRooms | None = None
    meeting_invitees: list[Invitee] | None = None


class ZoomMeeting(_ZoomModel):
    """A meeting or webinar as Zoom returns it on create (201) or GET (200)."""

    id: int
    uuid: str | None = None
    host_id: str | None = None
    host_email: str | None = None
    topic: str = ""
    type: int | None = None
    status: str | None = None
    start_time: datetime | None = None
    duration: int | None = None
    timezone: str | None = None
    agenda: str | None = None
    password: str | None = None
    join_url: str | None = None
    start_url: str | None = None
    registration_url: str | None = None
    created_at: datetime | None = None
    settings: MeetingSettings = Field(default_factory=MeetingSettings)


class ZoomWebinar(ZoomMeeting):
    """A webinar (same shape as a meeting for the fields we use)."""


class Panelist(_ZoomModel):
    """A webinar panelist (GET /webinars/{id}/panelists)."""

    id: str | None = None
    email: str
    name: str = ""
    join_url: str | None = None


class PanelistsAdded(_ZoomModel):
    """Answer to POST /webinars/{id}/panelists (note: `id` is a string here)."""

    id: str
    updated_at: datetime | None = None


class RegistrantCreated(_ZoomModel):
    """Answer to POST …/registrants; `join_url` is absent under manual approval."""

    id: int
    registrant_id: str
    join_url: str | None = None
    topic: str | None = None
    start_time: datetime | None = None


class RegistrantAnswer(_ZoomModel):
    """A registrant's answer to a custom question."""

    title: str = ""
    value: str = ""


class Registrant(_ZoomModel):
    """One registrant from GET …/registrants."""

    id: str
    email: str
    first_name: str = ""
    last_name: str | None = None
    status: str | None = None
    join_url: str | None = None
    create_time: datetime | None = None
    country: str | None = None
    org: str | None = None
    job_title: str | None = None
    industry: str | None = None
    city: str | None = None
    custom_questions: list[RegistrantAnswer] = Field(default_factory=list)


class PastParticipant(_ZoomModel):
    """One join segment of a past meeting or webinar (each rejoin is a new row and user_id)."""

    id: str | None = None
    user_id: str | None = None
    name: str = ""
    user_email: str | None = None
    registrant_id: str | None = None
    join_time: datetime | None = None
    leave_time: datetime | None = None
    duration: int | None = None
    status: str | None = None
    bo_mtg_id: str | None = None
    participant_user_id: str | None = None
