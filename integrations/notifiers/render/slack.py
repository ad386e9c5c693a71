"""Slack incoming webhooks: Block Kit blocks plus a plain `text` fallback for notifications."""

from __future__ import annotations

from typing import Any

from integrations.notifiers.message import Notification
from integrations.notifiers.render.common import context_line, headline, joined_whole, truncate, units

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
FIELDS_PER_SECTION = 10
CONTEXT_TEXT_MAX = 3000
MAX_BLOCKS = 50
FALLBACK_MAX = 3000
# https://api.slack.com/reference/block-kit/block-elements#button
BUTTON_TEXT_MAX = 75
BUTTON_URL_MAX = 3000
ACTIONS_MAX = 25  # elements in one actions block


def escape(text: str) -> str:
    """Escape the three characters Slack mrkdwn treats as control characters (character by character,
    so `truncate(text, n, escape)` cuts before escaping and never leaves half an entity)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(label: str, url: str) -> str:
    safe_url = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _field(label: str, value: str) -> str:
    """`*label*` and the value under it, each cut before escaping so the bold markers stay whole."""
    head = f"*{truncate(label, FIELD_TEXT_MAX // 4, escape)}*\n"
    return head + truncate(value, FIELD_TEXT_MAX - units(head), escape)


def _buttons(n: Notification) -> list[dict[str, Any]]:
    """Link buttons: pressing one only opens its URL (no interactivity endpoint is needed)."""
    return [
        {"type": "button", "text": _plain(truncate(label, BUTTON_TEXT_MAX)), "url": url, "action_id": f"showcaller-{i}"}
        for i, (label, url) in enumerate(n.buttons)
        if len(url) <= BUTTON_URL_MAX
    ][:ACTIONS_MAX]


def _native(n: Notification) -> list[dict[str, Any]]:
    """Interactive buttons (a target in mode app): `action_id` is the verb, `value` the single-use
    reference; End and Undo ask first with a Block Kit confirm dialog."""
    out = []
    yes, cancel = n.confirm_answers  # in the target's words (app/engine/compose.py)
    for label, verb, ref, confirm in n.actions:
        button: dict[str, Any] = {
            "type": "button",
            "text": _plain(truncate(label, BUTTON_TEXT_MAX)),
            "action_id": verb,
            "value": ref,
        }
        if verb == "advance":
            button["style"] = "primary"
        if confirm:
            button["confirm"] = {
                "title": _plain(truncate(label, CONFIRM_TITLE_MAX)),
                "text": _plain(truncate(confirm, CONFIRM_TEXT_MAX)),
                "confirm": _plain(yes),
                "deny": _plain(cancel),
                "style": "danger",
            }
        out.append(button)
    return out


ACTIONS_BLOCK_ID = "showcaller-actions"
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300


def build(n: Notification, text: str) -> dict[str, Any]:
    """The incoming-webhook JSON for `n` with body `text`; every text is cut before it is escaped."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(truncate(headline(n), HEADER_MAX))},
    ]
    if text:
        body = {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_MAX, escape)}
        blocks.append({"type": "section", "text": body})
    fields = [{"type": "mrkdwn", "text": _field(label, value)} for label, value in n.display_fields()]
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]})
    if n.links:
        links = [_link(truncate(label, 200), url) for label, url in n.links]
        blocks.append({"type": "section", "text": _mrkdwn(joined_whole(links, "  ·  ", SECTION_TEXT_MAX))})
    if buttons := (_native(n) + _buttons(n))[:ACTIONS_MAX]:
        blocks.append({"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": buttons})
    context = {"type": "mrkdwn", "text": truncate(context_line(n), CONTEXT_TEXT_MAX, escape)}
    blocks = blocks[: MAX_BLOCKS - 1] + [{"type": "context", "elements": [context]}]
    fallback = f"{headline(n)}: {text}" if text else headline(n)
    return {"text": truncate(fallback, FALLBACK_MAX, escape), "blocks": blocks}
