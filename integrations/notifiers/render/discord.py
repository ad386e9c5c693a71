"""Discord webhooks: a short `content` line plus one embed, within Discord's size limits."""

from __future__ import annotations

from typing import Any

from integrations.notifiers.message import Notification, Severity
from integrations.notifiers.render.common import context_line, headline, joined_whole, truncate, units

# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
INLINE_UNDER = 40
# https://discord.com/developers/docs/components/reference#button: link buttons (type 2, style 5) go in
# action rows (type 1) of at most 5; a message holds at most 5 rows; label <= 80, url <= 512 characters.
BUTTON_LABEL_MAX = 80
BUTTON_URL_MAX = 512
BUTTONS_PER_ROW = 5
ROWS_MAX = 5
EMPTY = "\u200b"  # Discord refuses empty field names and values.

COLORS = {Severity.info: 0x5865F2, Severity.warning: 0xF1C40F, Severity.danger: 0xE74C3C}


def build(n: Notification, text: str) -> dict[str, Any]:
    """The webhook JSON for `n` with body `text`; no mention in it can ping anyone."""
    links = [f"[{truncate(label, 200).replace(']', ')')}]({url})" for label, url in n.links]
    fields = [
        {
            "name": truncate(label, FIELD_NAME_MAX) or EMPTY,
            "value": truncate(value, FIELD_VALUE_MAX) or EMPTY,
            "inline": len(value) < INLINE_UNDER,
        }
        for label, value in n.display_fields()[:FIELDS_MAX]
    ]
    embed: dict[str, Any] = {
        "title": truncate(n.title, TITLE_MAX),
        "color": COLORS[n.severity],
        "timestamp": n.at.isoformat().replace("+00:00", "Z"),
        "footer": {"text": truncate(context_line(n), FOOTER_MAX)},
        "fields": fields,
    }
    if n.links:
        embed["url"] = n.links[0][1]
    fixed = _size(embed)
    budget = min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - fixed)
    while budget < 0 and embed["fields"]:
        # Fields alone break the 6000 total: drop from the end until the rest fits.
        embed["fields"].pop()
        budget = min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - _size(embed))
    description = _description(text, links, max(budget, 0))
    if description:
        embed["description"] = description
    if not embed["fields"]:
        del embed["fields"]
    payload: dict[str, Any] = {
        "content": truncate(headline(n), CONTENT_MAX),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }
    if rows := components(n):
        payload["components"] = rows
    return payload


CUSTOM_ID_MAX = 100
NATIVE_STYLE = {"advance": 1, "undo": 4}  # primary, danger; others secondary


def components(n: Notification) -> list[dict[str, Any]]:
    """The action buttons as link buttons in action rows (a webhook sends them only with
    `?with_components=true`, which the renderer adds to the request)."""
    buttons = [
        {"type": 2, "style": 5, "label": truncate(label, BUTTON_LABEL_MAX), "url": url}
        for label, url in n.buttons
        if len(url) <= BUTTON_URL_MAX
    ]
    # Native buttons (an application-owned webhook): a click sends the interaction to the app's
    # Interactions Endpoint with `custom_id`, the single-use reference.
    buttons += [
        {"type": 2, "style": NATIVE_STYLE.get(verb, 2), "label": truncate(label, BUTTON_LABEL_MAX), "custom_id": ref}
        for label, verb, ref, _confirm in n.actions
        if len(ref) <= CUSTOM_ID_MAX
    ]
    buttons = buttons[: BUTTONS_PER_ROW * ROWS_MAX]
    return [
        {"type": 1, "components": buttons[start : start + BUTTONS_PER_ROW]}
        for start in range(0, len(buttons), BUTTONS_PER_ROW)
    ]


def _description(text: str, links: list[str], budget: int) -> str:
    """The links (whole) below the text; the text is cut to the room they leave."""
    if not text:
        return joined_whole(links, " · ", budget)
    shown = joined_whole(links, " · ", budget - 3)
    body = truncate(text, budget - units(shown) - 2) if shown else truncate(text, budget)
    return f"{body}\n\n{shown}" if body and shown else body or shown


def _size(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6000 embed total (UTF-16 units: never fewer than Discord's count)."""
    total = units(embed.get("title", "")) + units(embed.get("description", ""))
    total += units(embed.get("footer", {}).get("text", ""))
    total += sum(units(f["name"]) + units(f["value"]) for f in embed.get("fields", []))
    return total
