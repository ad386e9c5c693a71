"""The outbox: planned cues (the source of truth for timing) and their deliveries to targets."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.vocabulary import (
    CUE_OPEN,
    CUE_REOPENABLE,
    DELIVERY_FAILED,
    DELIVERY_UNFINISHED,
    CueStatus,
    DeliveryStatus,
)
from app.store.tables import cues, deliveries, events
from schedules.timeline import Cue

YIELD_EVERY = 200  # rows decoded between two turns of the event loop when a plan is synced
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def new_delivery_id() -> str:
    """A fresh delivery id (the webhook id): random, so unique per database and per run (a rehearsal
    re-run or another database never reuses one a receiver may remember); it is stored with the
    delivery, so every retry of that delivery sends the same id."""
    return "msg_" + secrets.token_hex(13)


class OverBudget(Exception):
    """A host action would queue more messages (cue x target) than one action may; raised before
    the sync returns, so the caller's transaction rolls back and nothing of the action is stored."""

    def __init__(self, queued: int, budget: int):
        super().__init__(f"{queued} messages queued by one action, more than {budget}")
        self.queued, self.budget = queued, budget


async def sync_cues(
    conn: AsyncConnection,
    event_id: str,
    planned: Iterable[Cue],
    now: datetime,
    action: int | None = None,
    stale: frozenset[str] | set[str] = frozenset(),
    budget: int | None = None,
    new_event: bool = False,
) -> int:
    """Make the outbox match the timeline: add new cues, move open ones, retire vanished ones.

    With `action` (the run-log seq of the host action being recorded, at `now`), a cue that the
    action moves into the past, or whose segment it leaves, is `superseded` by it and never
    posted; a cue already overdue before the action (the service was busy or down) is left to the
    lateness policy. `stale` names cues whose segment the action has already started or ended
    (they are superseded too). Without an action (start-up, a hold's projection) vanished cues
    are cancelled.

    With `budget`, the messages the action queues (one per target of each cue it adds or
    re-opens, and per target it adds to an open cue; re-timed ones are already queued) may not
    exceed it: OverBudget, with the count, after which the caller must roll back.

    `new_event`: the event's row was inserted in this transaction, so it has no cues yet (their
    foreign key) and they are not read: loading a new event is one INSERT of its cues.
    """
    existing: dict[str, Any] = {}
    found_rows = () if new_event else await conn.execute(select(cues).where(cues.c.event_id == event_id))
    for index, found in enumerate(found_rows):
        existing[found.cue_id] = found
        if index % YIELD_EVERY == YIELD_EVERY - 1:  # decoding a large plan's rows is CPU work: let the loop run
            await asyncio.sleep(0)
    seen, changed, queued = set(), 0, 0
    added: list[dict[str, Any]] = []
    for number, cue in enumerate(planned, 1):
        seen.add(cue.id)
        if number % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        values: dict[str, Any] = {
            "kind": cue.kind.value,
            "segment": cue.segment,
            "due_at": None if cue.held else cue.at,
            "status": CueStatus.HELD if cue.held else CueStatus.PENDING,
            "title": cue.title,
            "message": cue.message,
            "targets": list(cue.targets),
            "severity": cue.severity,
            "data": cue.data,
            "updated_at": now,
        }
        row = existing.get(cue.id)
        overtaken = action is not None and not cue.held and (cue.at < now or cue.id in stale)
        if row is None:
            values.update(event_id=event_id, cue_id=cue.id, caused_by=action, superseded_by=None)
            if overtaken:
                values.update(status=CueStatus.SUPERSEDED, superseded_by=action)
            else:
                queued += len(set(cue.targets))
            added.append(values)  # inserted together below: one statement, not one per cue
            changed += 1
            continue
        if row.status not in CUE_OPEN and row.status not in CUE_REOPENABLE:
            continue
        if (row.due_at, row.status, row.message, row.targets, row.data) == (
            values["due_at"],
            values["status"],
            values["message"],
            values["targets"],
            values["data"],
        ):
            continue
        if row.status in CUE_REOPENABLE and not cue.held and (cue.at < now or cue.id in stale):
            continue  # stays retired: its moment passed while it was withdrawn
        if overtaken and (cue.id in stale or not (row.status == CueStatus.PENDING and row.due_at == cue.at)):
            values.update(status=CueStatus.SUPERSEDED, superseded_by=action)
        else:
            if action is not None:
                values.update(caused_by=action, superseded_by=None)
            before = set(row.targets or ()) if row.status in CUE_OPEN else set()
            queued += len(set(cue.targets) - before)
        await conn.execute(update(cues).where(cues.c.event_id == event_id, cues.c.cue_id == cue.id).values(**values))
        changed += 1
    if budget is not None and queued > budget:
        raise OverBudget(queued, budget)
    if added:
        await conn.execute(insert(cues), added)
    gone = [cid for cid, row in existing.items() if cid not in seen and row.status in CUE_OPEN]
    if gone:
        retired = (
            {"status": CueStatus.CANCELLED}
            if action is None
            else {"status": CueStatus.SUPERSEDED, "superseded_by": action}
        )
        await conn.execute(
            update(cues).where(cues.c.event_id == event_id, cues.c.cue_id.in_(gone)).values(updated_at=now, **retired)
        )
    return changed + len(gone)


async def caused_cues(conn: AsyncConnection, event_id: str, seq: int) -> list:
    """Cues the host action `seq` planned or moved that have fired since (what an undo corrects)."""
    query = select(cues).where(cues.c.event_id == event_id, cues.c.caused_by == seq, cues.c.status == CueStatus.FIRED)
    return list((await conn.execute(query.order_by(cues.c.fired_at, cues.c.cue_id))).all())


async def withdraw_firing(conn: AsyncConnection, row, undo_seq: int, now: datetime) -> dict[str, str]:
    """Withdraw a fired cue after an undo: keep its firing under an archived id, stop its unsent
    deliveries, and leave the cue id free to be planned (and fired) again as a new generation.

    Returns {target id: delivery status} of the withdrawn firing's deliveries.
    """
    archived = f"{row.cue_id}~undo{undo_seq}"
    values = {k: v for k, v in row._mapping.items() if k not in ("cue_id",)}
    values.update(cue_id=archived, status=CueStatus.WITHDRAWN, note=f"withdrawn by undo #{undo_seq}", updated_at=now)
    await conn.execute(insert(cues).values(**values))
    sent = {
        d.target_id: d.status
        for d in await conn.execute(
            select(deliveries).where(deliveries.c.event_id == row.event_id, deliveries.c.cue_id == row.cue_id)
        )
    }
    await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.event_id == row.event_id,
            deliveries.c.cue_id == row.cue_id,
            deliveries.c.status.in_((DeliveryStatus.PENDING, DeliveryStatus.PARKED)),
        )
        .values(status=DeliveryStatus.WITHDRAWN, last_error=f"withdrawn by undo #{undo_seq}")
    )
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.event_id == row.event_id, deliveries.c.cue_id == row.cue_id)
        .values(cue_id=archived)
    )
    # The live row becomes a new generation: whatever the replay plans for it next is a new message.
    await conn.execute(
        update(cues)
        .where(cues.c.event_id == row.event_id, cues.c.cue_id == row.cue_id)
        .values(
            status=CueStatus.CANCELLED,
            fired_at=None,
            late_ms=None,
            note=None,
            caused_by=undo_seq,
            generation=row.generation + 1,
            updated_at=now,
        )
    )
    return sent


# The firing path's statements (app/engine/firing.py) are synchronous functions over a Core
# `Connection`: on SQLite they run in batches on a thread of their own (app.store.db.SerialSqlite),
# one thread hop per batch instead of one per statement; on PostgreSQL through
# `AsyncConnection.run_sync`. The async functions of the same name serve every other caller.


# Built once, with bound parameters: building a statement costs more than running it (most of a
# tick's time on its thread went to SQLAlchemy constructing the same expressions again).
_SET_CUE_TEXT = (
    update(cues)
    .where(cues.c.event_id == bindparam("k_event"), cues.c.cue_id == bindparam("k_cue"))
    .values(title=bindparam("v_title"), message=bindparam("v_message"), data=bindparam("v_data"))
)
_DUE_CUES = (
    select(cues)
    .where(cues.c.status == CueStatus.PENDING, cues.c.due_at <= bindparam("now", type_=cues.c.due_at.type))
    .order_by(cues.c.due_at)
)
_DUE_CUES_EXCEPT = _DUE_CUES.where(cues.c.event_id.not_in(bindparam("exclude", expanding=True)))
_MARK_CUE = (
    update(cues)
    .where(
        cues.c.event_id == bindparam("k_event"),
        cues.c.cue_id == bindparam("k_cue"),
        cues.c.status == CueStatus.PENDING,
    )
    .values(
        status=bindparam("v_status"),
        fired_at=bindparam("v_now", type_=cues.c.fired_at.type),
        late_ms=bindparam("v_late_ms"),
        note=bindparam("v_note"),
        updated_at=bindparam("v_updated", type_=cues.c.updated_at.type),
    )
)
_INSERT_DELIVERIES = insert(deliveries)
_LAST_SEQ = select(
    cast(null(), String).label("event_id"),
    cast(null(), String).label("target_id"),
    func.max(deliveries.c.seq).label("seq"),
)
_LAST_SEQ_AND_LANES = union_all(
    _LAST_SEQ,
    select(deliveries.c.event_id, deliveries.c.target_id, cast(null(), Integer).label("seq"))
    .where(
        deliveries.c.status.in_(DELIVERY_UNFINISHED),
        deliveries.c.event_id.in_(bindparam("lanes", expanding=True)),
    )
    .distinct(),
)


def set_cue_text_sync(conn: Connection, row) -> None:
    """Store a fire hook's rewrite of a cue (e.g. a readiness check naming who is missing)."""
    keys = {"k_event": row.event_id, "k_cue": row.cue_id}
    conn.execute(_SET_CUE_TEXT, {**keys, "v_title": row.title, "v_message": row.message, "v_data": row.data})


def due_cues_sync(conn: Connection, now: datetime, exclude: Iterable[str] = ()) -> list:
    """Pending cues whose moment has come, oldest first (none of the `exclude`d events)."""
    exclude = list(exclude)
    if exclude:
        return list(conn.execute(_DUE_CUES_EXCEPT, {"now": now, "exclude": exclude}).all())
    return list(conn.execute(_DUE_CUES, {"now": now}).all())


async def due_cues(conn: AsyncConnection, now: datetime, exclude: Iterable[str] = ()) -> list:
    """Pending cues whose moment has come, oldest first (due_cues_sync)."""
    return await conn.run_sync(due_cues_sync, now, list(exclude))


async def catch_up_order(conn: AsyncConnection) -> list[str]:
    """Every stored event id, the one whose next pending cue or delivery is soonest first (start-up
    loads events in this order, so the ones about to act are ready first); the rest by id."""
    soonest: dict[str, datetime] = {}
    for query in (
        select(cues.c.event_id, func.min(cues.c.due_at))
        .where(cues.c.status == CueStatus.PENDING)
        .group_by(cues.c.event_id),
        select(deliveries.c.event_id, func.min(deliveries.c.next_attempt_at))
        .where(deliveries.c.status.in_(DELIVERY_UNFINISHED))
        .group_by(deliveries.c.event_id),
    ):
        for event_id, at in await conn.execute(query):
            if at is not None and (event_id not in soonest or at < soonest[event_id]):
                soonest[event_id] = at
    ids = (await conn.execute(select(events.c.id).order_by(events.c.id))).scalars().all()
    return sorted(ids, key=lambda event_id: (event_id not in soonest, soonest.get(event_id) or _EARLIEST, event_id))


# Built once: the timer re-arms with it after every load and every fired cue.
_NEXT_DUE = select(func.min(cues.c.due_at)).where(cues.c.status == CueStatus.PENDING)
_NEXT_DUE_EXCEPT = _NEXT_DUE.where(cues.c.event_id.not_in(bindparam("exclude", expanding=True)))


async def next_cue_due(conn: AsyncConnection, exclude: Iterable[str] = ()) -> datetime | None:
    """When the next pending cue is due (ignoring the `exclude`d events, e.g. quarantined ones)."""
    if exclude:
        return (await conn.execute(_NEXT_DUE_EXCEPT, {"exclude": list(exclude)})).scalar()
    return (await conn.execute(_NEXT_DUE)).scalar()


def mark_cue_sync(conn: Connection, row, status: CueStatus, now: datetime, late_ms: int, note: str = "") -> bool:
    """Move a pending cue to fired/skipped; False if another pass got there first."""
    result = conn.execute(
        _MARK_CUE,
        {
            "k_event": row.event_id,
            "k_cue": row.cue_id,
            "v_status": status,
            "v_now": now,
            "v_late_ms": late_ms,
            "v_note": note or None,
            "v_updated": now,
        },
    )
    return result.rowcount == 1


async def last_delivery_seq(conn: AsyncConnection) -> int:
    """The highest delivery sequence number so far (0 for an empty table)."""
    return (await conn.execute(select(func.max(deliveries.c.seq)))).scalar() or 0


def add_deliveries_sync(
    conn: Connection,
    row,
    targets: list[str],
    now: datetime,
    expires_at: datetime,
    parked: dict[str, str],
    first_seq: int,
    lease_until: datetime | None = None,
    busy: set[tuple[str, str]] | None = None,
    claimed: list[dict] | None = None,
) -> int:
    """One delivery per target for a fired cue (parked at once if the target cannot be reached).

    One statement, in the transaction that marks the cue fired: sequence numbers come from the
    caller (read in that transaction). A conflicting row makes the insert fail, and with it the
    whole transaction, so a cue is never marked fired without its deliveries. Returns the next
    free number.

    With `lease_until`, a delivery whose lane (event, target) is not in `busy` is inserted already
    claimed for the sender (`sending`, leased, first attempt counted) and appended to `claimed`:
    it goes out straight after the commit, without a claim round trip. A lane with an unfinished
    older message keeps its order: the new one queues (`pending`) and the lane stays in `busy`.
    """
    values = []
    for seq, target in enumerate(targets, start=first_seq):
        problem = parked.get(target)
        lane = (row.event_id, target)
        mine = not problem and lease_until is not None and busy is not None and lane not in busy
        values.append(
            {
                "id": new_delivery_id(),
                "seq": seq,
                "event_id": row.event_id,
                "cue_id": row.cue_id,
                "target_id": target,
                "status": DeliveryStatus.PARKED
                if problem
                else DeliveryStatus.SENDING
                if mine
                else DeliveryStatus.PENDING,
                "attempts": 1 if mine else 0,
                "next_attempt_at": now,
                "lease_until": lease_until if mine else None,
                "expires_at": expires_at,
                "last_error": problem,
                "created_at": now,
            }
        )
        if mine and claimed is not None:
            claimed.append(values[-1])
        elif not problem and busy is not None:
            busy.add(lane)
    if values:
        conn.execute(_INSERT_DELIVERIES, values)
    return first_seq + len(values)


def firing_context_sync(conn: Connection, event_ids: Iterable[str] | None) -> tuple[int, set[tuple[str, str]] | None]:
    """What a firing transaction needs before it inserts deliveries, in one round trip: the highest
    delivery sequence number so far (0 for an empty table) and, for `event_ids` (None: not asked),
    their busy lanes: (event, target) lanes with an unfinished message (pending or being sent), where
    a new message must queue behind it to keep the target's order."""
    if event_ids is None:
        return conn.execute(_LAST_SEQ).one().seq or 0, None
    last, busy = 0, set()
    for row in conn.execute(_LAST_SEQ_AND_LANES, {"lanes": list(event_ids)}):
        if row.event_id is None:
            last = row.seq or 0
        else:
            busy.add((row.event_id, row.target_id))
    return last, busy


WORKER_COLUMNS = tuple(
    deliveries.c[name]
    for name in ("id", "seq", "event_id", "cue_id", "target_id", "status", "attempts", "expires_at", "created_at")
)


async def claimable(conn: AsyncConnection, now: datetime, exclude: Iterable[str] = ()) -> list:
    """Deliveries that may be attempted now (pending and due, or a dead process's expired lease):
    the columns the worker reads (a SQLite timestamp costs a parse per row and column)."""
    query = (
        select(*WORKER_COLUMNS)
        .where(
            or_(
                and_(deliveries.c.status == DeliveryStatus.PENDING, deliveries.c.next_attempt_at <= now),
                and_(deliveries.c.status == DeliveryStatus.SENDING, deliveries.c.lease_until < now),
            )
        )
        .order_by(deliveries.c.event_id, deliveries.c.target_id, deliveries.c.seq)
    )
    if exclude:
        query = query.where(deliveries.c.event_id.not_in(list(exclude)))
    return list((await conn.execute(query)).all())


async def blocked_targets(conn: AsyncConnection, now: datetime) -> set[tuple[str, str]]:
    """Targets whose oldest unfinished delivery is still waiting for its retry time (keeps order)."""
    query = select(deliveries.c.event_id, deliveries.c.target_id).where(
        deliveries.c.status.in_(DELIVERY_UNFINISHED),
        or_(
            deliveries.c.next_attempt_at > now,
            and_(deliveries.c.status == DeliveryStatus.SENDING, deliveries.c.lease_until >= now),
        ),
    )
    return {(r.event_id, r.target_id) for r in await conn.execute(query)}


async def lease(conn: AsyncConnection, did: str, now: datetime, until: datetime) -> bool:
    """Claim a delivery for one attempt; False if someone else holds it."""
    result = await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.id == did,
            or_(
                deliveries.c.status == DeliveryStatus.PENDING,
                and_(deliveries.c.status == DeliveryStatus.SENDING, deliveries.c.lease_until < now),
            ),
        )
        .values(status=DeliveryStatus.SENDING, lease_until=until, attempts=deliveries.c.attempts + 1)
    )
    return result.rowcount == 1


async def claim(conn: AsyncConnection, ids: list[str], now: datetime, until: datetime) -> set[str]:
    """Lease several deliveries at once (one statement); returns the ids actually claimed."""
    free = or_(
        deliveries.c.status == DeliveryStatus.PENDING,
        and_(deliveries.c.status == DeliveryStatus.SENDING, deliveries.c.lease_until < now),
    )
    result = await conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(ids), free)
        .values(status=DeliveryStatus.SENDING, lease_until=until, attempts=deliveries.c.attempts + 1)
        .returning(deliveries.c.id)
    )
    return {r.id for r in result}


# What composing a message or doing a Zoom action reads of a cue: not its target list (JSON) nor its
# bookkeeping (updated_at, superseded_by, caused_by), parsed per row for nothing.
SENDING_CUE_COLUMNS = tuple(c for c in cues.c if c.name not in ("targets", "updated_at", "superseded_by", "caused_by"))


async def cues_of(conn: AsyncConnection, rows: Iterable) -> dict[tuple[str, str], object]:
    """The cue rows behind some deliveries, by (event id, cue id): one query per event."""
    by_event: dict[str, set[str]] = {}
    for r in rows:
        by_event.setdefault(r.event_id, set()).add(r.cue_id)
    found: dict[tuple[str, str], object] = {}
    for event_id, cue_ids in by_event.items():  # (a row-value IN over both columns was a tenth of B3's time)
        query = select(*SENDING_CUE_COLUMNS).where(cues.c.event_id == event_id, cues.c.cue_id.in_(list(cue_ids)))
        found.update({(r.event_id, r.cue_id): r for r in await conn.execute(query)})
    return found


async def release_leases(conn: AsyncConnection) -> int:
    """Put every leased delivery back in the queue; returns how many.

    Only for a worker that is starting: Showcaller runs one process per database, so a lease
    found then was left by a process that died mid-attempt. Waiting for it to time out would
    hold that target's whole lane back; sending again is safe because the id is the same.
    """
    result = await conn.execute(
        update(deliveries)
        .where(deliveries.c.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.PENDING, lease_until=None)
    )
    return result.rowcount


async def finish(conn: AsyncConnection, did: str, **values) -> None:
    """Record the outcome of an attempt."""
    await conn.execute(update(deliveries).where(deliveries.c.id == did).values(lease_until=None, **values))


async def finish_many(conn: AsyncConnection, outcomes: list[tuple[str, dict]]) -> None:
    """Record many outcomes: one executemany per shape of values instead of a statement each."""
    shapes: dict[tuple[str, ...], list[dict]] = {}
    for did, values in outcomes:
        shapes.setdefault(tuple(sorted(values)), []).append({"b_id": did, **{f"b_{k}": v for k, v in values.items()}})
    for keys, params in shapes.items():
        statement = (
            update(deliveries)
            .where(deliveries.c.id == bindparam("b_id"))
            .values(lease_until=None, **{k: bindparam(f"b_{k}") for k in keys})
        )
        await conn.execute(statement, params)


async def next_attempt(conn: AsyncConnection) -> datetime | None:
    """When the next pending delivery may be attempted."""
    query = select(func.min(deliveries.c.next_attempt_at)).where(deliveries.c.status == DeliveryStatus.PENDING)
    return (await conn.execute(query)).scalar()


async def list_deliveries(conn: AsyncConnection, event_id: str, status: str | None = None) -> list:
    """Deliveries of an event, newest first, optionally by status."""
    query = select(deliveries).where(deliveries.c.event_id == event_id)
    if status:
        query = query.where(deliveries.c.status == status)
    return list((await conn.execute(query.order_by(deliveries.c.seq.desc()))).all())


async def list_cues(conn: AsyncConnection, event_id: str) -> list:
    """Every cue of an event in time order (held ones last)."""
    query = select(cues).where(cues.c.event_id == event_id).order_by(cues.c.due_at.is_(None), cues.c.due_at)
    return list((await conn.execute(query)).all())


async def get_delivery(conn: AsyncConnection, did: str):
    """One delivery row, or None."""
    return (await conn.execute(select(deliveries).where(deliveries.c.id == did))).first()


async def resend(conn: AsyncConnection, did: str, now: datetime, until: datetime) -> bool:
    """Queue a failed (parked or expired) delivery again under its own id; False if it is not failed.

    A sent delivery is never queued again this way: that would post the message twice."""
    result = await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == did, deliveries.c.status.in_(DELIVERY_FAILED))
        .values(status=DeliveryStatus.PENDING, next_attempt_at=now, expires_at=until, last_error=None)
    )
    return result.rowcount == 1


async def resend_again(conn: AsyncConnection, original, now: datetime, until: datetime) -> str:
    """A deliberate repeat: a new delivery (new id, next number) of the same cue to the same target,
    recorded with `resend_of`. Call under the engine's lock (it numbers deliveries too)."""
    did = new_delivery_id()
    await conn.execute(
        insert(deliveries).values(
            id=did,
            seq=await last_delivery_seq(conn) + 1,
            event_id=original.event_id,
            cue_id=original.cue_id,
            target_id=original.target_id,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            expires_at=until,
            created_at=now,
            resend_of=original.id,
        )
    )
    return did


async def target_deliveries(conn: AsyncConnection, event_id: str, target_id: str, limit: int = 50) -> list:
    """The newest deliveries of one target of an event (the @zoom card's last failure), newest first."""
    query = select(deliveries).where(deliveries.c.event_id == event_id, deliveries.c.target_id == target_id)
    return list((await conn.execute(query.order_by(deliveries.c.seq.desc()).limit(limit))).all())
