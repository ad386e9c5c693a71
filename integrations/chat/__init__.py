"""Native chat buttons: each platform's signed callback verified, the click read, the message answered.

One module per platform (`slack`, `discord`, `zoom_chat`), each with the same three parts: `verify`
(raise `ClickRejected` unless the request is signed as the platform documents and recent), `parse`
(the `Click` a request carries, or None for anything that is not a button press) and the calls that
answer it (update the message, tell the clicker). What a click does is `app/run/chat_clicks.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ClickRejected(Exception):
    """A callback failed verification; `reason` is short and safe to show (it names no secret)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Click:
    """One button press, whatever the platform.

    `reference` is the button's single-use reference (its action link token); `request_key` is the
    platform's id of this press, the same on each retry of it; `reply` holds what the platform needs
    to answer (Slack: channel, message ts and blocks; Discord: application id and interaction token).
    """

    platform: str
    user_id: str
    user_name: str
    reference: str
    request_key: str
    reply: dict[str, Any] = field(default_factory=dict)
