"""Attendance storage: the webhook inbox (durable, de-duplicated), derived facts, reconciliation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.vocabulary import CueStatus
from app.store.attendance_rows import Fact, PastRow
from app.store.db import insert_ignoring_duplicates
from app.store.tables import (
    attendance_facts,
    attendance_past_rows,
    attendance_reconciliations,
    inbox,
    zoom_objects,
)

_FACT_COLUMNS = [c.name for c in attendance_facts.columns if c.name != "inbox_id"]
_FACT_FIELDS = [f.name for f in fields(Fact)]


async def add_to_inbox(conn: AsyncConnection, rows: list[dict]) -> list[bool]:
    """Store raw webhooks; per row True if new, False if its dedupe key was already there.

    One lookup and one multi-row insert per call, so a batch costs one round trip and one commit.
    """
    keys = [row["dedupe_key"] for row in rows]
    existing = set((await conn.execute(select(inbox.c.dedupe_key).where(inbox.c.dedupe_key.in_(set(keys))))).scalars())
    stored, fresh = [], []
    for row in rows:
        new = row["dedupe_key"] not in existing
        existing.add(row["dedupe_key"])
        stored.append(new)
        if new:
            fresh.append(row)
    if fresh:
        # Another process may insert the same key meanwhile: it is stored once either way.
        statement = insert_ignoring_duplicates(conn, inbox)
        if conn.dialect.name != "postgresql":
            await conn.execute(statement, fresh)
            return stored
        # Several instances: the same webhook may arrive at two at once (a load balancer's retry);
        # only the rows this insert really added are new, the other instance answers "duplicate".
        added = set((await conn.execute(statement.returning(inbox.c.dedupe_key), fresh)).scalars())
        stored = [new and row["dedupe_key"] in added for new, row in zip(stored, rows, strict=True)]
    return stored


_INBOX_COLUMNS = ("dedupe_key", "event_name", "meeting_id", "event_ts", "received_at", "body")
_ONE_ROW = "(" + ",".join("?" * len(_INBOX_COLUMNS)) + ")"
_SQLITE_TIME = sqlite.DATETIME().bind_processor(sqlite.dialect())  # the text SQLAlchemy reads back


def _sqlite_values(row: dict) -> tuple:
    received = row["received_at"]
    if received.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
    return (
        *(row[c] for c in _INBOX_COLUMNS[:4]),
        _SQLITE_TIME(received.astimezone(UTC).replace(tzinfo=None)),  # type: ignore[misc]  # SQLite's DATETIME has a processor
        row["body"],
    )


def add_to_inbox_sqlite(conn: sqlite3.Connection, rows: list[dict]) -> list[bool]:
    """add_to_inbox for a stdlib sqlite3 connection in autocommit mode; committed on return.

    One multi-row INSERT, which SQLite commits (and fsyncs) before execute() returns. Each SQLite
    call releases and retakes the GIL, and retaking it costs up to a switch interval while the
    event loop is busy, so the usual case (no duplicates) is exactly one call. When fewer rows
    went in than were offered, the new ones are those with the rowids this statement assigned:
    one statement's inserts get consecutive rowids (max+1 each, under the write lock).
    """
    first: dict[str, int] = {}
    for i, row in enumerate(rows):
        first.setdefault(row["dedupe_key"], i)
    values = [v for i in first.values() for v in _sqlite_values(rows[i])]
    cursor = conn.execute(
        f"INSERT INTO inbox ({','.join(_INBOX_COLUMNS)}) VALUES "
        f"{','.join([_ONE_ROW] * len(first))} ON CONFLICT(dedupe_key) DO NOTHING",
        values,
    )
    inserted, last = cursor.rowcount, cursor.lastrowid
    if inserted == len(first):
        new = set(first)
    elif inserted <= 0:
        new = set()
    else:
        found = conn.execute("SELECT dedupe_key FROM inbox WHERE id BETWEEN ? AND ?", (last - inserted + 1, last))  # type: ignore[operator]  # lastrowid is set after an insert
        new = {key for (key,) in found}
    return [first[row["dedupe_key"]] == i and row["dedupe_key"] in new for i, row in enumerate(rows)]


def _sqlite_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
    return _SQLITE_TIME(value.astimezone(UTC).replace(tzinfo=None))  # type: ignore[misc]  # SQLite's DATETIME has a processor


def _chunks(conn: sqlite3.Connection, items: list, per_item: int) -> Iterable[list]:
    size = max(1, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // per_item - 1)
    return (items[i : i + size] for i in range(0, len(items), size))


def save_processed_sqlite(
    conn: sqlite3.Connection,
    facts: list[tuple[int, Fact]],
    errors: dict[int, str],
    done: list[int],
    now: datetime,
) -> None:
    """save_processed for a stdlib sqlite3 connection in autocommit mode: one transaction.

    Multi-row statements for the same reason as add_to_inbox_sqlite: few GIL round trips.
    """
    columns = ["inbox_id", *_FACT_FIELDS]
    stamp = _sqlite_time(now)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for chunk in _chunks(conn, facts, len(columns)):
            values = []
            for inbox_id, fact in chunk:
                values.append(inbox_id)
                values.extend(
                    _sqlite_time(v) if isinstance(v, datetime) else v
                    for v in (getattr(fact, name) for name in _FACT_FIELDS)
                )
            one = "(" + ",".join("?" * len(columns)) + ")"
            conn.execute(
                f"INSERT INTO attendance_facts ({','.join(columns)}) VALUES {','.join([one] * len(chunk))}",
                values,
            )
        for chunk in _chunks(conn, [i for i in done if i not in errors], 1):
            conn.execute(
                f"UPDATE inbox SET processed_at = ? WHERE id IN ({','.join('?' * len(chunk))})",
                [stamp, *chunk],
            )
        if errors:
            conn.executemany(
                "UPDATE inbox SET processed_at = ?, error = ? WHERE id = ?",
                [(stamp, error[:1000], inbox_id) for inbox_id, error in errors.items()],
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


async def count_inbox(conn: AsyncConnection) -> int:
    """How many webhooks are stored."""
    from sqlalchemy import func

    return (await conn.execute(select(func.count()).select_from(inbox))).scalar_one()


async def unprocessed(conn: AsyncConnection, limit: int) -> list:
    """The oldest webhooks not yet turned into facts (id, body)."""
    query = select(inbox.c.id, inbox.c.body).where(inbox.c.processed_at.is_(None)).order_by(inbox.c.id)
    return list((await conn.execute(query.limit(limit))).all())


async def save_processed(
    conn: AsyncConnection,
    facts: list[tuple[int, Fact]],
    errors: dict[int, str],
    done: list[int],
    now: datetime,
) -> None:
    """Write a batch's facts and mark its inbox rows processed (in the caller's transaction)."""
    if facts:
        await conn.execute(
            insert(attendance_facts),
            # Not dataclasses.asdict: it deep-copies every value, half the processor's time per row.
            [
                {"inbox_id": inbox_id, **{name: getattr(fact, name) for name in _FACT_FIELDS}}
                for inbox_id, fact in facts
            ],
        )
    ok = [i for i in done if i not in errors]
    if ok:
        await conn.execute(update(inbox).where(inbox.c.id.in_(ok)).values(processed_at=now))
    for inbox_id, error in errors.items():
        await conn.execute(update(inbox).where(inbox.c.id == inbox_id).values(processed_at=now, error=error[:1000]))


async def reset_facts(conn: AsyncConnection) -> None:
    """Forget every derived fact so the next drain recomputes them from the inbox (the truth)."""
    await conn.execute(delete(attendance_facts))
    await conn.execute(update(inbox).values(processed_at=None, error=None))


async def facts_for_meeting(conn: AsyncConnection, meeting_id: str) -> list[Fact]:
    """Every fact about one Zoom meeting or webinar number (all its instances)."""
    query = select(*[attendance_facts.c[c] for c in _FACT_COLUMNS]).where(attendance_facts.c.meeting_id == meeting_id)
    return [Fact(**row._mapping) for row in await conn.execute(query)]


async def past_rows_for_meeting(conn: AsyncConnection, meeting_id: str) -> list[PastRow]:
    """Reconciled rows from Zoom's past-participants lists for a meeting."""
    query = select(attendance_past_rows).where(attendance_past_rows.c.meeting_id == meeting_id)
    return [
        PastRow(
            r.meeting_uuid,
            r.user_id,
            r.join_time,
            r.leave_time,
            r.name,
            r.email,
            r.zoom_user_id,
            r.registrant_id,
        )
        for r in await conn.execute(query)
    ]


async def replace_past_rows(conn: AsyncConnection, meeting_id: str, meeting_uuid: str, rows: Iterable[PastRow]) -> int:
    """Store the latest past-participants list of one instance (replacing an earlier fetch)."""
    await conn.execute(delete(attendance_past_rows).where(attendance_past_rows.c.meeting_uuid == meeting_uuid))
    values = [
        {
            "meeting_id": meeting_id,
            "meeting_uuid": meeting_uuid,
            "user_id": r.user_id,
            "zoom_user_id": r.zoom_user_id,
            "registrant_id": r.registrant_id,
            "email": r.email,
            "name": r.name,
            "join_time": r.join_time,
            "leave_time": r.leave_time,
        }
        for r in rows
    ]
    if values:
        await conn.execute(insert(attendance_past_rows), values)
    return len(values)


async def request_reconciliation(
    conn: AsyncConnection,
    meeting_uuid: str,
    meeting_id: str,
    obj: str,
    due: datetime,
    now: datetime,
) -> None:
    """Queue a past-participants fetch for an ended instance (once per instance)."""
    statement = insert_ignoring_duplicates(conn, attendance_reconciliations)
    await conn.execute(
        statement.values(
            meeting_uuid=meeting_uuid,
            meeting_id=meeting_id,
            object=obj,
            status="pending",
            attempts=0,
            next_attempt_at=due,
            updated_at=now,
        )
    )


async def due_reconciliations(conn: AsyncConnection, now: datetime) -> list:
    """Pending fetches whose time has come."""
    query = select(attendance_reconciliations).where(
        attendance_reconciliations.c.status == "pending",
        attendance_reconciliations.c.next_attempt_at <= now,
    )
    return list((await conn.execute(query.order_by(attendance_reconciliations.c.next_attempt_at))).all())


async def update_reconciliation(conn: AsyncConnection, meeting_uuid: str, **values) -> None:
    """Record an attempt's outcome."""
    await conn.execute(
        update(attendance_reconciliations)
        .where(attendance_reconciliations.c.meeting_uuid == meeting_uuid)
        .values(**values)
    )


async def reconciliations(conn: AsyncConnection, meeting_id: str) -> list:
    """Reconciliation status of every instance of a meeting."""
    query = select(attendance_reconciliations).where(attendance_reconciliations.c.meeting_id == meeting_id)
    return list((await conn.execute(query)).all())


async def meeting_of_event(conn: AsyncConnection, event_id: str) -> str | None:
    """The Zoom meeting/webinar number linked to an event, as webhooks spell it (a string)."""
    row = (await conn.execute(select(zoom_objects.c.zoom_id).where(zoom_objects.c.event_id == event_id))).first()
    return None if row is None else str(row.zoom_id)


async def registration_on(conn: AsyncConnection, meeting_id: str) -> bool:
    """Whether the applied spec of the object with this number had registration on."""
    if not meeting_id.isdigit() or len(meeting_id) >= 19:
        return False
    query = select(zoom_objects.c.applied_spec).where(zoom_objects.c.zoom_id == int(meeting_id))
    return any((spec or {}).get("registration") for (spec,) in await conn.execute(query))


async def events_of_meetings(conn: AsyncConnection, meeting_ids: Iterable[str]) -> dict[str, str]:
    """Meeting number -> event id, for the numbers that are linked."""
    numbers = {int(m) for m in meeting_ids if m.isdigit() and len(m) < 19}
    if not numbers:
        return {}
    query = select(zoom_objects.c.zoom_id, zoom_objects.c.event_id).where(zoom_objects.c.zoom_id.in_(numbers))
    return {str(r.zoom_id): r.event_id for r in await conn.execute(query)}


async def ended_instances(conn: AsyncConnection) -> list:
    """(meeting_uuid, meeting_id, object) of every instance whose end was seen."""
    query = (
        select(
            attendance_facts.c.meeting_uuid,
            attendance_facts.c.meeting_id,
            attendance_facts.c.object,
        )
        .where(attendance_facts.c.kind == "ended")
        .distinct()
    )
    return list((await conn.execute(query)).all())


async def fired_readiness_cues(conn: AsyncConnection, event_id: str) -> list:
    """Readiness checks already delivered for an event (their data names who was missing)."""
    from app.store.tables import cues

    query = select(cues).where(
        cues.c.event_id == event_id, cues.c.kind == "readiness_check", cues.c.status == CueStatus.FIRED
    )
    return list((await conn.execute(query)).all())


async def unprocessed_bodies(conn: AsyncConnection, meeting_id: str) -> list:
    """The bodies of a meeting's webhooks committed but not processed yet."""
    query = select(inbox.c.body).where(inbox.c.processed_at.is_(None), inbox.c.meeting_id == meeting_id)
    return [row.body for row in await conn.execute(query)]


RECORDING_STATE_EVENTS = (
    "recording.started",
    "recording.paused",
    "recording.resumed",
    "recording.stopped",
    "meeting.started",
    "meeting.ended",
    "webinar.started",
    "webinar.ended",
)


async def recording_webhooks(
    conn: AsyncConnection, meeting_id: str, names: tuple[str, ...] = RECORDING_STATE_EVENTS
) -> list[str]:
    """The raw bodies of a meeting's webhooks that tell its recording state (recording.started,
    paused, resumed, stopped, and the meeting's start and end; `names`: others too), in arrival order."""
    query = (
        select(inbox.c.body).where(inbox.c.meeting_id == meeting_id, inbox.c.event_name.in_(names)).order_by(inbox.c.id)
    )
    return [row.body for row in await conn.execute(query)]


async def replace_poll_results(
    conn: AsyncConnection, meeting_id: str, meeting_uuid: str, questions: list[dict], now: datetime
) -> None:
    """Store one instance's poll counts, replacing what an earlier fetch stored."""
    from app.store.tables import zoom_poll_results

    await conn.execute(delete(zoom_poll_results).where(zoom_poll_results.c.meeting_uuid == meeting_uuid))
    await conn.execute(
        insert(zoom_poll_results).values(
            meeting_uuid=meeting_uuid, meeting_id=meeting_id, questions=questions, fetched_at=now
        )
    )


async def poll_results(conn: AsyncConnection, meeting_id: str) -> list[list[dict]]:
    """The stored poll counts of each instance of a meeting, oldest fetch first."""
    from app.store.tables import zoom_poll_results

    query = (
        select(zoom_poll_results.c.questions)
        .where(zoom_poll_results.c.meeting_id == meeting_id)
        .order_by(zoom_poll_results.c.fetched_at, zoom_poll_results.c.meeting_uuid)
    )
    return [list(row.questions or []) for row in await conn.execute(query)]


LIVE_STREAM_EVENTS = ("meeting.live_streaming_started", "meeting.live_streaming_stopped")


async def state_webhooks(conn: AsyncConnection, meeting_id: str, names: tuple[str, ...]) -> list[tuple[str, datetime]]:
    """(raw body, when it arrived) of a meeting's webhooks named `names`, in arrival order."""
    query = (
        select(inbox.c.body, inbox.c.received_at)
        .where(inbox.c.meeting_id == meeting_id, inbox.c.event_name.in_(names))
        .order_by(inbox.c.id)
    )
    return [(row.body, row.received_at) for row in await conn.execute(query)]
