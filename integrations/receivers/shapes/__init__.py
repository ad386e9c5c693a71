"""Check a payload the way each real service would, and say what a person would see in the tool.

Each module has one function per kind: `(body bytes[, format]) -> (json or None, human text)`,
raising `Refusal(status, body, media_type)` with the service's kind of error answer.
"""

from integrations.receivers.shapes.common import Refusal, parse_json
from integrations.receivers.shapes.discord import discord
from integrations.receivers.shapes.slack import slack
from integrations.receivers.shapes.teams import teams
from integrations.receivers.shapes.webhook import webhook
from integrations.receivers.shapes.zoom_chat import zoom_chat

__all__ = ["Refusal", "discord", "parse_json", "slack", "teams", "webhook", "zoom_chat"]
