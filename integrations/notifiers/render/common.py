"""What every renderer shares: the request it produces and safe text shortening."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from integrations.notifiers.message import Notification, Severity
from schedules import graphemes

ELLIPSIS = "…"

SEVERITY_EMOJI = {Severity.info: "", Severity.warning: "⚠️", Severity.danger: "🚨"}


@dataclass(frozen=True)
class RenderedRequest:
    """An HTTP body ready to POST, its headers, and the payload it encodes (None for plain text)."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    payload: Any = None
    # Query parameters the target's URL needs for this body (Discord: with_components=true).
    params: dict[str, str] = field(default_factory=dict)
    # Appended to the target's URL (a Slack app posts to `<Web API>/chat.postMessage`).
    path: str = ""

    @property
    def content_type(self) -> str:
        """The Content-Type header value."""
        return self.headers.get("content-type", "")


def json_request(payload: Any, extra_headers: dict[str, str] | None = None) -> RenderedRequest:
    """Encode `payload` compactly as UTF-8 JSON."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"content-type": "application/json; charset=utf-8", **(extra_headers or {})}
    return RenderedRequest(body=body, headers=headers, payload=payload)


# One user-perceived character (extended grapheme cluster, UAX #29): a flag, a family emoji, a letter with
# its accents. `regex` follows each new Unicode version; the stdlib `re` has no \X. One pattern for
# every cut Showcaller makes (schedules/graphemes.py).
GRAPHEME = graphemes.GRAPHEME


def units(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript counts it: never less than len(), so a text within
    `limit` units is within the limit whether a service counts code points or UTF-16 units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _same(text: str) -> str:
    return text


def truncate(text: str, limit: int, escape: Callable[[str], str] = _same) -> str:
    """`escape(text)` in at most `limit` UTF-16 units, ending in … when cut.

    The cut is made in the text before escaping, between grapheme clusters, each measured as it will be
    sent: an entity (`&amp;`), a surrogate pair or a cluster is never split. `escape` must work
    character by character (escape(a + b) == escape(a) + escape(b)).
    """
    whole = escape(text)
    if units(whole) <= limit:
        return whole
    room = limit - units(ELLIPSIS)
    if room < 0:
        return ""
    kept, used = [], 0
    for cluster in GRAPHEME.findall(text):
        size = units(escape(cluster))
        if used + size > room:
            break
        kept.append(cluster)
        used += size
    return escape("".join(kept).rstrip()) + ELLIPSIS


def joined_whole(items: list[str], sep: str, limit: int) -> str:
    """`items` joined by `sep` in at most `limit` UTF-16 units, each whole (a cut link is no link);
    when some do not fit, `sep` and … stand for them."""
    out = ""
    for item in items:
        longer = f"{out}{sep}{item}" if out else item
        if units(longer) > limit - units(sep + ELLIPSIS):
            if not out:
                return ELLIPSIS if limit >= units(ELLIPSIS) else ""
            return out + sep + ELLIPSIS
        out = longer
    return out


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
    lines.extend(n.field_line.format(label=label, value=value) for label, value in n.display_fields())
    lines.extend(n.field_line.format(label=label, value=url) for label, url in (*n.buttons, *n.links))
    lines.append(context_line(n))
    return "\n".join(lines)
