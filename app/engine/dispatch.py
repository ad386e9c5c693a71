"""Whether this process dispatches: who gets a fired cue's deliveries, and the lease fence.

Built first in the composition root (app/bootstrap.py) and given to the engine and the delivery
worker; the instance's role (app/cluster/member.py) begins dispatching once it may. Until then the
engine fires nothing to hand off and neither part checks a fence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

# Raises unless this instance still holds the dispatcher lease (app/cluster/lease.py).
Fence = Callable[[AsyncConnection], Awaitable[None]]


class HandOff(Protocol):
    """Takes the deliveries a firing transaction committed already claimed (the delivery worker)."""

    def lease_until(self, now: datetime, count: int) -> datetime: ...

    def send_claimed(self, batch: list[tuple[dict[str, Any], Any]]) -> None: ...


class Dispatch:
    """Set once, when this instance starts dispatching (a single instance at start-up, a cluster
    member when it takes the lease); read by the engine in every tick and by the worker in every claim."""

    def __init__(self) -> None:
        self._hand_off: HandOff | None = None
        self._fence: Fence | None = None

    def begin(self, hand_off: HandOff, fence: Fence | None = None) -> None:
        """From now on a fired cue's deliveries go to `hand_off` straight after the commit, and
        every firing and claiming transaction first passes `fence` (several instances)."""
        self._hand_off, self._fence = hand_off, fence

    @property
    def hand_off(self) -> HandOff | None:
        """The running delivery worker, or None: deliveries wait for the worker's next pass."""
        return self._hand_off

    @property
    def fenced(self) -> bool:
        """Whether every firing and claiming transaction must pass a fence (several instances)."""
        return self._fence is not None

    async def check(self, conn: AsyncConnection) -> None:
        """Raise (through the fence) if this instance lost the dispatcher lease."""
        if self._fence is not None:
            await self._fence(conn)
