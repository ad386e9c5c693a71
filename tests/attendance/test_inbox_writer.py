"""Group commit of the webhook inbox: batching, duplicates, errors, commit before the answer."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from app.attendance.inbox_row import NotStorable, inbox_row
from app.attendance.inbox_writer import InboxWriter, inbox_writer_for
from app.attendance.processor import InboxProcessor, fact_from_body
from app.attendance.sqlite_inbox import SqliteInboxWriter
from app.core.text_rules import first_forbidden
from app.store import attendance_repo
from app.store.db import create_engine, migrate
from app.store.tables import inbox
from integrations.zoom.webhooks import parse_event
from integrations.zoom_emulator.payloads import Person
from tests.attendance.conftest import MEETING_ID
from tests.conftest import bangkok

ANA = Person("Ana Lima", "ana@example.org", "GUID-ANA")
RECEIVED = datetime(2022, 5, 14, 6, 31, 2, 123456, tzinfo=UTC)


def row(key: str, received: datetime = RECEIVED) -> dict:
    body = {"event": "meeting.participant_joined", "event_ts": 1, "key": key}
    return {
        "dedupe_key": key,
        "event_name": "meeting.participant_joined",
        "meeting_id": MEETING_ID,
        "event_ts": 1652509862000,
        "received_at": received,
        "body": json.dumps(body),
    }


@pytest.fixture
async def sqlite_file(tmp_path):
    path = tmp_path / "inbox.db"
    await migrate(f"sqlite:///{path}")
    return path


def keys_in(path) -> list[str]:
    with sqlite3.connect(path) as conn:  # an independent reader: what a crash would leave
        return [k for (k,) in conn.execute("SELECT dedupe_key FROM inbox ORDER BY id")]


async def test_concurrent_callers_share_commits_and_learn_new_or_duplicate(sqlite_file):
    commits = []
    writer = SqliteInboxWriter(str(sqlite_file), on_commit=lambda: commits.append(1))
    try:
        first = await asyncio.gather(*(writer.add(row(f"k{i % 150}")) for i in range(200)))
        again = await asyncio.gather(writer.add(row("k7")), writer.add(row("new")))
    finally:
        await writer.close()
    # Within one burst the first of each key is new; a later copy is a duplicate.
    assert first == [True] * 150 + [False] * 50
    assert again == [False, True]
    assert sorted(keys_in(sqlite_file)) == sorted([f"k{i}" for i in range(150)] + ["new"])
    assert 2 <= len(commits) < 200  # grouped: far fewer commits than callers


async def test_rows_read_back_through_sqlalchemy_exactly(sqlite_file):
    writer = SqliteInboxWriter(str(sqlite_file))
    try:
        assert await writer.add(row("a")) is True
    finally:
        await writer.close()
    db = create_engine(f"sqlite:///{sqlite_file}")
    try:
        async with db.begin() as conn:
            stored = (await conn.execute(select(inbox))).one()
            assert await attendance_repo.add_to_inbox(conn, [row("a"), row("b")]) == [False, True]
    finally:
        await db.dispose()
    expected = row("a")
    assert stored.received_at == RECEIVED and stored.received_at.tzinfo is not None
    assert (stored.event_name, stored.meeting_id, stored.event_ts, stored.body) == (
        expected["event_name"],
        expected["meeting_id"],
        expected["event_ts"],
        expected["body"],
    )
    assert stored.processed_at is None and stored.error is None


async def test_no_answer_before_the_commit_returns(sqlite_file, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real = attendance_repo.add_to_inbox_sqlite

    def slow_commit(conn, rows):
        entered.set()
        assert release.wait(10)
        return real(conn, rows)

    monkeypatch.setattr(attendance_repo, "add_to_inbox_sqlite", slow_commit)
    writer = SqliteInboxWriter(str(sqlite_file))
    try:
        pending = asyncio.ensure_future(writer.add(row("held")))
        assert await asyncio.to_thread(entered.wait, 10)
        for _ in range(20):  # give a premature answer every chance to show up
            await asyncio.sleep(0)
        assert not pending.done() and keys_in(sqlite_file) == []
        release.set()
        assert await pending is True
        assert keys_in(sqlite_file) == ["held"]  # visible to another connection on return
    finally:
        release.set()
        await writer.close()


async def test_a_database_error_fails_the_batch_then_the_writer_recovers(sqlite_file):
    with sqlite3.connect(sqlite_file) as conn:
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON inbox BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    writer = SqliteInboxWriter(str(sqlite_file))
    try:
        results = await asyncio.gather(*(writer.add(row(f"x{i}")) for i in range(5)), return_exceptions=True)
        assert all(isinstance(r, sqlite3.DatabaseError) for r in results), results
        assert keys_in(sqlite_file) == []
        with sqlite3.connect(sqlite_file) as conn:
            conn.execute("DROP TRIGGER refuse")
        assert await writer.add(row("x0")) is True  # Zoom's retry of a refused one is stored
    finally:
        await writer.close()
    assert keys_in(sqlite_file) == ["x0"]


async def test_close_commits_what_is_queued_then_refuses(sqlite_file):
    writer = SqliteInboxWriter(str(sqlite_file))
    adds = [asyncio.ensure_future(writer.add(row(f"q{i}"))) for i in range(30)]
    await asyncio.sleep(0)  # queued, maybe not yet committed
    await writer.close()
    assert await asyncio.gather(*adds) == [True] * 30
    assert len(keys_in(sqlite_file)) == 30
    with pytest.raises(RuntimeError):
        await writer.add(row("late"))


async def test_sqlite_files_get_the_thread_other_stores_the_engine(tmp_path, database_url):
    db = create_engine(database_url)
    memory = create_engine("sqlite+aiosqlite://")
    try:
        chosen = inbox_writer_for(db)
        expected = SqliteInboxWriter if db.dialect.name == "sqlite" else InboxWriter
        assert type(chosen) is expected
        assert type(inbox_writer_for(memory)) is InboxWriter
        await chosen.close()
    finally:
        await db.dispose()
        await memory.dispose()


async def _refuse_inserts(conn, dialect: str) -> None:
    if dialect == "sqlite":
        await conn.execute(
            text("CREATE TRIGGER refuse BEFORE INSERT ON inbox BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
        )
        return
    await conn.execute(
        text(
            "CREATE FUNCTION refuse() RETURNS trigger AS "
            "$$ BEGIN RAISE EXCEPTION 'disk says no'; END $$ LANGUAGE plpgsql"
        )
    )
    await conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON inbox FOR EACH ROW EXECUTE FUNCTION refuse()"))


async def test_endpoint_answers_5xx_when_the_store_refuses_so_zoom_retries(harness):
    db = harness.runtime.db
    async with db.begin() as conn:
        await _refuse_inserts(conn, db.dialect.name)
    payload = harness.join(ANA, "1001", bangkok(13, 31))
    refused = await harness.post(payload)
    assert refused.status_code == 503 and refused.json()["error"] == "inbox_unavailable"
    async with db.begin() as conn:
        assert (await conn.execute(select(func.count()).select_from(inbox))).scalar_one() == 0
        await conn.execute(text("DROP TRIGGER refuse" + ("" if db.dialect.name == "sqlite" else " ON inbox")))
    retried = await harness.post(payload)  # Zoom retries the same event
    assert retried.status_code == 200 and retried.json() == {"status": "accepted"}


@pytest.mark.parametrize("field", ["event", "id"])
async def test_text_a_database_cannot_store_is_refused_with_400(harness, field):
    payload = harness.join(ANA, "1001", bangkok(13, 31))
    if field == "event":
        payload["event"] = "meeting.participant_joined\x00"
    else:
        payload["payload"]["object"]["id"] = "812\ud800"
    body = json.dumps(payload).encode()  # ASCII escapes: valid JSON, signed as sent
    from tests.attendance.conftest import signed_headers

    answer = await harness.client.post(
        "/webhooks/zoom", content=body, headers=signed_headers(body, harness.clock.now())
    )
    assert answer.status_code == 400, answer.text
    ok = await harness.post(harness.join(ANA, "1002", bangkok(13, 32)))
    assert ok.json() == {"status": "accepted"}  # a bad row never poisons the next commit


async def test_a_never_ending_stream_does_not_starve_processing(sqlite_file):
    db = create_engine(f"sqlite:///{sqlite_file}")
    processor = InboxProcessor(db, lambda: RECEIVED, coalesce_seconds=0.05, max_lag_seconds=0.2, slice_size=3)
    stop, feeding = asyncio.Event(), asyncio.Event()
    writer = SqliteInboxWriter(str(sqlite_file), on_commit=processor.kick)

    async def feed() -> None:  # a commit every few ms: never quiet for coalesce_seconds
        i = 0
        while not feeding.is_set():
            await writer.add(row(f"s{i}"))
            i += 1
            await asyncio.sleep(0.005)

    async def processed() -> int:
        async with db.begin() as conn:
            query = select(func.count()).select_from(inbox).where(inbox.c.processed_at.isnot(None))
            return (await conn.execute(query)).scalar_one()

    feeder = asyncio.create_task(feed())
    runner = asyncio.create_task(processor.run(stop))
    try:
        await asyncio.sleep(0.02)
        async with asyncio.timeout(20):
            while await processed() < 20:  # progress while the stream still flows
                assert not feeder.done()
                await asyncio.sleep(0.02)
    finally:
        feeding.set()
        await feeder
        stop.set()
        processor.kick()
        await runner
        await writer.close()
        await db.dispose()


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=80),
    st.text(alphabet="0123456789", min_size=1, max_size=20),
)


@settings(max_examples=400, deadline=None)
@given(
    event=st.one_of(st.sampled_from(["meeting.participant_joined", "meeting.ended"]), SCALARS),
    event_ts=SCALARS,
    meeting_id=st.one_of(SCALARS, st.text(min_size=60, max_size=70)),
    drop=st.sampled_from(["", "event", "event_ts"]),
)
def test_request_path_row_accepts_exactly_what_parse_event_accepts(event, event_ts, meeting_id, drop):
    payload = {
        "event": event,
        "event_ts": event_ts,
        "payload": {"object": {"id": meeting_id, "uuid": "u==", "participant": {}}},
    }
    payload.pop(drop, None)
    try:
        expected = parse_event(payload)
    except (ValueError, OSError):
        expected = None
    try:
        got = inbox_row(payload, "{}", RECEIVED)
    except NotStorable:
        got = None
    if expected is None:
        assert got is None
        return
    storable = (
        len(expected.event) <= 100
        and len(expected.meeting_id or "") <= 64
        and all(_fits(t) for t in (expected.event, expected.meeting_id or ""))
    )
    if not storable:
        assert got is None
        return
    assert got == {
        "dedupe_key": expected.dedupe_key,
        "event_name": expected.event,
        "meeting_id": expected.meeting_id,
        "event_ts": int(expected.event_ts.timestamp() * 1000),
        "received_at": RECEIVED,
        "body": "{}",
    }


def _fits(text_value: str) -> bool:
    return first_forbidden(text_value) is None


async def test_processor_writes_through_the_writer_thread_like_the_engine_does(sqlite_file):
    from integrations.zoom_emulator.payloads import participant_event
    from tests.attendance.conftest import meeting_ref

    payloads = [
        participant_event(meeting_ref(), "participant_joined", ANA, str(i), bangkok(13, 31 + i)) for i in range(3)
    ]
    bodies = [json.dumps(p) for p in payloads] + ['{"event": "meeting.x", "event_ts": "bad"}']
    db = create_engine(f"sqlite:///{sqlite_file}")
    writer = SqliteInboxWriter(str(sqlite_file))
    now = datetime(2022, 5, 14, 7, 0, tzinfo=UTC)
    processor = InboxProcessor(db, lambda: now, save=writer.save_processed, slice_size=2)
    try:
        for i, body in enumerate(bodies):
            assert await writer.add({**row(f"p{i}"), "body": body})
        assert await processor.drain() == 4
        async with db.begin() as conn:
            facts = await attendance_repo.facts_for_meeting(conn, MEETING_ID)
            rows = (await conn.execute(select(inbox).order_by(inbox.c.id))).all()
    finally:
        await writer.close()
        await db.dispose()
    assert sorted(facts, key=lambda f: f.user_id) == [fact_from_body(json.dumps(p)) for p in payloads]
    assert [r.processed_at for r in rows] == [now] * 4  # read back as aware UTC
    assert [r.error is None for r in rows] == [True, True, True, False]
