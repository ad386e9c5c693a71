"""Microsoft Teams via a Workflows webhook: one Adaptive Card 1.4 in a message envelope."""

from __future__ import annotations

from typing import Any

from integrations.notifiers.message import Notification, Severity
from integrations.notifiers.render.common import context_line, truncate

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
TEXT_MAX = 4000
TITLE_MAX = 200
FACT_MAX = 500
MAX_FACTS = 20
MAX_ACTIONS = 6

_TITLE_COLOR = {Severity.info: "Default", Severity.warning: "Warning", Severity.danger: "Attention"}


def build(n: Notification, text: str) -> dict[str, Any]:
    """The Workflows webhook JSON for `n` with body `text`."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": truncate(n.title, TITLE_MAX),
            "weight": "Bolder",
            "size": "Medium",
            "color": _TITLE_COLOR[n.severity],
            "wrap": True,
        }
    ]
    if text:
        body.append({"type": "TextBlock", "text": truncate(text, TEXT_MAX), "wrap": True})
    facts = [
        {"title": truncate(label, 100), "value": truncate(value, FACT_MAX)}
        for label, value in n.display_fields()[:MAX_FACTS]
    ]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    body.append(
        {
            "type": "TextBlock",
            "text": truncate(context_line(n), 500),
            "isSubtle": True,
            "size": "Small",
            "wrap": True,
        }
    )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if n.links:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": truncate(label, 60), "url": url} for label, url in n.links[:MAX_ACTIONS]
        ]
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }
