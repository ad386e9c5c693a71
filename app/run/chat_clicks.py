"""Native chat buttons: a verified click in Slack, Discord or Zoom Team Chat, carried out once.

A target in `mode: app` gets native buttons whose reference is a single-use action link
(`app/run/action_links.py`: bound to the event, the verb, the expected state and the target). Its
platform's callback is verified by the route (`app/api/chat.py`) against the secrets of the app
targets of the loaded events, and answered at once; the click is then carried out here, in a task
of its own, in this order:

1. the reference must be one of this target's buttons (a valid signature from another app is not
   enough);
2. a retry of the same click (same platform request id) does nothing more: it was seen already
   (remembered in this process; across instances the single-use link still acts once);
3. the clicker must be allowed: a person whose `chat_ids` name them on this platform (the run log
   names that person), or a user id on the target's `allow` list; anyone else is told so, only they
   see it, and the refusal is logged;
4. the link is used (one conditional UPDATE: of two clicks on the same "Next", one acts), then the
   action goes through `RunService` with the same `from` guard as the console;
5. the message is updated with what happened ("Advanced to Session 2 by Somchai, 14:05") and its
   stale buttons removed; a click that lost (already used, already moved) is told so (Zoom Team
   Chat: both said in the channel through its Incoming Webhook).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from app.core.tasks import cancel_and_wait
from app.engine.lookups import Lookups
from app.run.action_links import ActionLinks
from app.store import action_links_repo
from integrations.chat import Click, ClickRejected
from integrations.chat import discord as discord_api
from integrations.chat import slack as slack_api
from integrations.chat import zoom_chat as zoom_chat_api
from integrations.notifiers.render.zoom_chat import STRUCTURED_FORMATS
from integrations.notifiers.target import TargetConfig
from schedules import button_words as words
from schedules.model import Schedule, TargetMode

log = logging.getLogger("showcaller.chat_clicks")
SEEN_MAX = 10_000  # platform request ids remembered, so a retry acts once (the oldest forgotten first)


@dataclass(frozen=True)
class Candidate:
    """An app target whose secret may have signed a callback."""

    event_id: str
    target: TargetConfig


@dataclass(frozen=True)
class Result:
    """What a click came to: `state` is done, refused (the action was refused: already moved...),
    used, expired, unknown, forbidden or duplicate; `text` is what the clicker or the channel sees."""

    state: str
    text: str
    # What a message whose buttons are out of date says instead (in its target's words).
    stale: str = words.STALE


Verify = Callable[[str, dict[str, str], bytes, float], None]


class ChatClicks:
    """Verifies callbacks against the app targets' secrets and carries clicks out once."""

    def __init__(
        self, action_links: ActionLinks, lookups: Lookups, http: httpx.AsyncClient, *, wall: Callable[[], float]
    ) -> None:
        self.links, self.lookups, self.http, self.wall = action_links, lookups, http, wall
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._tasks: set[asyncio.Task] = set()

    @property
    def clock(self):
        return self.links.clock

    def now(self) -> float:
        """Real Unix seconds, for the platforms' signature windows (they sign with real time)."""
        return self.wall()

    # --- verification (called by the route, before it answers) ---------------------------------

    def candidates(self, platform: str) -> list[Candidate]:
        """The app targets of the loaded events on `platform`."""
        out: list[Candidate] = []
        for event_id in self.links.run.engine.event_ids():
            try:
                configs = self.lookups.targets(event_id).configs
            except Exception:  # an event being removed or still loading
                continue
            out.extend(
                Candidate(event_id, c) for c in configs.values() if c.app and c.kind.value == platform and c.secret
            )
        return out

    def verify(self, platform: str, verify: Verify, headers: dict[str, str], body: bytes) -> list[Candidate]:
        """The app targets whose secret signed this request; raises ClickRejected when none did."""
        now = self.now()
        signed, reason = [], "no target in mode app on this platform is loaded, so no click can be verified"
        for candidate in self.candidates(platform):
            try:
                verify(candidate.target.secret.get_secret_value(), headers, body, now)  # type: ignore[union-attr]  # candidates have a secret
            except ClickRejected as exc:
                reason = exc.reason
                continue
            signed.append(candidate)
        if not signed:
            log.warning("refused a %s callback: %s", platform, reason)
            raise ClickRejected(reason)
        return signed

    # --- after the answer ----------------------------------------------------------------------

    def accept(self, click: Click, signed: list[Candidate]) -> None:
        """Carry the click out after the platform has its answer (it waits at most 3 s)."""
        task = asyncio.get_running_loop().create_task(self.carry_out(click, signed))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for every click under way (tests, and a stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Let the clicks under way finish (a few seconds at most), then cut the rest."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settle(), 5.0)
        for task in list(self._tasks):
            await cancel_and_wait(task)

    async def carry_out(self, click: Click, signed: list[Candidate]) -> Result:
        try:
            result, target = await self.decide(click, signed)
        except Exception:
            log.exception("a %s click could not be carried out", click.platform)
            return Result("error", "")
        if target is not None and result.state != "duplicate":
            await self.answer(click, target, result)
        return result

    async def decide(self, click: Click, signed: list[Candidate]) -> tuple[Result, TargetConfig | None]:
        """Steps 1-4 of the module's docstring; the target the click answers through (None: nobody to tell)."""
        async with self.links.db.begin() as conn:
            row = await action_links_repo.find(conn, click.reference)
        candidate = next(
            (c for c in signed if row is not None and c.event_id == row.event_id and c.target.id == row.target_id),
            None,
        )
        if row is None or candidate is None:
            log.warning(
                "refused a %s click by %s: its button is not one this app's target carries (forged or another event's)",
                click.platform,
                click.user_id,
            )
            return Result("unknown", "This button is not one Showcaller made for this channel: nothing done."), (
                signed[0].target if signed else None
            )
        if click.request_key in self._seen:
            log.info("a %s retry of click %s: already carried out", click.platform, click.request_key)
            return Result("duplicate", ""), candidate.target
        self._remember(click.request_key)
        schedule = self.links.run.engine.loaded(row.event_id).schedule
        w = self.links.words(schedule, row.target_id)  # what this channel reads, in its locale
        stale = w._(words.STALE)
        actor = self.who(schedule, row.target_id, click)
        if actor is None:
            log.warning(
                "refused a %s click by %s (%s) on target %s: not a person of the event with this chat id, "
                "nor on the target's allow list",
                click.platform,
                click.user_id,
                click.user_name,
                row.target_id,
            )
            return Result(
                "forbidden",
                w._(words.FORBIDDEN, platform=click.platform, user=click.user_id),
                stale,
            ), candidate.target
        now = self.clock.now()
        if row.expires_at <= now:
            expired = w._(words.EXPIRED)
            return Result("expired", expired, stale), candidate.target
        async with self.links.db.begin() as conn:
            used = await action_links_repo.use(conn, row.id, now)
        if not used:
            async with self.links.db.begin() as conn:
                again = await action_links_repo.find(conn, click.reference)
            told = w._(words.USED)
            if again is not None and again.result:
                told += w._(words.IT_DID, result=again.result)
            return Result("used", told, stale), candidate.target
        page = await self.links.act(row.event_id, row, actor, w)
        if page.state == "done":
            # The card's update line: who pressed it and when, in the event's zone.
            at = w.reader.clock(self.clock.now(), schedule.event.timezone)
            text = w._(words.DONE_BY, done=page.heading, who=actor, time=at)
        else:
            text = f"{page.heading}. {page.detail}".strip()
        async with self.links.db.begin() as conn:
            await action_links_repo.record_result(conn, row.id, text)
        return Result("done" if page.state == "done" else "refused", text, stale), candidate.target

    def who(self, schedule: Schedule, target_id: str, click: Click) -> str | None:
        """The name the run log gives the clicker, or None when they may not press."""
        for person in schedule.people:
            ids = person.chat_ids
            if ids is not None and getattr(ids, click.platform, None) == click.user_id:
                return person.name
        target = next((t for t in schedule.targets if t.id == target_id), None)
        if target is not None and target.mode is TargetMode.app and click.user_id in target.allow:
            return f"{click.user_name} ({click.platform})"
        return None

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        while len(self._seen) > SEEN_MAX:
            self._seen.popitem(last=False)

    # --- answering on the platform -------------------------------------------------------------

    async def answer(self, click: Click, target: TargetConfig, result: Result) -> None:
        """Done: update the message, its buttons gone. Otherwise: tell the clicker only; a message whose
        button was used or whose show moved on loses its stale buttons too."""
        # (a button already used: the first click has updated the message already)
        stale = result.state in ("done", "refused", "expired")
        answered: Any = None
        if click.platform == slack_api.PLATFORM:
            api, token = target.url.get_secret_value(), target.token.get_secret_value()  # type: ignore[union-attr]  # a slack app has a token
            if result.state != "done":
                answered = await slack_api.tell(self.http, api, token, click, result.text)
            if stale:
                shown = result.text if result.state == "done" else _stale_line(result)
                answered = await slack_api.update(self.http, api, token, click, shown)
            if isinstance(answered, dict) and not answered.get("ok"):
                log.warning("Slack refused the answer to a click: %s", answered.get("error"))
        elif click.platform == discord_api.PLATFORM:
            api = discord_api.api_base(target.url.get_secret_value())
            if result.state != "done":
                await discord_api.tell(self.http, api, click, result.text)
            if stale:
                shown = result.text if result.state == "done" else _stale_line(result)
                await discord_api.edit_original(self.http, api, click, shown)
        else:  # Zoom Team Chat: said in the channel through its Incoming Webhook (docs/notifications.md)
            text = result.text if result.state == "done" else f"{click.user_name}: {result.text}"
            structured = target.zoom_format in STRUCTURED_FORMATS
            token = target.token.get_secret_value() if target.token else ""  # (a zoom_chat target has one)
            told = await zoom_chat_api.tell(
                self.http, target.url.get_secret_value(), token, text, structured=structured
            )
            if not told:
                log.warning("could not post the answer to a zoom_chat click to target %s", target.id)


def _stale_line(result: Result) -> str:
    return result.stale if result.state != "expired" else result.text


__all__ = ["ChatClicks", "ClickRejected", "Result"]
