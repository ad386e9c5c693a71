"""The served OpenAPI document tells the truth: a valid document, one error schema, and every answer
the service gives documented (schemathesis' response-conformance checks over the whole API)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from app.core.config import Settings
from app.core.metrics import CONTENT_TYPE
from app.main import create_app
from app.store.tables import deliveries
from tests.fixtures import EVENT, Recorder, bangkok
from tests.fixtures.databases import fresh_sqlite
from tests.fixtures.service import start_service
from tests.fixtures.settings import make_settings

# The document only: the app is built, never started (its lifespan, which builds the service, does
# not run: the schema is taken from the app object, not fetched through it).
_schema_app = create_app(Settings(_env_file=None, database_url="sqlite+aiosqlite://"))
DOCUMENT: dict[str, Any] = _schema_app.openapi()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# A 5xx is checked like any status: documented (502 from Zoom, 503 not ready) or a failure (any 500).
EXAMPLES = 10  # per operation: about 500 requests over the whole API
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
STREAMS = {
    "/api/events/{event_id}/stream",
    "/api/events/{event_id}/stage/stream",
    "/api/public/events/{event_id}/stream",
}


def operations() -> list[tuple[str, str, dict]]:
    return [(path, method, op) for path, item in DOCUMENT["paths"].items() for method, op in item.items()]


def test_the_served_document_is_valid_openapi(served):
    runner, service, _ = served
    answer = runner.run(call(service.asgi, httpx.Request("GET", "http://t/openapi.json")))
    assert answer.status_code == 200
    validate(answer.json())  # openapi-spec-validator: raises with the offending part
    assert answer.json() == DOCUMENT  # what the other tests here read


def test_every_documented_error_has_the_one_error_schema():
    assert "HTTPValidationError" not in json.dumps(DOCUMENT)
    error = DOCUMENT["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "reason"} and "details" in error["properties"]
    for path, method, op in operations():
        for status, answer in op["responses"].items():
            if status[0] in "45" and not (status == "404" and "text/html" in answer["content"]):
                assert answer["content"] == ERROR, (method, path, status)


def test_secured_event_and_body_operations_document_their_refusals():
    secured = [(p, m, op) for p, m, op in operations() if op.get("security")]
    assert len(secured) >= 40
    for path, method, op in secured:
        assert {"401", "403"} <= set(op["responses"]), (method, path)
    for path, method, op in operations():
        statuses = set(op["responses"])
        if "{event_id}" in path and not path.startswith(("/console", "/agenda", "/stage")):
            assert {"404", "409"} <= statuses, (method, path)
        if "requestBody" in op:  # Zoom's webhook answers 400 for a body it cannot take
            assert "413" in statuses and statuses & {"400", "422"}, (method, path)
    assert {"401", "403", "413", "422", "503"} <= set(DOCUMENT["paths"]["/api/events"]["post"]["responses"])


def test_metrics_and_streams_have_their_media_types():
    assert list(DOCUMENT["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == [CONTENT_TYPE]
    assert CONTENT_TYPE.startswith("text/plain; version=0.0.4")
    for path in STREAMS:
        assert list(DOCUMENT["paths"][path]["get"]["responses"]["200"]["content"]) == ["text/event-stream"]


# -- schemathesis over every operation ----------------------------------------------------------------


async def call(app, request: httpx.Request) -> httpx.Response:
    """One request to the ASGI app, as a client would make it. An event stream is read up to its
    first frame, then the client leaves (httpx's ASGI transport would wait for the endless body)."""
    body = request.content
    left = asyncio.Event()
    start: dict[str, Any] = {}
    chunks: list[bytes] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.url.path,
        "raw_path": request.url.raw_path.split(b"?")[0],
        "query_string": request.url.query,
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "client": ("127.0.0.1", 50000),
        "server": ("t", 80),
        "state": {},
    }
    sent_body = False

    async def receive() -> dict:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            streaming = any(k == b"content-type" and b"event-stream" in v for k, v in start.get("headers", []))
            if not message.get("more_body") or (streaming and b"\n\n" in b"".join(chunks)):
                left.set()

    task = asyncio.create_task(app(scope, receive, send))
    await asyncio.wait_for(left.wait(), 30)
    await asyncio.wait_for(task, 30)
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
    response = httpx.Response(start["status"], headers=headers, content=b"".join(chunks), request=request)
    response.elapsed = timedelta(0)  # schemathesis reads it; never asserted
    return response


def build(case, auth: dict[str, str]) -> httpx.Request:
    """The HTTP request of a generated case (refused by Hypothesis when no client could send it)."""
    headers = {k: str(v) for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    headers.update(auth)
    content = None
    body = case.body
    if body is not None and type(body).__name__ != "NotSet":
        media = case.media_type or "application/json"
        headers["content-type"] = media
        if isinstance(body, bytes | bytearray):
            content = bytes(body)
        elif isinstance(body, str):
            content = body.encode("utf-8", "surrogatepass")
        else:
            content = json.dumps(body, default=str).encode("utf-8", "surrogatepass")
    try:
        query = urlencode(case.query or {}, doseq=True)
        url = f"http://t{case.formatted_path}" + (f"?{query}" if query else "")
        return httpx.Request(case.method, url, headers=headers, content=content)
    except (TypeError, ValueError, UnicodeEncodeError):
        reject()  # e.g. a header no HTTP client can encode


@pytest.fixture(scope="module")
def served(database_templates, tmp_path_factory):
    """One service for every operation's test, on its own event loop (the tests are not async, so
    Hypothesis can run each operation's examples): the Mekong event mid-show with messages sent
    (ids exist to resend), a token per role, and no Chromium (the PDF answers 503)."""
    with asyncio.Runner() as runner:
        url = runner.run(fresh_sqlite(database_templates, tmp_path_factory.mktemp("openapi")))
        settings = make_settings(url, chromium="/nonexistent/chromium")
        roles = ["organiser", "host", "viewer", "stage", "deck"]
        service = runner.run(start_service(settings, bangkok(13, 29), transport=Recorder(), tokens=roles))
        runner.run(service.at(bangkok(14, 20)))
        known = runner.run(_known_ids(service))
        try:
            yield runner, service, known
        finally:
            runner.run(service.stop())


async def _known_ids(service) -> dict[str, list[str]]:
    async with service.runtime.db.begin() as conn:
        ids = [row.id for row in await conn.execute(select(deliveries.c.id).limit(5))]
    people = [p.id for p in service.runtime.schedule(EVENT).people][:5]
    return {"event_id": [EVENT], "person": people, "delivery_id": ids}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_every_answer_of_the_operation_is_documented(served, operation):
    """Schema-generated requests (valid and invalid data), for the real event, person or delivery
    or made-up ones, with a token of any role or none. Any status, media type or body the document
    does not describe fails (a 500 too: it is never documented)."""
    runner, service, known = served

    # Not shrunk: schemathesis' report already gives the request that failed, ready to reproduce.
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.generate],
    )
    @given(data=st.data())
    def check(data):
        mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]), label="mode")
        case = data.draw(operation.as_strategy(generation_mode=mode), label="case")
        for name, values in known.items():
            if name in (case.path_parameters or {}) and data.draw(st.booleans(), label=f"known {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(values))
        role = data.draw(
            st.sampled_from(["organiser", "organiser", "host", "viewer", "stage", "deck", None]), label="token"
        )
        response = runner.run(call(service.asgi, build(case, service.auth(role) if role else {})))
        case.validate_response(response, checks=CHECKS)

    check()


def test_a_stream_is_read_to_its_first_frame(served):
    """The driver above really reads the streams (the conformance test relies on it)."""
    runner, service, _ = served
    request = httpx.Request("GET", f"http://t/api/public/events/{EVENT}/stream")
    response = runner.run(call(service.asgi, request))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    assert "event: agenda" in response.text
