"""Webhook payloads and past-participant rows, shaped exactly as the events spec requires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.zoom_emulator.render import zoom_time


@dataclass(frozen=True)
class MeetingRef:
    """The identity of one meeting/webinar instance as webhooks describe it."""

    kind: str
    id: str
    uuid: str
    host_id: str
    host_email: str
    topic: str
    type: int
    start_time: str
    timezone: str
    duration: int
    account_id: str

    @property
    def prefix(self) -> str:
        """Event-name prefix: "meeting" or "webinar"."""
        return self.kind


@dataclass(frozen=True)
class Person:
    """Someone attending: stable identity across rejoins (user_id changes per join)."""

    name: str
    email: str
    participant_uuid: str
    zoom_user_id: str = ""
    registrant_id: str | None = None

    @property
    def key(self) -> str:
        """How tests and ground truth refer to this person."""
        return self.email.lower() or self.name


def event_ts(at: datetime, extra_ms: int = 0) -> int:
    """Epoch milliseconds of `at` (its own milliseconds kept), as Zoom's `event_ts`."""
    return round(at.timestamp() * 1000) + extra_ms


def _base_object(ref: MeetingRef, with_email: bool) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": ref.id, "uuid": ref.uuid, "host_id": ref.host_id}
    if with_email:
        obj["host_email"] = ref.host_email
    obj.update(
        topic=ref.topic,
        type=ref.type,
        start_time=ref.start_time,
        timezone=ref.timezone,
        duration=ref.duration,
    )
    return obj


def envelope(event: str, at: datetime, ref: MeetingRef, obj: dict[str, Any], extra_ms: int = 0):
    """The common {event, event_ts, payload{account_id, object}} wrapper."""
    return {
        "event": event,
        "event_ts": event_ts(at, extra_ms),
        "payload": {"account_id": ref.account_id, "object": obj},
    }


def lifecycle_event(ref: MeetingRef, what: str, at: datetime, extra_ms: int = 0) -> dict[str, Any]:
    """`<kind>.started` or `<kind>.ended` (ended adds end_time)."""
    obj = _base_object(ref, with_email=True)
    if what == "ended":
        obj["end_time"] = zoom_time(at)
        if ref.kind == "webinar":
            obj["practice_session"] = False
    return envelope(f"{ref.prefix}.{what}", at, ref, obj, extra_ms)


_TIME_FIELD = {
    "participant_joined": "join_time",
    "participant_left": "leave_time",
    "participant_joined_breakout_room": "join_time",
    "participant_left_breakout_room": "leave_time",
    "participant_joined_waiting_room": "date_time",
    "participant_left_waiting_room": "date_time",
    "participant_admitted": "date_time",
}


def participant_event(
    ref: MeetingRef,
    what: str,
    person: Person,
    user_id: str,
    at: datetime,
    *,
    parent_user_id: str | None = None,
    breakout_room_uuid: str | None = None,
    leave_reason: str | None = None,
    extra_ms: int = 0,
) -> dict[str, Any]:
    """A participant event (`what` such as "participant_joined_breakout_room")."""
    if what not in _TIME_FIELD:
        raise ValueError(f"unknown participant event {what!r}")
    obj = _base_object(ref, with_email=False)
    if breakout_room_uuid is not None:
        obj = {"id": obj.pop("id"), "uuid": obj.pop("uuid"), "breakout_room_uuid": breakout_room_uuid, **obj}
    part: dict[str, Any] = {"user_id": user_id}
    if parent_user_id is not None:
        part["parent_user_id"] = parent_user_id
    part.update(
        user_name=person.name,
        id=person.zoom_user_id,
        participant_uuid=person.participant_uuid,
        email=person.email,
    )
    part[_TIME_FIELD[what]] = zoom_time(at)
    if what.startswith("participant_left") and "waiting" not in what:
        part["leave_reason"] = leave_reason or f"{person.name} left the meeting."
    if person.registrant_id:
        part["registrant_id"] = person.registrant_id
    if person.zoom_user_id:
        part["participant_user_id"] = person.zoom_user_id
    obj["participant"] = part
    return envelope(f"{ref.prefix}.{what}", at, ref, obj, extra_ms)


def past_row(person: Person, user_id: str, joined: datetime, left: datetime) -> dict[str, Any]:
    """One past_meetings participants row (one per main-room join segment)."""
    row: dict[str, Any] = {
        "id": person.zoom_user_id,
        "name": person.name,
        "user_id": user_id,
        "user_email": person.email,
        "join_time": zoom_time(joined),
        "leave_time": zoom_time(left),
        "duration": int((left - joined).total_seconds()),
        "failover": False,
        "status": "in_meeting",
        "internal_user": False,
        "participant_user_id": person.zoom_user_id,
    }
    if person.registrant_id:
        row["registrant_id"] = person.registrant_id
    return row


def breakout_row(person: Person, user_id: str, room_uuid: str, joined: datetime, left: datetime) -> dict[str, Any]:
    """A report row for time spent in a breakout room (`bo_mtg_id` names the room)."""
    row = past_row(person, user_id, joined, left)
    row.pop("internal_user")
    row["bo_mtg_id"] = room_uuid
    return row


# --- recording and live streaming (issue 29) -------------------------------------------


def _recording_object(ref: MeetingRef) -> dict[str, Any]:
    # The recording.* and live_streaming events type `id` as an integer (participant events: string).
    return {
        "id": int(ref.id),
        "uuid": ref.uuid,
        "host_id": ref.host_id,
        "topic": ref.topic,
        "type": ref.type,
        "start_time": ref.start_time,
        "timezone": ref.timezone,
        "duration": ref.duration,
    }


def recording_event(
    ref: MeetingRef, what: str, at: datetime, run_start: datetime, run_end: datetime | None = None
) -> dict[str, Any]:
    """`recording.started|paused|resumed|stopped`: `recording_file` bounds the current run so far."""
    obj = _recording_object(ref)
    obj["recording_file"] = {
        "recording_start": zoom_time(run_start),
        "recording_end": zoom_time(run_end) if run_end is not None else "",
    }
    return envelope(f"recording.{what}", at, ref, obj)


def live_streaming_event(
    ref: MeetingRef, what: str, at: datetime, stream: dict[str, Any], operator: tuple[str, str]
) -> dict[str, Any]:
    """`meeting.live_streaming_started|stopped` (the events spec has no webinar variant)."""
    obj = _recording_object(ref)
    settings = {k: stream[k] for k in ("stream_url", "stream_key", "page_url", "resolution") if stream.get(k)}
    obj["live_streaming"] = {
        "service": "Custom_Live_Streaming_Service",
        "custom_live_streaming_settings": settings,
        "date_time": zoom_time(at),
    }
    payload = envelope(f"meeting.live_streaming_{what}", at, ref, obj)
    payload["payload"] = {
        "account_id": ref.account_id,
        "operator": operator[0],
        "operator_id": operator[1],
        "object": obj,
    }
    return payload


# Per run, Zoom's default cloud recording makes a speaker-view video and an audio-only file.
RECORDING_KINDS = (("MP4", "MP4", "shared_screen_with_speaker_view", 180_000), ("M4A", "M4A", "audio_only", 16_000))


def recording_files(
    instance_uuid: str, runs: list[tuple[str, datetime, datetime, int]], base_url: str
) -> list[dict[str, Any]]:
    """The files of an instance's cloud recording: per (file-id stem, start, stop, seconds) run."""
    files = []
    for stem, start, stop, seconds in runs:
        for i, (ftype, ext, rtype, per_second) in enumerate(RECORDING_KINDS):
            file_id = f"{stem}-{i}"
            files.append(
                {
                    "id": file_id,
                    "meeting_id": instance_uuid,
                    "recording_start": zoom_time(start),
                    "recording_end": zoom_time(stop),
                    "file_type": ftype,
                    "file_extension": ext,
                    "file_size": max(1, seconds) * per_second,
                    "play_url": f"{base_url}/rec/play/{file_id}",
                    "download_url": f"{base_url}/rec/download/{file_id}",
                    "status": "completed",
                    "recording_type": rtype,
                }
            )
    return files


def recording_completed_event(
    ref: MeetingRef, at: datetime, files: list[dict[str, Any]], password: str, download_token: str
) -> dict[str, Any]:
    """`recording.completed`: every file of the instance, once processing finished."""
    obj = _recording_object(ref)
    obj.update(
        account_id=ref.account_id,
        password=password,
        host_email=ref.host_email,
        share_url=f"https://zoom.emulator/rec/share/{ref.id}",
        total_size=sum(int(f["file_size"]) for f in files),
        recording_count=len(files),
        recording_files=[dict(f) for f in files],
    )
    payload = envelope("recording.completed", at, ref, obj)
    payload["download_token"] = download_token
    return payload
