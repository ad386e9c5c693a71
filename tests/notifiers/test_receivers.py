"""Local receivers, end to end in-process: what the renderers produce is accepted, bad
signatures and tokens are refused, faults and duplicates behave like the real services."""

import io
import json
from datetime import timedelta

import httpx
import pytest
from rich.console import Console

from integrations.notifiers import DeliveryResult, TargetConfig, render, send
from integrations.notifiers.signing import sign_headers
from integrations.receivers import ReceivedMessage, create_receivers

from .conftest import NOW, WEBHOOK_SECRET, ZOOM_TOKEN, fixed_clock, make_notification

BASE = "http://127.0.0.1:9902"
LOCAL = {
    "slack": {"url": f"{BASE}/slack/hosts"},
    "teams": {"url": f"{BASE}/teams/hosts"},
    "discord": {"url": f"{BASE}/discord/hosts"},
    "zoom_chat": {"url": f"{BASE}/zoom_chat/hosts?format=full", "token": ZOOM_TOKEN},
    "webhook": {"url": f"{BASE}/webhook/ops", "secret": WEBHOOK_SECRET},
}
STATUS = {"slack": 200, "teams": 202, "discord": 204, "zoom_chat": 200, "webhook": 204}


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def screen():
    return io.StringIO()


@pytest.fixture
def app(clock, screen):
    return create_receivers(
        zoom_chat_token=ZOOM_TOKEN,
        webhook_secret=WEBHOOK_SECRET,
        console=Console(file=screen, width=120, color_system=None),
        clock=clock,
    )


@pytest.fixture
async def http(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def local_target(kind, **overrides):
    return TargetConfig(**{"id": f"local-{kind}", "kind": kind, **LOCAL[kind], **overrides})


@pytest.mark.parametrize("kind", list(LOCAL))
async def test_receivers_accept_what_the_renderers_produce(kind, app, http, clock, screen):
    outcome = await send(http, local_target(kind), make_notification(), clock=clock)
    assert outcome.ok and outcome.status_code == STATUS[kind]
    (message,) = app.state.inbox
    assert message.kind == kind and message.received_at == NOW
    assert message.text.splitlines()[0].endswith("Session 1 starts now")
    assert "15:00 (GMT+7)" in message.text or kind == "webhook"
    assert message.verified is (kind in ("zoom_chat", "webhook"))
    assert "***" == message.headers.get("authorization", "***")
    name = {"slack": "Slack", "teams": "Teams", "discord": "Discord", "zoom_chat": "Zoom Chat", "webhook": "Webhook"}[
        kind
    ]
    assert f"[{name} #{message.channel}]" in screen.getvalue()
    listing = (await http.get("/_received", params={"kind": kind})).json()
    assert listing["count"] == 1 and listing["messages"][0]["kind"] == kind


async def test_slack_panel_reads_like_slack(http, screen, clock):
    await send(http, local_target("slack"), make_notification(), clock=clock)
    shown = screen.getvalue()
    assert "[Slack #hosts] Session 1 starts now" in shown
    assert "Ends at: 15:00 (GMT+7)" in shown and "Join Zoom (https://zoom.us/j/81234567890)" in shown


@pytest.mark.parametrize("kind", list(LOCAL))
@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "T" * 3000, "text": "x" * 20_000, "fields": [(f"L{i}" * 100, "v" * 3000) for i in range(30)]},
        {"title": "T" * 3000, "text": "x" * 20_000, "fields": []},
    ],
)
async def test_every_kind_survives_huge_inputs(kind, overrides, app, http, clock):
    outcome = await send(http, local_target(kind), make_notification(**overrides), clock=clock)
    assert outcome.ok, outcome


async def test_zoom_chat_plain_text_format(app, http, clock):
    target = local_target("zoom_chat", url=f"{BASE}/zoom_chat/plain")
    assert (await send(http, target, make_notification(), clock=clock)).ok
    message = app.state.inbox[0]
    assert message.json is None and message.body.startswith("Session 1 starts now\n")


async def test_wrong_zoom_token_is_401(app, http, clock):
    outcome = await send(http, local_target("zoom_chat", token="wrong-token"), make_notification(), clock=clock)
    assert outcome.result is DeliveryResult.permanent and outcome.status_code == 401
    assert app.state.inbox == []


async def test_bad_webhook_signature_is_401(app, http, clock):
    other = "whsec_" + "A" * 32
    outcome = await send(http, local_target("webhook", secret=other), make_notification(), clock=clock)
    assert outcome.status_code == 401 and "signature" in outcome.answer
    assert app.state.inbox == []


async def test_stale_webhook_signature_is_401(http, clock):
    request = render("webhook", make_notification(), secret=WEBHOOK_SECRET, clock=fixed_clock)
    clock.now = NOW + timedelta(minutes=10)
    response = await http.post("/webhook/ops", content=request.body, headers=request.headers)
    assert response.status_code == 401 and "tolerance" in response.text


async def test_per_path_secrets_override_defaults(clock):
    special = "whsec_" + "B" * 32
    app = create_receivers(
        secrets={"webhook/special": special, "/zoom_chat/vip": "vip-token"}, webhook_secret=WEBHOOK_SECRET, clock=clock
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        n = make_notification()
        ok = local_target("webhook", url=f"{BASE}/webhook/special", secret=special)
        assert (await send(http, ok, n, clock=clock)).ok
        default_key = local_target("webhook", url=f"{BASE}/webhook/special")
        assert (await send(http, default_key, n, clock=clock)).status_code == 401
        vip = local_target("zoom_chat", url=f"{BASE}/zoom_chat/vip?format=full", token="vip-token")
        assert (await send(http, vip, n, clock=clock)).ok


async def test_unconfigured_paths_accept_but_mark_unverified(clock):
    app = create_receivers(clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        assert (await send(http, local_target("webhook"), make_notification(), clock=clock)).ok
    assert app.state.inbox[0].verified is False


async def test_duplicate_webhook_ids_are_counted_not_recorded(app, http, clock):
    target = local_target("webhook")
    n = make_notification()
    for _ in range(3):
        assert (await send(http, target, n, clock=clock)).ok
    assert len(app.state.inbox) == 1 and app.state.inbox[0].duplicates == 2
    assert (await http.get("/_received")).json()["duplicates"] == 2
    other = make_notification(delivery_id="dlv_other")
    assert (await send(http, target, other, clock=clock)).ok
    assert len(app.state.inbox) == 2


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("/slack/hosts", b"not json", 400, "invalid_payload"),
        ("/slack/hosts", b"{}", 400, "no_text"),
        (
            "/slack/hosts",
            json.dumps({"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]}).encode(),
            400,
            "invalid_blocks",
        ),
        (
            "/slack/hosts",
            json.dumps({"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "a"}] * 11}]}).encode(),
            400,
            "at most 10",
        ),
        ("/teams/hosts", b'{"text": "hello"}', 400, "type"),
        ("/teams/hosts", b'{"type": "message", "attachments": []}', 400, "attachments"),
        (
            "/teams/hosts",
            json.dumps(
                {
                    "type": "message",
                    "attachments": [{"contentType": "application/vnd.microsoft.card.thumbnail", "content": {}}],
                }
            ).encode(),
            400,
            "Adaptive Card",
        ),
        ("/discord/hosts", b"{}", 400, "Cannot send an empty message"),
        ("/discord/hosts", json.dumps({"content": "x" * 2001}).encode(), 400, "2000 or fewer"),
        (
            "/discord/hosts",
            json.dumps({"embeds": [{"title": "t", "fields": [{"name": "n", "value": ""}]}]}).encode(),
            400,
            "Invalid Form Body",
        ),
        ("/zoom_chat/hosts?format=full", b'{"head": {"text": "x"}}', 400, "content"),
        ("/zoom_chat/hosts", b"   ", 400, "empty"),
    ],
)
async def test_wrong_shapes_are_refused_with_an_explanation(http, path, body, status, needle):
    headers = {"authorization": ZOOM_TOKEN} if "zoom" in path else {}
    response = await http.post(path, content=body, headers=headers)
    assert response.status_code == status and needle in response.text


async def test_webhook_envelope_must_have_type_timestamp_data(http, clock):
    body = b'{"hello": "world"}'
    headers = sign_headers(WEBHOOK_SECRET, "m1", body, clock())
    response = await http.post("/webhook/ops", content=body, headers=headers)
    assert response.status_code == 400 and "type" in response.text


async def test_fault_count_makes_a_channel_fail_then_recover(app, http, clock):
    created = await http.post("/_faults", json={"path": "/slack/hosts", "status": 503, "count": 2})
    assert created.status_code == 201
    target, n = local_target("slack"), make_notification()
    results = [(await send(http, target, n, clock=clock)).result for _ in range(3)]
    assert results == [DeliveryResult.retry, DeliveryResult.retry, DeliveryResult.ok]
    assert len(app.state.inbox) == 1


async def test_fault_until_uses_the_clock_and_sends_retry_after(http, clock):
    until = (NOW + timedelta(seconds=30)).isoformat()
    await http.post("/_faults", json={"path": "/discord/*", "status": 429, "until": until, "retry_after": 12})
    target, n = local_target("discord"), make_notification()
    limited = await send(http, target, n, clock=clock)
    assert limited.status_code == 429 and limited.retry_after == 12.0
    assert (await http.get("/_faults")).json()[0]["hits"] == 1
    clock.now = NOW + timedelta(seconds=31)
    assert (await send(http, target, n, clock=clock)).ok
    assert (await http.get("/_faults")).json() == []


async def test_fault_requests_are_validated_and_clearable(http):
    assert (await http.post("/_faults", json={"path": "/x", "status": 503})).status_code == 422
    assert (await http.post("/_faults", json={"path": "/x", "status": 200, "count": 1})).status_code == 422
    await http.post("/_faults", json={"path": "/teams/hosts", "status": 500, "seconds": 60})
    assert (await http.delete("/_faults")).status_code == 204
    assert (await http.get("/_faults")).json() == []


async def test_received_listing_filters_and_clears(app, http, clock):
    n = make_notification()
    for kind in ("slack", "teams", "slack"):
        await send(http, local_target(kind), n, clock=clock)
    assert (await http.get("/_received")).json()["count"] == 3
    assert (await http.get("/_received?kind=slack")).json()["count"] == 2
    assert (await http.get("/_received?kind=slack&channel=nope")).json()["count"] == 0
    assert (await http.delete("/_received")).status_code == 204
    assert (await http.get("/_received")).json()["count"] == 0 and app.state.inbox == []


async def test_sync_and_async_sinks_see_every_message(clock):
    seen: list[ReceivedMessage] = []

    async def async_sink(message):
        seen.append(message)

    for sink in (seen.append, async_sink):
        app = create_receivers(sink=sink, clock=clock)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as h:
            await send(h, local_target("teams"), make_notification(), clock=clock)
    assert [m.kind for m in seen] == ["teams", "teams"]


async def test_console_shows_payload_text_literally(http, screen, clock):
    n = make_notification(title="[bold red]not markup[/]", text="[link=x]y[/link]")
    await send(http, local_target("teams"), n, clock=clock)
    assert "[bold red]not markup[/]" in screen.getvalue()


async def test_discord_wait_true_returns_the_message(http):
    response = await http.post("/discord/hosts?wait=true", json={"content": "hi"})
    assert response.status_code == 200 and response.json()["content"] == "hi"
