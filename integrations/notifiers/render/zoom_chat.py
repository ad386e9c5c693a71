"""Zoom Team Chat "Incoming Webhook" app: structured `format=full` JSON, or plain text."""

from __future__ import annotations

from typing import Any

from integrations.notifiers.message import Notification, Severity
from integrations.notifiers.render.common import context_line, plain_text, truncate

HEAD_MAX = 200
TEXT_MAX = 4000
PLAIN_MAX = 4000
STRUCTURED_FORMATS = ("full", "fields")
ACTION_TEXT_MAX = 100

_SIDEBAR = {Severity.info: "#2D8CFF", Severity.warning: "#F1C40F", Severity.danger: "#E74C3C"}


def build(n: Notification, text: str) -> dict[str, Any]:
    """The `?format=full` JSON for `n` with body `text` (chatbot message content)."""
    body: list[dict[str, Any]] = []
    if text:
        body.append({"type": "message", "text": truncate(text, TEXT_MAX)})
    items = [
        {"key": truncate(label, 100), "value": truncate(value, 500), "short": len(value) < 40}
        for label, value in n.display_fields()
    ]
    if items:
        body.append({"type": "fields", "items": items})
    # Zoom's incoming webhook has no buttons: each action is a linked line, before the plain links.
    body.extend(
        {"type": "message", "text": truncate(label, HEAD_MAX), "link": url} for label, url in (*n.buttons, *n.links)
    )
    if n.actions:  # a target in mode app: chatbot buttons, whose click Zoom sends as interactive_message_actions
        items = [
            {
                "text": truncate(label, ACTION_TEXT_MAX),
                "value": ref,
                "style": "Primary" if verb == "advance" else "Default",
            }
            for label, verb, ref, _confirm in n.actions
        ]
        body.append({"type": "actions", "items": items, "limit": len(items)})
    return {
        "content": {
            "settings": {"default_sidebar_color": _SIDEBAR[n.severity]},
            "head": {
                "text": truncate(n.title, HEAD_MAX),
                "sub_head": {"text": truncate(context_line(n), HEAD_MAX)},
            },
            "body": body,
        }
    }


def build_plain(n: Notification, text: str) -> str:
    """The plain-text body used when the endpoint URL has no structured `format`."""
    return truncate(plain_text(n, text), PLAIN_MAX)
