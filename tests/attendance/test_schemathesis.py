"""Schemathesis against POST /webhooks/zoom: schema-driven bodies, signed by a hook, never a 5xx."""

from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy import func, select

from app.core.config import Settings
from app.main import create_app
from app.store.tables import inbox
from tests.attendance.conftest import signed_headers

# The schema comes from the real app (read directly: its lifespan, which builds the service, never runs).
_schema_app = create_app(Settings(_env_file=None, database_url="sqlite+aiosqlite://"))
SCHEMA = schemathesis.openapi.from_dict(_schema_app.openapi())
OPERATION = SCHEMA["/webhooks/zoom"]["POST"]
CASES = st.one_of(
    OPERATION.as_strategy(generation_mode=GenerationMode.POSITIVE),
    OPERATION.as_strategy(generation_mode=GenerationMode.NEGATIVE),
)


def sign_case(case, now) -> tuple[bytes, dict[str, str]]:
    """The signing hook: serialise the generated body exactly as sent and sign those bytes."""
    value = case.body
    if value is None or type(value).__name__ == "NotSet":
        body = b""
    elif isinstance(value, bytes | bytearray):
        body = bytes(value)
    elif isinstance(value, str):
        body = value.encode("utf-8", "surrogatepass")
    else:
        body = json.dumps(value, default=str).encode("utf-8", "surrogatepass")
    return body, signed_headers(body, now)


async def _count(h) -> int:
    async with h.runtime.db.begin() as conn:
        return (await conn.execute(select(func.count()).select_from(inbox))).scalar_one()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=CASES)
async def test_generated_cases_signed_are_answered_without_5xx(harness, case):
    body, headers = sign_case(case, harness.clock.now())
    before = await _count(harness)
    response = await harness.client.post("/webhooks/zoom", content=body, headers=headers)
    assert response.status_code < 500, response.text
    after = await _count(harness)
    if response.status_code == 200:
        assert after - before in (0, 1)
        answer = response.json()
        assert answer.get("status") in ("accepted", "duplicate") or "encryptedToken" in answer
        assert (after - before == 1) == (answer.get("status") == "accepted")
    else:
        assert response.status_code in (400, 413), response.text
        assert {"error", "reason"} <= set(response.json())
        assert after == before
    unsigned = await harness.client.post("/webhooks/zoom", content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401 and await _count(harness) == after


async def test_schema_documents_the_refusals():
    responses = OPERATION.definition.raw["responses"]
    assert {"200", "400", "401", "413"} <= set(responses)
