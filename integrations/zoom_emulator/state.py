"""In-memory state of the Zoom emulator: users, meetings, tokens, counters and past instances."""

from __future__ import annotations

import base64
import random
import string
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Clock = Callable[[], datetime]
Kind = Literal["meeting", "webinar"]


class Ids:
    """Zoom-shaped identifiers from one seeded random source (reproducible in tests)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def meeting_id(self) -> int:
        """An 11-digit meeting/webinar number."""
        return self.rng.randint(10_000_000_000, 99_999_999_999)

    def uuid(self) -> str:
        """An instance UUID: base64 of 16 random bytes (24 chars, may hold '/' and '+')."""
        return base64.b64encode(self.rng.randbytes(16)).decode()

    def user_id(self) -> str:
        """A 22-char base64url user/registrant/panelist id."""
        return base64.urlsafe_b64encode(self.rng.randbytes(16)).decode().rstrip("=")

    def session_user_id(self) -> str:
        """In-meeting `user_id`: numeric string, new for every join."""
        return str(self.rng.randint(16_000_000, 16_999_999))

    def guid(self) -> str:
        """An uppercase GUID like Zoom's participant_uuid."""
        h = "".join(self.rng.choice("0123456789ABCDEF") for _ in range(32))
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def token(self, n: int = 32) -> str:
        """An opaque URL-safe token."""
        alphabet = string.ascii_letters + string.digits
        return "".join(self.rng.choice(alphabet) for _ in range(n))


USER_BASIC = 1
USER_LICENSED = 2
DEFAULT_SCOPES = (
    "user:read:admin meeting:read:admin meeting:write:admin webinar:read:admin webinar:write:admin report:read:admin"
)
# Zoom's system-supported interpretation languages (users spec, language_interpretation.languages).
SYSTEM_LANGUAGES = ("English", "Chinese", "Japanese", "German", "French", "Russian", "Portuguese", "Spanish", "Korean")


@dataclass
class EmulatedUser:
    """A user of the emulated account: plan type (1 Basic, 2 Licensed) and a Webinar licence or not."""

    id: str
    email: str
    first_name: str = "Emulated"
    last_name: str = "Host"
    type: int = USER_LICENSED
    webinar: bool = False
    status: str = "active"


@dataclass
class AccountSettings:
    """Account-wide features and settings every user inherits (as Zoom's account settings lock them)."""

    interpretation: bool = True
    custom_languages: list[str] = field(default_factory=list)
    breakout_room: bool = True
    breakout_pre_assign: bool = True
    cloud_recording: bool = True
    local_recording: bool = True
    cloud_storage_full: bool = False  # recording.start then answers 400/3309
    scopes: str = DEFAULT_SCOPES


@dataclass
class StoredMeeting:
    """A meeting or webinar as the emulator keeps it (create-body fields + derived values)."""

    kind: Kind
    id: int
    uuid: str
    host: EmulatedUser
    fields: dict[str, Any]
    created_at: datetime
    password: str
    encrypted_password: str
    zak: str
    registration_token: str
    status: str = "waiting"
    panelists: list[dict[str, Any]] = field(default_factory=list)
    registrants: list[dict[str, Any]] = field(default_factory=list)
    questions: dict[str, Any] = field(default_factory=lambda: {"questions": [], "custom_questions": []})
    live_instance: str | None = None
    next_uuid: str | None = None
    # In-meeting features set up ahead (issue 29): polls, the end survey, the custom live stream.
    polls: list[dict[str, Any]] = field(default_factory=list)
    survey: dict[str, Any] | None = None
    livestream: dict[str, Any] | None = None


@dataclass
class PastInstance:
    """One held (or running) instance of a meeting/webinar, with its join segments."""

    uuid: str
    meeting_id: int
    kind: Kind
    started_at: datetime
    ended_at: datetime | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    breakout_rows: list[dict[str, Any]] = field(default_factory=list)
    # Cloud recording runs (start..stop, with their pauses), the files made from them once the
    # instance ended, and what people answered to polls and the survey.
    recording_runs: list[RecordingRun] = field(default_factory=list)
    recording_files: list[dict[str, Any]] = field(default_factory=list)
    poll_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    survey_answers: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class RecordingRun:
    """One stretch of cloud recording: started, stopped, and the spans it was paused for."""

    started: datetime
    stopped: datetime | None = None
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)

    @property
    def recorded_seconds(self) -> int:
        """Seconds of content in the files (paused spans are not in them)."""
        if self.stopped is None:
            return 0
        paused = sum(((b or self.stopped) - a).total_seconds() for a, b in self.pauses)
        return max(0, int((self.stopped - self.started).total_seconds() - paused))


@dataclass
class CallRecord:
    """One REST call the emulator answered."""

    method: str
    path: str
    status: int


@dataclass
class EmulatorState:
    """Everything the emulator remembers; tests inspect it directly."""

    account_id: str
    client_id: str
    client_secret: str
    ids: Ids
    account: AccountSettings = field(default_factory=AccountSettings)
    users: dict[str, EmulatedUser] = field(default_factory=dict)
    meetings: dict[int, StoredMeeting] = field(default_factory=dict)
    instances: dict[str, PastInstance] = field(default_factory=dict)
    instance_order: dict[int, list[str]] = field(default_factory=dict)
    tokens: dict[str, datetime] = field(default_factory=dict)
    token_requests: int = 0
    write_calls: int = 0
    calls: list[CallRecord] = field(default_factory=list)
    daily_writes: dict[tuple[str, str], int] = field(default_factory=dict)
    recent_calls: deque[datetime] = field(default_factory=deque)
    recent_by_category: dict[str, deque[datetime]] = field(default_factory=dict)
    page_tokens: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[Any] = field(default_factory=list)

    def add_user(
        self,
        email: str,
        first_name: str = "Emulated",
        last_name: str = "Host",
        *,
        type: int = USER_LICENSED,
        webinar: bool = False,
    ) -> EmulatedUser:
        """Register a user (idempotent by email: an existing user is returned unchanged)."""
        key = email.lower()
        if key not in self.users:
            self.users[key] = EmulatedUser(self.ids.user_id(), email, first_name, last_name, type, webinar)
        return self.users[key]

    def find_user(self, user_ref: str) -> EmulatedUser | None:
        """Look a user up by email (case-insensitive) or id."""
        if user_ref.lower() in self.users:
            return self.users[user_ref.lower()]
        return next((u for u in self.users.values() if u.id == user_ref), None)

    def find_user_by_id(self, user_id: str) -> EmulatedUser | None:
        """Look a user up by id only."""
        return next((u for u in self.users.values() if u.id == user_id), None)

    def new_meeting_id(self) -> int:
        """A fresh 11-digit id not yet used."""
        while True:
            candidate = self.ids.meeting_id()
            if candidate not in self.meetings:
                return candidate

    def calls_to(self, method: str, path_prefix: str = "") -> list[CallRecord]:
        """Recorded calls with `method` whose path starts with `path_prefix`."""
        return [c for c in self.calls if c.method == method and c.path.startswith(path_prefix)]
