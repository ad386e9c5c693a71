"""Zoom adapter: S2S OAuth client, typed errors, retries, desired-state convergence, webhooks."""

from integrations.zoom.auth import AccessToken, S2STokenProvider
from integrations.zoom.client import ZoomClient, make_http_client
from integrations.zoom.converge import (
    ApplyResult,
    Change,
    ChangePlan,
    ZoomObjectState,
    apply_plan,
    converge,
    fetch_state,
    plan_changes,
)
from integrations.zoom.errors import (
    FieldError,
    ZoomAuthError,
    ZoomError,
    ZoomNotFound,
    ZoomProtocolError,
    ZoomRateLimited,
    ZoomServerError,
    ZoomTransportError,
    ZoomValidationError,
)
from integrations.zoom.retry import RetryPolicy
from integrations.zoom.spec import (
    BreakoutRoom,
    Interpreter,
    MeetingSpec,
    PanelistSpec,
    to_create_body,
    to_patch_body,
)
from integrations.zoom.webhooks import (
    WebhookRejected,
    ZoomEvent,
    dedupe_key,
    parse_event,
    sign,
    url_validation_response,
    verify,
)

__all__ = [
    "AccessToken",
    "ApplyResult",
    "BreakoutRoom",
    "Change",
    "ChangePlan",
    "FieldError",
    "Interpreter",
    "MeetingSpec",
    "PanelistSpec",
    "RetryPolicy",
    "S2STokenProvider",
    "WebhookRejected",
    "ZoomAuthError",
    "ZoomClient",
    "ZoomError",
    "ZoomEvent",
    "ZoomNotFound",
    "ZoomObjectState",
    "ZoomProtocolError",
    "ZoomRateLimited",
    "ZoomServerError",
    "ZoomTransportError",
    "ZoomValidationError",
    "apply_plan",
    "converge",
    "dedupe_key",
    "fetch_state",
    "make_http_client",
    "parse_event",
    "plan_changes",
    "sign",
    "to_create_body",
    "to_patch_body",
    "url_validation_response",
    "verify",
]
