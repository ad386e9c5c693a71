"""Action buttons in host chat messages: single-use links that act through the run service.

A target with `buttons: [advance, delay_5, undo]` (and `hosts: true`) gets, in each message, one
link per verb that makes sense at that moment. Each link is made when the message is composed and
is bound, in its stored row, to the event, the verb, the state it expects (the running segment, or
the run-log number of the action to undo) and the target whose message carried it; the URL holds
only a random secret, stored as its SHA-256, so nothing in the URL can be edited to make it do more.

Opening a link (GET) never acts: chat tools fetch links for previews. Pressing the page's button
(POST) uses the link (one conditional UPDATE, committed first, so a link acts at most once even
when two people press at once), then acts through `RunService` with the same `from` guard as the
console: a link for "advance from Session 1" after the show moved on does nothing, and says so.

The page speaks the locale of the target the link was made for (its digits, its segment titles),
as that target's buttons do; a link that matches no row of the event has no target, so its page is
in the event's language. The run service's reasons for a refusal stay English (the API's words).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.errors import AppError
from app.core.public_url import base
from app.engine.compose import Buttons
from app.run import undo
from app.run.service import RunService
from app.store import action_links_repo
from app.store.action_links_repo import ActionLinkRow
from schedules import button_words as words
from schedules import cue_words
from schedules.audience import target_reader
from schedules.i18n import ENGLISH_WORDS, SHIPPED, CatalogSearch, Words, words_for
from schedules.model import ButtonVerb, Schedule, TargetMode

log = logging.getLogger("showcaller.action_links")
DELAY_STEP = 5 * 60  # seconds: the `delay_5` button


def actor_of(target_id: str) -> str:
    """Who the run log names for a pressed link: the hosts' channel whose message carried it."""
    return f"chat button ({target_id})"


def link_path(event_id: str, token: str) -> str:
    return f"/act/{quote(event_id, safe='')}/{token}"


@dataclass(frozen=True)
class Page:
    """What the link's page shows: `status` is the HTTP status, `state` one of ready, done,
    refused, used, expired, unknown; `can_press` whether the form is shown."""

    status: int
    state: str
    heading: str
    detail: str
    can_press: bool = False
    press: str = ""  # the form's button text, when it can be pressed
    # Whose words the page is in (its template's own lines, its `lang`, the event's title).
    words: Words = field(default=ENGLISH_WORDS, compare=False)


class ActionLinks:
    """Makes the buttons of a message, shows a link's page, and carries out a press."""

    def __init__(
        self,
        db: AsyncEngine,
        run: RunService,
        *,
        public_url: str | None,
        lifetime: timedelta,
        catalogs: CatalogSearch = SHIPPED,
    ) -> None:
        self.db, self.run, self.public_url, self.lifetime = db, run, public_url, lifetime
        self.catalogs = catalogs  # the buttons' words: the organiser's catalogs too (SHOWCALLER_CATALOGS)
        self._told_no_url = False

    @property
    def clock(self):
        return self.run.engine.clock

    # --- at compose time ---------------------------------------------------------------------

    async def buttons(self, event_id: str, target_id: str, delivery_id: str | None) -> Buttons:
        """The buttons of one message to `target_id`: none unless the target asks for them and the
        verb makes sense now (a segment runs; an action can be undone). A target in mode app gets
        native buttons carrying the single-use reference (app/run/chat_clicks.py); any other gets
        link buttons, which need a public URL."""
        schedule = self.run.engine.loaded(event_id).schedule
        target = next((t for t in schedule.targets if t.id == target_id), None)
        if target is None or not target.buttons or not target.hosts:
            return Buttons()
        native = target.mode is TargetMode.app
        if not native and not self.public_url:
            if not self._told_no_url:  # once per process: every message would say it again
                self._told_no_url = True
                log.warning(
                    "targets ask for action buttons, but SHOWCALLER_PUBLIC_URL is not set: messages go "
                    "without them. Fix: set SHOWCALLER_PUBLIC_URL to the address people reach this service at"
                )
            return Buttons()
        state = self.run.state(event_id)
        if state["status"] != "live":
            return Buttons()
        w = self.words(schedule, target_id)
        name_of = self._titled(event_id, w)
        current, upcoming, offer = state["current"], state.get("next"), state.get("undo")
        wanted: list[tuple[ButtonVerb, str | None, str | None, str, str]] = []  # verb, expected, title, label, confirm
        for verb in target.buttons:
            if verb is ButtonVerb.advance and current is not None:
                if upcoming:
                    label = w._(words.NEXT, title=name_of(upcoming))
                    wanted.append((verb, current["id"], current["title"], label, ""))
                else:
                    ask = w._(words.END_LAST_ASK, title=name_of(current))
                    wanted.append((verb, current["id"], current["title"], w._(words.END_LAST), ask))
            elif verb is ButtonVerb.delay_5 and current is not None:
                label = w._(words.DELAY, minutes=w.number(DELAY_STEP // 60))
                wanted.append((verb, current["id"], current["title"], label, ""))
            elif verb is ButtonVerb.undo and offer is not None:
                what = offer["summary"] if w.reader.english else self._summary(event_id, offer, w)
                ask = w._(words.UNDO_ASK, summary=what)
                wanted.append((verb, str(offer["seq"]), offer["summary"], w._(words.UNDO, summary=what), ask))
        if not wanted:
            return Buttons()
        now = self.clock.now()
        out = Buttons()
        async with self.db.begin() as conn:
            for verb, expected, title, label, confirm in wanted:
                token = await action_links_repo.create(
                    conn,
                    event_id=event_id,
                    verb=verb.value,
                    expected=expected,
                    expected_title=title,
                    target_id=target_id,
                    delivery_id=delivery_id,
                    now=now,
                    expires_at=now + self.lifetime,
                )
                if native:
                    out.actions.append((label, verb.value, token, confirm))
                else:
                    out.links.append((label, base(self.public_url) + link_path(event_id, token)))  # type: ignore[arg-type]  # checked above
        return out

    def words(self, schedule: Schedule, target_id: str | None) -> Words:
        """The words of `target_id`'s buttons, of the lines its chat shows after a click and of its
        links' pages: its locale, digits and titles (English targets: as always). No such target:
        the event's language."""
        target = next((t for t in schedule.targets if t.id == target_id), None)

        def missing(message: str) -> None:
            whose = f"target {target_id}'s buttons" if target is not None else "a link's page (the event's language)"
            log.warning("no translation of %r for %s; sent in English", message, whose)

        return words_for(target_reader(schedule, target), self.catalogs, on_missing=missing)

    def _titled(self, event_id: str, w: Words) -> Callable[[dict[str, Any]], str]:
        """A segment of the live state by its title for `w`'s reader (the file's `titles:` for its
        locale); English: the state's own title."""
        if w.reader.english:
            return lambda row: str(row["title"])
        rundown = self.run.engine.timeline(event_id).rundown
        return lambda row: cue_words.segment_title(w, rundown.segment(row["id"]), str(row["title"]))

    def _summary(self, event_id: str, offer: dict[str, Any], w: Words) -> str:
        """The undo offer's line in `w`'s words (the state carries it in English, for the console)."""
        seq = offer["seq"]
        # Read as when it was offered: without the undo that may have just taken it back.
        actions = [a for a in self.run.engine.loaded(event_id).actions if getattr(a, "target", None) != seq]
        action = next((a for a in actions if a.seq == seq), None)
        if action is None:  # (the offer is of the run log just read: not expected)
            return str(offer["summary"])
        return undo.summary(self.run.engine.timeline(event_id).rundown, actions, action, w)

    # --- the page ------------------------------------------------------------------------------

    async def _find(self, event_id: str, token: str) -> tuple[ActionLinkRow | None, Words, Page | None]:
        """The link's row, the words its page is in, and the page that refuses it (None: it may act)."""
        async with self.db.begin() as conn:
            row = await action_links_repo.find(conn, token)
        # Forged, changed, or another event's: the same answer. So is a native button's reference (a
        # target in mode app): its click is checked for who pressed (app/run/chat_clicks.py), and
        # anyone in the channel can read a button's value, so it never opens as a link.
        if row is None or row.event_id != event_id or self._native(row):
            w = self._page_words(event_id, None)  # no target: the event's language
            return None, w, Page(404, "unknown", w._(words.LINK_BROKEN), w._(words.LINK_BROKEN_DETAIL), words=w)
        w = self._page_words(event_id, row.target_id)
        if row.used_at is not None:
            # The result is the heading its press showed, in this same target's words.
            done = w._(words.IT_DID, result=row.result) if row.result else ""
            return row, w, Page(410, "used", w._(words.LINK_USED), w._(words.LINK_USED_DETAIL) + done, words=w)
        if row.expires_at <= self.clock.now():
            minutes = w.number(int(self.lifetime.total_seconds() // 60))
            detail = w._(words.LINK_EXPIRED_DETAIL, minutes=minutes)
            return row, w, Page(410, "expired", w._(words.LINK_EXPIRED), detail, words=w)
        return row, w, None

    def _page_words(self, event_id: str, target_id: str | None) -> Words:
        """Whose words a link's page is in: the target it was made for, else the event's language;
        English when the event is not loaded (no file says otherwise)."""
        try:
            schedule = self.run.engine.loaded(event_id).schedule
        except AppError:
            return ENGLISH_WORDS
        return self.words(schedule, target_id)

    def _native(self, row: ActionLinkRow) -> bool:
        try:
            targets = self.run.engine.loaded(row.event_id).schedule.targets
        except AppError:  # the event is not loaded: the link's page says so elsewhere
            return False
        target = next((t for t in targets if t.id == row.target_id), None)
        return target is not None and target.mode is TargetMode.app

    async def view(self, event_id: str, token: str) -> Page:
        """What a GET shows: what pressing would do, and the state now. Never acts."""
        row, w, refused = await self._find(event_id, token)
        if refused is not None or row is None:
            return refused  # type: ignore[return-value]  # one of the two is set
        press = w._(words.PRESS.get(row.verb, words.YES), minutes=w.number(DELAY_STEP // 60))
        question = self._question(event_id, row, w)
        return Page(200, "ready", question, self._now_line(event_id, w), can_press=True, press=press, words=w)

    async def press(self, event_id: str, token: str) -> Page:
        """A POST: use the link (at most once), then act as the host it was given to."""
        row, w, refused = await self._find(event_id, token)
        if refused is not None or row is None:
            return refused  # type: ignore[return-value]
        async with self.db.begin() as conn:
            used = await action_links_repo.use(conn, row.id, self.clock.now())
        if not used:  # pressed meanwhile (another tab, another person), or it just expired
            _, _, page = await self._find(event_id, token)
            return page or Page(410, "used", w._(words.LINK_USED), w._(words.LINK_USED_DETAIL), words=w)
        # In the target's words: the heading is also the result kept for the link ("It did: ..."),
        # which only that target's readers see again.
        page = await self.act(event_id, row, actor_of(row.target_id), w)
        async with self.db.begin() as conn:
            await action_links_repo.record_result(conn, row.id, page.heading)
        return page

    async def act(self, event_id: str, row: ActionLinkRow, actor: str, w: Words = ENGLISH_WORDS) -> Page:
        """Carry out a link already used (`use` returned True) as `actor`, through the run service
        with the same `from` guard as the console; a refusal is a Page, never an exception. Its
        heading in `w`'s words (the target's): the line a chat's message is updated with, or the
        link's page. A refusal's detail is the run service's reason (the API's words, English)."""
        name_of = self._titled(event_id, w)
        try:
            if row.verb == ButtonVerb.advance:
                answer = await self.run.advance(event_id, actor, expected=row.expected)
                current = answer.body["state"]["current"]
                if current:
                    heading = w._(words.ADVANCED, title=name_of(current))
                else:
                    heading = w._(words.ENDED_LAST)
            elif row.verb == ButtonVerb.delay_5:
                answer = await self.run.delay(event_id, actor, DELAY_STEP, expected=row.expected)
                during = name_of({"id": row.expected, "title": row.expected_title})
                heading = w._(words.DELAYED, minutes=w.number(DELAY_STEP // 60), title=during)
            elif row.verb == ButtonVerb.undo:
                answer = await self.run.undo(event_id, actor, seq=int(row.expected or 0))
                undone = answer.body["undone"]
                what = undone["summary"] if w.reader.english else self._summary(event_id, undone, w)
                heading = w._(words.UNDONE, summary=what)
            else:  # a verb this version does not know (stored by a newer one)
                return Page(409, "refused", w._(words.NOTHING_DONE), f"this version cannot do '{row.verb}'", words=w)
        except AppError as exc:
            # The reason is the run service's (the API's words, English).
            if exc.status == 409 and row.verb != ButtonVerb.undo:
                return Page(409, "refused", w._(words.ALREADY_MOVED_ON), exc.reason, words=w)
            status = exc.status if exc.status < 500 else 409
            return Page(status, "refused", w._(words.NOTHING_DONE), exc.reason, words=w)
        return Page(200, "done", heading, self._now_line(event_id, w), words=w)

    def _question(self, event_id: str, row: ActionLinkRow, w: Words) -> str:
        """What pressing would do, asked in `w`'s words: the segment by its title for the reader,
        the undone action as the undo button named it."""
        title = self._titled(event_id, w)({"id": row.expected, "title": row.expected_title})
        if row.verb == ButtonVerb.advance:
            return w._(words.ASK_ADVANCE, title=title)
        if row.verb == ButtonVerb.delay_5:
            return w._(words.ASK_DELAY, minutes=w.number(DELAY_STEP // 60), title=title)
        if row.verb == ButtonVerb.undo:
            offer = {"seq": int(row.expected or 0), "summary": row.expected_title}
            what = row.expected_title if w.reader.english else self._summary(event_id, offer, w)
            return w._(words.UNDO_ASK, summary=what)
        return f"{row.verb}?"  # a verb this version does not know: its machine name

    def _now_line(self, event_id: str, w: Words) -> str:
        try:
            state = self.run.state(event_id)
        except AppError:  # the event was removed meanwhile
            return ""
        current = state.get("current")
        if state["status"] == "ended":
            return w._(words.EVENT_ENDED)
        return w._(words.NOW_LINE, title=self._titled(event_id, w)(current)) if current else w._(words.NOTHING_RUNNING)
