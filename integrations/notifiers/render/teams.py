"""Microsoft Teams via a Workflows webhook: one Adaptive Card 1.4 in a message envelope."""

from __future__ import annotations

import json
from typing import Any

from integrations.notifiers.message import Notification, Severity
from integrations.notifiers.render.common import context_line, truncate, units

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
TEXT_MAX = 4000
TITLE_MAX = 200
FACT_MAX = 500
MAX_FACTS = 20
MAX_ACTIONS = 6
# Teams refuses a message over 28 KB (Workflows and incoming webhooks): non-Latin text takes 3 bytes a
# character, so the character limits alone could exceed it.
PAYLOAD_BYTES_MAX = 28 * 1024

_TITLE_COLOR = {Severity.info: "Default", Severity.warning: "Warning", Severity.danger: "Attention"}


def build(n: Notification, text: str) -> dict[str, Any]:
    """The Workflows webhook JSON for `n` with body `text`, within 28 KB: long fact values shrink first
    (down to 100 characters), then the text, and only then facts go from the end."""
    limit, fact_max, facts = TEXT_MAX, FACT_MAX, n.display_fields()[:MAX_FACTS]
    while True:
        payload = _card(n, truncate(text, limit), facts, fact_max)
        excess = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()) - PAYLOAD_BYTES_MAX
        if excess <= 0:
            return payload
        shown = units(truncate(text, limit))
        # Each UTF-16 unit left out is at least one byte less.
        if fact_max > 100 and facts:
            fact_max = max(100, fact_max - excess // len(facts) - 1)
        elif shown:
            limit = max(0, shown - excess - 1)
        elif facts:
            facts = facts[:-1]
        else:
            return payload


def _card(n: Notification, text: str, facts_in: list[tuple[str, str]], fact_max: int) -> dict[str, Any]:
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
        body.append({"type": "TextBlock", "text": text, "wrap": True})
    facts = [{"title": truncate(label, 100), "value": truncate(value, fact_max)} for label, value in facts_in]
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
    if n.links or n.buttons:
        # Action buttons first: when more than MAX_ACTIONS are offered, the plain links give way.
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": truncate(label, 60), "url": url}
            for label, url in (*n.buttons, *n.links)[:MAX_ACTIONS]
        ]
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }
