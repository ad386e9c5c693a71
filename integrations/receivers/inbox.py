"""What the local receivers remember: every accepted message, in order, deduplicated by id."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

_HIDDEN_HEADERS = frozenset({"authorization", "webhook-signature", "cookie"})


@dataclass
class ReceivedMessage:
    """One accepted request: which tool and channel, its headers and payload, what a person sees."""

    kind: str
    channel: str
    headers: dict[str, str]
    json: Any
    received_at: datetime
    text: str
    body: str = ""
    message_id: str | None = None
    verified: bool = False
    duplicates: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the /_received listing."""
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        return data


def shown_headers(headers: dict[str, str]) -> dict[str, str]:
    """Request headers with credentials replaced by ***."""
    return {k: ("***" if k.lower() in _HIDDEN_HEADERS else v) for k, v in headers.items()}


@dataclass
class Inbox:
    """Accepted messages plus the ids already seen, so redeliveries are counted, not re-recorded."""

    messages: list[ReceivedMessage] = field(default_factory=list)
    by_id: dict[tuple[str, str], ReceivedMessage] = field(default_factory=dict)
    duplicates: int = 0

    def seen(self, path: str, message_id: str | None) -> ReceivedMessage | None:
        """The earlier message with this id on this path, counting the duplicate; else None."""
        if not message_id:
            return None
        earlier = self.by_id.get((path, message_id))
        if earlier is not None:
            earlier.duplicates += 1
            self.duplicates += 1
        return earlier

    def add(self, path: str, message: ReceivedMessage) -> None:
        """Record an accepted message."""
        self.messages.append(message)
        if message.message_id:
            self.by_id[(path, message.message_id)] = message

    def select(self, kind: str | None = None, channel: str | None = None) -> list[ReceivedMessage]:
        """Messages filtered by kind and/or channel, oldest first."""
        return [
            m for m in self.messages if (kind is None or m.kind == kind) and (channel is None or m.channel == channel)
        ]

    def clear(self) -> None:
        """Forget everything (between demo runs)."""
        self.messages.clear()
        self.by_id.clear()
        self.duplicates = 0
