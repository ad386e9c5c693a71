"""Send one notification to one target and report what happened; never raise for remote failures."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from integrations.notifiers.errors import NotifierError
from integrations.notifiers.masking import redact
from integrations.notifiers.message import Notification
from integrations.notifiers.outcome import (
    ANSWER_MAX,
    DeliveryOutcome,
    DeliveryResult,
    classify,
)
from integrations.notifiers.pacing import SlackPacer
from integrations.notifiers.render import Template, render_for
from integrations.notifiers.target import TargetConfig, TargetKind

log = logging.getLogger(__name__)

USER_AGENT = "Showcaller-Notifier/0.1 (+https://github.com/showcaller)"
_READ_LIMIT = 16 * 1024  # bytes of a receiver's answer worth keeping


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def send(
    http: httpx.AsyncClient,
    target: TargetConfig,
    notification: Notification,
    *,
    template: Template = None,
    timeout: float = 10.0,
    pacer: SlackPacer | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> DeliveryOutcome:
    """POST `notification` to `target`; ok on 2xx, retry on 429/5xx/network, else permanent.

    Slack targets wait on `pacer` (if given) first, and a Slack 429 holds the URL back for its
    Retry-After. The same `delivery_id` is sent on every retry (webhook-id for webhooks).
    """
    ids: dict[str, Any] = {"target_id": target.id, "delivery_id": notification.delivery_id}
    try:
        request = render_for(target, notification, template, clock=clock)
    except NotifierError as exc:
        return _logged(target, DeliveryOutcome(DeliveryResult.permanent, error=f"cannot render: {exc}", **ids))
    is_slack = target.kind is TargetKind.slack
    if is_slack and pacer is not None:
        await pacer.wait(target.url_key)
    try:
        status, raw, retry_after, encoding = await post(
            http, _url(_base(target) + request.path, request.params), request.body, request.headers, timeout
        )
    except httpx.HTTPError as exc:
        return _logged(target, _transport_outcome(exc, timeout, target.secrets(), ids))
    # A 204 or an empty 200 (most receivers) has no text to decode or mask.
    answer = redact(raw.decode(encoding, errors="replace"), target.secrets())[:ANSWER_MAX] if raw else ""
    outcome = classify(status, answer, retry_after, now=clock(), slack=is_slack, web_api=is_slack and target.app)
    outcome = replace(outcome, **ids)
    if is_slack and pacer is not None and status == 429 and outcome.retry_after:
        pacer.defer(target.url_key, outcome.retry_after)
    return _logged(target, outcome)


async def post(
    http: httpx.AsyncClient, url: httpx.URL, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, bytes, str | None, str]:
    """POST through the client's transport for `url`: (status, answer's first bytes, Retry-After, encoding).

    The client's own layers are for a browser-like session: a cookie jar filled from every answer,
    auth, redirects (never followed here), base URL and default-header merging. They cost about a
    fifth of a loopback POST's CPU (issue 27, B3), and a webhook wants none of them. What a message
    needs is kept: the transport the client chose for the URL (its mounts: a proxy from the
    environment, a test's transport), its event hooks (the service's Zoom call metrics count Zoom
    Team Chat posts), the timeout, and the answer read capped and decoded as the client would."""
    request = httpx.Request(
        "POST", url, content=body, headers={"user-agent": USER_AGENT, **headers}, extensions=_timeout(timeout)
    )
    for hook in http.event_hooks["request"]:
        await hook(request)
    response = await http._transport_for_url(request.url).handle_async_request(request)  # see the docstring
    response.request = request
    try:
        for hook in http.event_hooks["response"]:
            await hook(response)
        raw = await _read_capped(response)
    finally:
        await response.aclose()
    encoding = (response.charset_encoding or "utf-8") if raw else "utf-8"
    return response.status_code, raw, response.headers.get("retry-after"), encoding


@functools.lru_cache(maxsize=32)
def _timeouts(timeout: float) -> dict[str, float]:
    return httpx.Timeout(timeout).as_dict()  # type: ignore[return-value]  # every phase is set


def _timeout(timeout: float) -> dict[str, Any]:
    return {"timeout": _timeouts(timeout)}


def _base(target: TargetConfig) -> str:
    """The target's URL; a Slack app's is the Web API's root, the method's name is appended to it."""
    url = target.url.get_secret_value()
    return url.rstrip("/") if target.app else url


def _url(url: str, params: dict[str, str]) -> httpx.URL:
    """The target's URL with the parameters its body needs added (httpx's `params=` would replace
    a query the URL already has, such as Discord's `?thread_id=`)."""
    return _parsed(url, tuple(params.items()))


@functools.lru_cache(maxsize=256)  # a target's URL is parsed once, not for every message
def _parsed(url: str, params: tuple[tuple[str, str], ...]) -> httpx.URL:
    parsed = httpx.URL(url)
    return parsed.copy_merge_params(dict(params)) if params else parsed


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _READ_LIMIT:
                break
    except httpx.DecodingError:
        # The status is what matters; a body we cannot decode is not worth failing over.
        pass
    return b"".join(chunks)[:_READ_LIMIT]


def _transport_outcome(
    exc: httpx.HTTPError, timeout: float, secrets: list[str], ids: dict[str, Any]
) -> DeliveryOutcome:
    name = type(exc).__name__
    detail = redact(str(exc), secrets)[:300]
    if isinstance(exc, httpx.TimeoutException):
        sent = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
        return DeliveryOutcome(
            DeliveryResult.retry,
            error=f"timed out after {timeout:g}s ({name})",
            vendor_code="timeout",
            maybe_delivered=sent,
            **ids,
        )
    if isinstance(exc, httpx.ConnectError):
        return DeliveryOutcome(
            DeliveryResult.retry,
            error=f"cannot connect: {detail}",
            vendor_code="connect_error",
            **ids,
        )
    if isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol):
        # Read/write/protocol errors: the request may have reached the receiver.
        return DeliveryOutcome(
            DeliveryResult.retry,
            error=f"connection failed: {name}: {detail}",
            vendor_code="network_error",
            maybe_delivered=True,
            **ids,
        )
    return DeliveryOutcome(
        DeliveryResult.permanent,
        error=f"request failed: {name}: {detail}",
        vendor_code="request_error",
        **ids,
    )


def _logged(target: TargetConfig, outcome: DeliveryOutcome) -> DeliveryOutcome:
    level = logging.INFO if outcome.ok else logging.WARNING
    if not log.isEnabledFor(level):  # (the masked URL is worked out only for a line that is written)
        return outcome
    log.log(
        level,
        "delivery %s to %s (%s %s): %s status=%s code=%s %s",
        outcome.delivery_id,
        target.id,
        target.kind.value,
        target.masked_url,
        outcome.result.value,
        outcome.status_code,
        outcome.vendor_code,
        outcome.error or "",
    )
    return outcome
