"""The engine end to end with a manual clock: cues fire on time, deliveries go out once, in order."""

from __future__ import annotations

import json

from schedules.adjustments import Delay
from tests.fixtures import Recorder, bangkok

__all__ = ["Recorder"]  # other test modules import it from here


async def _runtime(service_for, database_url, recorder, start):
    service = await service_for(database_url, start, transport=recorder)
    return service.runtime, service.clock


async def test_opening_cues_fire_and_deliver_once(database_url, service_for):
    recorder = Recorder()
    runtime, clock = await _runtime(service_for, database_url, recorder, bangkok(13, 0))
    assert await runtime.engine.tick() == []
    clock.set(bangkok(13, 30))
    fired = await runtime.engine.tick()
    assert [f.cue.cue_id for f in fired] == ["segment_start/setup", "reminder/registration-open"]
    assert {f.outcome for f in fired} == {"fired"}
    await runtime.worker.drain()
    # segment_start goes to all five targets, the reminder to the four without a kind filter.
    assert sorted(recorder.kinds()) == sorted(
        ["slack", "teams", "zoom_chat", "discord", "webhook"] + ["slack", "teams", "zoom_chat", "webhook"]
    )
    slack = [json.loads(r.content) for r in recorder.requests if r.url.path.startswith("/slack")]
    assert "Technical set up and registration" in slack[0]["text"]
    # A second pass sends nothing more: every delivery is marked sent.
    await runtime.worker.drain()
    assert len(recorder.requests) == 9


async def test_retry_keeps_order_and_webhook_id(database_url, service_for):
    recorder = Recorder()
    runtime, clock = await _runtime(service_for, database_url, recorder, bangkok(13, 30))
    recorder.fail_next["webhook"] = 2
    await runtime.engine.tick()
    await runtime.worker.drain()
    hooks = [r for r in recorder.requests if r.url.path.startswith("/webhook")]
    assert len(hooks) == 1  # failed once; the reminder behind it waits to keep order
    for _ in range(4):
        clock.advance(seconds=130)
        await runtime.worker.drain()
    hooks = [r for r in recorder.requests if r.url.path.startswith("/webhook")]
    ids = [r.headers["webhook-id"] for r in hooks]
    assert len(hooks) == 4 and ids[0] == ids[1] == ids[2] != ids[3]
    assert json.loads(hooks[-1].content)["data"]["cue_id"] == "reminder/registration-open"


async def test_delay_is_absorbed_and_late_warning_dropped(database_url, service_for):
    recorder = Recorder()
    runtime, clock = await _runtime(service_for, database_url, recorder, bangkok(14, 20))
    await runtime.engine.tick()  # catch up everything due before 14:20
    await runtime.engine.act("mekong-dialogue-2022", lambda at: Delay(at, seconds=300))
    state = runtime.engine.timeline("mekong-dialogue-2022").state_at(clock.now())
    assert state.current.id == "session-1"
    assert state.projected_end == bangkok(17, 30)
    seg2 = runtime.engine.timeline("mekong-dialogue-2022").segment("session-2")
    assert seg2.start == bangkok(15, 15)
    clock.set(bangkok(14, 50, 30))
    fired = {f.cue.cue_id: f.outcome for f in await runtime.engine.tick()}
    assert fired["segment_start/discussion-1"] == "late"  # due 14:50, delivered and flagged
    # "5 min left" was due at 14:45 for a segment that ended at 14:50: past its moment, dropped.
    assert fired["segment_ending_soon/session-1"] == "skipped"
