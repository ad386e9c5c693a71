"""Which URLs each target kind may post to, and how to get a right one in the real tool."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from integrations.notifiers.kinds import TargetKind
from integrations.notifiers.masking import mask_url

TEAMS_WORKFLOWS_HOWTO = (
    "In Teams: open the channel → ••• → Workflows → 'Post to a channel when a webhook request "
    "is received' → choose the team and channel → Save, then copy the URL it shows "
    "(https://….logic.azure.com/… or https://….environment.api.powerplatform.com/…)."
)
SLACK_HOWTO = (
    "Create a Slack app at https://api.slack.com/apps → Incoming Webhooks → Add New Webhook to "
    "Workspace → pick the channel, then copy the https://hooks.slack.com/services/… URL."
)

_SLACK_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")
_DISCORD_HOSTS = ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com")
_TEAMS_SUFFIXES = (".logic.azure.com", ".environment.api.powerplatform.com")
_TEAMS_HOSTS = ("api.powerautomate.com",)
_RETIRED_TEAMS_SUFFIXES = (".webhook.office.com",)
_ZOOM_SUFFIXES = (".zoom.us", ".zoomgov.com")


def is_loopback_host(host: str) -> bool:
    """True for localhost names and loopback IPs (local receivers and tests)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_matches(host: str, exact: tuple[str, ...], suffixes: tuple[str, ...] = ()) -> bool:
    return host in exact or any(host.endswith(s) for s in suffixes)


SLACK_API_HOWTO = (
    "A slack target in mode app posts through Slack's Web API: set the variable to https://slack.com/api "
    "(and the bot token and signing secret in theirs; docs/notifications.md)."
)
_SLACK_API_HOSTS = ("slack.com", "slack-gov.com")


def check_url(kind: TargetKind, url: str, *, app: bool = False) -> None:
    """Raise ValueError (URL masked) unless `url` is one `kind` can post to (`app`: a target in mode
    app; for Slack that is the Web API's base URL)."""
    shown = mask_url(url)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise ValueError(f"{shown} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"{shown} is not an http(s) URL")
    if parts.username or parts.password:
        raise ValueError(f"{shown}: put credentials in token/secret, not in the URL")
    if is_loopback_host(host):
        return
    if parts.scheme != "https" and kind is not TargetKind.webhook:
        raise ValueError(f"{shown}: {kind.value} URLs must use https")
    if kind is TargetKind.teams:
        _check_teams(host, parts.path, shown)
    elif kind is TargetKind.slack and app:
        if not _host_matches(host, _SLACK_API_HOSTS) or not parts.path.rstrip("/") == "/api":
            raise ValueError(f"{shown} is not Slack's Web API. {SLACK_API_HOWTO}")
    elif kind is TargetKind.slack:
        if not _host_matches(host, _SLACK_HOSTS):
            raise ValueError(f"{shown} is not a Slack incoming-webhook URL. {SLACK_HOWTO}")
        if parts.path.startswith("/triggers/"):
            raise ValueError(
                f"{shown} is a Slack Workflow Builder trigger, which takes flat variables, not messages. {SLACK_HOWTO}"
            )
    elif kind is TargetKind.discord:
        if not _host_matches(host, _DISCORD_HOSTS) or not parts.path.startswith("/api/webhooks/"):
            raise ValueError(
                f"{shown} is not a Discord webhook URL. In Discord: Server Settings → "
                "Integrations → Webhooks → New Webhook → Copy Webhook URL."
            )
    elif kind is TargetKind.zoom_chat and not _host_matches(host, (), _ZOOM_SUFFIXES):
        raise ValueError(
            f"{shown} is not a Zoom Incoming Webhook endpoint. In a Zoom Team Chat channel, "
            "type `/inc connect <name>` and copy the endpoint and verification token."
        )


def _check_teams(host: str, path: str, shown: str) -> None:
    if _host_matches(host, ("outlook.office.com",), _RETIRED_TEAMS_SUFFIXES) or (
        host.endswith("outlook.office.com") and path.startswith("/webhook")
    ):
        raise ValueError(
            f"{shown} is a retired Office 365 connector URL; Microsoft no longer delivers to "
            f"these. Create a Workflows URL instead. {TEAMS_WORKFLOWS_HOWTO}"
        )
    if not _host_matches(host, _TEAMS_HOSTS, _TEAMS_SUFFIXES):
        raise ValueError(f"{shown} is not a Teams Workflows URL. {TEAMS_WORKFLOWS_HOWTO}")
