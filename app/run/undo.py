"""Undo: which host action can still be reverted, how it reads, and the corrections it owes.

Undo is an entry in the run log that cancels one earlier action; the timeline replays without it.
Messages the undone action already caused are withdrawn: a message not yet delivered is never
sent, and each target that did receive one gets a single correction naming what to disregard.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import Conflict
from app.core.vocabulary import DeliveryStatus
from app.engine.service import Txn
from app.run import rundown_rules
from app.store import outbox_repo
from schedules import button_words as words
from schedules import cue_words, graphemes
from schedules.adjustments import (
    Adjustment,
    Advance,
    Announce,
    Delay,
    EndEvent,
    Hold,
    Resume,
    StageClear,
    StageMessage,
    TimerAdd,
    TimerPause,
    TimerResume,
    TimerStart,
    TimerStop,
    Undo,
    ZoomControl,
    effective,
)
from schedules.audience import target_reader
from schedules.graphemes import prefix
from schedules.i18n import ENGLISH_WORDS, SHIPPED, CatalogSearch, Words, words_for
from schedules.model import Schedule
from schedules.timeline import RunState, build_timeline
from schedules.zoom_actions import ZOOM_INVERSE, ZOOM_TARGET

log = logging.getLogger("showcaller.undo")

# Actions taken by the service itself (readiness follow-ups) are not what a host means to undo.
SYSTEM_ACTORS = frozenset({"readiness", "zoom"})
RECEIVED = (DeliveryStatus.SENT, DeliveryStatus.SENDING)


def last_undoable(
    actions: list[Adjustment], actors: dict[int, str | None], now: datetime, window: timedelta
) -> Adjustment | None:
    """The action an undo would revert now: the latest one still in effect, if within the window."""
    for action in reversed(effective(actions)):
        if actors.get(action.seq) in SYSTEM_ACTORS:
            continue
        return action if now - action.at <= window else None
    return None


def refuse(actions: list[Adjustment], window: timedelta) -> Conflict:
    """Why there is nothing to undo."""
    last = effective(actions)
    if not last:
        return Conflict("nothing to undo: no host action is in effect")
    minutes = window.total_seconds() / 60
    return Conflict(f"nothing to undo: the last action (#{last[-1].seq} {last[-1].kind}) is older than {minutes:g} min")


# The words of the actions an undo offer names (translated where the offer is shown).
SIMPLE = {
    StageClear: words.CLEAR_STAGE,
    Hold: words.HOLD,
    Resume: words.RESUME,
    EndEvent: words.END_EVENT,
    TimerPause: words.PAUSE_TIMER,
    TimerResume: words.RESUME_TIMER,
    TimerAdd: words.ADD_TIME,
    TimerStop: words.STOP_TIMER,
}


def summary(schedule: Schedule, actions: list[Adjustment], action: Adjustment, w: Words = ENGLISH_WORDS) -> str:
    """One line a host recognises: 'Next segment: Open discussion', 'Delay +5 min', ..., in `w`'s
    words (English by default: the console's and the API's); titles for `w`'s reader."""
    edit = rundown_rules.summary(schedule, action, w)
    if edit is not None:
        return edit
    if isinstance(action, Advance):
        before = [a for a in effective(actions) if a.seq <= action.seq]
        then = build_timeline(schedule, before, action.at)
        state = then.state_at(action.at)
        if state.current:
            landed = cue_words.segment_title(w, then.rundown.segment(state.current.id), str(state.current.id))
        else:
            landed = w._(words.THE_END)
        return w._(words.JUMP_TO, title=landed) if action.to else w._(words.NEXT_SEGMENT, title=landed)
    if isinstance(action, Delay):
        minutes = w.reader.digits_of(f"{action.seconds / 60:+g}")
        mode = f" ({w._(words.DELAY_MODES.get(action.mode, action.mode))})" if action.mode else ""
        return w._(words.DELAY_BY, minutes=minutes) + mode
    if isinstance(action, TimerStart):
        return w._(words.START_TIMER, label=action.label)
    if isinstance(action, Announce):
        text = graphemes.cut(action.message, 60, ellipsis="...", trim=False)
        return w._(words.ANNOUNCEMENT, text=text)
    if isinstance(action, StageMessage):
        return w._(words.STAGE_MESSAGE, text=action.text)
    if isinstance(action, ZoomControl):
        return w._(words.ZOOM, action=action.action.replace(".", " "))
    kind = next((v for k, v in SIMPLE.items() if isinstance(action, k)), None)
    named = w._(kind) if kind else action.kind
    timer = getattr(action, "timer_id", "")
    return f"{named} {timer}".strip()


def situation(schedule: Schedule, state: RunState, w: Words = ENGLISH_WORDS) -> str:
    """Where the event stands after the undo, in words for a correction (in `w`'s locale)."""
    current = state.current.id if state.current is not None else None
    segment = schedule.segment(current) if current else None
    return cue_words.correction_situation(w, schedule, state.status, segment, state.held, str(current or ""))


def _listed(labels: list[str]) -> str:
    return cue_words.listed(ENGLISH_WORDS, labels)


QUOTE_CHARS = 60  # enough of an announcement to recognise it in the channel


def withdrawn_label(schedule: Schedule, row, w: Words = ENGLISH_WORDS) -> str:
    """What a reader should disregard. Every announcement has the same title, so one is named by
    when it was posted (the event's clock) and how it began; other cues by their own title, as
    this reader was sent it."""
    if row.kind != "announcement":
        title = row.title
        if not w.reader.english:
            title = cue_words.render_cue(
                w, schedule, row.kind, row.cue_id, row.segment, row.data or {}, row.title, row.message
            )[0]
        return cue_words.withdrawn_cue(w, title)
    text = " ".join(row.message.split())
    if len(text) > QUOTE_CHARS:  # cut at a word, so the quote reads as the channel shows it
        # Between grapheme clusters where there is no space (Thai, Khmer, Burmese write none).
        cut = prefix(text, QUOTE_CHARS - 2)
        text = (cut.rsplit(" ", 1)[0] if " " in cut else prefix(cut, len(cut) - 1)).rstrip() + "..."
    at = w.reader.clock(row.fired_at, schedule.event.timezone) if row.fired_at else None
    return cue_words.withdrawn_announcement(w, at, text)


async def withdraw(
    txn: Txn, target: Adjustment, undo_seq: int, catalogs: CatalogSearch = SHIPPED
) -> tuple[tuple[str, str, str], ...]:
    """Withdraw what `target` caused and return one correction (target id, title, message) per
    target that received any of it, in that target's locale (its catalog found by `catalogs`;
    English targets: as always). Zoom (the
    @zoom pseudo-target) gets the reverse of the last Zoom action it carried out (a recording started
    is stopped), named in the message, and the other corrections say so."""
    conn: AsyncConnection = txn.conn
    received: dict[str, list] = {}
    in_zoom: list[str] = []
    for row in await outbox_repo.caused_cues(conn, txn.event_id, target.seq):
        statuses = await outbox_repo.withdraw_firing(conn, row, undo_seq, txn.now)
        for target_id, status in statuses.items():
            if status not in RECEIVED:
                continue
            if target_id == ZOOM_TARGET:
                inverse = ZOOM_INVERSE.get(str((row.data or {}).get("action")))
                if inverse:
                    in_zoom.append(inverse)
                continue
            received.setdefault(target_id, []).append(row)
    if not received and not in_zoom:
        return ()
    after = txn.timeline(Undo(txn.now, undo_seq, target=target.seq)).state_at(txn.now)
    rundown = txn.timeline().rundown
    specs = {t.id: t for t in txn.schedule.targets}
    order = [t.id for t in txn.schedule.targets]
    undone_in_zoom = in_zoom[-1] if in_zoom else None
    out = []
    for target_id, rows in sorted(received.items(), key=lambda kv: _rank(order, kv[0])):
        w = words_for(target_reader(txn.schedule, specs.get(target_id)), catalogs, on_missing=_missing(target_id))
        labels = [withdrawn_label(txn.schedule, row, w) for row in rows]
        out.append((target_id, *cue_words.correction(w, situation(rundown, after, w), labels, undone_in_zoom)))
    if undone_in_zoom:
        out.append((ZOOM_TARGET, f"Correction: {situation(rundown, after)}", undone_in_zoom))
    return tuple(out)


def _missing(target_id: str):
    def note(message: str) -> None:
        log.warning("no translation of %r for target %s's correction; sent in English", message, target_id)

    return note


def _rank(order: list[str], target_id: str) -> int:
    return order.index(target_id) if target_id in order else len(order)
