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
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.store import attendance_repo
from app.zoom.access import ZoomAccess
from app.zoom.journal import stored
from integrations.notifiers.outcome import DeliveryOutcome, DeliveryResult
from integrations.zoom import ZoomError, ZoomNotFound, ZoomRateLimited
from integrations.zoom.errors import ZoomServerError, ZoomTransportError, explain
from integrations.zoom.live_client import RECORDING_MOVES, RecordingState, ambiguous, recording_state_from_events
from schedules.model import Schedule

NOT_IDEMPOTENT = {"recording.start", "recording.stop", "recording.pause", "recording.resume"}
NOT_IDEMPOTENT |= {"livestream.start", "livestream.stop"}


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
    ) -> None:
        self.meeting, self.webhooks, self.access, self.env = meeting, webhooks, access, env

    @classmethod
    def in_database(
        cls,
        db: AsyncEngine,
        access: Callable[[Schedule], AbstractAsyncContextManager[ZoomAccess]],
        env: Callable[[str], str | None],
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

        return cls(meeting, webhooks, access, env)

    async def recording_state(self, meeting_id: int | str) -> RecordingState | None:
        """What the `recording.*` webhooks tell of the meeting's recording (None: nothing yet)."""
        return recording_state_from_events(await self.webhooks(str(meeting_id)), meeting_id)

    async def send(self, event_id: str, schedule: Schedule, cue: Any) -> DeliveryOutcome:
        """Do the cue's action in Zoom (see the module's docstring for what each answer means)."""
        data = cue.data or {}
        action = str(data.get("action", ""))
        found = await self.meeting(event_id)
        if found is None:
            return _failed(
                DeliveryResult.permanent,
                f"{action}: the event has no Zoom meeting yet; run `showcaller apply` before the day",
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
                f"{action}: the meeting has not started or was not found in Zoom ({exc.message}); "
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
