"""In-meeting controls, live streaming, polls, surveys, recordings and their reports.

The ZoomClient methods of issue 29's Zoom layer, kept apart from client.py so that file stays the
scheduling half. Everything goes through the same ZoomApi (S2S token, retry policy, typed errors).

Two writes here are not safe to repeat blindly after an ambiguous failure (a timeout after the
request was sent, or a 5xx): `recording.start` (and the other recording moves) and poll creation.
For both the client reads Zoom's state before deciding whether to send again, the way
`converge.find_created` adopts a meeting whose create answer was lost:

- a poll is looked up in the meeting's poll list by title and questions;
- the recording state comes from a `RecordingProbe`. Zoom's REST API has no "is this meeting being
  recorded" read (the cloud recording appears only after the meeting ends), so the probe is
  injected: the app answers from the `recording.*` webhooks it ingested (see
  `recording_state_from_events`), tests and demos from the emulator. Without a probe the original
  error is raised and nothing is re-sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from integrations.zoom.api import ZoomApi, encode_meeting_ref
from integrations.zoom.errors import ZoomError, ZoomProtocolError, ZoomServerError, ZoomTransportError
from integrations.zoom.models import (
    LiveStream,
    MeetingRecordings,
    Poll,
    PollResults,
    SurveyReport,
)

RecordingState = Literal["stopped", "recording", "paused"]
RecordingAction = Literal["start", "stop", "pause", "resume"]
RecordingProbe = Callable[[int | str], Awaitable[RecordingState | None]]

# action -> (states it may be sent from, the state it leads to)
RECORDING_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({"stopped"}), "recording"),
    "stop": (frozenset({"recording", "paused"}), "stopped"),
    "pause": (frozenset({"recording"}), "paused"),
    "resume": (frozenset({"paused"}), "recording"),
}
_EVENT_STATE: dict[str, RecordingState] = {
    "recording.started": "recording",
    "recording.resumed": "recording",
    "recording.paused": "paused",
    "recording.stopped": "stopped",
}
# How often a non-idempotent write is re-sent after Zoom's state showed it was not applied.
MAX_RESENDS = 2


def ambiguous(error: ZoomError) -> bool:
    """Whether Zoom may have applied the write that failed with `error` (answer lost, or a 5xx)."""
    if isinstance(error, ZoomTransportError):
        return error.reached_zoom is not False
    return isinstance(error, ZoomServerError)


def recording_state_from_events(events: Iterable[Mapping[str, Any]], meeting_id: int | str) -> RecordingState | None:
    """The recording state the latest `recording.*` webhook of `meeting_id` tells (None if none came).

    Events are ordered by `event_ts`, so webhooks delivered out of order still give the last state.
    A `meeting.ended`/`webinar.ended` after the last recording event means the recording stopped.
    """
    latest: tuple[int, RecordingState] | None = None
    for event in events:
        name = str(event.get("event", ""))
        obj = (event.get("payload") or {}).get("object") or {}
        if str(obj.get("id")) != str(meeting_id):
            continue
        state: RecordingState | None = _EVENT_STATE.get(name)
        if state is None and name in ("meeting.ended", "webinar.ended", "meeting.started", "webinar.started"):
            state = "stopped"
        if state is None:
            continue
        ts = int(event.get("event_ts") or 0)
        if latest is None or ts >= latest[0]:
            latest = (ts, state)
    return latest[1] if latest else None


M = TypeVar("M", bound=BaseModel)


def _model_of(cls: type[M], data: Any, what: str) -> M:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ZoomProtocolError(f"unexpected {what} shape from Zoom: {exc.error_count()} errors") from exc


def _root(webinar: bool) -> str:
    return "/webinars" if webinar else "/meetings"


def _question_key(questions: Any) -> tuple:
    return tuple(
        (str(q.get("name", "")), str(q.get("type", "single")), tuple(q.get("answers") or ()))
        for q in questions or ()
        if isinstance(q, Mapping)
    )


class LiveControls:
    """Mixin for ZoomClient: needs `self.api` (a ZoomApi)."""

    api: ZoomApi

    # --- recording -----------------------------------------------------------------------
    async def control_recording(
        self, meeting_id: int | str, action: RecordingAction, *, probe: RecordingProbe | None = None
    ) -> bool:
        """PATCH /live_meetings/{id}/events {"method": "recording.<action>"} (202).

        Cloud recording only; the meeting must be in progress. Never repeated blindly: after an
        ambiguous failure `probe` is asked for the recording state. Already in the target state:
        done (returns False: this call's write was not needed a second time). Still in a state the
        move starts from: sent once more. Otherwise, or without a probe, the error is raised.
        Returns True when the write was answered 202.
        """
        if action not in RECORDING_MOVES:
            raise ValueError(f"unknown recording action {action!r}: use start, stop, pause or resume")
        sources, target = RECORDING_MOVES[action]
        path = f"/live_meetings/{encode_meeting_ref(meeting_id)}/events"
        body = {"method": f"recording.{action}"}
        resends = 0
        while True:
            try:
                await self.api.request("PATCH", path, json=body, idempotent=False)
                return True
            except ZoomError as exc:
                if not ambiguous(exc) or probe is None:
                    raise
                state = await probe(meeting_id)
                if state == target:
                    return False
                if state not in sources or resends >= MAX_RESENDS:
                    raise
                resends += 1

    async def start_recording(self, meeting_id: int | str, *, probe: RecordingProbe | None = None) -> bool:
        """Start the cloud recording of a running meeting/webinar."""
        return await self.control_recording(meeting_id, "start", probe=probe)

    async def stop_recording(self, meeting_id: int | str, *, probe: RecordingProbe | None = None) -> bool:
        """Stop the cloud recording (a later start makes a new set of files)."""
        return await self.control_recording(meeting_id, "stop", probe=probe)

    async def pause_recording(self, meeting_id: int | str, *, probe: RecordingProbe | None = None) -> bool:
        """Pause the cloud recording (the files skip the paused span)."""
        return await self.control_recording(meeting_id, "pause", probe=probe)

    async def resume_recording(self, meeting_id: int | str, *, probe: RecordingProbe | None = None) -> bool:
        """Resume a paused cloud recording."""
        return await self.control_recording(meeting_id, "resume", probe=probe)

    async def update_waiting_room(self, meeting_id: int | str, *, title: str, description: str = "") -> None:
        """PATCH /live_meetings/{id}/events {"method": "waiting_room.update"}: the text people waiting see.

        Setting the same text twice leaves the same result, so the usual PATCH retries apply.
        """
        params = {"waiting_room_title": title}
        if description:
            params["waiting_room_description"] = description
        path = f"/live_meetings/{encode_meeting_ref(meeting_id)}/events"
        await self.api.request("PATCH", path, json={"method": "waiting_room.update", "params": params})

    # --- live streaming ------------------------------------------------------------------
    async def get_livestream(self, meeting_id: int | str, *, webinar: bool = False) -> LiveStream:
        """GET /meetings|webinars/{id}/livestream."""
        data = await self.api.json("GET", f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/livestream")
        return _model_of(LiveStream, data, "livestream")

    async def update_livestream(
        self,
        meeting_id: int | str,
        *,
        stream_url: str,
        stream_key: str,
        page_url: str,
        resolution: str | None = None,
        webinar: bool = False,
    ) -> None:
        """PATCH /meetings|webinars/{id}/livestream (204): the custom streaming target."""
        body = {"stream_url": stream_url, "stream_key": stream_key, "page_url": page_url}
        if resolution:
            body["resolution"] = resolution
        await self.api.request("PATCH", f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/livestream", json=body)

    async def set_livestream_status(
        self,
        meeting_id: int | str,
        action: Literal["start", "stop"],
        *,
        display_name: str | None = None,
        active_speaker_name: bool | None = None,
        webinar: bool = False,
    ) -> None:
        """PATCH /meetings|webinars/{id}/livestream/status {"action": "start"|"stop"} (204).

        Not repeated after an ambiguous failure (a second start of a running stream is refused
        by Zoom); read `meeting.live_streaming_*` webhooks to learn what happened.
        """
        body: dict[str, Any] = {"action": action}
        settings: dict[str, Any] = {}
        if action == "start" and display_name:
            settings["display_name"] = display_name
        if action == "start" and active_speaker_name is not None:
            settings["active_speaker_name"] = active_speaker_name
        if settings:
            body["settings"] = settings
        path = f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/livestream/status"
        await self.api.request("PATCH", path, json=body, idempotent=False)

    # --- polls ---------------------------------------------------------------------------
    async def list_polls(self, meeting_id: int | str, *, webinar: bool = False) -> list[Poll]:
        """GET /meetings|webinars/{id}/polls (Zoom does not page this list)."""
        data = await self.api.json("GET", f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/polls")
        polls = data.get("polls") or []
        if not isinstance(polls, list):
            raise ZoomProtocolError("'polls' is not a list", method="GET", path="polls")
        return [_model_of(Poll, p, "poll") for p in polls]

    async def get_poll(self, meeting_id: int | str, poll_id: str, *, webinar: bool = False) -> Poll:
        """GET /meetings|webinars/{id}/polls/{pollId}."""
        path = f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/polls/{encode_meeting_ref(poll_id)}"
        return _model_of(Poll, await self.api.json("GET", path), "poll")

    async def create_poll(
        self,
        meeting_id: int | str,
        body: Mapping[str, Any],
        *,
        webinar: bool = False,
        exclude: Iterable[str] = (),
    ) -> Poll:
        """POST /meetings|webinars/{id}/polls (201) -> the poll, created exactly once.

        After an ambiguous failure the poll list is read: a poll with the same title and
        questions whose id is not in `exclude` (polls the caller already knows) is the one the
        lost call made, and is returned. Only when none is there is the create sent again.
        """
        path = f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/polls"
        known = set(exclude)
        resends = 0
        while True:
            try:
                return _model_of(Poll, await self.api.json("POST", path, json=dict(body)), "poll")
            except ZoomError as exc:
                if not ambiguous(exc):
                    raise
                made = await self.find_poll(meeting_id, body, webinar=webinar, exclude=known)
                if made is not None:
                    return made
                if resends >= MAX_RESENDS:
                    raise
                resends += 1

    async def find_poll(
        self, meeting_id: int | str, body: Mapping[str, Any], *, webinar: bool = False, exclude: Iterable[str] = ()
    ) -> Poll | None:
        """The poll in Zoom's list with `body`'s title and questions (ids in `exclude` skipped)."""
        skip = set(exclude)
        want = (str(body.get("title", "")), _question_key(body.get("questions")))
        for poll in await self.list_polls(meeting_id, webinar=webinar):
            have = (poll.title, _question_key([q.model_dump() for q in poll.questions]))
            if poll.id not in skip and have == want:
                return poll
        return None

    async def update_poll(
        self, meeting_id: int | str, poll_id: str, body: Mapping[str, Any], *, webinar: bool = False
    ) -> None:
        """PUT /meetings|webinars/{id}/polls/{pollId} (204): replaces the poll."""
        path = f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/polls/{encode_meeting_ref(poll_id)}"
        await self.api.request("PUT", path, json=dict(body))

    async def delete_poll(self, meeting_id: int | str, poll_id: str, *, webinar: bool = False) -> None:
        """DELETE /meetings|webinars/{id}/polls/{pollId} (204)."""
        path = f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/polls/{encode_meeting_ref(poll_id)}"
        await self.api.request("DELETE", path)

    # --- survey --------------------------------------------------------------------------
    async def set_survey(self, meeting_id: int | str, body: Mapping[str, Any], *, webinar: bool = False) -> None:
        """PATCH /meetings|webinars/{id}/survey (204): the end-of-meeting survey (replaces it)."""
        await self.api.request("PATCH", f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/survey", json=dict(body))

    async def get_survey(self, meeting_id: int | str, *, webinar: bool = False) -> dict[str, Any]:
        """GET /meetings|webinars/{id}/survey as Zoom sends it."""
        return await self.api.json("GET", f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/survey")

    async def delete_survey(self, meeting_id: int | str, *, webinar: bool = False) -> None:
        """DELETE /meetings|webinars/{id}/survey (204)."""
        await self.api.request("DELETE", f"{_root(webinar)}/{encode_meeting_ref(meeting_id)}/survey")

    # --- after the meeting ---------------------------------------------------------------
    async def list_recordings(self, meeting_uuid_or_id: int | str) -> MeetingRecordings:
        """GET /meetings/{meetingId}/recordings: an instance UUID or the id (its latest instance).

        Until the recording was processed (`recording.completed`) Zoom answers 404/3301 "There is no
        recording for this meeting", raised as ZoomNotFound with `code` 3301.
        """
        data = await self.api.json("GET", f"/meetings/{encode_meeting_ref(meeting_uuid_or_id)}/recordings")
        return _model_of(MeetingRecordings, data, "recordings")

    async def past_poll_results(self, meeting_uuid_or_id: int | str, *, webinar: bool = False) -> PollResults:
        """GET /past_meetings|past_webinars/{id}/polls: answers of an ended instance."""
        root = "/past_webinars" if webinar else "/past_meetings"
        data = await self.api.json("GET", f"{root}/{encode_meeting_ref(meeting_uuid_or_id)}/polls")
        return _model_of(PollResults, data, "poll results")

    async def report_polls(self, meeting_uuid_or_id: int | str, *, webinar: bool = False) -> PollResults:
        """GET /report/meetings|webinars/{id}/polls (needs report:read:admin)."""
        path = f"/report/{'webinars' if webinar else 'meetings'}/{encode_meeting_ref(meeting_uuid_or_id)}/polls"
        return _model_of(PollResults, await self.api.json("GET", path), "poll report")

    async def report_survey(self, meeting_uuid_or_id: int | str, *, webinar: bool = False) -> SurveyReport:
        """GET /report/meetings|webinars/{id}/survey."""
        path = f"/report/{'webinars' if webinar else 'meetings'}/{encode_meeting_ref(meeting_uuid_or_id)}/survey"
        return _model_of(SurveyReport, await self.api.json("GET", path), "survey report")
