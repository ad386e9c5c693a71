"""The rules of the stage actions, checked by the run service under the engine's lock (nothing here writes)."""

from __future__ import annotations

from app.core.errors import Conflict, Invalid
from app.engine.service import Txn
from app.run.rules import not_ended
from schedules.adjustments import Adjustment, StageClear, StageMessage, effective
from schedules.stage import stage_message

MAX_TEXT = 200


def show(txn: Txn, text: str, flash: bool, blackout: bool) -> Adjustment:
    """A message for the presenter view (one line, at most 200 characters)."""
    line = " ".join(text.split())
    if not line:
        raise Invalid("message: write the words the stage should see")
    if len(line) > MAX_TEXT:
        raise Invalid(f"message: at most {MAX_TEXT} characters (it has {len(line)}); the stage must read it at 3 m")
    not_ended(txn)
    return StageMessage(txn.now, text=line, flash=flash, blackout=blackout)


def clear(txn: Txn) -> Adjustment:
    """Clear the message; allowed after the end too, so a blackout never sticks."""
    if stage_message(effective(txn.actions)) is None:
        raise Conflict("no stage message is shown")
    return StageClear(txn.now)
