"""Save and restore the emulator's users and meetings as JSON, so a sandbox outlives one process.

`showcaller apply` in the sandbox runs once per command; without this the second run would not
find the meeting the first one created.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from integrations.zoom_emulator.state import AccountSettings, EmulatedUser, EmulatorState, StoredMeeting

VERSION = 1


def _tag(value: Any) -> Any:
    """Datetimes inside stored request fields become {"$dt": iso} so plain JSON can carry them."""
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dict):
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tag(v) for v in value]
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _untag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untag(v) for v in value]
    return value


def snapshot(state: EmulatorState) -> dict[str, Any]:
    """The durable part of the state (users, meetings, daily write counters) as JSON-ready data."""
    meetings = []
    for meeting in state.meetings.values():
        meetings.append(_tag(asdict(meeting)))
    return {
        "version": VERSION,
        "users": [asdict(u) for u in state.users.values()],
        "meetings": meetings,
        "daily_writes": [[k[0], k[1], v] for k, v in state.daily_writes.items()],
        "account": asdict(state.account),
    }


def restore(state: EmulatorState, data: dict[str, Any]) -> None:
    """Load a snapshot into a fresh emulator state (unknown versions are ignored)."""
    if data.get("version") != VERSION:
        return
    if "account" in data:
        state.account = AccountSettings(**data["account"])
    for user in data.get("users", []):
        state.users[user["email"].lower()] = EmulatedUser(**user)
    for item in data.get("meetings", []):
        item = _untag(item)
        item["host"] = EmulatedUser(**item["host"])
        meeting = StoredMeeting(**item)
        state.meetings[meeting.id] = meeting
    for user_id, day, count in data.get("daily_writes", []):
        state.daily_writes[(user_id, day)] = count
