"""What messages need per event, cached beside the engine: resolved targets and Zoom join links."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import env_value
from app.core.public_url import console_links
from app.engine.service import RunEngine
from app.engine.targets import Resolved, resolve_targets
from app.store import events_repo
from schedules.cue_words import JOIN_ZOOM
from schedules.model import Schedule
from schedules.zoom_actions import ZOOM_TARGET


class Lookups:
    """Resolved targets (the environment read once per load of a schedule) and join links (read
    again after a Zoom apply, here or on another instance)."""

    def __init__(
        self, engine: RunEngine, db: AsyncEngine, public_url: str | None, env_overrides: Mapping[str, str]
    ) -> None:
        self.engine, self.db, self.public_url, self.env_overrides = engine, db, public_url, env_overrides
        self.links: dict[str, list[tuple[str, str]]] = {}
        self._targets: dict[str, Resolved] = {}

    def schedule(self, event_id: str) -> Schedule:
        """The event's rundown: its schedule file with the live edits (schedules/rundown.py) applied."""
        return self.engine.loaded(event_id).rundown

    def targets(self, event_id: str) -> Resolved:
        """Resolved targets of an event (env read once per load of its schedule)."""
        if event_id not in self._targets:
            lookup = lambda name: self.env_overrides.get(name) or env_value(name)  # noqa: E731
            self._targets[event_id] = resolve_targets(self.schedule(event_id), lookup)
        return self._targets[event_id]

    def target_kind(self, event_id: str, target_id: str) -> str:
        """A target's kind (slack, teams, ...) for metrics; "zoom" for Zoom's live controls (the @zoom
        pseudo-target); "unknown" if the event no longer has it."""
        if target_id == ZOOM_TARGET:
            return "zoom"
        try:
            target = next((t for t in self.schedule(event_id).targets if t.id == target_id), None)
        except Exception:  # the event was removed meanwhile
            return "unknown"
        return target.kind.value if target is not None else "unknown"

    def forget_targets(self, event_id: str) -> None:
        self._targets.pop(event_id, None)

    def event_links(self, event_id: str) -> list[tuple[str, str]]:
        return [*console_links(self.public_url, event_id), *self.links.get(event_id, [])]

    async def refresh_links(self) -> None:
        """Cache each event's Zoom join link for messages."""
        async with self.db.begin() as conn:
            joins = await events_repo.join_links(conn)
        self.links = {event_id: [(JOIN_ZOOM, url)] for event_id, url in joins.items()}
