"""The inbox is the truth: crash recovery, deterministic recompute, reconciliation retries."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from app.attendance.reconcile import Reconciler
from app.store import attendance_repo
from app.store.db import create_engine, migrate
from app.store.tables import attendance_facts, attendance_reconciliations, inbox
from integrations.zoom.errors import ZoomAuthError, ZoomServerError
from integrations.zoom.webhooks import dedupe_key
from integrations.zoom_emulator.payloads import Person
from tests.attendance.conftest import EVENT, MEETING_ID, UUID, meeting_ref, start_harness
from tests.conftest import bangkok

ANA = Person("Ana Lima", "ana@example.org", "GUID-ANA")


def _row(payload, when):
    return {
        "dedupe_key": dedupe_key(payload),
        "event_name": payload["event"],
        "meeting_id": MEETING_ID,
        "event_ts": payload["event_ts"],
        "received_at": when,
        "body": json.dumps(payload),
    }


async def test_rows_committed_before_a_crash_are_processed_at_start(database_url, settings_for, receiver_env):
    from integrations.zoom_emulator.payloads import participant_event

    await migrate(database_url)
    db = create_engine(database_url)
    ref = meeting_ref()
    payloads = [
        participant_event(ref, "participant_joined", ANA, "1", bangkok(13, 31)),
        participant_event(ref, "participant_left", ANA, "1", bangkok(13, 41)),
        {
            "event": "meeting.sharing_started",
            "event_ts": 1,
            "payload": {"object": {"id": MEETING_ID}},
        },
    ]
    async with db.begin() as conn:  # what a previous process acknowledged, then died
        assert await attendance_repo.add_to_inbox(conn, [_row(p, bangkok(13, 42)) for p in payloads]) == [True] * 3
    await db.dispose()
    h = await start_harness(database_url, settings_for, receiver_env, bangkok(13, 45))
    try:
        async with h.runtime.db.begin() as conn:
            unprocessed = (
                await conn.execute(select(func.count()).select_from(inbox).where(inbox.c.processed_at.is_(None)))
            ).scalar_one()
            facts = (await conn.execute(select(func.count()).select_from(attendance_facts))).scalar_one()
        assert unprocessed == 0 and facts == 2  # the sharing event is kept but is not attendance
        [p] = (await h.runtime.attendance.attendance(EVENT)).participants
        assert p.intervals == [(bangkok(13, 31), bangkok(13, 41))]
    finally:
        await h.client.aclose()
        await h.runtime.stop()


async def test_recompute_from_the_inbox_gives_the_same_attendance(harness):
    h = harness
    for minute, what in (
        (31, "participant_joined"),
        (33, "participant_left"),
        (35, "participant_joined"),
    ):
        await h.post(h.join(ANA, str(minute // 34), bangkok(13, minute), what=what))
    await h.runtime.attendance.drain()
    first = await h.runtime.attendance.attendance(EVENT)
    async with h.runtime.db.begin() as conn:
        facts_before = (await conn.execute(select(func.count()).select_from(attendance_facts))).scalar_one()
        await attendance_repo.reset_facts(conn)
    # Before the drain, reads already include the unprocessed rows.
    assert (await h.runtime.attendance.attendance(EVENT)).participants == first.participants
    # The processor's idle sweep may take some of the rows first (a busy machine): count what is
    # left and what was made, not what this one drain did.
    await h.runtime.attendance.drain()
    async with h.runtime.db.begin() as conn:
        unprocessed = (
            await conn.execute(select(func.count()).select_from(inbox).where(inbox.c.processed_at.is_(None)))
        ).scalar_one()
        facts = (await conn.execute(select(func.count()).select_from(attendance_facts))).scalar_one()
    assert (unprocessed, facts) == (0, facts_before) and facts == 3
    assert (await h.runtime.attendance.attendance(EVENT)).participants == first.participants


class FlakyClient:
    """A client whose calls fail as scripted, then return rows."""

    def __init__(self, *failures):
        self.failures, self.calls = list(failures), 0

    async def list_past_participants(self, ref, *, webinar=False, report=False):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        from integrations.zoom.models import PastParticipant

        return [
            PastParticipant(
                user_id="1",
                name="Ana Lima",
                user_email="ana@example.org",
                join_time=bangkok(13, 31),
                leave_time=bangkok(13, 50),
                duration=1140,
            )
        ]


async def _status(db):
    async with db.begin() as conn:
        return (await conn.execute(select(attendance_reconciliations))).one()


async def test_reconciliation_retries_retryable_errors_then_stores_rows(harness):
    h = harness
    client = FlakyClient(ZoomServerError("down", status=503, retryable=True))
    rec = Reconciler(h.runtime.db, h.clock.now, lambda: client, delay=timedelta(minutes=1))
    await rec.request(UUID, MEETING_ID, "meeting")
    assert await rec.run_due() == 0 and client.calls == 0  # not due yet
    h.clock.advance(minutes=1)
    assert await rec.run_due() == 0 and client.calls == 1
    row = await _status(h.runtime.db)
    assert row.status == "pending" and row.attempts == 1 and "down" in row.error
    h.clock.advance(minutes=2)
    assert await rec.run_due() == 1
    row = await _status(h.runtime.db)
    assert row.status == "done" and row.rows == 1
    [p] = (await h.runtime.attendance.attendance(EVENT)).participants
    assert p.intervals == [(bangkok(13, 31), bangkok(13, 50))] and p.reconciled


async def test_reconciliation_gives_up_on_a_non_retryable_error(harness):
    client = FlakyClient(ZoomAuthError("bad credentials", status=401, code=124))
    rec = Reconciler(harness.runtime.db, harness.clock.now, lambda: client, delay=timedelta(0))
    await rec.request(UUID, MEETING_ID, "meeting")
    await rec.request(UUID, MEETING_ID, "meeting")  # queued once
    assert await rec.run_due() == 0
    row = await _status(harness.runtime.db)
    assert row.status == "failed" and "bad credentials" in row.error
    assert await rec.run_due() == 0 and client.calls == 1


async def test_meeting_ended_queues_reconciliation(harness):
    h = harness
    await h.post(h.lifecycle("ended", bangkok(13, 40)))
    await h.runtime.attendance.drain()
    row = await _status(h.runtime.db)
    assert row.meeting_uuid == UUID and row.status == "pending" and row.object == "meeting"
    assert isinstance(h.client, httpx.AsyncClient)


async def test_a_row_that_cannot_become_a_fact_is_flagged_and_does_not_block_others(harness):
    h = harness
    odd = h.join(ANA, "1", bangkok(13, 31))
    odd["payload"]["object"]["participant"]["join_time"] = "0001-01-01T00:00:00+05:00"
    assert (await h.post(odd)).status_code == 200  # signed and well-formed: acknowledged, kept
    assert (await h.post(h.join(ANA, "2", bangkok(13, 32)))).status_code == 200
    await h.runtime.attendance.drain()
    async with h.runtime.db.begin() as conn:
        rows = (await conn.execute(select(inbox.c.processed_at, inbox.c.error).order_by(inbox.c.id))).all()
    assert all(r.processed_at is not None for r in rows)
    assert "out of range" in rows[0].error and rows[1].error is None
    [p] = (await h.runtime.attendance.attendance(EVENT)).participants
    assert p.intervals == [(bangkok(13, 32), None)]
