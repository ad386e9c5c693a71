"""The public agenda fan-out: one build per burst of changes, latest frame only, clean shutdown."""

from __future__ import annotations

import asyncio
import json

from app.engine.broadcast import Broadcaster
from app.web.agenda_hub import AgendaHub


def _payload(text: bytes) -> dict:
    return json.loads(text.decode().split("data: ", 1)[1])


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_burst_of_changes_builds_one_frame_for_every_client():
    broadcaster, hub = Broadcaster(), AgendaHub()
    builds = []

    def build() -> dict:
        builds.append(1)
        return {"version": len(builds)}

    queues = [hub.join(broadcaster, "ev", build) for _ in range(50)]
    assert hub.clients() == 50 and broadcaster.subscribers("ev") == 1
    for reason in ("advance", "cue", "sent"):
        broadcaster.publish("ev", reason)
    await _settle()
    assert len(builds) == 1
    assert all(_payload(q.get_nowait()) == {"version": 1} for q in queues)
    for q in queues:
        hub.leave("ev", q)
    await _settle()
    assert hub.clients() == 0 and broadcaster.subscribers("ev") == 0


async def test_a_slow_client_only_keeps_the_latest_frame():
    broadcaster, hub = Broadcaster(), AgendaHub()
    counter = iter(range(1, 100))
    slow = hub.join(broadcaster, "ev", lambda: {"version": next(counter)})
    for _ in range(3):
        broadcaster.publish("ev", "change")
        await _settle()
    assert slow.qsize() == 1 and _payload(slow.get_nowait()) == {"version": 3}
    hub.leave("ev", slow)


async def test_events_are_relayed_separately():
    broadcaster, hub = Broadcaster(), AgendaHub()
    a = hub.join(broadcaster, "a", lambda: {"event": "a"})
    b = hub.join(broadcaster, "b", lambda: {"event": "b"})
    broadcaster.publish("a", "change")
    await _settle()
    assert _payload(a.get_nowait()) == {"event": "a"} and b.empty()
    hub.leave("a", a)
    hub.leave("b", b)
