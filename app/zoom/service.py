"""The one Zoom set-up service: plan, apply and host links for a schedule.

The CLI, the REST API and the rehearsal all call it; they only format its answers. Every step
of apply is written to the database as it happens (app/zoom/journal.py), so a failed or
interrupted apply is resumed by the next one without repeating what Zoom already did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.engine.targets import resolve_targets
from app.zoom.access import SANDBOX_BASE, ZoomAccess, zoom_access
from app.zoom.doctor import DoctorReport, check_date, check_stage_panelists, check_targets, check_webhook, slug
from app.zoom.extras import converge_polls, converge_survey
from app.zoom.journal import (
    db_journal,
    forget_pending_create,
    links_of,
    other_ids,
    pending_create,
    record_object,
    record_start_url,
    stored,
)
from app.zoom.mapping import ZoomSetupError, sandbox_users, spec_from_schedule
from integrations.zoom import (
    ApplyResult,
    ChangePlan,
    MeetingSpec,
    ZoomClient,
    ZoomError,
    ZoomRateLimited,
    converge,
    fetch_state,
    find_created,
    plan_changes,
)
from integrations.zoom.errors import explain
from integrations.zoom.preflight import preflight
from schedules.model import Schedule

if TYPE_CHECKING:  # (the emulator is imported where the sandbox is used: app/zoom/access.py)
    from integrations.zoom_emulator import ZoomEmulator

log = logging.getLogger(__name__)

# Zoom: a start_url "expires after 2 hours" (API notes §3); refresh well before that.
START_URL_MAX_AGE = timedelta(minutes=90)


@dataclass
class Planned:
    """What apply would do (a dry run): the plan and what was found on the way."""

    plan: ChangePlan
    sandbox: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class Applied:
    """What apply did."""

    plan: ChangePlan
    result: ApplyResult
    sandbox: bool
    doctor: DoctorReport | None = None


@dataclass
class ManyApplied:
    """What an apply of several schedules did: done, failed (with why), and what a stop left."""

    done: list[tuple[str, Applied]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    stopped: str | None = None


class DoctorFailed(Exception):
    """A pre-flight check failed, so apply did not write to Zoom."""

    def __init__(self, report: DoctorReport) -> None:
        super().__init__("; ".join(f"{c.name}: {c.detail}" for c in report.failures))
        self.report = report


class ZoomSetup:
    """Plans and applies a schedule's Zoom object and keeps its host link fresh."""

    def __init__(
        self,
        db: AsyncEngine,
        settings: Settings,
        now: Callable[[], datetime],
        *,
        client_factory: Callable[[], ZoomClient] | None = None,
        emulator: ZoomEmulator | None = None,
        http: httpx.AsyncClient | None = None,
        event_hooks: dict | None = None,
    ) -> None:
        self.db = db
        self.event_hooks = event_hooks  # on the Zoom clients it makes (the service's metrics count calls)
        self.settings = settings
        self.now = now
        self.client_factory = client_factory
        self.emulator = emulator
        self.http = http  # for the webhook probe; a short-lived client when None

    @classmethod
    def for_runtime(cls, runtime: Any) -> ZoomSetup:
        """The service on a running service's database, clock and Zoom client."""
        settings = runtime.settings
        hooks = runtime.metrics.zoom_hooks(settings.zoom_api_base, settings.zoom_oauth_base, SANDBOX_BASE)
        return cls(
            runtime.db,
            settings,
            runtime.clock.now,
            client_factory=runtime.zoom_client_factory,
            http=runtime.http,
            event_hooks=hooks,
        )

    @contextlib.asynccontextmanager
    async def access(self, schedules: Schedule | list[Schedule] | None) -> AsyncIterator[ZoomAccess]:
        """A Zoom client: the injected one, a given emulator, the real Zoom or the persisted sandbox.

        In the sandbox the schedules' hosts and alternative hosts are added to the emulated account.
        """
        if self.client_factory is not None and self.emulator is None:
            yield ZoomAccess(self.client_factory(), self.settings.sandbox)
            return
        many = schedules if isinstance(schedules, list) else [schedules] if schedules is not None else []
        users = tuple(dict.fromkeys(u for s in many for u in sandbox_users(s)))
        async with zoom_access(self.settings, users, emulator=self.emulator, event_hooks=self.event_hooks) as access:
            yield access

    async def _locate(self, client: ZoomClient, event_id: str) -> tuple[int | None, str | None, list[str]]:
        """The object apply should converge: one whose create answer was lost, else the recorded one."""
        row = await stored(self.db, event_id)
        intent = await pending_create(self.db, event_id)
        if intent is not None:
            found = await find_created(
                client, intent.kind, intent.host, intent.topic, intent.requested_at, await other_ids(self.db, event_id)
            )
            if found is not None:
                note = (
                    f"{intent.kind} {found.id} was created by an earlier apply whose answer was lost; "
                    "using it instead of creating another"
                )
                return found.id, intent.kind, [note]
        if row is not None:
            return row.zoom_id, row.kind, []
        return None, None, []

    async def plan(self, schedule: Schedule) -> Planned:
        """What apply would change in Zoom, without writing anything."""
        spec = spec_from_schedule(schedule)
        async with self.access(schedule) as access:
            existing, kind, notes = await self._locate(access.client, schedule.event.id)
            managed = spec.registration_form is not None
            state = (
                await fetch_state(access.client, kind, existing, questions=managed)  # type: ignore[arg-type]  # stored kind is meeting or webinar
                if existing is not None and kind
                else None
            )
            return Planned(plan_changes(spec, state), access.sandbox, notes)

    async def apply(
        self,
        schedule: Schedule,
        *,
        replace: bool = False,
        doctor: bool = True,
        access: ZoomAccess | None = None,
        skip: tuple[str, ...] = (),
    ) -> Applied:
        """Converge Zoom to the schedule, recording each step; `replace` allows deleting the old object.

        The doctor runs first (unless `doctor=False`; `skip` leaves named checks out); a failed check
        stops apply against the real Zoom (DoctorFailed). The day's checks (webhook, targets) are only
        warnings here: apply runs the week before, when the service need not answer yet. In the
        sandbox failures are reported and apply goes on: the emulated account is not the event's.
        """
        spec = spec_from_schedule(schedule)
        report = await self.doctor(schedule, access=access, skip=skip) if doctor else None
        if report is not None and not report.ok and not report.sandbox:
            raise DoctorFailed(report)
        if access is None:
            async with self.access(schedule) as opened:
                return await self._apply(opened, schedule, spec, replace, report)
        return await self._apply(access, schedule, spec, replace, report)

    async def _apply(
        self, access: ZoomAccess, schedule: Schedule, spec: MeetingSpec, replace: bool, report: DoctorReport | None
    ) -> Applied:
        event_id, now = schedule.event.id, self.now()
        existing, kind, notes = await self._locate(access.client, event_id)
        if existing is None:
            await forget_pending_create(self.db, event_id)
        journal = db_journal(self.db, event_id, spec, access.sandbox, now)
        plan, result = await converge(
            access.client,
            spec,
            existing,
            existing_kind=kind,  # type: ignore[arg-type]  # stored kind is meeting or webinar
            journal=journal,
            replace=replace,
        )
        result.notes[:0] = notes
        if result.id is not None:
            await record_object(self.db, event_id, spec.kind, links_of(result), spec, access.sandbox, now)
            # Polls and the survey, like the registration form: read, compare, write what differs.
            for extra in (converge_polls, converge_survey):
                done, writes = await extra(access.client, result.id, spec.kind == "webinar", schedule)
                result.notes += done
                result.write_calls += writes
        return Applied(plan, result, access.sandbox, report)

    async def apply_many(
        self,
        schedules: list[Schedule],
        *,
        replace: bool = False,
        doctor: bool = True,
        concurrency: int = 4,
        skip: tuple[str, ...] = (),
    ) -> ManyApplied:
        """Apply several schedules over one Zoom client (one token, one pacer), `concurrency` at a time.

        The pacer, not the number of workers, keeps the calls under Zoom's limits; workers only let
        one schedule's database work overlap another's wait. A schedule that fails is reported and
        the others go on; a spent daily limit stops the run cleanly and lists what is left to do.
        """
        out = ManyApplied()
        queue = list(enumerate(schedules))
        results: dict[int, Applied] = {}

        async def worker(access: ZoomAccess) -> None:
            while queue and out.stopped is None:
                index, schedule = queue.pop(0)
                event_id = schedule.event.id
                try:
                    results[index] = await self.apply(
                        schedule, replace=replace, doctor=doctor, access=access, skip=skip
                    )
                except ZoomRateLimited as exc:
                    if not exc.daily:
                        out.failed.append((event_id, f"Zoom rate limit: {exc.message}"))
                        continue
                    out.stopped = f"daily limit reached: {exc.message}"
                    out.left.append(event_id)
                except DoctorFailed as exc:
                    out.failed.append((event_id, f"pre-flight failed: {exc}"))
                except ZoomError as exc:
                    out.failed.append((event_id, explain(exc)))
                except ZoomSetupError as exc:
                    out.failed.append((event_id, str(exc)))

        async with self.access(schedules) as access:
            await asyncio.gather(*(worker(access) for _ in range(max(1, concurrency))))
        out.left += [s.event.id for _, s in queue]
        out.left.sort(key=[s.event.id for s in schedules].index)
        out.done = [(schedules[i].event.id, results[i]) for i in sorted(results)]
        return out

    async def doctor(
        self,
        schedule: Schedule,
        *,
        access: ZoomAccess | None = None,
        for_the_day: bool = False,
        skip: tuple[str, ...] = (),
    ) -> DoctorReport:
        """Read-only checks of everything the real Zoom would refuse or drop for this schedule.

        The day's checks (webhook endpoint, target variables) fail only `for_the_day`; `skip` names
        checks to leave out ("webhook-endpoint").
        """
        spec = spec_from_schedule(schedule)
        recording = schedule.zoom.recording.mode if schedule.zoom.recording else None
        if access is None:
            async with self.access(None) as opened:
                checks = await preflight(opened.client, spec, recording)
                sandbox = opened.sandbox
        else:
            checks = await preflight(access.client, spec, recording)
            sandbox = access.sandbox
        checks.append(check_stage_panelists(schedule))
        checks.append(check_date(spec, self.now()))
        if slug("webhook endpoint") not in {slug(n.strip().lower()) for n in skip}:  # no probe when skipped
            checks.append(await check_webhook(self.settings, self.http, self.now()))
        checks.append(check_targets(resolve_targets(schedule).problems))
        return DoctorReport(checks, sandbox).shaped(for_the_day=for_the_day, skip=skip)

    async def host_links(self, event_id: str) -> Any:
        """The recorded object with a start link younger than 90 minutes (read again from Zoom if older)."""
        row = await stored(self.db, event_id)
        if row is None:
            return None
        now = self.now()
        if row.start_url and row.start_url_at is not None and now - row.start_url_at < START_URL_MAX_AGE:
            return row
        if self._no_sandbox_yet():
            return row
        try:
            async with self.access(None) as access:
                current = await fetch_state(access.client, row.kind, row.zoom_id)
        except ZoomError as exc:
            log.warning("could not refresh the start link of %s: %s", event_id, exc)
            return row  # the stored link may still work; the host can reload later
        if current is None:
            return row  # deleted in Zoom: `apply` will say so; the old link is all there is
        await record_start_url(self.db, event_id, current.meeting.start_url, now)
        return await stored(self.db, event_id)

    def _no_sandbox_yet(self) -> bool:
        """The persisted sandbox has never been created, so it holds no meeting to read."""
        return (
            self.client_factory is None
            and self.emulator is None
            and self.settings.sandbox
            and not Path(self.settings.sandbox_state_path).exists()
        )
