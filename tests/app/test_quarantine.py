"""One bad event never stops the others: at start-up an event whose stored schedule or run log cannot
be loaded is quarantined (listed with its reason, its cues not fired) and every other event runs;
`showcaller events repair|remove` deal with it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, insert, select, update
from typer.testing import CliRunner

from app.cli import app as cli
from app.cli import event_cmds  # noqa: F401  (registers `events`)
from app.core.config import get_settings
from app.engine.clock import ManualClock
from app.main import create_app
from app.store.tables import cues, events, run_log
from tests.conftest import MEKONG, bangkok
from tests.fixtures import asgi_client, build_runtime, create_tokens
from tests.fixtures.service import Runtime

GOOD, BAD = "mekong-dialogue-2022", "mekong-copy"
COPY = MEKONG.read_text().replace(f"id: {GOOD}", f"id: {BAD}", 1)


async def _runtime(database_url, settings_for, at: datetime) -> Runtime:
    runtime = build_runtime(settings_for(database_url), ManualClock(at), lambda r: httpx.Response(200))
    await runtime.start(run_timer=False, run_worker=False)
    return runtime


async def _two_events(database_url, settings_for, receiver_env) -> None:
    receiver_env("http://127.0.0.1:9")
    runtime = await _runtime(database_url, settings_for, bangkok(13, 0))
    try:
        await runtime.engine.load_schedule(MEKONG.read_text(), str(MEKONG))
        await runtime.engine.load_schedule(COPY, "copy.yaml")
    finally:
        await runtime.stop()


async def _break(database_url, settings_for, how: str) -> None:
    from app.store.db import create_engine

    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            if how == "schedule":
                await conn.execute(update(events).where(events.c.id == BAD).values(schedule_text="event: [unclosed"))
            else:
                await conn.execute(
                    insert(run_log).values(
                        event_id=BAD,
                        seq=1,
                        at=datetime.now(UTC),
                        kind="bogus",
                        data={"kind": "bogus", "at": "yesterday"},
                        actor="x",
                    )
                )
    finally:
        await db.dispose()


async def _cli(database_url, monkeypatch, *args: str):
    monkeypatch.setenv("SHOWCALLER_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:  # typer runs asyncio.run: give it a thread of its own, away from the test's loop
        return await asyncio.to_thread(CliRunner().invoke, cli, list(args))
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("how", ["schedule", "run_log"])
async def test_a_bad_event_is_quarantined_and_the_others_run(database_url, settings_for, receiver_env, how):
    await _two_events(database_url, settings_for, receiver_env)
    await _break(database_url, settings_for, how)
    runtime = await _runtime(database_url, settings_for, bangkok(14, 20))
    try:
        assert runtime.engine.event_ids() == [GOOD]
        assert list(runtime.quarantined) == [BAD]
        expected = "stored schedule is invalid" if how == "schedule" else "run log or schedule cannot be loaded"
        assert expected in runtime.quarantined[BAD]
        fired = await runtime.engine.tick()
        assert fired and {f.event_id for f in fired} == {GOOD}
        async with runtime.db.begin() as conn:
            still = (
                await conn.execute(
                    select(func.count()).select_from(cues).where(cues.c.event_id == BAD, cues.c.status != "pending")
                )
            ).scalar_one()
        assert still == 0  # nothing of the quarantined event fired or was re-planned
        assert await runtime.engine.next_wake() > runtime.clock.now()

        web = create_app(runtime.settings, services=runtime.services)
        web.state.runtime = runtime
        token = (await create_tokens(runtime, {"viewer": "v"}, runtime.clock.now()))["viewer"]
        async with asgi_client(web, "http://sc.test", headers={"authorization": f"Bearer {token}"}) as client:
            listed = {e["id"]: e["quarantined"] for e in (await client.get("/api/events")).json()}
            assert listed[GOOD] is None and expected in listed[BAD]
            answer = await client.get(f"/api/events/{BAD}/state")
            assert answer.status_code == 409 and "quarantined" in answer.json()["reason"]
            assert (await client.get(f"/api/events/{GOOD}/state")).status_code == 200
    finally:
        await runtime.stop()


async def test_repair_from_a_file_and_remove(database_url, settings_for, receiver_env, monkeypatch, tmp_path):
    await _two_events(database_url, settings_for, receiver_env)
    await _break(database_url, settings_for, "schedule")
    refused = await _cli(database_url, monkeypatch, "events", "repair", BAD)
    assert refused.exit_code == 2 and "events repair" in refused.stderr and "Traceback" not in refused.output
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(COPY)
    repaired = await _cli(database_url, monkeypatch, "events", "repair", BAD, "--file", str(fixed))
    assert repaired.exit_code == 0, repaired.output
    assert "stored the new schedule" in repaired.stdout
    runtime = await _runtime(database_url, settings_for, bangkok(14, 20))
    try:
        assert runtime.quarantined == {} and runtime.engine.event_ids() == [BAD, GOOD]
    finally:
        await runtime.stop()
    removed = await _cli(database_url, monkeypatch, "events", "remove", BAD, "--yes")
    assert removed.exit_code == 0, removed.output
    missing = await _cli(database_url, monkeypatch, "events", "remove", BAD, "--yes")
    assert missing.exit_code == 1 and "no event" in missing.stderr
    runtime = await _runtime(database_url, settings_for, bangkok(14, 20))
    try:
        assert runtime.engine.event_ids() == [GOOD]
    finally:
        await runtime.stop()


async def test_repair_drops_unreadable_run_log_entries_only_when_asked(
    database_url, settings_for, receiver_env, monkeypatch
):
    await _two_events(database_url, settings_for, receiver_env)
    await _break(database_url, settings_for, "run_log")
    listed = await _cli(database_url, monkeypatch, "events", "repair", BAD)
    assert listed.exit_code == 2 and "run log #1" in listed.stderr
    dropped = await _cli(database_url, monkeypatch, "events", "repair", BAD, "--drop-unreadable-actions")
    assert dropped.exit_code == 0, dropped.output
    assert "deleted 1 unreadable run-log entry" in dropped.stdout
    runtime = await _runtime(database_url, settings_for, bangkok(14, 20))
    try:
        assert runtime.quarantined == {} and runtime.engine.event_ids() == [BAD, GOOD]
    finally:
        await runtime.stop()
