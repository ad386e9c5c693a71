"""What happened to one delivery attempt, and how an HTTP answer maps to ok / retry / permanent."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from integrations.notifiers.errors import DeliveryError

ANSWER_MAX = 2048

#: Slack answers these when the webhook or channel is gone or the payload can never be posted.
SLACK_PERMANENT = frozenset(
    {
        "invalid_payload",
        "no_service",
        "no_service_id",
        "no_team",
        "team_disabled",
        "channel_not_found",
        "channel_is_archived",
        "action_prohibited",
        "no_text",
        "invalid_blocks",
        "invalid_token",
        "user_not_found",
        "too_many_attachments",
        "posting_to_general_channel_denied",
        "invalid_attachments",
    }
)
_RETRYABLE_4XX = frozenset({408, 425, 429})
_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,63}$")


class DeliveryResult(StrEnum):
    """The three things the run engine needs to know about an attempt."""

    ok = "ok"
    retry = "retry"
    permanent = "permanent"


@dataclass(frozen=True)
class DeliveryOutcome:
    """One attempt's result; `answer` is the receiver's text (≤ 2,048 chars, secrets masked)."""

    result: DeliveryResult
    status_code: int | None = None
    answer: str = ""
    retry_after: float | None = None
    vendor_code: str | None = None
    error: str | None = None
    maybe_delivered: bool = False
    target_id: str = ""
    delivery_id: str = ""

    @property
    def ok(self) -> bool:
        """True when the receiver accepted the message."""
        return self.result is DeliveryResult.ok

    @property
    def retryable(self) -> bool:
        """True when trying again later can succeed."""
        return self.result is DeliveryResult.retry

    def as_error(self) -> DeliveryError | None:
        """The typed error for a failed attempt (None when it succeeded)."""
        if self.ok:
            return None
        return DeliveryError(
            self.error or f"HTTP {self.status_code}",
            status=self.status_code or 0,
            vendor_code=self.vendor_code,
            retryable=self.retryable,
            retry_after=self.retry_after,
        )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - now).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def vendor_code(answer: str) -> str | None:
    """The receiver's own error code: Slack's body word, Discord's `code`, Teams' `error.code`."""
    text = answer.strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return text if _CODE_RE.match(text) else None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    for candidate in (
        data.get("code"),
        error.get("code") if isinstance(error, dict) else error,
        data.get("errorCode"),
    ):
        if isinstance(candidate, str | int) and not isinstance(candidate, bool):
            return str(candidate)
    return None


# https://api.slack.com/methods/chat.postMessage#errors: the ones that may pass on a later try.
SLACK_WEB_API_RETRY = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


def _web_api_ok(answer: str) -> bool:
    """Slack's `{"ok": true, ...}`; the answer may be cut to ANSWER_MAX (it echoes the message), so a
    cut one counts by how it begins."""
    try:
        data = json.loads(answer)
    except ValueError:
        return _OK_START.match(answer) is not None
    return isinstance(data, dict) and data.get("ok") is True


_OK_START = re.compile(r'\s*\{\s*"ok"\s*:\s*true\b')


def _body_retry_after(answer: str) -> float | None:
    # Discord puts a float `retry_after` (seconds) in its 429 JSON.
    try:
        data = json.loads(answer)
    except ValueError:
        return None
    value = data.get("retry_after") if isinstance(data, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def classify(
    status: int,
    answer: str,
    retry_after_header: str | None,
    *,
    now: datetime,
    slack: bool = False,
    web_api: bool = False,
) -> DeliveryOutcome:
    """Map an HTTP answer to an outcome (`answer` must already be masked and truncated).

    `web_api`: Slack's Web API (a target in mode app) answers 200 with `{"ok": false, "error": ...}`
    when it refuses; its server-side errors are tried again, any other refusal is permanent."""
    code = vendor_code(answer)
    if web_api and 200 <= status < 300 and not _web_api_ok(answer):
        retry = code in SLACK_WEB_API_RETRY
        return DeliveryOutcome(
            DeliveryResult.retry if retry else DeliveryResult.permanent,
            status,
            answer,
            vendor_code=code,
            error=f"Slack refused the message: {code or 'no ok in its answer'}" + ("; will retry" if retry else ""),
        )
    if slack and code in SLACK_PERMANENT:
        return DeliveryOutcome(
            DeliveryResult.permanent,
            status,
            answer,
            vendor_code=code,
            error=f"Slack refused the message: {code}",
        )
    if 200 <= status < 300:
        return DeliveryOutcome(DeliveryResult.ok, status, answer, vendor_code=None)
    retry_after = parse_retry_after(retry_after_header, now)
    if status == 429 and retry_after is None:
        retry_after = _body_retry_after(answer)
    if status >= 500 or status in _RETRYABLE_4XX:
        return DeliveryOutcome(
            DeliveryResult.retry,
            status,
            answer,
            retry_after,
            code,
            error=f"receiver answered {status}; will retry",
        )
    if 300 <= status < 400:
        reason = "redirected the request; use the final URL"
    else:
        reason = "refused the message"
    return DeliveryOutcome(
        DeliveryResult.permanent,
        status,
        answer,
        None,
        code,
        error=f"receiver answered {status}: {reason}",
    )
