"""Deliveries: list what was sent, what failed (with the receiver's answer) and send again."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, FastAPI

from app.api.deps import EventId, Host, RuntimeDep, Viewer
from app.api.openapi import error
from app.core.errors import Conflict, NotFound
from app.core.vocabulary import DELIVERY_FAILED, DELIVERY_UNFINISHED, FAILED_FILTER, DeliveryStatus
from app.store import outbox_repo
from app.views.times import iso_utc

router = APIRouter(prefix="/api", tags=["deliveries"])
log = logging.getLogger("showcaller.deliveries")
# The query parameter as the API documents it (an enum in the OpenAPI schema): the delivery statuses a
# client can see, and "failed" for parked or expired; tests/core/test_vocabulary.py keeps it in step.
Status = Literal["pending", "sending", "sent", "parked", "expired", "failed"]


def _out(row) -> dict:
    return {
        "id": row.id,
        "cue_id": row.cue_id,
        "target": row.target_id,
        "status": row.status,
        "attempts": row.attempts,
        "last_status": row.last_status,
        "error": row.last_error,
        "created_at": iso_utc(row.created_at),
        "sent_at": iso_utc(row.sent_at) if row.sent_at else None,
        "next_attempt_at": iso_utc(row.next_attempt_at),
        "resend_of": row.resend_of,
    }


@router.get("/events/{event_id}/deliveries", summary="Deliveries of an event (status=failed: parked or expired)")
async def list_deliveries(event_id: EventId, runtime: RuntimeDep, _: Viewer, status: Status | None = None):
    async with runtime.db.begin() as conn:
        if status == FAILED_FILTER:
            rows = [
                row for failed in DELIVERY_FAILED for row in await outbox_repo.list_deliveries(conn, event_id, failed)
            ]
        else:
            rows = await outbox_repo.list_deliveries(conn, event_id, status)
    return [_out(r) for r in rows]


@router.post(
    "/deliveries/{delivery_id}/resend",
    summary="Send a failed delivery again (same webhook id); ?again=true: a new delivery",
    responses={
        404: error("no such delivery"),
        409: error("already sent (add ?again=true), or still being delivered"),
    },
)
async def resend(delivery_id: str, runtime: RuntimeDep, caller: Host, again: bool = False):
    """A failed (parked or expired) delivery is queued again under its own webhook id. One that was
    sent answers 409: sending it again would post the message twice. `?again=true` deliberately
    makes a new delivery of the same cue to the same target, with a new id and `resend_of` set."""
    now = runtime.clock.now()
    until = now + timedelta(minutes=15)
    async with runtime.engine.writing() as conn:
        row = await outbox_repo.get_delivery(conn, delivery_id)
        if row is None:
            raise NotFound(f"no delivery '{delivery_id}'")
        if again:
            if row.status in DELIVERY_UNFINISHED:
                raise Conflict(f"delivery '{delivery_id}' is still being delivered ({row.status})")
            new_id = await outbox_repo.resend_again(conn, row, now, until)
        elif row.status in DELIVERY_FAILED:
            await outbox_repo.resend(conn, delivery_id, now, until)
        elif row.status == DeliveryStatus.SENT:
            raise Conflict(
                f"delivery '{delivery_id}' was already sent"
                f"{' at ' + iso_utc(row.sent_at) if row.sent_at else ''}; add ?again=true to send "
                "it once more as a new delivery (new webhook id)",
                delivery_status=DeliveryStatus.SENT,
            )
        else:
            raise Conflict(
                f"delivery '{delivery_id}' is still being delivered ({row.status})", delivery_status=row.status
            )
        await runtime.engine.announce(conn, row.event_id, "delivery")  # wakes the dispatching instance's worker
    runtime.worker.kick()
    if again:
        log.info("delivery %s sent again as new delivery %s by %s", delivery_id, new_id, caller.name)
        return {"id": new_id, "status": DeliveryStatus.PENDING, "resend_of": delivery_id}
    return {"id": delivery_id, "status": DeliveryStatus.PENDING}


def include(app: FastAPI) -> None:
    """Mount the delivery routes."""
    app.include_router(router)
