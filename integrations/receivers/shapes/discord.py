"""Discord execute-webhook: Discord's size limits and the text Discord shows."""

from __future__ import annotations

from typing import Any

from integrations.receivers.shapes.common import Refusal, parse_json


def _discord_form_error(path: str, message: str) -> Refusal:
    errors = {path: {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": message}]}}
    return Refusal(400, {"message": "Invalid Form Body", "code": 50035, "errors": errors})


_EMBED_LIMITS = {"title": 256, "description": 4096}


def discord(body: bytes) -> tuple[Any, str]:
    """Validate an execute-webhook payload against Discord's limits; return (json, human text)."""
    data = parse_json(body, Refusal(400, {"message": "400: Bad Request", "code": 0}))
    if not isinstance(data, dict):
        raise Refusal(400, {"message": "400: Bad Request", "code": 0})
    content = data.get("content") or ""
    embeds = data.get("embeds") or []
    if not content and not embeds:
        raise Refusal(400, {"message": "Cannot send an empty message", "code": 50006})
    if len(content) > 2000:
        raise _discord_form_error("content", "Must be 2000 or fewer in length.")
    if len(embeds) > 10:
        raise _discord_form_error("embeds", "Must be 10 or fewer in length.")
    lines = [content] if content else []
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            raise _discord_form_error(f"embeds.{i}", "Must be an object.")
        for key, limit in _EMBED_LIMITS.items():
            value = embed.get(key) or ""
            if len(value) > limit:
                raise _discord_form_error(f"embeds.{i}.{key}", f"Must be {limit} or fewer.")
            total += len(value)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise _discord_form_error(f"embeds.{i}.fields", "Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            if not isinstance(f, dict):
                raise _discord_form_error(f"embeds.{i}.fields.{j}", "Must be an object.")
            name, value = f.get("name") or "", f.get("value") or ""
            if not name or not value or len(name) > 256 or len(value) > 1024:
                raise _discord_form_error(f"embeds.{i}.fields.{j}", "Name 1-256, value 1-1024.")
            total += len(name) + len(value)
        footer = (embed.get("footer") or {}).get("text") or ""
        total += len(footer)
        if total > 6000:
            raise _discord_form_error("embeds", "Embed size exceeds maximum size of 6000")
        lines.extend(x for x in (embed.get("title"), embed.get("description")) if x)
        lines.extend(f"{f['name']}: {f['value']}" for f in fields)
        if footer:
            lines.append(footer)
    lines.extend(_components(data.get("components") or []))
    return data, "\n".join(lines)


def _components(rows: Any) -> list[str]:
    """Link buttons as Discord checks them: rows (type 1) of 1-5 buttons (type 2), at most 5 rows;
    a link button (style 5) has a url of at most 512 characters; a label at most 80."""
    if not isinstance(rows, list) or len(rows) > 5:
        raise _discord_form_error("components", "Must be 5 or fewer in length.")
    shown = []
    for i, row in enumerate(rows):
        buttons = row.get("components") if isinstance(row, dict) and row.get("type") == 1 else None
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 5:
            raise _discord_form_error(f"components.{i}", "An action row holds 1 to 5 components.")
        for j, button in enumerate(buttons):
            where = f"components.{i}.components.{j}"
            if not isinstance(button, dict) or button.get("type") != 2:
                raise _discord_form_error(where, "Must be a button.")
            url, label = button.get("url") or "", button.get("label") or ""
            if button.get("style") == 5 and (not url.startswith(("https://", "http://")) or len(url) > 512):
                raise _discord_form_error(f"{where}.url", "A link button needs an http(s) url of 512 or fewer.")
            if len(label) > 80:
                raise _discord_form_error(f"{where}.label", "Must be 80 or fewer in length.")
            shown.append(f"[{label}]({url})")
    return shown
