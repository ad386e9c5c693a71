"""After a meeting ends, fetch Zoom's past-participants list and keep it to fill webhook gaps."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.store import attendance_repo
from app.store.attendance_rows import PastRow
from integrations.zoom.errors import ZoomError, ZoomNotFound

log = logging.getLogger("showcaller.attendance")
ClientFactory = Callable[[], Any]
# Zoom needs a while after the end to publish the list (and may show 0 durations meanwhile).
BACKOFF = (
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
)
MAX_ATTEMPTS = len(BACKOFF) + 1


def past_rows(meeting_uuid: str, rows: list[Any]) -> list[PastRow]:
    """Client models (PastParticipant) -> PastRow, skipping breakout rows and rows without times."""
    out = []
    for r in rows:
        if getattr(r, "bo_mtg_id", None) or r.join_time is None:
            continue
        leave = r.leave_time or (r.join_time + timedelta(seconds=r.duration or 0))
        out.append(
            PastRow(
                meeting_uuid,
                r.user_id or None,
                r.join_time,
                leave,
                r.name or None,
                r.user_email or None,
                r.id or None,
                r.registrant_id or None,
            )
        )
    return out


class Reconciler:
    """Queues one fetch per ended instance and runs due fetches, retrying with backoff."""

    def __init__(
        self,
        db: AsyncEngine,
        clock: Callable[[], datetime],
        client_factory: ClientFactory | None,
        *,
        delay: timedelta = timedelta(minutes=1),
        on_done: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.db, self.clock, self.client_factory = db, clock, client_factory
        self.delay, self.on_done = delay, on_done

    async def request(self, meeting_uuid: str, meeting_id: str, obj: str) -> None:
        """Queue reconciliation of an instance (idempotent)."""
        now = self.clock()
        async with self.db.begin() as conn:
            await attendance_repo.request_reconciliation(conn, meeting_uuid, meeting_id, obj, now + self.delay, now)

    async def _client(self) -> Any:
        client = self.client_factory()  # type: ignore[misc]  # set when reconciliation is on
        return await client if inspect.isawaitable(client) else client

    async def run_due(self) -> int:
        """Run every fetch that is due now; returns how many instances were reconciled."""
        if self.client_factory is None:
            return 0
        now = self.clock()
        async with self.db.begin() as conn:
            due = await attendance_repo.due_reconciliations(conn, now)
        done = 0
        for job in due:
            done += await self._attempt(job, now)
        return done

    async def _attempt(self, job, now: datetime) -> int:
        attempts = job.attempts + 1
        try:
            client = await self._client()
            rows = await client.list_past_participants(job.meeting_uuid, webinar=job.object == "webinar")
        except ZoomError as exc:
            final = attempts >= MAX_ATTEMPTS or not (exc.retryable or isinstance(exc, ZoomNotFound))
            await self._retry(job.meeting_uuid, attempts, now, str(exc), final)
            return 0
        rows = past_rows(job.meeting_uuid, rows)
        if (not rows or all(r.leave_time == r.join_time for r in rows)) and attempts < 3:
            await self._retry(job.meeting_uuid, attempts, now, "Zoom has not published durations yet", False)
            return 0
        async with self.db.begin() as conn:
            await attendance_repo.replace_past_rows(conn, job.meeting_id, job.meeting_uuid, rows)
            await attendance_repo.update_reconciliation(
                conn,
                job.meeting_uuid,
                status="done",
                attempts=attempts,
                rows=len(rows),
                error=None,
                updated_at=now,
            )
        log.info("reconciled %s: %d past-participant rows", job.meeting_uuid, len(rows))
        await self._registrants(client, job.meeting_id, job.object, now)
        if self.on_done is not None:
            await self.on_done(job.meeting_id)
        return 1

    async def _registrants(self, client: Any, meeting_id: str, kind: str, now: datetime) -> None:
        """After the event, who registered (for the post-event pack); a failure never undoes the rows."""
        from app.attendance.registrants import fetch_registrants

        async with self.db.begin() as conn:
            if not await attendance_repo.registration_on(conn, meeting_id):
                return
        try:
            count = await fetch_registrants(self.db, client, meeting_id, kind, now)
        except ZoomError as exc:
            log.warning(
                "could not fetch the registrants of %s: %s (showcaller report --fetch retries)", meeting_id, exc
            )
            return
        log.info("fetched %d registrants of %s", count, meeting_id)

    async def _retry(self, uuid: str, attempts: int, now: datetime, error: str, final: bool) -> None:
        log.warning("reconciliation of %s failed (attempt %d): %s", uuid, attempts, error)
        values: dict[str, Any] = {"attempts": attempts, "error": error[:1000], "updated_at": now}
        if final:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = now + BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
        async with self.db.begin() as conn:
            await attendance_repo.update_reconciliation(conn, uuid, **values)
