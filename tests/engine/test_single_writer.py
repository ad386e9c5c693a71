"""A cue is never marked fired without its delivery rows: numbering is read in the transaction that
fires, and a conflicting insert fails (and rolls the firing back) instead of being dropped. Also: a
second `showcaller serve` on the same SQLite database is refused at start-up."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.engine.clock import ManualClock
from app.store import outbox_repo
from app.store.tables import cues, deliveries
from tests.conftest import MEKONG, bangkok
from tests.engine.helpers import ServiceProcess
from tests.fixtures import build_runtime, free_port
from tests.fixtures.service import Runtime

EVENT = "mekong-dialogue-2022"


async def _runtime(database_url, settings_for, clock) -> Runtime:
    runtime = build_runtime(settings_for(database_url), clock, lambda r: httpx.Response(200))
    await runtime.start(run_timer=False, run_worker=False)
    return runtime


async def test_two_engines_taking_turns_never_fire_a_cue_without_its_deliveries(
    database_url, settings_for, receiver_env
):
    receiver_env("http://127.0.0.1:9")
    clock = ManualClock(bangkok(13, 0))
    first = await _runtime(database_url, settings_for, clock)
    await first.engine.load_schedule(MEKONG.read_text(), str(MEKONG))
    second = await _runtime(database_url, settings_for, clock)
    try:
        fired = 0
        for turn, (hour, minute) in enumerate([(13, 31), (14, 1), (14, 16), (14, 31), (14, 46), (15, 16)]):
            clock.set(bangkok(hour, minute))
            engine = (first, second)[turn % 2].engine
            fired += sum(f.outcome != "skipped" for f in await engine.tick())
        async with first.db.begin() as conn:
            rows = (await conn.execute(select(cues).where(cues.c.status == "fired"))).all()
            made = (await conn.execute(select(deliveries.c.cue_id, deliveries.c.seq))).all()
        assert fired >= 6 and len(rows) == fired
        per_cue: dict[str, int] = {}
        for cue_id, _ in made:
            per_cue[cue_id] = per_cue.get(cue_id, 0) + 1
        assert {r.cue_id: len(r.targets) for r in rows} == {r.cue_id: per_cue.get(r.cue_id, 0) for r in rows}
        assert sorted(seq for _, seq in made) == list(range(1, len(made) + 1))
    finally:
        await second.stop()
        await first.stop()


async def test_a_conflicting_delivery_insert_fails_and_the_cue_stays_pending(database_url, settings_for, receiver_env):
    receiver_env("http://127.0.0.1:9")
    clock = ManualClock(bangkok(13, 31))
    runtime = await _runtime(database_url, settings_for, clock)
    try:
        await runtime.engine.load_schedule(MEKONG.read_text(), str(MEKONG))
        await runtime.engine.tick()  # numbers 1..n exist now
        clock.set(bangkok(14, 1))
        now = clock.now()
        with pytest.raises(IntegrityError):
            async with runtime.db.begin() as conn:
                row = (await outbox_repo.due_cues(conn, now))[0]
                assert await conn.run_sync(outbox_repo.mark_cue_sync, row, "fired", now, 0)
                await conn.run_sync(outbox_repo.add_deliveries_sync, row, list(row.targets), now, now, {}, 1)
        async with runtime.db.begin() as conn:
            again = (
                await conn.execute(
                    select(cues.c.status).where(cues.c.event_id == row.event_id, cues.c.cue_id == row.cue_id)
                )
            ).scalar_one()
        assert again == "pending"
    finally:
        await runtime.stop()


async def test_a_second_serve_on_the_same_sqlite_database_is_refused(tmp_path):
    # SQLite is the single-process store; PostgreSQL takes several instances (tests/cluster/).
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'showcaller.db'}"
    path = tmp_path / "mekong.yaml"
    path.write_text(MEKONG.read_text())
    env = {"SHOWCALLER_SLACK_HOSTS_URL": "http://127.0.0.1:9/x"}
    first = ServiceProcess(path, database_url, env, tmp_path / "first.log")
    second = ServiceProcess(path, database_url, env, tmp_path / "second.log", port=free_port())
    try:
        await first.start()
        await first.wait_healthy(60)
        await second.start()
        code = await asyncio.wait_for(second.proc.wait(), 60)
        lines = [
            line for line in (tmp_path / "second.log").read_text().splitlines() if line and not line.startswith("-----")
        ]
        assert code == 13, lines  # ExitCode.ALREADY_RUNNING
        assert len(lines) == 1 and "another `showcaller serve` is already running" in lines[0], lines
        assert "Traceback" not in (tmp_path / "second.log").read_text()
        assert first.proc.returncode is None
    finally:
        for service in (second, first):
            if service.proc is not None and service.proc.returncode is None:
                os.kill(service.proc.pid, 15)
                await service.proc.wait()
