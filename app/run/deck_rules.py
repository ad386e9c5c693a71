"""The deck's relative verbs: run control a Stream Deck key can send with no ids and no body.

A key cannot know timer ids or send an Idempotency-Key, so each verb names its object relative to
the live state ("the current timer", "slot 2 of the current segment", "the stage message with id
wrap_up") and carries what the key showed instead: `from` (the segment it showed as current) for
advance, and `seq` (the run log's last number it showed) for every other verb. Both are checked
under the engine's lock, so a double press acts once: the second finds the show moved on and gets
409. Each verb ends in the ordinary rule of app/run/rules.py, so the run log, undo and the cue
re-plan are the ones every host action has. Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from app.core.errors import Conflict, Invalid, NotFound
from app.engine.service import Txn
from app.run import rules, stage_rules
from app.views.stage import pick_timer
from schedules.adjustments import Adjustment
from schedules.timers import Timer

UNSET = rules.UNSET
TIMER_VERBS = ("pause", "resume", "stop", "add")


def last_seq(actions: list[Adjustment]) -> int:
    """The run log's last number (0 before the first action): what the deck shows as `seq`."""
    return max((a.seq for a in actions), default=0)


def expect_seq(txn: Txn, seen: int | None) -> None:
    """422 without `seq`; 409 when the run log has moved past the `seq` the key showed."""
    if seen is None:
        raise Invalid(
            "seq: echo the deck's `seq` field (the last action the key saw), e.g. ?seq=$(showcaller:seq); "
            "a key without it could act twice on a double press"
        )
    now = last_seq(txn.actions)
    if seen != now:
        raise Conflict(
            f"the show changed since your key showed it (seq {seen}, now {now}); "
            "nothing was done: look at the key again and press once more"
        )


def advance(txn: Txn, shown: Any) -> Adjustment:
    """Advance from the segment the key showed (`from`; empty: nothing was running)."""
    if shown is UNSET:
        raise Invalid(
            "from: echo the deck's `current_id` field (the segment the key shows), e.g. "
            "?from=$(showcaller:current_id); without it a double press would skip a segment"
        )
    return rules.advance(txn, None, shown or None)


def hold_toggle(txn: Txn) -> Adjustment:
    """Hold a running segment, or resume a held one."""
    return rules.resume(txn) if rules.not_ended(txn).held else rules.hold(txn)


def current_timer(txn: Txn) -> Timer:
    """The timer the presenter view shows now (the one started last that is not stopped)."""
    timer = pick_timer(txn.schedule, rules.not_ended(txn).timers, None)
    if timer is None:
        raise Conflict("no timer is running or paused: start one first (e.g. POST .../deck/timers/slot/1)")
    return timer


def timer(txn: Txn, action: str, seconds: int) -> tuple[Adjustment, dict[str, Any]]:
    """pause, resume, stop or add `seconds` to the current timer."""
    timer_id = current_timer(txn).id
    checks = {
        "pause": rules.pause_timer,
        "resume": rules.resume_timer,
        "stop": rules.stop_timer,
        "add": lambda t, i: rules.add_time(t, i, seconds),
    }
    return checks[action](txn, timer_id), {"timer_id": timer_id}


def start_slot(txn: Txn, slot: int) -> tuple[Adjustment, dict[str, Any]]:
    """Start respondent slot `slot` of the current segment (its minutes from the schedule)."""
    if slot < 1:
        raise Invalid("slot: respondent slots count from 1")
    started = rules.start_timer(txn, segment=None, slot=slot, person=None, seconds=None, label=None)
    return started, {"timer_id": started.timer_id}


def stage_message(txn: Txn, message_id: str, flash: bool, blackout: bool = False) -> Adjustment:
    """Show the schedule's stage message `message_id` (stage.messages) on the presenter view
    (`blackout`: alone on a black screen)."""
    presets = txn.schedule.stage.preset_ids()
    if message_id not in presets:
        known = ", ".join(presets) or "none: add stage.messages to the schedule"
        raise NotFound(f"no stage message '{message_id}' in {txn.event_id} (known: {known})")
    return stage_rules.show(txn, presets[message_id], flash, blackout)


def delay(txn: Txn, minutes: int) -> Adjustment:
    """Report a delay of `minutes` (negative: running early), in the schedule's delay mode."""
    return rules.delay(txn, minutes * 60, None)


# verb -> (rule taking the transaction and the route's arguments, HTTP status of a success)
VERBS: dict[str, tuple[Any, int]] = {
    "advance": (advance, 200),
    "hold": (hold_toggle, 200),
    "timer": (timer, 200),
    "slot": (start_slot, 201),
    "stage": (stage_message, 201),
    "stage_clear": (stage_rules.clear, 200),
    "delay": (delay, 200),
}
