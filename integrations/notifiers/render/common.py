"""What every renderer shares: the request it produces and safe text shortening."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from integrations.notifiers.message import Notification, Severity

ELLIPSIS = "…"

SEVERITY_EMOJI = {Severity.info: "", Severity.warning: "⚠️", Severity.danger: "🚨"}


@dataclass(frozen=True)
class RenderedRequest:
    """An HTTP body ready to POST, its headers, and the payload it encodes (None for plain text)."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    payload: Any = None

    @property
    def content_type(self) -> str:
        """The Content-Type header value."""
        return self.headers.get("content-type", "")


def json_request(payload: Any, extra_headers: dict[str, str] | None = None) -> RenderedRequest:
    """Encode `payload` compactly as UTF-8 JSON."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"content-type": "application/json; charset=utf-8", **(extra_headers or {})}
    return RenderedRequest(body=body, headers=headers, payload=payload)


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in … when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def headline(n: Notification) -> str:
    """The title with a severity marker in front (no marker for info)."""
    mark = SEVERITY_EMOJI[n.severity]
    return f"{mark} {n.title}" if mark else n.title


def context_line(n: Notification) -> str:
    """Event · segment · local time, the small print under a message."""
    parts = [n.event_title, n.segment_title or "", n.local()]
    return " · ".join(p for p in parts if p)


def plain_text(n: Notification, text: str) -> str:
    """A readable plain-text rendering: headline, body, fields, links, context."""
    lines = [headline(n)]
    if text:
        lines.append(text)
    lines.extend(f"{label}: {value}" for label, value in n.display_fields())
    lines.extend(f"{label}: {url}" for label, url in n.links)
    lines.append(context_line(n))
    return "\n".join(lines)
