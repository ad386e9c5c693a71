"""Notifiers: render a neutral Notification for Slack, Teams, Zoom Team Chat, Discord or a signed
webhook, send it, and report ok / retry / permanent.

Typical use by the run engine::

    target = TargetConfig(id="hosts", kind="slack", url=os.environ[...])   # validated at load
    template = compile_template(source) if source else None                 # TemplateError early
    outcome = await send(http, target, notification, template=template, pacer=pacer)
    if outcome.retryable:
        delay = retry_delay(outcome, attempt)
"""

from integrations.notifiers.backoff import backoff, retry_delay
from integrations.notifiers.errors import (
    DeliveryError,
    NotifierError,
    SignatureError,
    TargetConfigError,
    TemplateError,
)
from integrations.notifiers.masking import mask_url, redact
from integrations.notifiers.message import Notification, Severity, format_local
from integrations.notifiers.outcome import DeliveryOutcome, DeliveryResult, parse_retry_after
from integrations.notifiers.pacing import SlackPacer
from integrations.notifiers.render import RenderedRequest, render, render_for
from integrations.notifiers.sender import send
from integrations.notifiers.signing import sign_headers, verify_signature
from integrations.notifiers.target import TargetConfig, TargetKind
from integrations.notifiers.templates import MessageTemplate, compile_template

__all__ = [
    "DeliveryError",
    "DeliveryOutcome",
    "DeliveryResult",
    "MessageTemplate",
    "Notification",
    "NotifierError",
    "RenderedRequest",
    "Severity",
    "SignatureError",
    "SlackPacer",
    "TargetConfig",
    "TargetConfigError",
    "TargetKind",
    "TemplateError",
    "backoff",
    "compile_template",
    "format_local",
    "mask_url",
    "parse_retry_after",
    "redact",
    "render",
    "render_for",
    "retry_delay",
    "send",
    "sign_headers",
    "verify_signature",
]
