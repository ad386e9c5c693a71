"""Showcaller's signed webhook envelope: shape check and a one-line summary."""

from __future__ import annotations

from typing import Any

from integrations.receivers.shapes.common import Refusal, parse_json


def webhook(body: bytes) -> tuple[Any, str]:
    """Validate the Showcaller webhook envelope; return (json, human text)."""
    data = parse_json(body, Refusal(400, "body is not JSON", "text/plain"))
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise Refusal(400, 'expected {"type": …, "timestamp": …, "data": {…}}', "text/plain")
    if not isinstance(data.get("timestamp"), str) or not isinstance(data.get("data"), dict):
        raise Refusal(400, "`timestamp` (string) and `data` (object) are required", "text/plain")
    inner = data["data"]
    title, text = inner.get("title") or "", inner.get("text") or ""
    return data, "\n".join(x for x in (f"{data['type']}: {title}", text) if x)
