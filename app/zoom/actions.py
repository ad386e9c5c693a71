"""The Zoom pseudo-target's sender: a fired `zoom_action` cue becomes one call to Zoom's live controls.

The delivery worker hands each delivery to `@zoom` (schedules/zoom_actions.py) to `ZoomActions.send`
instead of a chat webhook, so a Zoom action gets the outbox's exactly-once claim, its retries and
its lateness policy like any message. The answer is a `DeliveryOutcome`:

- ok: Zoom accepted it, or Zoom's state already is what the action wants (a recording already
  running is not started twice);
- retry (with Zoom's Retry-After): 429, the meeting not started yet (404/3001), or an idempotent
  call (the waiting-room text) that failed without an answer or with a 5xx;
- permanent (parked, with the reason for the hosts): no licence or account setting, a bad request,
  no meeting applied, a missing stream variable, and a non-idempotent write (recording move, stream
  start or stop) whose failure was ambiguous and whose effect Zoom's state could not confirm. That
  one is never sent again blindly: `LiveControls.control_recording` reads the recording state from
  the `recording.*` webhooks in the inbox first, and gives up when they do not tell.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.engine.service import RunEngine
from app.store import attendance_repo
from app.zoom.access import ZoomAccess
from app.zoom.journal import stored
from integrations.notifiers.outcome import DeliveryOutcome, DeliveryResult
from integrations.zoom import ZoomError, ZoomNotFound, ZoomRateLimited
from integrations.zoom.errors import ZoomServerError, ZoomTransportError, explain
from integrations.zoom.live_client import RECORDING_MOVES, RecordingState, ambiguous, recording_state_from_events
from schedules.adjustments import Announce
from schedules.model import Schedule

NOT_IDEMPOTENT = {"recording.start", "recording.stop", "recording.pause", "recording.resume"}
NOT_IDEMPOTENT |= {"livestream.start", "livestream.stop"}
NOT_STARTED = "the meeting has not started"
NO_MEETING = "the event has no Zoom meeting yet"
ACTOR = "zoom"  # who the run log says posted a failure notice


async def tell_hosts(engine: RunEngine, event_id: str, cue: Any, reason: str) -> bool:
    """Post the failure notice of a Zoom action to the hosts' targets, once per action (False: it
    was posted already). It is an announcement in the run log, as the readiness follow-up is."""
    loaded = engine.loaded(event_id)
    schedule = loaded.rundown
    hosts = tuple(t.id for t in schedule.targets if t.hosts)
    notice = failure_notice(cue, reason, hosts)
    ident = notice(engine.clock.now()).announcement_id
    if any(isinstance(a, Announce) and a.announcement_id == ident for a in loaded.actions):
        return False
    await engine.act(event_id, notice, actor=ACTOR)
    return True


def failure_notice(cue: Any, reason: str, hosts: tuple[str, ...]) -> Callable[[datetime], Announce]:
    """The hosts' notice that a Zoom action failed: one per action (its id names the cue), so a
    retry that fails again does not post it twice."""
    ident = "zoom-failed-" + str(cue.cue_id).removeprefix("zoom_action/").replace("/", "-")
    title = str(getattr(cue, "title", "") or cue.cue_id)
    message = f"Zoom action failed: {title}. {reason}. Do it by hand in Zoom if it is still needed."
    return lambda at: Announce(at, announcement_id=ident[:64], message=message, targets=hosts)


def _ok(note: str = "") -> DeliveryOutcome:
    return DeliveryOutcome(DeliveryResult.ok, status_code=202, answer=note)


def _failed(result: DeliveryResult, why: str, exc: ZoomError | None = None) -> DeliveryOutcome:
    return DeliveryOutcome(
        result,
        status_code=(exc.status or None) if exc is not None else None,
        vendor_code=str(exc.code) if exc is not None and exc.code is not None else None,
        retry_after=getattr(exc, "retry_after", None),
        error=why,
    )


class ZoomActions:
    """Sends fired Zoom actions to the event's meeting (the one `apply` recorded).

    `meeting` answers an event's (meeting or webinar number, kind) or None; `webhooks` a meeting's
    recording-state webhooks (parsed bodies): `in_database(db)` gives both from the store."""

    def __init__(
        self,
        meeting: Callable[[str], Awaitable[tuple[int, str] | None]],
        webhooks: Callable[[str], Awaitable[list[Mapping[str, Any]]]],
        access: Callable[[Schedule], AbstractAsyncContextManager[ZoomAccess]],
        env: Callable[[str], str | None],
        report: Callable[[str, Any, str], Awaitable[None]] | None = None,
    ) -> None:
        self.meeting, self.webhooks, self.access, self.env = meeting, webhooks, access, env
        # (event id, cue row, reason): tells the hosts an action failed (a failure that will not
        # mend by itself: parked; or the meeting not started, which the hosts must fix).
        self.report = report

    @classmethod
    def in_database(
        cls,
        db: AsyncEngine,
        access: Callable[[Schedule], AbstractAsyncContextManager[ZoomAccess]],
        env: Callable[[str], str | None],
        report: Callable[[str, Any, str], Awaitable[None]] | None = None,
    ) -> ZoomActions:
        """The sender for a running service: the meeting `apply` recorded, the webhooks in the inbox."""

        async def meeting(event_id: str) -> tuple[int, str] | None:
            found = await stored(db, event_id)
            return None if found is None else (int(found.zoom_id), str(found.kind))

        async def webhooks(meeting_id: str) -> list[Mapping[str, Any]]:
            async with db.begin() as conn:
                bodies = await attendance_repo.recording_webhooks(conn, meeting_id)
            events = []
            for body in bodies:
                try:
                    events.append(json.loads(body))
                except ValueError:
                    continue
            return events

        return cls(meeting, webhooks, access, env, report)

    async def recording_state(self, meeting_id: int | str) -> RecordingState | None:
        """What the `recording.*` webhooks tell of the meeting's recording (None: nothing yet)."""
        return recording_state_from_events(await self.webhooks(str(meeting_id)), meeting_id)

    async def send(self, event_id: str, schedule: Schedule, cue: Any) -> DeliveryOutcome:
        """Do the cue's action in Zoom (see the module's docstring for what each answer means); a
        failure the hosts must act on is reported to them with its reason."""
        outcome = await self._send(event_id, schedule, cue)
        # No meeting applied: the Zoom side is not set up at all (doctor and apply say so before the
        # day); the parked delivery shows it in the console, with no notice per action.
        must_act = (outcome.result is DeliveryResult.permanent and NO_MEETING not in (outcome.error or "")) or (
            outcome.result is DeliveryResult.retry and NOT_STARTED in (outcome.error or "")
        )
        if must_act and self.report is not None:
            await self.report(event_id, cue, outcome.error or "failed")
        return outcome

    async def _send(self, event_id: str, schedule: Schedule, cue: Any) -> DeliveryOutcome:
        data = cue.data or {}
        action = str(data.get("action", ""))
        found = await self.meeting(event_id)
        if found is None:
            return _failed(
                DeliveryResult.permanent,
                f"{action}: {NO_MEETING}; run `showcaller apply` before the day",
            )
        meeting_id, webinar = found[0], found[1] == "webinar"
        try:
            async with self.access(schedule) as zoom:
                return await self._do(zoom, schedule, meeting_id, webinar, action, data)
        except ZoomRateLimited as exc:
            if exc.daily:
                return _failed(DeliveryResult.permanent, f"{action}: {explain(exc)}", exc)
            return _failed(DeliveryResult.retry, f"{action}: Zoom is rate-limiting (429); tried again", exc)
        except ZoomNotFound as exc:
            return _failed(
                DeliveryResult.retry,
                f"{action}: {NOT_STARTED} or was not found in Zoom ({exc.message}); "
                "tried again until the action no longer matters",
                exc,
            )
        except ZoomError as exc:
            if action not in NOT_IDEMPOTENT and isinstance(exc, ZoomServerError | ZoomTransportError):
                return _failed(DeliveryResult.retry, f"{action}: {explain(exc)}", exc)
            if action in NOT_IDEMPOTENT and ambiguous(exc):
                return _failed(
                    DeliveryResult.permanent,
                    f"{action}: Zoom may have applied it ({explain(exc)}) and its state does not tell; "
                    "not sent again: check Zoom and do it by hand if needed",
                    exc,
                )
            return _failed(DeliveryResult.permanent, f"{action}: Zoom refused it: {exc.message}", exc)

    async def _do(
        self, zoom: ZoomAccess, schedule: Schedule, meeting_id: int, webinar: bool, action: str, data: dict
    ) -> DeliveryOutcome:
        client = zoom.client
        if action.startswith("recording."):
            move = action.removeprefix("recording.")
            if move not in RECORDING_MOVES:
                return _failed(DeliveryResult.permanent, f"unknown Zoom action '{action}'")
            # Zoom's state first: a move already made (by hand, or by an attempt whose answer was
            # lost) is not sent again.
            if await self.recording_state(meeting_id) == RECORDING_MOVES[move][1]:
                return _ok(f"the recording already is {RECORDING_MOVES[move][1]}")
            sent = await client.control_recording(meeting_id, move, probe=self.recording_state)  # type: ignore[arg-type]  # checked above
            return _ok("" if sent else f"the recording already was {RECORDING_MOVES[move][1]}")
        if action == "waiting_room.update":
            await client.update_waiting_room(
                meeting_id, title=str(data.get("room_title") or schedule.event.title), description=str(data["text"])
            )
            return _ok()
        if action in ("livestream.start", "livestream.stop"):
            stream = schedule.zoom.livestream
            if stream is None:
                return _failed(DeliveryResult.permanent, f"{action}: the schedule has no zoom.livestream")
            if action == "livestream.start":
                url, key = self.env(stream.url_env) or "", self.env(stream.key_env) or ""
                missing = [name for name, value in ((stream.url_env, url), (stream.key_env, key)) if not value]
                if missing:
                    return _failed(
                        DeliveryResult.permanent, f"{action}: set {' and '.join(missing)} (the stream's URL and key)"
                    )
                await client.update_livestream(
                    meeting_id,
                    stream_url=url,
                    stream_key=key,
                    page_url=stream.page_url,
                    webinar=webinar,
                )
                await client.set_livestream_status(meeting_id, "start", webinar=webinar)
            else:
                await client.set_livestream_status(meeting_id, "stop", webinar=webinar)
            return _ok()
        return _failed(DeliveryResult.permanent, f"unknown Zoom action '{action}'")
