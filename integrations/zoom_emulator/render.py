"""Zoom response shapes for stored meetings and webinars."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from integrations.zoom_emulator.state import (
    SYSTEM_LANGUAGES,
    USER_LICENSED,
    AccountSettings,
    EmulatedUser,
    StoredMeeting,
)

MEETING_DEFAULTS: dict[str, Any] = {
    "host_video": False,
    "participant_video": False,
    "join_before_host": False,
    "jbh_time": 0,
    "mute_upon_entry": False,
    "waiting_room": False,
    "approval_type": 2,
    "registration_type": 1,
    "audio": "both",
    "auto_recording": "none",
    "alternative_hosts": "",
    "alternative_hosts_email_notification": True,
    "meeting_authentication": False,
    "email_notification": True,
    "language_interpretation": {"enable": False, "interpreters": []},
    "breakout_room": {"enable": False, "rooms": []},
}
WEBINAR_DEFAULTS: dict[str, Any] = {
    "host_video": False,
    "panelists_video": False,
    "practice_session": False,
    "hd_video": False,
    "approval_type": 2,
    "registration_type": 1,
    "audio": "both",
    "auto_recording": "none",
    "alternative_hosts": "",
    "meeting_authentication": False,
    "on_demand": False,
    "language_interpretation": {"enable": False, "interpreters": []},
}


def zoom_time(value: datetime) -> str:
    """UTC `yyyy-MM-ddTHH:mm:ssZ`, as Zoom prints times."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_settings(kind: str) -> dict[str, Any]:
    """A fresh copy of the defaults Zoom fills in for `kind`."""
    return copy.deepcopy(MEETING_DEFAULTS if kind == "meeting" else WEBINAR_DEFAULTS)


def merge_settings(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Apply a settings patch: top-level keys replace, as Zoom's PATCH does."""
    merged = {**current, **copy.deepcopy(patch)}
    if merged.get("waiting_room"):
        # Zoom: enabling the waiting room disables join before host.
        merged["join_before_host"] = False
    return merged


def registration_on(m: StoredMeeting) -> bool:
    """Registration is on when approval_type is 0 or 1."""
    return m.fields["settings"].get("approval_type", 2) != 2


def render_meeting(m: StoredMeeting) -> dict[str, Any]:
    """The GET/201 body for a stored meeting or webinar."""
    f = m.fields
    out: dict[str, Any] = {
        "uuid": m.uuid,
        "id": m.id,
        "host_id": m.host.id,
        "host_email": m.host.email,
        "topic": f["topic"],
        "type": f["type"],
        "start_time": zoom_time(f["start_time"]),
        "duration": f["duration"],
        "timezone": f["timezone"],
        "agenda": f.get("agenda", ""),
        "created_at": zoom_time(m.created_at),
        "start_url": f"https://zoom.us/s/{m.id}?zak={m.zak}",
        "join_url": f"https://zoom.us/j/{m.id}?pwd={m.encrypted_password}",
        "password": m.password,
        "settings": copy.deepcopy(f["settings"]),
        "creation_source": "open_api",
    }
    if m.kind == "meeting":
        out.update(
            status=m.status,
            h323_password=m.password,
            pstn_password=m.password,
            encrypted_password=m.encrypted_password,
            pre_schedule=False,
        )
    else:
        out.update(h323_passcode=m.password, encrypted_passcode=m.encrypted_password)
    if registration_on(m):
        out["registration_url"] = f"https://zoom.us/meeting/register/{m.registration_token}"
    return out


def user_settings(account: AccountSettings, user: EmulatedUser) -> dict[str, Any]:
    """The GET /users/{userId}/settings body (the parts Showcaller's pre-flight reads, per the users spec)."""
    licensed = user.type == USER_LICENSED
    return {
        "feature": {
            "meeting_capacity": 300 if licensed else 100,
            "large_meeting": False,
            "webinar": user.webinar,
            **({"webinar_capacity": 500} if user.webinar else {}),
        },
        "in_meeting": {
            "breakout_room": account.breakout_room,
            "breakout_room_schedule": account.breakout_room and account.breakout_pre_assign,
            "language_interpretation": {
                "enable": account.interpretation,
                "languages": list(SYSTEM_LANGUAGES),
                "custom_languages": list(account.custom_languages),
            },
            "waiting_room": False,
        },
        "recording": {
            "local_recording": account.local_recording,
            "cloud_recording": account.cloud_recording and licensed,
            "auto_recording": "none",
        },
        "schedule_meeting": {"host_video": False, "participants_video": False},
    }
