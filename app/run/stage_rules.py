"""The rules of the stage actions, checked by the run service under the engine's lock (nothing here writes)."""

from __future__ import annotations

from app.core.errors import Conflict, Invalid
from app.engine.service import Txn
from app.run.rules import not_ended
from schedules.adjustments import Adjustment, StageClear, StageMessage, effective
from schedules.stage import stage_message

MAX_TEXT = 200
MAX_EXPIRES = 3600  # a message that should stay longer is one to keep until cleared


def show(
    txn: Txn,
    text: str,
    flash: bool,
    blackout: bool,
    until_cleared: bool = False,
    expires_after: int | None = None,
) -> Adjustment:
    """A message for the presenter view (one line, at most 200 characters). It goes when its
    segment ends unless `until_cleared`, and after `expires_after` seconds when given."""
    line = " ".join(text.split())
    if not line:
        raise Invalid("message: write the words the stage should see")
    if len(line) > MAX_TEXT:
        raise Invalid(f"message: at most {MAX_TEXT} characters (it has {len(line)}); the stage must read it at 3 m")
    if expires_after is not None and not 1 <= expires_after <= MAX_EXPIRES:
        raise Invalid(
            f"expires_after: between 1 and {MAX_EXPIRES} seconds (it is {expires_after}); "
            "for longer, keep it until cleared"
        )
    not_ended(txn)
    return StageMessage(
        txn.now,
        text=line,
        flash=flash,
        blackout=blackout,
        until_cleared=until_cleared,
        expires_after=expires_after,
    )


def clear(txn: Txn) -> Adjustment:
    """Clear the message shown now (one that went by itself, with its segment or its expiry, is
    not shown: nothing to clear)."""
    if stage_message(effective(txn.actions), txn.timeline(), txn.now) is None:
        raise Conflict("no stage message is shown")
    return StageClear(txn.now)
