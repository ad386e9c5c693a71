"""In-process fan-out of "something changed" notices to server-sent-event streams."""

from __future__ import annotations

import asyncio
from collections import defaultdict


class Broadcaster:
    """Each subscriber gets its own queue; a slow one drops old notices rather than blocking the engine."""

    def __init__(self, depth: int = 64):
        self._subscribers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._kinds: dict[asyncio.Queue, str] = {}  # what each subscriber is (the /metrics stream label)
        self._depth = depth

    def subscribe(self, event_id: str, kind: str = "console") -> asyncio.Queue:
        """A queue of change notices; `kind` says who reads it (console, stage, agenda-relay)."""
        queue: asyncio.Queue = asyncio.Queue(self._depth)
        self._subscribers[event_id].add(queue)
        self._kinds[queue] = kind
        return queue

    def unsubscribe(self, event_id: str, queue: asyncio.Queue) -> None:
        self._subscribers[event_id].discard(queue)
        self._kinds.pop(queue, None)

    def publish(self, event_id: str, reason: str) -> None:
        """Tell every subscriber of an event that its state changed and why."""
        for queue in list(self._subscribers.get(event_id, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(reason)

    def subscribers(self, event_id: str) -> int:
        return len(self._subscribers.get(event_id, ()))

    def total(self, kind: str | None = None) -> int:
        """Subscribers over all events, of one kind or all (the /metrics stream gauge)."""
        if kind is None:
            return sum(len(queues) for queues in self._subscribers.values())
        return sum(1 for of in self._kinds.values() if of == kind)
