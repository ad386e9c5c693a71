"""Zoom Incoming Webhook app: plain-text or `format=full` bodies and what Zoom shows."""

from __future__ import annotations

from typing import Any

from integrations.receivers.shapes.common import Refusal, parse_json


def _zoom_error(message: str) -> Refusal:
    return Refusal(400, {"code": 300, "message": message})


def zoom_chat(body: bytes, fmt: str) -> tuple[Any, str]:
    """Validate an Incoming Webhook body for `?format=fmt`; return (json or None, human text)."""
    if fmt not in ("full", "fields"):
        try:
            text = body.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise _zoom_error("Message must be UTF-8 text.") from None
        if not text:
            raise _zoom_error("Message cannot be empty.")
        return None, text
    data = parse_json(body, _zoom_error(f"format={fmt} expects a JSON body."))
    content = data.get("content") if isinstance(data, dict) else None
    if not isinstance(content, dict):
        raise _zoom_error(f'format={fmt} expects {{"content": {{"head": …, "body": […]}}}}.')
    head = content.get("head") or {}
    items = content.get("body") or []
    if not isinstance(head, dict) or not isinstance(items, list):
        raise _zoom_error("content.head must be an object and content.body a list.")
    if not head.get("text") and not items:
        raise _zoom_error("content needs head.text or a non-empty body.")
    lines = [str(head.get("text", ""))]
    sub = head.get("sub_head")
    if isinstance(sub, dict) and sub.get("text"):
        lines.append(str(sub["text"]))
    for i, item in enumerate(items):
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "message":
            link = f" <{item['link']}>" if item.get("link") else ""
            lines.append(f"{item.get('text', '')}{link}")
        elif kind == "fields":
            lines.extend(f"{f.get('key', '')}: {f.get('value', '')}" for f in item.get("items", []))
        elif not isinstance(kind, str):
            raise _zoom_error(f'content.body[{i}] needs a "type".')
    return data, "\n".join(line for line in lines if line)
