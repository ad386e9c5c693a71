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


# --- in-meeting controls, polls, surveys, recordings ---------------------------------


class PollQuestion(_ZoomModel):
    """One poll question (type single, multiple, rating_scale, short_answer …)."""

    name: str = ""
    type: str = "single"
    answers: list[str] = Field(default_factory=list)
    right_answers: list[str] = Field(default_factory=list)
    answer_required: bool | None = None


class Poll(_ZoomModel):
    """A meeting/webinar poll (POST 201, GET, or one row of the list).

    `status` is Zoom's: notstart, started, ended, sharing (deactivated in lists).
    """

    id: str
    title: str = ""
    status: str | None = None
    anonymous: bool | None = None
    poll_type: int | None = None
    questions: list[PollQuestion] = Field(default_factory=list)


class LiveStream(_ZoomModel):
    """GET /meetings|webinars/{id}/livestream: the custom streaming target."""

    stream_url: str | None = None
    stream_key: str | None = None
    page_url: str | None = None
    resolution: str | None = None


class RecordingFile(_ZoomModel):
    """One file of a cloud recording; `recording_start`/`recording_end` bound what it covers."""

    id: str | None = None
    meeting_id: str | None = None
    recording_start: datetime | None = None
    recording_end: datetime | None = None
    file_type: str | None = None
    file_extension: str | None = None
    file_size: float | None = None
    recording_type: str | None = None
    status: str | None = None
    download_url: str | None = None
    play_url: str | None = None


class MeetingRecordings(_ZoomModel):
    """GET /meetings/{meetingId}/recordings (one instance's cloud recording and its files)."""

    id: int | None = None
    uuid: str | None = None
    host_id: str | None = None
    topic: str | None = None
    start_time: datetime | None = None
    duration: int | None = None
    total_size: int | None = None
    recording_count: int | None = None
    recording_files: list[RecordingFile] = Field(default_factory=list)


class PollAnswer(_ZoomModel):
    """One answer in a poll result: `polling_id` names the poll, `question` its text."""

    polling_id: str | None = None
    question: str = ""
    answer: str = ""
    date_time: str | None = None


class PollRespondent(_ZoomModel):
    """One person's answers (past_* or report/* polls)."""

    name: str = ""
    email: str | None = None
    question_details: list[PollAnswer] = Field(default_factory=list)


class PollResults(_ZoomModel):
    """GET /past_meetings|past_webinars/{id}/polls or /report/meetings|webinars/{id}/polls."""

    id: int | None = None
    uuid: str | None = None
    start_time: datetime | None = None
    questions: list[PollRespondent] = Field(default_factory=list)


class SurveyAnswer(_ZoomModel):
    """One answer in a survey report."""

    question: str = ""
    question_id: str | None = None
    answer: str = ""
    date_time: str | None = None


class SurveyRespondent(_ZoomModel):
    """One person's survey answers."""

    name: str = ""
    email: str | None = None
    answer_details: list[SurveyAnswer] = Field(default_factory=list)


class SurveyReport(_ZoomModel):
    """GET /report/meetings|webinars/{id}/survey."""

    meeting_id: int | None = None
    meeting_uuid: str | None = None
    start_time: datetime | None = None
    survey_id: str | None = None
    survey_name: str | None = None
    survey_answers: list[SurveyRespondent] = Field(default_factory=list)
