"""Teams Workflows webhook: the Adaptive Card checks and the text Teams shows."""

from __future__ import annotations

from typing import Any

from integrations.receivers.shapes.common import Refusal, parse_json


def _teams_error(message: str) -> Refusal:
    return Refusal(400, {"error": {"code": "InvalidRequestContent", "message": message}})


def teams(body: bytes) -> tuple[Any, str]:
    """Validate a Workflows 'post card' payload; return (json, human text)."""
    data = parse_json(body, _teams_error("The request content is not valid JSON."))
    if not isinstance(data, dict) or data.get("type") != "message":
        raise _teams_error('Expected an object with "type": "message".')
    attachments = data.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        raise _teams_error('"attachments" must be a non-empty list of Adaptive Cards.')
    lines: list[str] = []
    for i, att in enumerate(attachments):
        if not isinstance(att, dict) or att.get("contentType") != ("application/vnd.microsoft.card.adaptive"):
            raise _teams_error(f"attachments[{i}].contentType must be an Adaptive Card.")
        lines.extend(_teams_card(att.get("content"), f"attachments[{i}].content"))
    return data, "\n".join(lines)


def _teams_card(card: Any, where: str) -> list[str]:
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        raise _teams_error(f'{where}.type must be "AdaptiveCard".')
    if not isinstance(card.get("version"), str):
        raise _teams_error(f'{where}.version is required (e.g. "1.4").')
    body = card.get("body", [])
    if not isinstance(body, list):
        raise _teams_error(f"{where}.body must be a list.")
    lines: list[str] = []
    for j, element in enumerate(body):
        kind = element.get("type") if isinstance(element, dict) else None
        if kind == "TextBlock":
            if not isinstance(element.get("text"), str):
                raise _teams_error(f"{where}.body[{j}].text must be a string.")
            lines.append(element["text"])
        elif kind == "FactSet":
            facts = element.get("facts")
            if not isinstance(facts, list):
                raise _teams_error(f"{where}.body[{j}].facts must be a list.")
            lines.extend(f"{f.get('title', '')}: {f.get('value', '')}" for f in facts)
        elif not isinstance(kind, str):
            raise _teams_error(f'{where}.body[{j}] needs a "type".')
    for k, action in enumerate(card.get("actions", [])):
        if not isinstance(action, dict) or not isinstance(action.get("type"), str):
            raise _teams_error(f'{where}.actions[{k}] needs a "type".')
        if action["type"] == "Action.OpenUrl":
            if not str(action.get("url", "")).startswith(("https://", "http://")):
                raise _teams_error(f"{where}.actions[{k}].url must be an http(s) URL.")
            lines.append(f"[{action.get('title', 'Open')}] {action['url']}")
    return lines
