"""Deliveries: list what was sent, what failed (with the receiver's answer) and send again."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter

from app.api.deps import EventId, Host, RuntimeDep, Viewer
from app.errors import Conflict
from app.store import outbox_repo
from app.views import iso_utc

router = APIRouter(prefix="/api", tags=["deliveries"])
Status = Literal["pending", "sending", "sent", "parked", "expired", "failed"]


def _out(row) -> dict:
    return {"id": row.id, "cue_id": row.cue_id, "target": row.target_id, "status": row.status,
            "attempts": row.attempts, "last_status": row.last_status, "error": row.last_error,
            "created_at": iso_utc(row.created_at), "sent_at": iso_utc(row.sent_at) if row.sent_at else None,
            "next_attempt_at": iso_utc(row.next_attempt_at)}


@router.get("/events/{event_id}/deliveries", summary="Deliveries of an event (status=failed: parked or expired)")
async def list_deliveries(event_id: EventId, runtime: RuntimeDep, _: Viewer, status: Status | None = None):
    async with runtime.db.begin() as conn:
        if status == "failed":
            rows = [*await outbox_repo.list_deliveries(conn, event_id, "parked"),
                    *await outbox_repo.list_deliveries(conn, event_id, "expired")]
        else:
            rows = await outbox_repo.list_deliveries(conn, event_id, status)
    return [_out(r) for r in rows]


@router.post("/deliveries/{delivery_id}/resend", summary="Send a failed delivery again (same webhook id)")
async def resend(delivery_id: str, runtime: RuntimeDep, _: Host):
    now = runtime.clock.now()
    async with runtime.db.begin() as conn:
        ok = await outbox_repo.resend(conn, delivery_id, now, now + timedelta(minutes=15))
    if not ok:
        raise Conflict(f"delivery '{delivery_id}' does not exist or is not parked, expired or sent")
    runtime.worker.kick()
    return {"id": delivery_id, "status": "pending"}
