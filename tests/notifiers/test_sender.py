"""send(): success and failure mapping for every target kind, against respx-mocked receivers."""

import json
import socket

import httpx
import pytest
import respx

from integrations.notifiers import DeliveryError, DeliveryResult, SlackPacer, send

from .conftest import (
    ALL_KINDS,
    TARGET_ARGS,
    ZOOM_TOKEN,
    fixed_clock,
    make_notification,
    make_target,
)

SUCCESS = {
    "slack": (200, "ok"),
    "teams": (202, ""),
    "discord": (204, ""),
    "zoom_chat": (200, '{"status":"ok"}'),
    "webhook": (204, ""),
}


def _url(kind: str) -> str:
    return TARGET_ARGS[kind]["url"]


async def _send(kind, **kwargs):
    async with httpx.AsyncClient() as http:
        return await send(http, make_target(kind), make_notification(), clock=fixed_clock, **kwargs)


@pytest.mark.parametrize("kind", ALL_KINDS)
@respx.mock
async def test_success(kind):
    status, text = SUCCESS[kind]
    route = respx.post(_url(kind)).mock(return_value=httpx.Response(status, text=text))
    outcome = await _send(kind)
    assert outcome.ok and outcome.result is DeliveryResult.ok and outcome.status_code == status
    assert outcome.as_error() is None
    assert outcome.target_id == f"{kind}-hosts" and outcome.delivery_id.startswith("dlv_")
    request = route.calls.last.request
    assert request.headers["user-agent"].startswith("Showcaller-Notifier/")
    if kind == "zoom_chat":
        assert request.headers["authorization"] == ZOOM_TOKEN
    if kind == "webhook":
        assert request.headers["webhook-id"] == outcome.delivery_id
        assert json.loads(request.content)["type"] == "cue.segment_start"


@pytest.mark.parametrize("kind", ALL_KINDS)
@respx.mock
async def test_429_with_retry_after_seconds(kind):
    respx.post(_url(kind)).mock(return_value=httpx.Response(429, headers={"Retry-After": "7"}, text="rate_limited"))
    outcome = await _send(kind)
    assert outcome.result is DeliveryResult.retry and outcome.retryable
    assert outcome.status_code == 429 and outcome.retry_after == 7.0
    error = outcome.as_error()
    assert isinstance(error, DeliveryError) and error.retryable and error.status == 429


@respx.mock
async def test_429_with_http_date_retry_after():
    # fixed_clock is 2025-01-14 07:15:00 UTC
    respx.post(_url("teams")).mock(
        return_value=httpx.Response(429, headers={"Retry-After": "Tue, 14 Jan 2025 07:16:30 GMT"})
    )
    outcome = await _send("teams")
    assert outcome.retry_after == 90.0 and outcome.retryable


@respx.mock
async def test_discord_429_reads_retry_after_from_the_body():
    body = {"message": "You are being rate limited.", "retry_after": 0.75, "global": False}
    respx.post(_url("discord")).mock(return_value=httpx.Response(429, json=body))
    outcome = await _send("discord")
    assert outcome.retryable and outcome.retry_after == 0.75


@respx.mock
async def test_past_http_date_means_retry_now():
    respx.post(_url("slack")).mock(
        return_value=httpx.Response(503, headers={"Retry-After": "Mon, 13 Jan 2025 00:00:00 GMT"})
    )
    assert (await _send("slack")).retry_after == 0.0


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("status", [500, 502, 503, 504])
@respx.mock
async def test_5xx_is_retryable(kind, status):
    respx.post(_url(kind)).mock(return_value=httpx.Response(status, text="upstream down"))
    outcome = await _send(kind)
    assert outcome.result is DeliveryResult.retry and outcome.status_code == status
    assert outcome.retry_after is None and outcome.answer == "upstream down"


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413, 422])
@respx.mock
async def test_4xx_is_permanent(kind, status):
    respx.post(_url(kind)).mock(return_value=httpx.Response(status, text="nope"))
    outcome = await _send(kind)
    assert outcome.result is DeliveryResult.permanent and outcome.status_code == status
    assert not outcome.retryable and outcome.as_error().retryable is False


@pytest.mark.parametrize("status", [408, 425])
@respx.mock
async def test_request_timeout_statuses_are_retryable(status):
    respx.post(_url("teams")).mock(return_value=httpx.Response(status))
    assert (await _send("teams")).retryable


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, "invalid_payload"),
        (404, "no_service"),
        (404, "channel_not_found"),
        (410, "channel_is_archived"),
        (403, "action_prohibited"),
        (200, "no_service"),
    ],
)
@respx.mock
async def test_slack_error_words_are_permanent_with_vendor_code(status, body):
    respx.post(_url("slack")).mock(return_value=httpx.Response(status, text=body))
    outcome = await _send("slack")
    assert outcome.result is DeliveryResult.permanent
    assert outcome.vendor_code == body and body in outcome.error


@respx.mock
async def test_vendor_codes_from_json_bodies():
    respx.post(_url("discord")).mock(
        return_value=httpx.Response(404, json={"message": "Unknown Webhook", "code": 10015})
    )
    respx.post(_url("teams")).mock(return_value=httpx.Response(400, json={"error": {"code": "InvalidRequestContent"}}))
    assert (await _send("discord")).vendor_code == "10015"
    assert (await _send("teams")).vendor_code == "InvalidRequestContent"


@respx.mock
async def test_redirects_are_not_followed():
    respx.post(_url("webhook")).mock(
        return_value=httpx.Response(301, headers={"location": "https://elsewhere.example/x"})
    )
    outcome = await _send("webhook")
    assert outcome.result is DeliveryResult.permanent and "redirect" in outcome.error


@pytest.mark.parametrize(
    ("exc", "maybe_delivered"),
    [
        (httpx.ConnectTimeout("t"), False),
        (httpx.ReadTimeout("t"), True),
        (httpx.WriteTimeout("t"), True),
        (httpx.PoolTimeout("t"), False),
    ],
)
@pytest.mark.parametrize("kind", ALL_KINDS)
@respx.mock
async def test_timeouts_are_retryable(kind, exc, maybe_delivered):
    respx.post(_url(kind)).mock(side_effect=exc)
    outcome = await _send(kind, timeout=2.5)
    assert outcome.result is DeliveryResult.retry and outcome.status_code is None
    assert outcome.vendor_code == "timeout" and "2.5s" in outcome.error
    assert outcome.maybe_delivered is maybe_delivered


@pytest.mark.parametrize("kind", ALL_KINDS)
@respx.mock
async def test_connection_errors_are_retryable(kind):
    respx.post(_url(kind)).mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    outcome = await _send(kind)
    assert outcome.retryable and outcome.vendor_code == "connect_error"
    assert "refused" in outcome.error and not outcome.maybe_delivered


@respx.mock
async def test_broken_connection_mid_request_is_retryable_and_may_have_arrived():
    respx.post(_url("slack")).mock(side_effect=httpx.RemoteProtocolError("peer closed"))
    outcome = await _send("slack")
    assert outcome.retryable and outcome.maybe_delivered


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_real_connection_refused_on_loopback():
    target = make_target("teams", url=f"http://127.0.0.1:{_closed_port()}/teams/hosts")
    async with httpx.AsyncClient() as http:
        outcome = await send(http, target, make_notification(), timeout=5)
    assert outcome.result is DeliveryResult.retry and outcome.vendor_code == "connect_error"


@respx.mock
async def test_answer_is_truncated_and_secrets_masked():
    target = make_target("teams")
    echoed = f"error for {target.url.get_secret_value()} sig=TeAmSsIgSeCrEt987654 " + "x" * 5000
    respx.post(_url("teams")).mock(return_value=httpx.Response(400, text=echoed))
    outcome = await _send("teams")
    assert len(outcome.answer) == 2048
    assert "TeAmSsIgSeCrEt987654" not in outcome.answer and "***" in outcome.answer


@respx.mock
async def test_transport_error_text_is_masked(caplog):
    secret_url = _url("discord")
    respx.post(secret_url).mock(side_effect=httpx.ConnectError(f"cannot reach {secret_url}"))
    outcome = await _send("discord")
    assert "DiScOrDtOkEnSeCrEt_abcdef" not in outcome.error
    assert "DiScOrDtOkEnSeCrEt_abcdef" not in caplog.text
    assert "discord-hosts" in caplog.text


@respx.mock
async def test_the_same_delivery_id_on_every_retry():
    route = respx.post(_url("webhook")).mock(
        side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(204)]
    )
    results = [(await _send("webhook")).result for _ in range(3)]
    assert results == [DeliveryResult.retry, DeliveryResult.retry, DeliveryResult.ok]
    assert {c.request.headers["webhook-id"] for c in route.calls} == {"dlv_01HZX-seg1-start-hosts"}


async def test_a_bad_template_string_is_a_permanent_outcome_not_an_exception():
    async with httpx.AsyncClient() as http:
        outcome = await send(http, make_target("slack"), make_notification(), template="{{ nope }}")
    assert outcome.result is DeliveryResult.permanent and "cannot render" in outcome.error


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@respx.mock
async def test_slack_sends_are_paced_and_429_defers_the_url():
    fake = FakeTime()
    pacer = SlackPacer(clock=fake.clock, sleep=fake.sleep)
    route = respx.post(_url("slack")).mock(
        side_effect=[
            httpx.Response(200, text="ok"),
            httpx.Response(200, text="ok"),
            httpx.Response(429, headers={"retry-after": "30"}),
            httpx.Response(200),
        ]
    )
    for _ in range(4):
        await _send("slack", pacer=pacer)
    assert route.call_count == 4
    assert fake.slept == [1.0, 1.0, 30.0]


@respx.mock
async def test_pacer_is_not_used_for_other_kinds():
    fake = FakeTime()
    pacer = SlackPacer(clock=fake.clock, sleep=fake.sleep)
    respx.post(_url("discord")).mock(return_value=httpx.Response(204))
    for _ in range(3):
        await _send("discord", pacer=pacer)
    assert fake.slept == []


# -- the client's transport, not its browser-like layers (issue 27, B3) ------------------------------


async def test_the_clients_mounts_choose_the_transport_and_its_hooks_see_the_post():
    """A proxy from the environment or a test's transport is a mount of the client: a message goes
    through the transport the client chose for its URL, and the client's event hooks (the service's
    Zoom call metrics) see the request and its answer."""
    seen: list[str] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(f"receiver {request.url.host} timeout={request.extensions['timeout']['read']}")
        return httpx.Response(204)

    async def on_request(request: httpx.Request) -> None:
        seen.append(f"hook request {request.method} {request.url.host}")

    async def on_response(response: httpx.Response) -> None:
        seen.append(f"hook response {response.status_code} {response.request.url.host}")

    unmounted = httpx.MockTransport(lambda request: httpx.Response(500))
    target = make_target("webhook", url="https://hooks.example.test/in")
    async with httpx.AsyncClient(
        transport=unmounted,
        mounts={"https://hooks.example.test": httpx.MockTransport(receiver)},
        event_hooks={"request": [on_request], "response": [on_response]},
    ) as http:
        outcome = await send(http, target, make_notification(), clock=fixed_clock, timeout=3.5)
    assert outcome.ok
    assert seen == [
        "hook request POST hooks.example.test",
        "receiver hooks.example.test timeout=3.5",
        "hook response 204 hooks.example.test",
    ]


async def test_a_receivers_cookie_is_not_kept_nor_sent_back():
    """A webhook is not a browser session: a Set-Cookie in an answer is not sent with the next message."""
    cookies: list[str | None] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        cookies.append(request.headers.get("cookie"))
        return httpx.Response(200, headers={"set-cookie": "session=abc; Path=/"}, text="ok")

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        for _ in range(2):
            assert (await send(http, make_target("webhook"), make_notification(), clock=fixed_clock)).ok
        assert not http.cookies
    assert cookies == [None, None]


async def test_a_compressed_answer_is_read_decoded_and_its_charset_honoured():
    """The receiver's refusal is shown to hosts as text: a gzip body is decoded and a declared
    charset is used, as the client's own reading did."""
    import gzip

    text = "Ungültige Signatur"
    body = gzip.compress(text.encode("latin-1"))

    def receiver(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            content=body,
            headers={"content-encoding": "gzip", "content-type": "text/plain; charset=latin-1"},
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        outcome = await send(http, make_target("webhook"), make_notification(), clock=fixed_clock)
    assert outcome.result is DeliveryResult.permanent and outcome.status_code == 400
    assert outcome.answer == text
