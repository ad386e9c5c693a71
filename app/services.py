"""Services: the started parts of one process, built once by the composition root (app/bootstrap.py).

Every field is there for as long as the service runs; nothing is assigned after it is built. Routes
read it through `app.api.deps` (RuntimeDep), the CLI and the rehearsal from `bootstrap.started()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.attendance.readiness import Readiness
from app.attendance.service import AttendanceService
from app.cluster.member import Member
from app.cluster.stream_access import StreamGuard
from app.core.config import Settings
from app.core.metrics import Metrics
from app.core.vocabulary import InstanceRole
from app.engine.broadcast import Broadcaster
from app.engine.clock import Clock
from app.engine.delivery import DeliveryWorker
from app.engine.lookups import Lookups
from app.engine.service import RunEngine
from app.engine.targets import Resolved
from app.engine.timer import CueTimer
from app.run.action_links import ActionLinks
from app.run.chat_clicks import ChatClicks
from app.run.schedule_worker import BoundedParser
from app.run.service import RunService
from app.stage.presence import StagePresence
from integrations.zoom import ZoomClient
from schedules.i18n import CatalogSearch
from schedules.model import Schedule


@dataclass(frozen=True)
class Services:
    """Database, HTTP client, engine, run service, delivery worker, timer, attendance and streams."""

    settings: Settings
    clock: Clock
    # This process among the instances on one database (logs, /readyz).
    instance_id: str
    db: AsyncEngine
    http: httpx.AsyncClient
    metrics: Metrics
    broadcaster: Broadcaster
    engine: RunEngine
    lookups: Lookups
    run: RunService
    worker: DeliveryWorker
    timer: CueTimer
    attendance: AttendanceService
    readiness: Readiness
    member: Member
    # Open event streams (ended when their token's access ends) and presenter views, shared with
    # the other instances through the database.
    streams: StreamGuard
    presence: StagePresence
    # Parses uploaded schedules off the event loop, within bounds.
    schedule_parser: BoundedParser
    # Events that could not be loaded at start-up: id -> reason (the engine fills it; /readyz lists it).
    quarantined: dict[str, str]
    # Something outside the engine changed an event (a delivery outcome, attendance, a Zoom apply):
    # tell this instance's streams now, and the other instances' through the database.
    changed: Callable[[str, str], None]
    # Builds a Zoom client (reconciliation, apply); None in the sandbox, where each use makes its own.
    zoom_client_factory: Callable[[], ZoomClient] | None
    # The action buttons of host chat messages: made as a message is composed, pressed on /act/.
    action_links: ActionLinks
    # Native buttons of targets in mode app: their callbacks (/chat/.../interactions) carried out once.
    chat_clicks: ChatClicks
    # Where every reader of catalogs finds a locale's words: SHOWCALLER_CATALOGS, then the shipped
    # catalogs; with drafts only in a rehearsal's preview (`showcaller rehearse --drafts`).
    catalogs: CatalogSearch

    @property
    def role(self) -> InstanceRole:
        """Single, dispatcher or standby (a standby becomes the dispatcher when it takes over)."""
        return self.member.role

    def schedule(self, event_id: str) -> Schedule:
        return self.lookups.schedule(event_id)

    def targets(self, event_id: str) -> Resolved:
        return self.lookups.targets(event_id)

    def forget_targets(self, event_id: str) -> None:
        self.lookups.forget_targets(event_id)

    def event_links(self, event_id: str) -> list[tuple[str, str]]:
        return self.lookups.event_links(event_id)

    async def refresh_links(self) -> None:
        await self.lookups.refresh_links()

    def running(self) -> dict[str, bool]:
        """Whether the cue timer and the delivery worker are running (for /readyz)."""
        return self.member.running()

    def cluster_status(self) -> dict[str, Any]:
        """This instance's id, role, and whether it follows the others' changes (for /readyz)."""
        return self.member.status()
