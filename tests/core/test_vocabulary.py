"""The vocabulary (app/core/vocabulary.py): statuses and roles spelled once, and still plain strings
wherever they leave the process (database rows, SQL parameters, JSON answers, the console page)."""

from __future__ import annotations

import json
import re
from enum import Enum
from typing import get_args

import httpx
import pytest
from fastapi.encoders import jsonable_encoder
from pydantic import TypeAdapter
from sqlalchemy import event, text

from app.api.deliveries import Status
from app.core.vocabulary import (
    DELIVERY_FAILED,
    FAILED_FILTER,
    ROLE_RANK,
    CueStatus,
    DeliveryStatus,
    FireOutcome,
    HostRole,
    InstanceRole,
)
from app.store import tables
from tests.fixtures import bangkok

EVENT = "mekong-dialogue-2022"
VOCABULARIES = (CueStatus, DeliveryStatus, FireOutcome, HostRole, InstanceRole)
MEMBERS = [member for vocabulary in VOCABULARIES for member in vocabulary]


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: f"{type(m).__name__}.{m.name}")
def test_a_member_is_its_string_everywhere(member):
    """Compared, formatted and serialised, a member is exactly its value."""
    value = member.value
    assert member == value and hash(member) == hash(value)
    assert str(member) == f"{member}" == "%s" % member == value  # noqa: UP031  (logs format with %s)
    assert json.dumps(member) == json.dumps(value)
    assert json.dumps({member: member}) == json.dumps({value: value})
    assert jsonable_encoder({"status": member}) == {"status": value}
    assert TypeAdapter(type(member)).dump_json(member) == json.dumps(value).encode()


def test_the_stored_values_are_the_ones_the_tables_document():
    """The database values do not change: each column's documented values are the vocabulary's."""

    def documented(column) -> list[str]:
        return [word.strip() for word in column.doc.split("|")]

    assert documented(tables.cues.c.status) == [m.value for m in CueStatus]
    assert documented(tables.deliveries.c.status) == [m.value for m in DeliveryStatus]
    assert documented(tables.api_tokens.c.role) == [m.value for m in HostRole]


def test_the_delivery_filter_lists_what_clients_see_plus_failed():
    """The ?status= filter (an enum in the OpenAPI schema) offers every status a client can meet
    except a withdrawn one, and 'failed' for parked or expired."""
    visible = [m.value for m in DeliveryStatus if m is not DeliveryStatus.WITHDRAWN]
    assert list(get_args(Status)) == [*visible, FAILED_FILTER]
    assert FAILED_FILTER not in {m.value for m in DeliveryStatus}


def test_roles_rank_in_their_order():
    """HostRole lists the most powerful first; the ranks agree, and a stage token ranks below a viewer."""
    assert [ROLE_RANK[r] for r in HostRole] == sorted(ROLE_RANK.values(), reverse=True)
    assert set(ROLE_RANK) == set(HostRole)
    assert HostRole.STAGE.rank < HostRole.VIEWER.rank < HostRole.HOST.rank < HostRole.ORGANISER.rank


def discord_parks(request: httpx.Request) -> httpx.Response:
    """Every receiver accepts, except Discord (404: the delivery is parked, a failed status)."""
    if request.url.path.startswith("/discord"):
        return httpx.Response(404, json={"message": "Unknown Webhook"})
    return httpx.Response(200, text="ok")


async def test_rows_parameters_and_answers_carry_plain_strings(database_url, service_for):
    """Cues fire and deliveries finish through the vocabulary: the driver gets str values, the
    rows hold the same words as before, and the API answers plain JSON strings."""
    service = await service_for(
        database_url, bangkok(13, 0), transport=discord_parks, tokens=["host", "viewer"], login="host"
    )
    sent: list[object] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        rows = parameters if executemany else [parameters]
        for row in rows:
            sent.extend(row.values() if isinstance(row, dict) else row)

    # On SQLite the firing transaction runs on a connection of its own (app/store/db.py SerialSqlite).
    serial = service.runtime.engine.firing.serial
    engines = [service.runtime.db.sync_engine, *([serial.engine] if serial is not None else [])]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        await service.at(bangkok(13, 31))  # the opening fires; its messages go out (Discord's is parked)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)

    enums = [p for p in sent if isinstance(p, Enum)]
    assert {CueStatus.FIRED, DeliveryStatus.SENT, DeliveryStatus.PARKED} <= set(enums)
    assert all(isinstance(p, str) and str(p) == p.value for p in enums)

    async with service.runtime.db.begin() as conn:
        cue_rows = (await conn.execute(text("SELECT DISTINCT status FROM cues"))).scalars().all()
        delivery_rows = (await conn.execute(text("SELECT DISTINCT status FROM deliveries"))).scalars().all()
        role_rows = (await conn.execute(text("SELECT DISTINCT role FROM api_tokens"))).scalars().all()
    assert {"fired", "pending"} <= set(cue_rows) <= {m.value for m in CueStatus}
    assert {"sent", "parked"} <= set(delivery_rows) <= {m.value for m in DeliveryStatus}
    assert set(role_rows) == {"host", "viewer"}
    assert all(type(v) is str for v in [*cue_rows, *delivery_rows, *role_rows])

    failed = await service.client.get(f"/api/events/{EVENT}/deliveries", params={"status": "failed"})
    assert failed.status_code == 200 and failed.json()
    assert {row["status"] for row in failed.json()} == {"parked"}
    assert '"status":"parked"' in failed.text.replace(" ", "")
    resent = await service.client.post(f"/api/deliveries/{failed.json()[0]['id']}/resend")
    assert resent.json() == {"id": failed.json()[0]["id"], "status": "pending"}
    me = await service.client.get("/api/events/me", headers=service.auth("viewer"))
    assert me.json()["role"] == "viewer" and '"role":"viewer"' in me.text.replace(" ", "")
    refused = await service.client.post(f"/api/events/{EVENT}/hold", headers=service.auth("viewer"), json={})
    assert refused.status_code == 403
    assert "this needs the 'host' role; your token 'viewer (test)' is 'viewer'" in refused.json()["reason"]
    ready = await service.client.get("/readyz")
    assert ready.json()["instance"]["role"] in {m.value for m in InstanceRole}


async def test_the_console_page_hands_its_scripts_the_roles_and_failed_statuses(database_url, service_for):
    """The console's scripts read roles and failed statuses from the page, not from their own copy."""
    service = await service_for(database_url, bangkok(13, 0))
    page = await service.client.get(f"/console/{EVENT}")
    assert page.status_code == 200
    rank = re.search(r"data-role-rank='([^']*)'", page.text)
    failed = re.search(r"data-failed-statuses='([^']*)'", page.text)
    assert rank and failed
    assert json.loads(rank.group(1)) == {role.value: ROLE_RANK[role] for role in HostRole}
    assert json.loads(failed.group(1)) == [s.value for s in DELIVERY_FAILED]
