"""Slack incoming webhook: the checks Slack makes and the text Slack shows."""

from __future__ import annotations

import html
import re
from typing import Any

from integrations.receivers.shapes.common import Refusal, parse_json


def _slack_error(code: str, why: str) -> Refusal:
    # Slack answers a bare word; the explanation helps the person reading the local receiver.
    return Refusal(400, f"{code}: {why}" if why else code, "text/plain")


_SLACK_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_SLACK_BOLD = re.compile(r"\*([^*\n]+)\*")


def _slack_human(text: str) -> str:
    # What Slack displays: link labels (URL shown after), bold without asterisks, entities decoded.
    text = _SLACK_BOLD.sub(r"\1", _SLACK_LINK.sub(r"\2 (\1)", text))
    return html.unescape(text)


def _slack_text(obj: Any, where: str, limit: int) -> str:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        raise _slack_error("invalid_blocks", f"{where} must be a plain_text or mrkdwn object")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        raise _slack_error("invalid_blocks", f"{where}.text must be a non-empty string")
    if len(text) > limit:
        raise _slack_error("invalid_blocks", f"{where}.text is longer than {limit}")
    return _slack_human(text)


def slack(body: bytes) -> tuple[Any, str]:
    """Validate an incoming-webhook payload; return (json, human text)."""
    data = parse_json(body, _slack_error("invalid_payload", "body is not JSON"))
    if not isinstance(data, dict):
        raise _slack_error("invalid_payload", "body must be a JSON object")
    text, blocks = data.get("text"), data.get("blocks")
    if not text and not blocks:
        raise _slack_error("no_text", "give `text` or `blocks`")
    if text is not None and not isinstance(text, str):
        raise _slack_error("invalid_payload", "`text` must be a string")
    lines: list[str] = []
    if blocks is not None:
        if not isinstance(blocks, list) or len(blocks) > 50:
            raise _slack_error("invalid_blocks", "`blocks` must be a list of at most 50 blocks")
        for i, block in enumerate(blocks):
            lines.extend(_slack_block(block, f"blocks[{i}]"))
    return data, "\n".join(lines) if lines else _slack_human(text or "")


def _slack_block(block: Any, where: str) -> list[str]:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "header":
        return [_slack_text(block.get("text"), f"{where}.text", 150)]
    if kind == "section":
        out = [_slack_text(block["text"], f"{where}.text", 3000)] if "text" in block else []
        fields = block.get("fields", [])
        if not isinstance(fields, list) or len(fields) > 10:
            raise _slack_error("invalid_blocks", f"{where}.fields: at most 10 fields")
        out.extend(_slack_text(f, f"{where}.fields", 2000).replace("\n", ": ", 1) for f in fields)
        if not out:
            raise _slack_error("invalid_blocks", f"{where}: a section needs text or fields")
        return out
    if kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            raise _slack_error("invalid_blocks", f"{where}.elements: 1 to 10 elements")
        return [" ".join(_slack_text(e, f"{where}.elements", 3000) for e in elements)]
    if kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
            raise _slack_error("invalid_blocks", f"{where}.elements: 1 to 25 elements")
        out = []
        for k, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "button":
                label = _slack_text(element.get("text"), f"{where}.elements[{k}].text", 75)
                url = element.get("url") or ""
                if url and (not url.startswith(("https://", "http://")) or len(url) > 3000):
                    raise _slack_error("invalid_blocks", f"{where}.elements[{k}].url: an http(s) URL of at most 3000")
                out.append(f"[{label}]({url})")
        return out
    if kind in ("divider", "image", "rich_text", "input", "file", "video"):
        return []
    raise _slack_error("invalid_blocks", f"{where}: unknown block type {kind!r}")
