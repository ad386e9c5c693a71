"""Print each received message the way a person would see it in that tool."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from integrations.receivers.inbox import ReceivedMessage

TOOL_NAMES = {
    "slack": ("Slack", "magenta"),
    "teams": ("Teams", "blue"),
    "zoom_chat": ("Zoom Chat", "cyan"),
    "discord": ("Discord", "bright_blue"),
    "webhook": ("Webhook", "green"),
}


def label(message: ReceivedMessage) -> str:
    """'[Slack #hosts]' style label for a message."""
    name, _ = TOOL_NAMES.get(message.kind, (message.kind, "white"))
    return f"[{name} #{message.channel}]"


def show(console: Console, message: ReceivedMessage) -> None:
    """Print one message as a panel; text is shown literally (no rich markup from payloads)."""
    _, color = TOOL_NAMES.get(message.kind, (message.kind, "white"))
    lines = message.text.splitlines() or [""]
    body = Text(f"{label(message)} {lines[0]}", style="bold")
    if len(lines) > 1:
        body.append("\n" + "\n".join(lines[1:]), style="default")
    if message.duplicates:
        body.append(f"\n(duplicate deliveries: {message.duplicates})", style="dim")
    stamp = message.received_at.strftime("%H:%M:%S UTC")
    console.print(Panel(body, border_style=color, subtitle=stamp, subtitle_align="right"))
