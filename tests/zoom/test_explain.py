"""Every Zoom failure a command prints is one line: the cause and the next step."""

from __future__ import annotations

from datetime import timedelta

import pytest

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
    explain,
)

CASES = [
    (
        ZoomTransportError("ConnectError: refused", reached_zoom=False, method="GET", path="/users/a"),
        "cannot reach Zoom (connect error): check the network or proxy",
    ),
    (
        ZoomTransportError("token request failed: ConnectError", reached_zoom=False, method="POST", path="/oauth"),
        "cannot reach Zoom (connect error)",
    ),
    (
        ZoomTransportError("ReadTimeout: ", method="POST", path="/users/host%40example.org/meetings"),
        "the answer was lost after Zoom may have created the meeting: run `apply` again, it adopts the meeting",
    ),
    (
        ZoomTransportError("ReadTimeout: ", method="GET", path="/meetings/1"),
        "Zoom did not answer (ReadTimeout): check the network or proxy, then run the command again",
    ),
    (ZoomAuthError("Invalid client_id or client_secret", status=400), "check SHOWCALLER_ZOOM_ACCOUNT_ID"),
    (ZoomRateLimited("Daily limit", status=429, daily=True), "after 00:00 UTC"),
    (ZoomRateLimited("Too many requests", status=429), "wait a minute"),
    (ZoomServerError("boom", status=503), "Zoom failed (HTTP 503): try again in a few minutes"),
    (ZoomNotFound("Meeting does not exist", status=404, code=3001), "run `apply` to create it again"),
    (
        ZoomValidationError("Validation Failed.", status=400, field_errors=(FieldError("topic", "too long"),)),
        "Zoom refused the request: Validation Failed. (topic: too long): correct the schedule's zoom section",
    ),
    (ZoomProtocolError("unexpected meeting shape from Zoom: 2 errors"), "SHOWCALLER_ZOOM_API_BASE points at Zoom"),
    (ZoomError("odd", status=418, code=1), "Zoom refused (HTTP 418, code 1): odd"),
]


@pytest.mark.parametrize(("error", "expected"), CASES, ids=[type(c[0]).__name__ + str(i) for i, c in enumerate(CASES)])
def test_one_line_with_the_cause_and_the_next_step(error, expected) -> None:
    line = explain(error)
    assert expected in line
    assert "\n" not in line and "HTTP 0" not in line and "code None" not in line


async def test_a_create_whose_answer_is_lost_says_apply_again_adopts_it(emulator, fake_sleep, clock) -> None:
    """The real client's error for a POST create lost in transit (the meeting exists in Zoom)."""
    import httpx

    from integrations.zoom import MeetingSpec, ZoomClient, converge
    from integrations.zoom.retry import RetryPolicy
    from integrations.zoom_emulator import Fault
    from tests.zoom.conftest import API, CREDS, OAUTH

    emulator.add_fault(Fault(method="POST", path=r"^/v2/users/[^/]+/meetings$", drop="timeout"))
    spec = MeetingSpec(
        host_user="host@example.org", topic="Lost", start_time=clock() + timedelta(days=7), duration_minutes=60
    )
    async with httpx.AsyncClient(transport=emulator.transport(), base_url=OAUTH) as http:
        client = ZoomClient(
            http, api_base=API, oauth_base=OAUTH, policy=RetryPolicy(jitter=0.0), sleep=fake_sleep, clock=clock, **CREDS
        )
        with pytest.raises(ZoomTransportError) as caught:
            await converge(client, spec, None)
    assert len(emulator.state.meetings) == 1  # Zoom did create it
    assert explain(caught.value) == (
        "the answer was lost after Zoom may have created the meeting: run `apply` again, it adopts the meeting"
    )
