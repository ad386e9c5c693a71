"""Local stand-ins for Slack, Teams, Zoom Team Chat, Discord and webhook receivers (demo, tests)."""

from integrations.receivers.app import create_receivers
from integrations.receivers.inbox import ReceivedMessage
from integrations.receivers.shapes import Refusal

__all__ = ["ReceivedMessage", "Refusal", "create_receivers"]
