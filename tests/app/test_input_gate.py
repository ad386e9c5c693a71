"""The input gate in front of every route: body limits by route class enforced while reading, over
a real uvicorn server; the text rule on every JSON body whatever its content type says, and on
path parameters (422 naming the field, never 500) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.api.input_gate import Limits
from app.store.tables import run_log
from tests.fixtures import EVENT, LoopbackServer, bangkok

BIG = 30 * 1024 * 1024
# One socket read handed to the app by uvicorn (64 KiB with asyncio, up to 256 KiB with uvloop):
# what the gate may hold in hand when it sees the running total pass the limit.
ONE_READ = 512 * 1024
EXISTING, UNKNOWN = f"/api/events/{EVENT}/announcements", "/api/no-such-route"


class Counting:
    """Wraps an ASGI app: per request, the body bytes it pulled through `receive` and the status
    and body it answered with."""

    def __init__(self, app) -> None:
        self.app, self.consumed, self.answers = app, [], []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        index = len(self.consumed)
        self.consumed.append(0)
        self.answers.append([None, b""])

        async def counted():
            message = await receive()
            self.consumed[index] += len(message.get("body", b""))
            return message

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                self.answers[index][0] = message["status"]
            elif message["type"] == "http.response.body":
                self.answers[index][1] += message.get("body", b"")
            await send(message)

        await self.app(scope, counted, sending)


@pytest.fixture
async def served(sqlite_url, service_for):
    service = await service_for(sqlite_url, bangkok(14, 20), tokens=["host"], login="host")
    counting = Counting(service.app)
    server = LoopbackServer(counting, lifespan="on")  # hands the started service to the routes
    await server.start()
    try:
        yield service, counting, server
    finally:
        await server.stop(abort=True)


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"x" * piece


@pytest.mark.parametrize("path", [EXISTING, UNKNOWN], ids=["existing", "unknown"])
@pytest.mark.parametrize("how", ["application/JSON", "text/plain", "chunked"])
async def test_30_mb_is_413_before_the_body_is_read_past_the_limit(served, path, how):
    service, counting, server = served
    limits = Limits.of(service.settings)
    limit = limits.json if path == EXISTING else limits.other
    headers = {"authorization": f"Bearer {service.tokens['host']}"}
    async with httpx.AsyncClient(base_url=server.base, timeout=120) as http:
        try:
            if how == "chunked":  # an async generator: httpx sends it chunked, without a Content-Length
                headers["content-type"] = "application/json"
                answer = await http.post(path, content=_chunks(BIG), headers=headers)
            else:
                answer = await http.post(path, content=b"x" * BIG, headers={**headers, "content-type": how})
        except httpx.TransportError:
            # The server answered and closed the connection without reading the rest: a client
            # still sending may see the reset before the answer. What the server did is below.
            answer = None
    [(status, body)] = counting.answers
    assert status == 413
    refusal = json.loads(body)
    assert refusal["error"] == "payload_too_large" and refusal["limit"] == limit
    assert "SHOWCALLER_MAX_" in refusal["reason"]
    if answer is not None:
        assert answer.status_code == 413 and answer.json() == refusal
    [consumed] = counting.consumed
    if how == "chunked":  # no length: refused as soon as the running total passed the limit
        assert limit < consumed <= limit + ONE_READ
    else:  # refused from Content-Length alone, before a byte of the body was read
        assert consumed == 0
    # The service is fine afterwards.
    async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
        assert (await http.get("/healthz")).status_code == 200


async def test_a_body_a_little_over_the_limit_gets_its_413_on_a_kept_connection(served):
    service, counting, server = served
    limit = Limits.of(service.settings).json
    headers = {"authorization": f"Bearer {service.tokens['host']}", "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
        over = await http.post(EXISTING, content=b"x" * (limit + 100_000), headers=headers)
        assert over.status_code == 413 and over.json()["limit"] == limit
        assert over.headers.get("connection") != "close"
        assert (await http.get("/healthz")).status_code == 200
    assert counting.consumed[0] == 0


async def test_a_body_under_the_limit_still_reaches_the_route_and_an_unknown_path_is_404(served):
    service, counting, server = served
    headers = {"authorization": f"Bearer {service.tokens['host']}"}
    async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
        ok = await http.post(
            EXISTING,
            content=_chunks(len(json.dumps({"message": "hello"}))),
            headers={**headers, "content-type": "application/json"},
        )
        assert ok.status_code == 422  # the x's are not JSON: the route's own validation answers
        sent = await http.post(EXISTING, json={"message": "hello"}, headers=headers)
        assert sent.status_code == 201, sent.text
        missing = await http.post(UNKNOWN, json={"message": "hello"}, headers=headers)
        assert missing.status_code == 404


def _spelled(media: str, upper: list[bool]) -> str:
    return "".join(c.upper() if flip else c for c, flip in zip(media, upper + [False] * len(media), strict=False))


CONTENT_TYPES = st.builds(
    lambda media, upper, params: None if media is None else _spelled(media, upper) + params,
    st.sampled_from(
        [
            None,
            "",
            "application/json",
            "application/vnd.showcaller+json",
            "application/problem+json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/octet-stream",
            "application/yaml",
        ]
    ),
    st.lists(st.booleans(), max_size=40),
    st.sampled_from(["", "; charset=UTF-8", ";charset=utf-8", ' ; Charset="utf-8"', "; q=1"]),
)
BAD = st.sampled_from(["\x00", "\x1b", "\x07", "\x7f", "\ud800"])
ROUTES = st.sampled_from(
    [
        ("announcements", lambda text: {"message": text}, "body.message"),
        ("timers", lambda text: {"label": text, "seconds": 60}, "body.label"),
        ("stage", lambda text: {"message": text}, "body.message"),
        ("announcements", lambda text: {"message": "fine", "targets": ["hosts-slack", text]}, "body.targets.1"),
    ]
)


async def _log_length(runtime) -> int:
    async with runtime.db.begin() as conn:
        return (await conn.execute(select(func.count()).select_from(run_log))).scalar_one()


@pytest.fixture
async def host_service(database_url, service_for):
    return await service_for(database_url, bangkok(14, 20), tokens=["host", "organiser"], login="host")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content_type=CONTENT_TYPES,
    route=ROUTES,
    bad=BAD,
    around=st.tuples(st.text(max_size=8), st.text(max_size=8)),
    ascii_only=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]),
)
async def test_nul_or_esc_in_a_body_is_a_422_naming_the_field_whatever_the_content_type(
    host_service, content_type, route, bad, around, ascii_only, encoding
):
    path, make, field = route
    text = around[0] + bad + around[1]
    body = json.dumps(make(text), ensure_ascii=ascii_only or bad == "\ud800")
    raw = body.encode(encoding, "surrogatepass")
    headers = {} if content_type is None else {"content-type": content_type}
    before = await _log_length(host_service.runtime)
    answer = await host_service.client.post(f"/api/events/{EVENT}/{path}", content=raw, headers=headers)
    assert answer.status_code == 422, (content_type, answer.text)
    refusal = answer.json()
    assert refusal["error"] == "invalid_request"
    assert refusal["details"][0]["field"] == field, refusal
    assert await _log_length(host_service.runtime) == before


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("POST", "/api/deliveries/d1%00x/resend", "path.delivery_id"),
        ("DELETE", f"/api/events/{EVENT}/stage/links/ana%00", "path.person"),
        ("GET", "/api/events/mekong%00/state", "path.event_id"),
        ("POST", f"/api/events/{EVENT}/timers/t%1B1/stop", "path.timer_id"),
        ("GET", "/console/x%00y", "path.event_id"),
        ("GET", "/no-such%00page", "path"),
    ],
)
async def test_nul_in_a_path_parameter_is_a_422_naming_it_never_500(host_service, method, path, field):
    answer = await host_service.client.request(method, path, headers=host_service.auth("organiser"))
    assert answer.status_code == 422, answer.text
    refusal = answer.json()
    assert refusal["error"] == "invalid_request" and refusal["details"][0]["field"] == field
    assert refusal["reason"].startswith(f"{field}: ")
