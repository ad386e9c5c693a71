"""The inbox row of a verified webhook, computed without building a full ZoomEvent.

The request path needs only the dedupe key and three columns; parse_event would also build and
validate a 23-field pydantic model, a fifth of the handler's time, which the processor does
later anyway. It accepts and refuses exactly what parse_event does (tested against it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.core.text_rules import first_forbidden
from integrations.zoom.webhooks import dedupe_key


class NotStorable(ValueError):
    """A signed body that is not a Zoom event the inbox can hold (answered 400)."""


def _storable(text: str) -> bool:
    # The text rule (app/core/text_rules.py): PostgreSQL cannot hold NUL or a lone surrogate (from a
    # \ud800 escape in the JSON), and no real event name or meeting id holds a control character.
    return first_forbidden(text) is None


def inbox_row(payload: dict[str, Any], body: str, received_at: datetime) -> dict[str, Any]:
    """Columns for the inbox; `payload` is the decoded body, whose payload.object is a dict."""
    name = payload.get("event")
    if not isinstance(name, str) or "event_ts" not in payload:
        raise NotStorable("not a Zoom event: not a Zoom webhook: missing event or event_ts")
    try:  # the same conversion, and so the same range, as parse_event
        sent = datetime.fromtimestamp(int(payload["event_ts"]) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise NotStorable("not a Zoom event: bad event_ts") from exc
    obj = (payload.get("payload") or {}).get("object") or {}
    meeting_id = obj.get("id")
    meeting_id = None if meeting_id in (None, "") else str(meeting_id)
    if len(name) > 100 or len(meeting_id or "") > 64:
        raise NotStorable("event name or object.id too long")
    if not (_storable(name) and _storable(meeting_id or "")):
        # A database refusing the row would answer 5xx, and fail its whole group commit.
        field = "event" if not _storable(name) else "payload.object.id"
        raise NotStorable(f"{field} holds NUL, a control character or a lone surrogate")
    return {
        "dedupe_key": dedupe_key(payload),
        "event_name": name,
        "meeting_id": meeting_id,
        "event_ts": int(sent.timestamp() * 1000),
        "received_at": received_at,
        "body": body,
    }
