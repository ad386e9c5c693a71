"""Event-stream tickets: browsers cannot send a header with EventSource, and a token in the URL ends
up in access logs and proxies. A ticket is what goes in the URL instead: asked for with the bearer
token (POST), valid for one event, for a few seconds, and for one connection only.
"""

from __future__ import annotations

import logging
import re
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


SECRET_QUERY = re.compile(r"(?i)([?&](?:token|ticket|access_token)=)[^&#\s\"]*")


def redact(text: str) -> str:
    """`/stream?ticket=abc&x=1` -> `/stream?ticket=[redacted]&x=1`."""
    return SECRET_QUERY.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrites token/ticket query parameters out of a log record (uvicorn's access log passes the
    path as an argument, so the arguments are redacted as well as the message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_log_redaction() -> None:
    """Attach the filter to uvicorn's loggers once (kept when uvicorn configures logging later)."""
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
