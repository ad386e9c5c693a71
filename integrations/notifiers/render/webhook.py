"""Generic JSON webhook: every notification field, signed with Standard Webhooks headers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations.notifiers.message import Notification, format_local


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def build(n: Notification, text: str) -> dict[str, Any]:
    """The `{"type": "cue.<kind>", "timestamp", "data"}` envelope for `n` with body `text`."""
    fields = [
        {
            "label": label,
            "value": format_local(value, n.timezone, reader=n.reader) if isinstance(value, datetime) else value,
            "at": _iso(value) if isinstance(value, datetime) else None,
        }
        for label, value in n.fields
    ]
    at = _iso(n.at)
    return {
        "type": f"cue.{n.kind}",
        "timestamp": at,
        "data": {
            "delivery_id": n.delivery_id,
            "event_id": n.event_id,
            "event_title": n.event_title,
            "cue_id": n.cue_id,
            "kind": n.kind,
            "title": n.title,
            "text": text,
            "at": at,
            "local_time": n.local(),
            "timezone": n.timezone,
            "segment_title": n.segment_title,
            "severity": n.severity.value,
            "fields": fields,
            "links": [{"label": label, "url": url} for label, url in n.links],
            # Only a target with its own locale says which (an English payload is unchanged).
            **({"locale": n.reader.tag} if n.locale else {}),
        },
    }
