"""The kinds of notification target."""

from __future__ import annotations

from enum import StrEnum


class TargetKind(StrEnum):
    """The chat tools and protocols Showcaller can post to."""

    slack = "slack"
    teams = "teams"
    zoom_chat = "zoom_chat"
    discord = "discord"
    webhook = "webhook"
