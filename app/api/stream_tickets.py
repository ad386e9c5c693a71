"""Event-stream tickets: browsers cannot send a header with EventSource, and a token in the URL ends
up in access logs and proxies. A ticket is what goes in the URL instead: asked for with the bearer
token (POST), valid for one event, for a few seconds, and for one connection only.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

TICKET_SECONDS = 30.0
MAX_OPEN_TICKETS = 10_000  # unredeemed tickets kept at most (oldest dropped): a bound on memory


@dataclass
class _Ticket:
    caller: object
    event_id: str
    expires: float


@dataclass
class StreamTickets:
    """Single-use tickets in this process's memory (one process per database)."""

    ttl: float = TICKET_SECONDS
    clock: Callable[[], float] = time.monotonic
    _open: dict[str, _Ticket] = field(default_factory=dict)

    def issue(self, caller: object, event_id: str) -> str:
        now = self.clock()
        self._open = {k: t for k, t in self._open.items() if t.expires > now}
        while len(self._open) >= MAX_OPEN_TICKETS:
            self._open.pop(next(iter(self._open)))
        ticket = "stk_" + secrets.token_urlsafe(24)
        self._open[ticket] = _Ticket(caller, event_id, now + self.ttl)
        return ticket

    def redeem(self, ticket: str, event_id: str):
        """The caller the ticket was issued to, or None (unknown, used, expired, other event)."""
        found = self._open.pop(ticket, None)
        if found is None or found.event_id != event_id or found.expires <= self.clock():
            return None
        return found.caller
