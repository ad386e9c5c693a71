"""Slack incoming webhooks: Block Kit blocks plus a plain `text` fallback for notifications."""

from __future__ import annotations

from typing import Any

from integrations.notifiers.message import Notification
from integrations.notifiers.render.common import context_line, headline, truncate

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
FIELDS_PER_SECTION = 10
CONTEXT_TEXT_MAX = 3000
MAX_BLOCKS = 50
FALLBACK_MAX = 3000


def escape(text: str) -> str:
    """Escape the three characters Slack mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(label: str, url: str) -> str:
    safe_url = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def build(n: Notification, text: str) -> dict[str, Any]:
    """The incoming-webhook JSON for `n` with body `text`."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(truncate(headline(n), HEADER_MAX))},
    ]
    if text:
        body = {"type": "mrkdwn", "text": truncate(escape(text), SECTION_TEXT_MAX)}
        blocks.append({"type": "section", "text": body})
    fields = [
        {"type": "mrkdwn", "text": truncate(f"*{escape(label)}*\n{escape(value)}", FIELD_TEXT_MAX)}
        for label, value in n.display_fields()
    ]
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]})
    if n.links:
        links = "  ·  ".join(_link(label, url) for label, url in n.links)
        blocks.append({"type": "section", "text": _mrkdwn(truncate(links, SECTION_TEXT_MAX))})
    context = {"type": "mrkdwn", "text": truncate(escape(context_line(n)), CONTEXT_TEXT_MAX)}
    blocks = blocks[: MAX_BLOCKS - 1] + [{"type": "context", "elements": [context]}]
    fallback = escape(f"{headline(n)}: {text}" if text else headline(n))
    return {"text": truncate(fallback, FALLBACK_MAX), "blocks": blocks}
