"""The firing path does only what a cue needs: the timeline is built when the plan changes (a load,
a host action, a re-plan), once per write, and never by a tick or a read; firing a cue is a bounded
number of statements. Counted (EventCache.builds, SQLAlchemy's statement events), never timed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event

from tests.fixtures import Recorder, bangkok

EVENT = "mekong-dialogue-2022"


@contextlib.contextmanager
def statements(runtime) -> Iterator[list[str]]:
    """The SQL statements the service's engines run inside the block (on SQLite the firing thread's too)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_rest) -> None:
        seen.append(statement)

    serial = runtime.engine.firing.serial
    engines = [runtime.db.sync_engine, *([serial.engine] if serial is not None else [])]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


async def test_ticks_and_reads_build_no_timeline_and_a_write_builds_one(database_url, service_for):
    service = await service_for(database_url, bangkok(13, 0), transport=Recorder())
    runtime, clock = service.runtime, service.clock
    cache = runtime.engine.cache
    built = cache.builds
    clock.set(bangkok(13, 30))
    assert [f.cue.cue_id for f in await runtime.engine.tick()] == [
        "segment_start/setup",
        "reminder/registration-open",
    ]
    runtime.engine.timeline(EVENT)
    runtime.run.state(EVENT)
    assert cache.builds == built  # the plan did not change: nothing rebuilt

    # A delay: its rules read the timeline several times, the state answer once more, the outbox
    # sync once more; built once, with the delay.
    answer = await runtime.run.delay(EVENT, "host", 300)
    assert cache.builds == built + 1
    assert runtime.engine.timeline(EVENT).cues is runtime.engine.loaded(EVENT).timeline.cues
    assert answer.body["state"]["delay"] == 300
    clock.set(bangkok(14, 20))
    await runtime.engine.tick()
    runtime.run.state(EVENT)
    assert cache.builds == built + 1

    # A refused action records nothing and builds nothing: the rules read the cached plan.
    before = cache.builds
    with contextlib.suppress(Exception):
        await runtime.run.resume(EVENT, "host")  # nothing is on hold: 409
    assert cache.builds == before


async def test_a_hold_is_projected_against_the_present_once_per_moment(database_url, service_for):
    service = await service_for(database_url, bangkok(14, 0), transport=Recorder())
    runtime, clock = service.runtime, service.clock
    cache = runtime.engine.cache
    await runtime.run.hold(EVENT, "host")
    built = cache.builds
    held = runtime.engine.timeline(EVENT).held_segment
    end = runtime.engine.timeline(EVENT).segment(held).end
    assert cache.builds == built  # the hold's own write projected it at this moment already
    clock.set(bangkok(15, 30))  # past the held segment's planned end: the projection moves
    later = runtime.engine.timeline(EVENT).segment(held).end
    runtime.engine.timeline(EVENT)
    assert cache.builds == built + 1
    assert later == bangkok(15, 30) > end


async def test_firing_a_cue_is_a_few_statements_and_no_plan_work(sqlite_url, service_for):
    # (SQLite: on PostgreSQL the cluster's writer lock and refresh add their own statements.)
    service = await service_for(sqlite_url, bangkok(13, 0), transport=Recorder())
    runtime, clock = service.runtime, service.clock
    built = runtime.engine.cache.builds
    clock.set(bangkok(13, 30))
    with statements(runtime) as seen:
        fired = await runtime.engine.tick()
    assert len(fired) == 2
    # The due cues with the last delivery number (and busy lanes) in one round trip, then per cue:
    # mark it fired, insert its prepared deliveries. No cue re-read, no plan sync. (The firing
    # thread's BEGIN IMMEDIATE is a statement of its own; the async driver's BEGIN is implicit.)
    kinds = [s.split()[0].upper() for s in seen]
    assert kinds.count("BEGIN") == 1, seen
    assert kinds.count("SELECT") == 2, seen
    assert kinds.count("UPDATE") == 2 and kinds.count("INSERT") == 2, seen
    assert runtime.engine.cache.builds == built
