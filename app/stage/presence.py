"""Which presenter views are open right now (in memory: a connection lives only as long as this process)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Connection:
    """One open presenter-view stream."""

    token_id: str | None
    name: str
    role: str
    person: str | None
    since: datetime


class StagePresence:
    """Open presenter-view streams per event, so the console can show which stage links are connected."""

    def __init__(self):
        self._open: dict[str, dict[int, Connection]] = {}
        self._keys = itertools.count(1)

    def join(self, event_id: str, connection: Connection) -> int:
        """Record an opened stream; returns the key to leave with."""
        key = next(self._keys)
        self._open.setdefault(event_id, {})[key] = connection
        return key

    def leave(self, event_id: str, key: int) -> None:
        """Forget a closed stream."""
        self._open.get(event_id, {}).pop(key, None)

    def connected(self, event_id: str) -> list[Connection]:
        """Open streams of an event, oldest first."""
        return sorted(self._open.get(event_id, {}).values(), key=lambda c: c.since)
