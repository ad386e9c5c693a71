"""One switch point: turn a Notification into the HTTP request a target kind expects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from integrations.notifiers.message import Notification
from integrations.notifiers.render import discord, slack, teams, webhook, zoom_chat
from integrations.notifiers.render.common import RenderedRequest, json_request, truncate
from integrations.notifiers.signing import sign_headers
from integrations.notifiers.target import TargetConfig, TargetKind
from integrations.notifiers.templates import MessageTemplate, compile_template

__all__ = ["RenderedRequest", "render", "render_for", "truncate"]

Template = MessageTemplate | str | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def message_text(notification: Notification, template: Template = None) -> str:
    """The body text: the template's output when one is given, else the notification's text."""
    if template is None:
        return notification.text
    compiled = compile_template(template) if isinstance(template, str) else template
    return compiled.render(notification)


def render(
    kind: TargetKind | str,
    notification: Notification,
    template: Template = None,
    *,
    token: str | None = None,
    secret: str | None = None,
    zoom_format: str = "full",
    clock: Callable[[], datetime] = _utc_now,
    channel: str | None = None,
) -> RenderedRequest:
    """The request for `kind`. zoom_chat needs `token`; webhook needs `secret` to sign; a Slack app
    (mode app) posts to `channel` with its bot `token` through `chat.postMessage`.

    `zoom_format` is the endpoint's `format` query: "full"/"fields" give structured JSON, anything
    else plain text. A webhook is signed at `clock()` with `webhook-id` = the delivery id.
    """
    kind = TargetKind(kind)
    text = message_text(notification, template)
    if kind is TargetKind.slack and channel:
        payload = {"channel": channel, **slack.build(notification, text), "unfurl_links": False}
        request = json_request(payload, {"authorization": f"Bearer {token}"} if token else {})
        return RenderedRequest(request.body, request.headers, request.payload, path="/chat.postMessage")
    if kind is TargetKind.slack:
        return json_request(slack.build(notification, text))
    if kind is TargetKind.teams:
        return json_request(teams.build(notification, text))
    if kind is TargetKind.discord:
        request = json_request(discord.build(notification, text))
        if "components" in request.payload:  # Discord ignores a webhook's components without it
            return RenderedRequest(request.body, request.headers, request.payload, {"with_components": "true"})
        return request
    if kind is TargetKind.zoom_chat:
        auth = {"authorization": token} if token else {}
        if zoom_format in zoom_chat.STRUCTURED_FORMATS:
            return json_request(zoom_chat.build(notification, text), auth)
        body = zoom_chat.build_plain(notification, text).encode("utf-8")
        return RenderedRequest(body, {"content-type": "text/plain; charset=utf-8", **auth})
    request = json_request(webhook.build(notification, text))
    if secret is None:
        return request
    signed = sign_headers(secret, notification.delivery_id, request.body, clock())
    return RenderedRequest(request.body, {**request.headers, **signed}, request.payload)


def render_for(
    target: TargetConfig,
    notification: Notification,
    template: Template = None,
    *,
    clock: Callable[[], datetime] = _utc_now,
) -> RenderedRequest:
    """The request for `target`: its kind, display zone, credentials and Zoom format."""
    return render(
        target.kind,
        notification.in_zone(target.timezone),
        template,
        token=target.token.get_secret_value() if target.token else None,
        secret=target.secret.get_secret_value() if target.secret else None,
        zoom_format=target.zoom_format if target.kind is TargetKind.zoom_chat else "full",
        clock=clock,
        channel=target.channel if target.app else None,
    )
