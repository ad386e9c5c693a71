"""The firing path does only what a cue needs: the timeline is built when the plan changes (a load,
a host action, a re-plan), once per write, and never by a tick or a read; firing a cue is a bounded
number of statements, and so is loading a schedule (bench B8). Counted (EventCache.builds,
SQLAlchemy's statement and transaction events), never timed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event

from app.store import events_repo, outbox_repo
from app.views.times import iso_utc
from tests.fixtures import Recorder, bangkok

EVENT = "mekong-dialogue-2022"


@contextlib.contextmanager
def statements(runtime, *, firing_only: bool = False) -> Iterator[list[str]]:
    """The SQL statements the service's engines run inside the block (on SQLite the firing thread's
    too); `firing_only`: the firing thread's alone (SQLite), without what the service's background
    readers (the token poll, a re-arm, a worker pass) happen to run on the async engine meanwhile."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_rest) -> None:
        seen.append(statement)

    serial = runtime.engine.firing.serial
    engines = [runtime.db.sync_engine, *([serial.engine] if serial is not None else [])]
    if firing_only:
        assert serial is not None, "the firing thread is SQLite's"
        engines = [serial.engine]
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
    with statements(runtime, firing_only=True) as seen:
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


@contextlib.contextmanager
def transactions(runtime) -> Iterator[list[int]]:
    """One entry per transaction the service's engine begins inside the block."""
    begun: list[int] = []

    def count(_conn) -> None:
        begun.append(1)

    event.listen(runtime.db.sync_engine, "begin", count)
    try:
        yield begun
    finally:
        event.remove(runtime.db.sync_engine, "begin", count)


def _tables(seen: list[str]) -> list[str]:
    """'SELECT events', 'INSERT cues'...: each statement's verb and first table."""
    out = []
    for statement in seen:
        words = statement.replace("\n", " ").split()
        verb = words[0].upper()
        after = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM"}[verb]
        out.append(f"{verb} {words[[w.upper() for w in words].index(after) + 1]}")
    return out


async def test_loading_a_new_event_is_one_transaction_of_three_statements(sqlite_url, service_for):
    # (SQLite: on PostgreSQL the cluster's writer lock adds its own statement.)
    service = await service_for(sqlite_url, bangkok(13, 0), transport=Recorder())
    runtime = service.runtime
    text = service.schedule[0].replace(f"id: {EVENT}", "id: another-event", 1)
    await runtime.timer.settle()  # the start's re-arm (a transaction of its own)
    with statements(runtime) as seen, transactions(runtime) as begun:
        await runtime.run.load_schedule(text, "another.yaml")
    # Inserted just now, so it has no run log and no cues to read (their foreign keys): its row
    # (with the plan's fingerprint) and its cues, in one INSERT each; nothing is read back.
    assert _tables(seen) == ["SELECT events", "INSERT events", "INSERT cues"], seen
    assert len(begun) == 1
    stored = runtime.engine.loaded("another-event")
    assert stored.stored_as is not None and stored.stored_as[0] == "another.yaml"
    # What a start-up compares: the fingerprint stored with the row is the one a re-plan would store.
    async with runtime.db.begin() as conn:
        row = await events_repo.get_event(conn, "another-event")
        planned = await outbox_repo.list_cues(conn, "another-event")
    assert row.plan_fingerprint == runtime.engine.cache.fingerprint(stored) is not None
    assert sorted(c.cue_id for c in planned) == sorted(c.id for c in stored.timeline.cues)


async def test_replacing_a_schedule_reads_its_log_and_cues_in_the_same_transaction(sqlite_url, service_for):
    service = await service_for(sqlite_url, bangkok(13, 0), transport=Recorder())
    runtime = service.runtime
    await runtime.run.delay(EVENT, "host", 120)  # a run log to read under the lock
    await runtime.timer.settle()  # the re-arm it asked for (a transaction of its own)
    text = service.schedule[0].replace("title: Mekong Dialogue", "title: Mekong Dialogue (edited)", 1)
    with statements(runtime) as seen, transactions(runtime) as begun:
        await runtime.run.load_schedule(text, "edited.yaml")
    tables = _tables(seen)
    assert len(begun) == 1
    assert tables[:4] == ["SELECT events", "UPDATE events", "SELECT run_log", "SELECT cues"], seen
    assert tables[-1] == "UPDATE events"  # the plan's fingerprint, after the cues
    assert runtime.engine.loaded(EVENT).actions[-1].kind == "delay"


async def test_an_upload_is_answered_without_reading_the_event_back(sqlite_url, service_for):
    service = await service_for(sqlite_url, bangkok(13, 0), transport=Recorder(), tokens=["organiser"])
    runtime, clock = service.runtime, service.clock
    text = service.schedule[0].replace(f"id: {EVENT}", "id: uploaded", 1)
    headers = {**service.auth("organiser"), "content-type": "application/yaml", "x-schedule-name": "up.yaml"}
    with statements(runtime) as seen:
        answer = await service.client.post("/api/events", content=text.encode(), headers=headers)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["id"], body["source"], body["loaded_at"]) == ("uploaded", "up.yaml", iso_utc(clock.now()))
    # The token, then the load's three statements (the timer's re-arm may look up the next cue).
    tables = [t for t in _tables(seen) if t != "SELECT cues"]
    assert tables == ["SELECT api_tokens", "SELECT events", "INSERT events", "INSERT cues"], seen
    # The same text again under another name: the stored row (its name, its time) is unchanged.
    clock.advance(minutes=5)
    again = await service.client.post("/api/events", content=text.encode(), headers={**headers, "x-schedule-name": "x"})
    assert again.status_code == 201 and again.json() == body
