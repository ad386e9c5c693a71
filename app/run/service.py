"""The run service: loading schedules and every host action, with its rules, in one place.

Each action runs inside the engine's transaction and lock: its rules are checked against the
state at that moment, the run-log entry, the outbox changes it causes and its idempotency key
commit together, and the answer carries the action's own sequence number and the new state.
REST routes, the console and the CLI are thin adapters over these methods.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.core.errors import AppError, Conflict, Invalid, error_body
from app.engine.service import RunEngine, Txn
from app.run import deck_rules, rules, rundown_rules, stage_rules, undo, zoom_rules
from app.store import idempotency_repo, outbox_repo, zoom_repo
from app.views.state import end_effect, state_json
from app.views.times import iso_utc
from app.views.zoom_live import zoom_card
from schedules.adjustments import Adjustment, Undo
from schedules.i18n import SHIPPED, CatalogSearch
from schedules.model import Schedule
from schedules.timeline import Timeline

KEY_LIFETIME = timedelta(hours=24)
UNSET = rules.UNSET


@dataclass(frozen=True)
class Intent:
    """A client's Idempotency-Key and the fingerprint of the request it came with."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class Answer:
    """What an action answers: HTTP-like status and JSON body (replayed: the first answer, again)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class _Refused:
    error: AppError


Rule = Callable[[Txn], Awaitable[tuple[Adjustment, dict[str, Any]]]]


class RunService:
    """Every host action on a live event, checked and recorded under the engine's lock."""

    def __init__(
        self,
        engine: RunEngine,
        undo_window: timedelta = timedelta(minutes=2),
        forget_targets: Callable[[str], None] = lambda event_id: None,
        catalogs: CatalogSearch = SHIPPED,
    ):
        self.engine, self.undo_window, self.forget_targets = engine, undo_window, forget_targets
        self.catalogs = catalogs  # where an undo's corrections find each target's words
        self._summaries: dict[tuple, str] = {}

    # --- reading -------------------------------------------------------------------------------

    def state(self, event_id: str) -> dict[str, Any]:
        """The live state JSON: what the console, the API and the event stream show."""
        item = self.engine.loaded(event_id)
        now = self.engine.clock.now()
        timeline = self.engine.timeline(event_id)
        return self._state(event_id, timeline.rundown, timeline, item.actions, item.actors, now)

    def _state(
        self,
        event_id: str,
        schedule: Schedule,
        timeline: Timeline,
        actions: list[Adjustment],
        actors: dict[int, str | None],
        now,
    ) -> dict[str, Any]:
        last = undo.last_undoable(actions, actors, now, self.undo_window)
        offer = None
        if last is not None:
            key = (event_id, last.seq, last.at, last.kind)  # a rehearsal re-run reuses numbers
            if key not in self._summaries:
                self._summaries[key] = undo.summary(schedule, actions, last)
            offer = {
                "seq": last.seq,
                "kind": last.kind,
                "summary": self._summaries[key],
                "actor": actors.get(last.seq),
                "until": iso_utc(last.at + self.undo_window),
            }
        rate = float(getattr(self.engine.clock, "speed", 1.0))
        return state_json(schedule, timeline, now, clock_rate=rate, undo=offer, timer_grace=self.engine.timer_grace)

    def _txn_state(self, txn: Txn) -> dict[str, Any]:
        timeline = txn.timeline()
        return self._state(txn.event_id, timeline.rundown, timeline, txn.actions, txn.actors, txn.now)

    # --- loading -------------------------------------------------------------------------------

    async def load_schedule(self, text: str, source: str, schedule: Schedule | None = None) -> Schedule:
        """Validate, store and plan a schedule (new or edited); raises ScheduleError. `schedule` is the
        text already parsed off the event loop (uploads), so it is not parsed twice."""
        schedule = await self.engine.load_schedule(text, source, schedule=schedule)
        self.forget_targets(schedule.event.id)
        return schedule

    # --- host actions --------------------------------------------------------------------------

    async def advance(
        self,
        event_id: str,
        actor: str | None,
        *,
        to: str | None = None,
        expected: Any = UNSET,
        intent: Intent | None = None,
    ) -> Answer:
        """Start the next segment now, or jump to `to`; `expected` is the segment the caller saw."""
        return await self._act(event_id, actor, intent, lambda txn: rules.advance(txn, to, expected))

    async def hold(self, event_id: str, actor: str | None, intent: Intent | None = None) -> Answer:
        return await self._act(event_id, actor, intent, rules.hold)

    async def resume(self, event_id: str, actor: str | None, intent: Intent | None = None) -> Answer:
        return await self._act(event_id, actor, intent, rules.resume)

    async def delay(
        self,
        event_id: str,
        actor: str | None,
        seconds: int,
        mode: str | None = None,
        intent: Intent | None = None,
        *,
        expected: Any = UNSET,
    ) -> Answer:
        """`expected`: the segment the caller saw running (a chat button's), checked like advance's `from`."""

        def rule(txn: Txn) -> Adjustment:
            if expected is not UNSET:
                rules.expect_current(txn, rules.not_ended(txn), expected)
            return rules.delay(txn, seconds, mode)

        return await self._act(event_id, actor, intent, rule)

    async def end(self, event_id: str, actor: str | None, intent: Intent | None = None) -> Answer:
        return await self._act(event_id, actor, intent, rules.end)

    async def start_timer(
        self,
        event_id: str,
        actor: str | None,
        *,
        segment: str | None = None,
        slot: int | None = None,
        person: str | None = None,
        seconds: int | None = None,
        label: str | None = None,
        keep: bool = False,
        intent: Intent | None = None,
    ) -> Answer:
        def rule(txn: Txn):
            started = rules.start_timer(
                txn, segment=segment, slot=slot, person=person, seconds=seconds, label=label, keep=keep
            )
            return started, {"timer_id": started.timer_id}

        return await self._act(event_id, actor, intent, rule, status=201)

    async def timer(
        self,
        event_id: str,
        actor: str | None,
        timer_id: str,
        verb: str,
        seconds: int = 30,
        intent: Intent | None = None,
    ) -> Answer:
        """pause, resume, add (seconds) or stop one timer."""
        checks = {
            "pause": rules.pause_timer,
            "resume": rules.resume_timer,
            "stop": rules.stop_timer,
            "add": lambda txn, t: rules.add_time(txn, t, seconds),
        }

        def rule(txn: Txn):
            return checks[verb](txn, timer_id), {"timer_id": timer_id}

        return await self._act(event_id, actor, intent, rule)

    async def announce(
        self, event_id: str, actor: str | None, message: str, targets: list[str], intent: Intent | None = None
    ) -> Answer:
        return await self._act(event_id, actor, intent, lambda txn: rules.announce(txn, message, targets), status=201)

    async def stage_message(
        self,
        event_id: str,
        actor: str | None,
        text: str,
        *,
        flash: bool = False,
        blackout: bool = False,
        until_cleared: bool = False,
        expires_after: int | None = None,
        intent: Intent | None = None,
    ) -> Answer:
        """Show a message on the presenter view (recorded, never posted to chat targets) until its
        segment ends, or until cleared (`until_cleared`), or for `expires_after` seconds."""
        return await self._act(
            event_id,
            actor,
            intent,
            lambda txn: stage_rules.show(txn, text, flash, blackout, until_cleared, expires_after),
            status=201,
        )

    async def stage_clear(self, event_id: str, actor: str | None, intent: Intent | None = None) -> Answer:
        return await self._act(event_id, actor, intent, stage_rules.clear)

    async def zoom(
        self, event_id: str, actor: str | None, family: str, move: str, intent: Intent | None = None
    ) -> Answer:
        """A Zoom action by hand (`recording` start/pause/resume/stop, `livestream` start/stop), checked
        against Zoom's state from its webhooks and carried out by the @zoom outbox path (app/run/zoom_rules.py)."""
        return await self._act(event_id, actor, intent, lambda txn: zoom_rules.control(txn, family, move), status=202)

    async def zoom_live(self, event_id: str) -> dict[str, Any] | None:
        """The console's Zoom card (app/views/zoom_live.py): None when the event has nothing to do with Zoom."""
        from schedules.zoom_actions import ZOOM_TARGET

        item = self.engine.loaded(event_id)
        timeline = self.engine.timeline(event_id)
        async with self.engine.writer.db.begin() as conn:
            found = await zoom_repo.stored(conn, event_id)
            meeting = None if found is None else (int(found.zoom_id), str(found.kind))
            events = [] if found is None else await zoom_rules.read_webhooks(conn, found.zoom_id)
            sent = await outbox_repo.target_deliveries(conn, event_id, ZOOM_TARGET)
        return zoom_card(
            timeline.rundown, meeting, events, list(item.actions), timeline.cues, sent, self.engine.clock.now()
        )

    async def undo(
        self, event_id: str, actor: str | None, seq: int | None = None, intent: Intent | None = None
    ) -> Answer:
        """Revert the last host action within the undo window (`seq`: the one the caller means)."""
        return await self._act(event_id, actor, intent, self._undo_rule(seq))

    def _undo_rule(self, seq: int | None):
        async def rule(txn: Txn):
            target = undo.last_undoable(txn.actions, txn.actors, txn.now, self.undo_window)
            if target is None:
                raise undo.refuse(txn.actions, self.undo_window)
            if seq is not None and seq != target.seq:
                raise Conflict(
                    f"action #{seq} is not the last one that can be undone; that is #{target.seq} "
                    f"({undo.summary(txn.timeline().rundown, txn.actions, target)})"
                )
            # The undo's own number names what it withdraws; the lock makes it the next one.
            number = max((a.seq for a in txn.actions), default=0) + 1
            corrections = await undo.withdraw(txn, target, number, self.catalogs)
            return (
                Undo(txn.now, number, target=target.seq, corrections=corrections),
                {
                    "undone": {
                        "seq": target.seq,
                        "kind": target.kind,
                        "summary": undo.summary(txn.schedule, txn.actions, target),  # what the CLI prints
                        "actor": txn.actors.get(target.seq),
                    }
                },
            )

        return rule

    async def deck(
        self, event_id: str, actor: str | None, verb: str, *, seen: int | None = None, **args: Any
    ) -> Answer:
        """A deck key's relative verb (app/run/deck_rules.py) or "undo". `seen` is the run log's last
        number the key showed (advance checks its `from` instead): a double press finds the log moved
        on and is refused, so keys need no Idempotency-Key."""
        act, status = (self._undo_rule(None), 200) if verb == "undo" else deck_rules.VERBS[verb]

        async def rule(txn: Txn):
            if verb != "advance":
                deck_rules.expect_seq(txn, seen)
            made = act(txn, **args)
            return await made if isinstance(made, Awaitable) else made

        return await self._act(event_id, actor, None, rule, status=status)

    # --- live rundown edits (rules in app/run/rundown_rules.py, replay in schedules/rundown.py) --------

    def _edit_rule(self, edit: str, segment: str | None, fields: dict[str, Any]) -> Callable[[Txn], Adjustment]:
        """The rule of one rundown edit: insert, retime, amend, move or remove."""
        if edit != "insert" and not segment:
            raise Invalid(f"segment: give the upcoming segment to {edit}")
        sid: str = segment or ""
        rulebook: dict[str, Callable[[Txn], Adjustment]] = {
            "insert": lambda txn: rundown_rules.insert(
                txn,
                title=fields.get("title"),
                kind=fields.get("kind") or "break",
                seconds=int(fields.get("seconds") or 0),
                speakers=list(fields.get("speakers") or []),
                before=fields.get("before"),
                after=fields.get("after"),
            ),
            "retime": lambda txn: rundown_rules.retime(txn, sid, int(fields.get("seconds") or 0)),
            "amend": lambda txn: rundown_rules.amend(txn, sid, fields.get("title"), fields.get("speakers")),
            "move": lambda txn: rundown_rules.move(txn, sid, fields.get("before"), fields.get("after")),
            "remove": lambda txn: rundown_rules.remove(txn, sid),
        }
        if edit not in rulebook:
            raise Invalid(f"edit: '{edit}' is not a rundown edit (use one of: {', '.join(rulebook)})")
        return rulebook[edit]

    async def edit_rundown(
        self,
        event_id: str,
        actor: str | None,
        edit: str,
        segment: str | None = None,
        intent: Intent | None = None,
        **fields: Any,
    ) -> Answer:
        """Insert, retime, amend (title, speakers), move or remove an upcoming segment: a host action
        like any other (run log, cue re-plan, undo with corrections)."""
        rule = self._edit_rule(edit, segment, fields)

        def made(txn: Txn):
            adjustment = rule(txn)
            return adjustment, {"segment": getattr(adjustment, "segment", segment)}

        return await self._act(event_id, actor, intent, made, status=201 if edit == "insert" else 200)

    async def preview_edit(self, event_id: str, edit: str, segment: str | None = None, **fields: Any) -> dict[str, Any]:
        """What a rundown edit would change (the running order, the projected end, the cues that move);
        nothing is recorded."""
        rule = self._edit_rule(edit, segment, fields)

        async def work(txn: Txn) -> dict[str, Any]:
            planned = rule(txn)
            numbered = type(planned)(**{**planned.__dict__, "seq": max((a.seq for a in txn.actions), default=0) + 1})
            before, after = txn.timeline(), txn.timeline(numbered)
            was, will = before.state_at(txn.now), after.state_at(txn.now)
            old = {c.id: c for c in before.cues if not c.held}
            new = {c.id: c for c in after.cues if not c.held}
            moved = [i for i in new if i in old and new[i].at != old[i].at]
            return {
                "edit": edit,
                "summary": rundown_rules.summary(after.rundown, numbered) or edit,
                "segment": getattr(numbered, "segment", segment),
                "projected_end": {"before": iso_utc(was.projected_end), "after": iso_utc(will.projected_end)},
                "end_shift_seconds": int((will.projected_end - was.projected_end).total_seconds()),
                "cues": {
                    "added": sorted(i for i in new if i not in old),
                    "removed": sorted(i for i in old if i not in new and old[i].at > txn.now),
                    "moved": len(moved),
                },
                "order": [
                    {"id": s.id, "title": after.rundown.segments[s.index].title, "start": iso_utc(s.start)}
                    for s in after.segments
                    if not s.skipped and s.start > txn.now
                ],
            }

        return await self.engine.transact(event_id, work)

    async def preview(self, event_id: str, action: str, to: str | None = None, expected: Any = UNSET) -> dict[str, Any]:
        """What `action` (advance, jump or end) would post now, per cue, and what it does to the
        projected end (`end`: before and after); nothing is recorded."""

        async def work(txn: Txn) -> dict[str, Any]:
            if action == "end":
                planned = rules.end(txn)
            elif action == "jump" and to is None:
                raise Invalid("to: give the segment to jump to")
            else:
                planned = rules.advance(txn, to, expected)
            numbered = type(planned)(**{**planned.__dict__, "seq": max((a.seq for a in txn.actions), default=0) + 1})
            was, will = txn.timeline(), txn.timeline(numbered)
            before = {c.id: c for c in was.cues}
            after = will.cues
            posted = [
                c
                for c in after
                if not c.held
                and c.at == txn.now
                and (c.id not in before or (before[c.id].at, before[c.id].message) != (c.at, c.message))
            ]
            return {
                "action": action,
                "end": end_effect(was.state_at(txn.now), will.state_at(txn.now)),
                "messages": [
                    {
                        "cue_id": c.id,
                        "kind": c.kind.value,
                        "title": c.title,
                        "text": c.message,
                        "targets": list(c.targets),
                    }
                    for c in posted
                ],
            }

        return await self.engine.transact(event_id, work)

    # --- the one path every action takes ------------------------------------------------------

    async def _act(self, event_id: str, actor: str | None, intent: Intent | None, rule, *, status: int = 200) -> Answer:
        async def work(txn: Txn) -> Answer | _Refused:
            if intent is not None:
                stored = await idempotency_repo.find(txn.conn, intent.key, txn.now - KEY_LIFETIME)
                if stored is not None:
                    if stored.fingerprint != intent.fingerprint:
                        raise Invalid(
                            f"Idempotency-Key '{intent.key}' was already used for a different request; "
                            "send a new key for a new action"
                        )
                    return Answer(stored.status, stored.answer, replayed=True)
            try:
                made = rule(txn)
                made = await made if isinstance(made, Awaitable) else made
                adjustment, extra = made if isinstance(made, tuple) else (made, {})
            except AppError as exc:
                if exc.status == 409:
                    exc.details.setdefault("state", self._txn_state(txn))
                if intent is None or exc.status >= 500:
                    raise
                await idempotency_repo.store(
                    txn.conn,
                    intent.key,
                    event_id,
                    intent.fingerprint,
                    exc.status,
                    error_body(exc),
                    None,
                    txn.now,
                    txn.now - KEY_LIFETIME,
                )
                return _Refused(exc)
            recorded = await txn.append(adjustment, actor)
            if adjustment.seq and recorded.seq != adjustment.seq:  # a number promised in advance must hold
                raise Conflict("the run log moved on meanwhile; try again")
            body = {
                "kind": recorded.kind,
                "at": iso_utc(recorded.at),
                "seq": recorded.seq,
                "state": self._txn_state(txn),
                **extra,
            }
            if intent is not None:
                await idempotency_repo.store(
                    txn.conn,
                    intent.key,
                    event_id,
                    intent.fingerprint,
                    status,
                    body,
                    recorded.seq,
                    txn.now,
                    txn.now - KEY_LIFETIME,
                )
            return Answer(status, body)

        result = await self.engine.transact(event_id, work)
        if isinstance(result, _Refused):
            raise result.error
        return result
