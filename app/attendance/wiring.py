"""Hooks attendance into a Runtime: started after the engine, stopped before the database."""

from __future__ import annotations

from app.attendance.readiness import Readiness
from app.attendance.service import AttendanceService


async def start(runtime, process: bool = True) -> None:
    """Build the attendance service, install the readiness hook, catch up on the inbox, run it.

    `process=False` (a standby instance): webhooks are stored, but the inbox is processed by the
    dispatching instance only; `process()` starts that part when this instance takes over."""
    readiness: Readiness | None = None

    async def changed(event_id: str) -> None:
        runtime.changed(event_id, "attendance")  # this instance's streams and the other instances'
        if readiness is not None:
            await readiness.follow_up(event_id)

    service = AttendanceService(
        runtime.db,
        runtime.clock.now,
        client_factory=getattr(runtime, "zoom_client_factory", None),
        on_change=changed,
    )
    readiness = Readiness(service, runtime.engine)
    readiness.install()
    runtime.attendance = service
    runtime.readiness = readiness
    if process:
        await service.start()


async def process(runtime) -> None:
    """Process the inbox from now on (this instance became the dispatcher)."""
    await runtime.attendance.start()


async def stop(runtime) -> None:
    """Stop the background tasks (idempotent; safe if start never ran)."""
    service = getattr(runtime, "attendance", None)
    if service is not None:
        await service.stop()
