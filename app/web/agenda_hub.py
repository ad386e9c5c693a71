"""Fan-out of the public agenda: one build per change, shared by every open public stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import Callable


class AgendaHub:
    """Listens once per event to the broadcaster and hands each new agenda frame to every client.

    A public page may have hundreds of viewers; building the agenda once per change (not once per
    viewer) keeps a change as cheap with many viewers as with one. A slow client only ever holds
    the latest frame.
    """

    def __init__(self):
        self._clients: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._relays: dict[str, asyncio.Task] = {}

    def clients(self) -> int:
        """How many public streams are open, over all events."""
        return sum(len(queues) for queues in self._clients.values())

    def join(self, broadcaster, event_id: str, build: Callable[[], dict]) -> asyncio.Queue:
        """A queue that receives a frame (SSE, UTF-8 bytes) after every change of the event."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=1)
        self._clients[event_id].add(queue)
        if event_id not in self._relays:
            # Subscribed now, not when the task first runs, so no change slips in between.
            notices = broadcaster.subscribe(event_id, kind="agenda-relay")
            relay = self._relay(broadcaster, notices, event_id, build)
            self._relays[event_id] = asyncio.create_task(relay, name=f"agenda-relay-{event_id}")
        return queue

    def leave(self, event_id: str, queue: asyncio.Queue) -> None:
        """Forget a client; the event's relay stops with its last client."""
        self._clients[event_id].discard(queue)
        if not self._clients[event_id]:
            relay = self._relays.pop(event_id, None)
            if relay is not None:
                relay.cancel()

    async def _relay(self, broadcaster, notices: asyncio.Queue, event_id: str, build: Callable[[], dict]) -> None:
        try:
            while True:
                await notices.get()
                while not notices.empty():  # changes come in bursts: one frame for all of them
                    notices.get_nowait()
                text = frame(build()).encode()  # encoded once, not once per client
                for queue in list(self._clients[event_id]):
                    with contextlib.suppress(asyncio.QueueEmpty):
                        if queue.full():
                            queue.get_nowait()
                    queue.put_nowait(text)
        finally:
            broadcaster.unsubscribe(event_id, notices)


def frame(agenda: dict) -> str:
    """One server-sent event carrying the agenda."""
    return f"event: agenda\ndata: {json.dumps(agenda)}\n\n"
