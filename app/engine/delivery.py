"""The delivery worker: sends each fired cue to its targets, on time, in order, exactly once.

Each target's messages go out in creation order (a message waiting for its retry holds back the
ones behind it), targets are served concurrently, every retry carries the same delivery id, and a
delivery stops being retried once its cue no longer matters.

Database work is kept off the sending path: a lane claims its messages in batches (one statement,
one query for their cues), and outcomes are written behind the sender, many per transaction, in
order. A crash between a POST and its "sent" row only means that message goes again under the
same id, which receivers dedupe; that window existed with one transaction per message too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import groupby
from types import SimpleNamespace
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.vocabulary import DeliveryStatus
from app.engine.clock import Clock
from app.engine.compose import Buttons, compose
from app.engine.dispatch import Dispatch
from app.engine.targets import Resolved
from app.store import outbox_repo
from integrations.notifiers.backoff import retry_delay
from integrations.notifiers.kinds import TargetKind
from integrations.notifiers.outcome import DeliveryOutcome, DeliveryResult
from integrations.notifiers.pacing import SlackPacer
from integrations.notifiers.sender import send
from schedules.audience import target_reader
from schedules.i18n import SHIPPED, CatalogSearch, Words, words_for
from schedules.model import Schedule
from schedules.zoom_actions import ZOOM_TARGET

log = logging.getLogger("showcaller.delivery")
LEASE = timedelta(seconds=60)
# Messages a lane leases per claim (and outcomes stored per commit): each claim is a transaction
# between two messages of the lane, so 50 cost B3 a twentieth of its throughput.
CLAIM_BATCH = 200
# Seconds an outcome may wait for others to share its commit while a lane streams (a pass and a fired
# cue's sends store what is left when they end). Each commit costs the event loop ~0.35 ms: at 20 ms a
# backlog spent a twentieth of its time committing (B3). A crash inside the window only sends those
# messages again, under their same ids, like any message sent but not yet recorded.
LINGER = 0.05
# Seconds a stopping worker waits for the sends under way (SHOWCALLER_SHUTDOWN_GRACE_SECONDS); a send
# still going after it is cut short and goes again after the restart, under its id.
STOP_GRACE = 5.0
VOICES_KEPT = 4096  # (event, target) voices cached; cleared whole when full


def _explain(outcome) -> str:
    """What went wrong, with the receiver's own answer: hosts fix targets from this text."""
    error = outcome.error or f"HTTP {outcome.status_code}"
    answer = (outcome.answer or "").strip()
    return (f"{error}; the receiver said: {answer}" if answer else error)[:2048]


class _Recorder:
    """Writes attempt outcomes in the background, in order, many per transaction.

    Outcomes linger a few milliseconds so one commit covers many messages (group commit); a
    crash inside that window only re-sends those messages under their same ids.
    """

    def __init__(
        self,
        db: AsyncEngine,
        on_change: Callable[[str, str], None],
        on_outcome: Callable[[Any, dict[str, Any]], None] | None = None,
    ):
        self.db, self.on_change, self.on_outcome = db, on_change, on_outcome
        self._queue: list[tuple[Any, dict[str, Any]]] = []
        self._task: asyncio.Task | None = None
        self._now = asyncio.Event()

    def add(self, row, **values: Any) -> None:
        self._queue.append((row, values))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        while self._queue:
            if len(self._queue) < CLAIM_BATCH and not self._now.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._now.wait(), LINGER)
            batch, self._queue = self._queue, []
            async with self.db.begin() as conn:
                await outbox_repo.finish_many(conn, [(row.id, values) for row, values in batch])
            for row, values in batch:
                if self.on_outcome is not None:
                    self.on_outcome(row, values)
                self.on_change(row.event_id, values.get("status", ""))

    async def flush(self) -> None:
        """Store every queued outcome now and wait for it (raises if storing failed)."""
        self._now.set()
        if self._task is not None:
            await self._task


@dataclass(frozen=True)
class _Voice:
    """How one event's target is written to: its schedule as loaded, its spec and its words."""

    schedule: Schedule
    spec: Any
    words: Words


@dataclass
class DeliveryWorker:
    """Drains the deliveries table; `kick()` after cues fire, `run()` as a background task."""

    db: AsyncEngine
    http: httpx.AsyncClient
    clock: Clock
    schedules: Callable[[str], Schedule]
    targets: Callable[[str], Resolved]
    links: Callable[[str], list[tuple[str, str]]] = lambda event_id: []
    # (event id, target id, delivery id) -> the message's action buttons, made as it is composed
    # (app/run/action_links.py); a failure there sends the message without them.
    buttons: Callable[[str, str, str], Awaitable[Buttons]] | None = None
    pacer: SlackPacer | None = None
    timeout: float = 10.0
    rng: random.Random = field(default_factory=random.Random)
    on_change: Callable[[str, str], None] = lambda event_id, reason: None
    # Quarantined events (id -> reason): their schedule is not loaded, so their deliveries wait.
    skip_events: dict[str, str] = field(default_factory=dict)
    on_outcome: Callable[[Any, dict[str, Any]], None] | None = None  # each stored outcome (metrics, logs)
    # Several instances: its fence raises unless this one still holds the dispatcher lease
    # (app/cluster/lease.py), checked in every claim's transaction so a deposed dispatcher claims nothing more.
    dispatch: Dispatch = field(default_factory=Dispatch)
    # Called with each event that has deliveries to send, before they are sent: loads an event
    # still catching up after a restart (RunEngine.ensure_loaded).
    prepare: Callable[[str], Awaitable[None]] | None = None
    stop_grace: float = STOP_GRACE
    # The sender of the @zoom pseudo-target (schedules/zoom_actions.py): (event id, schedule, cue row)
    # -> the outcome of doing the cue's Zoom action (app/zoom/actions.py). None: those deliveries park.
    zoom: Callable[[str, Schedule, Any], Awaitable[DeliveryOutcome]] | None = None
    # Where each target's words come from: the organiser's catalogs, then the shipped ones; drafts
    # only in a rehearsal's preview (bootstrap.started(drafts=True)), each marked as a draft.
    catalogs: CatalogSearch = SHIPPED
    _kick: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _direct: set[asyncio.Task] = field(default_factory=set)
    # The sends under way, each inside its own asyncio.timeout: a stop past its grace expires them
    # (no task per send, and only the HTTP call is cut, never a database call).
    _sending: set[asyncio.Timeout] = field(default_factory=set)
    _cutter: asyncio.TimerHandle | None = None
    _voices: dict[tuple[str, str], _Voice] = field(default_factory=dict)

    def kick(self) -> None:
        """Something may be due now. While a fired cue's messages are being sent straight from the
        firing (`send_claimed`), the pass waits for them: the last of them ends with one
        (`_sent_claimed`), and a pass beside them (two queries and their bookkeeping on the event
        loop, at every fire) only delayed them (issue 27, B4's arrival)."""
        if not self._direct:
            self._kick.set()

    def request_stop(self) -> None:
        """Finish the pass under way, store its outcomes, and end `run()`.

        Stopping by cancelling instead cut database calls in half. On SQLite that made SQLAlchemy
        close the connection in a shielded task, and a second cancel during that close left
        aiosqlite waiting for a thread that had already ended: a shutdown that never finished
        (seen in CI as a 120 s teardown timeout).

        The sends under way get `stop_grace` seconds; then each is cut short (its HTTP call only),
        put back as pending, and goes again after the restart under the same id (receivers dedupe).
        The lanes take no message after the stop, so the pass ends within the grace."""
        self._stopping.set()
        self._kick.set()
        if self._cutter is None:
            with contextlib.suppress(RuntimeError):  # no loop: nothing can be under way
                self._cutter = asyncio.get_running_loop().call_later(self.stop_grace, self._cut_short)

    def _cut_short(self) -> None:
        now = asyncio.get_running_loop().time()
        for deadline in list(self._sending):
            deadline.reschedule(now)

    def lease_until(self, now, count: int):
        """The lease for `count` deliveries claimed at `now`: long enough for each to time out once.

        The HTTP timeouts it must outlast run in real seconds, while `now` is the event clock, which
        a rehearsal runs up to thousands of times faster: the span is scaled by the clock's speed.
        (Unscaled, a 70 s lease was 29 ms of real time at speed 2400, and a send slower than that on
        a busy machine was claimed again by the next pass and posted twice under its id.)"""
        real = LEASE.total_seconds() + self.timeout * max(1, count)
        return now + timedelta(seconds=real * getattr(self.clock, "speed", 1.0))

    def send_claimed(self, batch: list[tuple[dict[str, Any], Any]]) -> None:
        """Send deliveries the firing transaction committed already claimed (`sending`, leased),
        each with its cue row: no look-up and no claim round trip between the fire and the POST.
        Exactly as safe as a claim by `drain`: a crash before the outcome is stored leaves the
        lease, which the next start puts back, and the message goes again under the same id."""
        task = asyncio.get_running_loop().create_task(self._send_claimed(batch), name="delivery-direct")
        self._direct.add(task)
        # A rehearsal's clock stands still while a fired cue's messages (and Zoom actions) go out.
        self.clock.owe("sends", self.clock.now())
        task.add_done_callback(self._sent_claimed)

    def _sent_claimed(self, task: asyncio.Task) -> None:
        # However the sends ended: the last one lets the paced clock go and runs the pass the kicks
        # meanwhile waited for (whatever queued behind them may go now).
        self._direct.discard(task)
        if not self._direct:
            self.clock.owe("sends", None)
            self._kick.set()

    async def _send_claimed(self, batch: list[tuple[dict[str, Any], Any]]) -> None:
        # The view of a row before its claim: attempts as stored before this first attempt.
        rows = [(SimpleNamespace(**{**values, "attempts": 0}), cue) for values, cue in batch]
        rows.sort(key=lambda item: (item[0].event_id, item[0].target_id, item[0].seq))
        recorder = _Recorder(self.db, self.on_change, self.on_outcome)

        async def lane(items: list) -> None:
            for position, (row, cue) in enumerate(items):
                if not await self._attempt(row, cue, recorder):
                    for later, _ in items[position + 1 :]:  # back to the queue, behind the retry
                        recorder.add(later, status=DeliveryStatus.PENDING, attempts=later.attempts)
                    return

        lanes = [list(group) for _, group in groupby(rows, key=lambda item: (item[0].event_id, item[0].target_id))]
        try:
            results = await asyncio.gather(*(lane(items) for items in lanes), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    log.error("sending a fired cue's deliveries failed: %r", result)
        finally:
            await recorder.flush()

    async def recover(self) -> int:
        """Release the leases a killed process left behind (call once, before serving)."""
        async with self.db.begin() as conn:
            released = await outbox_repo.release_leases(conn)
        if released:
            log.warning("released %d delivery lease(s) left by a previous process", released)
        return released

    async def run(self) -> None:
        """Serve until `request_stop()`: recover leases, then a pass and sleep until the next retry
        or a kick. Stopped, it lets the sends under way finish for up to `stop_grace` seconds."""
        self._stopping.clear()  # a dispatcher that lost its lease and won it back runs again
        if self._cutter is not None:
            self._cutter.cancel()
            self._cutter = None
        try:
            await self.recover()
        except Exception:  # a lease left behind only delays its lane until it times out
            log.exception("could not release leases left by a previous process")
        try:
            await self._serve()
            if self._direct:  # (cut short at the grace like the rest: this wait is a backstop)
                await asyncio.wait(set(self._direct), timeout=self.stop_grace + 1.0)
        finally:
            for task in list(self._direct):  # cut short: their leases make them go again after a restart
                task.cancel()

    async def _serve(self) -> None:
        while not self._stopping.is_set():
            self._kick.clear()
            try:
                await self.drain()
            except Exception:  # the worker must outlive one bad pass; the rows stay for the next
                log.exception("delivery pass failed")
            if self._stopping.is_set():
                return
            async with self.db.begin() as conn:
                upcoming = await outbox_repo.next_attempt(conn)
            delay = self.clock.real_delay(upcoming) if upcoming else 3600.0
            try:
                await asyncio.wait_for(self._kick.wait(), timeout=max(0.01, min(delay, 3600.0)))
            except TimeoutError:
                pass

    async def drain(self) -> int:
        """One pass over everything claimable now; returns how many attempts were made."""
        now = self.clock.now()
        async with self.db.begin() as conn:
            rows = await outbox_repo.claimable(conn, now, exclude=self.skip_events)
            blocked = await outbox_repo.blocked_targets(conn, now) if rows else set()
        if not rows:
            return 0
        if self.prepare is not None:
            for event_id in dict.fromkeys(row.event_id for row in rows):
                await self.prepare(event_id)
            rows = [row for row in rows if row.event_id not in self.skip_events]  # quarantined while loading
        # A lane is one event's target: the same target id in two events never shares an order.
        lanes = [
            list(group) for lane, group in groupby(rows, key=lambda r: (r.event_id, r.target_id)) if lane not in blocked
        ]
        recorder = _Recorder(self.db, self.on_change, self.on_outcome)
        # Every lane finishes and its outcomes are stored even if another lane fails.
        counts = await asyncio.gather(*(self._lane(lane, recorder) for lane in lanes), return_exceptions=True)
        await recorder.flush()
        for count in counts:
            if isinstance(count, BaseException):
                raise count
        return sum(counts)  # type: ignore[arg-type]  # exceptions re-raised above

    async def _lane(self, rows: list, recorder: _Recorder) -> int:
        attempts = 0
        for first in range(0, len(rows), CLAIM_BATCH):
            if self._stopping.is_set():  # the rest stays pending, unclaimed, for the next start
                break
            chunk = rows[first : first + CLAIM_BATCH]
            now = self.clock.now()
            until = self.lease_until(now, len(chunk))  # every message of the batch may time out once
            async with self.db.begin() as conn:
                await self.dispatch.check(conn)
                claimed = await outbox_repo.claim(conn, [r.id for r in chunk], now, until)
                cues = await outbox_repo.cues_of(conn, chunk)
            for position, row in enumerate(chunk):
                go_on = row.id in claimed  # unclaimed: someone else holds it; keep the order
                if go_on and self._stopping.is_set():  # stopping: this one and the rest wait for the next start
                    recorder.add(row, status=DeliveryStatus.PENDING, attempts=row.attempts)
                    go_on = False
                elif go_on:
                    attempts += 1
                    go_on = await self._attempt(row, cues.get((row.event_id, row.cue_id)), recorder)
                if not go_on:
                    for later in chunk[position + 1 :]:
                        if later.id in claimed:  # back to the queue, as if never claimed
                            recorder.add(later, status=DeliveryStatus.PENDING, attempts=later.attempts)
                    return attempts
        return attempts

    async def _send_cuttable(self, target, notification, template):
        """`send`, or None when a stop's grace ran out while it was under way."""
        deadline = asyncio.timeout(None)
        try:
            async with deadline:
                self._sending.add(deadline)
                try:
                    return await send(
                        self.http, target, notification, template=template, timeout=self.timeout, pacer=self.pacer
                    )
                finally:
                    self._sending.discard(deadline)
        except TimeoutError:
            if not deadline.expired():  # not ours
                raise
            return None

    def _voice(self, event_id: str, target_id: str) -> _Voice:
        """How this target's messages are written, worked out once per loaded schedule (not per
        message: the catalog look-up and the target's spec were a tenth of a message's own work)."""
        schedule = self.schedules(event_id)
        voice = self._voices.get((event_id, target_id))
        if voice is None or voice.schedule is not schedule:  # a reload gives a new schedule object
            if len(self._voices) >= VOICES_KEPT:
                self._voices.clear()
            spec = next((t for t in schedule.targets if t.id == target_id), None)
            voice = self._voices[(event_id, target_id)] = _Voice(
                schedule, spec, _words(schedule, spec, target_id, self.catalogs)
            )
        return voice

    def _expired(self, row, at) -> bool:
        # Two real seconds of queueing are not a reason to give up, however fast a rehearsal runs.
        grace = timedelta(seconds=2 * getattr(self.clock, "speed", 1.0))
        return row.expires_at is not None and at > row.expires_at + grace

    def _paced_past_expiry(self, row, target) -> bool:
        """Whether waiting for the target's pacing slot (Slack: one per second, longer after a 429)
        would send this message after its expiry: a backlog then drains by expiring, never by
        holding the lane, and everything queued behind it gets its turn in time."""
        if self.pacer is None or target.kind is not TargetKind.slack:
            return False
        wait = self.pacer.ready_in(target.url_key)  # real seconds; the event clock may run faster
        return wait > 0 and self._expired(row, self.clock.now() + timedelta(seconds=wait * self._speed))

    @property
    def _speed(self) -> float:
        return float(getattr(self.clock, "speed", 1.0))

    async def _buttons(self, row) -> Buttons | None:
        if self.buttons is None:
            return None
        try:
            return await self.buttons(row.event_id, row.target_id, row.id)
        except Exception:  # the message matters more than its buttons
            log.exception("could not make the action buttons of a message; it goes without them")
            return None

    async def _attempt(self, row, cue, recorder: _Recorder) -> bool:
        """Try one claimed delivery; True when the lane may go on to the next message."""
        if self._expired(row, self.clock.now()):
            recorder.add(
                row,
                status=DeliveryStatus.EXPIRED,
                attempts=row.attempts,
                last_error="gave up: the cue no longer matters",
            )
            return True
        if row.target_id == ZOOM_TARGET:
            return await self._zoom_attempt(row, cue, recorder)
        resolved = self.targets(row.event_id)
        target = resolved.configs.get(row.target_id)
        problem = None if cue is not None else f"cue '{row.cue_id}' no longer exists"
        if target is None:
            problem = resolved.problems.get(row.target_id, f"target '{row.target_id}' is not in the schedule")
        if problem:
            recorder.add(row, status=DeliveryStatus.PARKED, attempts=row.attempts, last_error=problem)
            return True
        if self._paced_past_expiry(row, target):
            recorder.add(
                row,
                status=DeliveryStatus.EXPIRED,
                attempts=row.attempts,
                last_error="gave up: the target's pacing (one message per second) would post it after the cue "
                "no longer matters",
            )
            return True
        voice = self._voice(row.event_id, row.target_id)
        buttons = await self._buttons(row)
        links = self.links(row.event_id)
        notification = compose(voice.schedule, cue, row.id, target.timezone, links, buttons, voice.words)  # type: ignore[union-attr]  # target is set when problem is empty
        template = voice.spec.template if voice.spec is not None else None
        # Signatures and Retry-After dates are about real time, even in a rehearsal's fast clock.
        outcome = await self._send_cuttable(target, notification, template)  # (target is set: no problem)
        if outcome is None:  # cut short by a stop: it may have arrived, so it goes again under its id
            recorder.add(
                row,
                status=DeliveryStatus.PENDING,
                attempts=row.attempts + 1,
                last_error="cut short by a shutdown; sent again after the restart under the same id",
            )
            return False
        return self._record(row, outcome, recorder)

    async def _zoom_attempt(self, row, cue, recorder: _Recorder) -> bool:
        """A Zoom action: the Zoom sender does it; its outcome is stored like a message's."""
        problem = None if cue is not None else f"cue '{row.cue_id}' no longer exists"
        if problem is None and self.zoom is None:
            problem = "no Zoom sender is configured on this instance"
        if problem:
            recorder.add(row, status=DeliveryStatus.PARKED, attempts=row.attempts, last_error=problem)
            return True
        outcome = await self.zoom(row.event_id, self.schedules(row.event_id), cue)  # type: ignore[misc]  # checked above
        return self._record(row, outcome, recorder)

    def _record(self, row, outcome: DeliveryOutcome, recorder: _Recorder) -> bool:
        """Store an attempt's outcome: sent, parked, expired or pending its retry; True when the lane
        may go on to the next message."""
        if outcome.result is DeliveryResult.ok:
            recorder.add(
                row,
                status=DeliveryStatus.SENT,
                sent_at=self.clock.now(),
                last_status=outcome.status_code,
                last_error=None,
            )
            return True
        error = _explain(outcome)
        if outcome.result is DeliveryResult.permanent:
            recorder.add(row, status=DeliveryStatus.PARKED, last_status=outcome.status_code, last_error=error)
            return True
        wait = retry_delay(outcome, row.attempts + 1, rng=self.rng)
        retry_at = self.clock.now() + timedelta(seconds=wait)
        if self._expired(row, retry_at):
            recorder.add(
                row,
                status=DeliveryStatus.EXPIRED,
                last_status=outcome.status_code,
                last_error=f"gave up after {row.attempts + 1} attempts: {error}",
            )
            return True
        recorder.add(
            row,
            status=DeliveryStatus.PENDING,
            next_attempt_at=retry_at,
            last_status=outcome.status_code,
            last_error=error,
        )
        return False


def _words(schedule: Schedule, spec: Any, target_id: str, catalogs: CatalogSearch = SHIPPED) -> Words:
    """The words of target `target_id`: its locale's catalog (English when it has none). A string
    the catalog lacks goes out in English and says so in the log; the schedule's load refuses an
    event whose targets' locales lack a string it needs (schedules/catalog_check.py), so this is
    only for what that check did not foresee. Catalogs are read once per process (restart after
    editing one)."""

    def missing(msgid: str) -> None:
        log.warning("target %s: no %s translation of %r; sent in English", target_id, words.reader.locale, msgid)

    words = words_for(target_reader(schedule, spec), catalogs, on_missing=missing)
    return words
