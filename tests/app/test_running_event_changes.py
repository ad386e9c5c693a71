"""One way to change a running event: a local `apply` (or load) against the database a running
`serve` uses is seen by that service at once, Zoom links included, on SQLite (the service polls
the events' change marker) and on PostgreSQL (the change notice of the committing transaction)."""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from app.cluster.notify import ChangeListener
from app.cluster.poll import ChangePoll
from app.core.config import Settings
from app.core.public_url import for_serve
from app.store import events_repo, tokens_repo
from app.store.db import create_engine
from app.zoom.service import ZoomSetup
from schedules.load import load_text
from tests.conftest import MEKONG, bangkok
from tests.engine.helpers import ServiceProcess
from tests.fixtures import Recorder
from tests.fixtures.service import Runtime

ROOT = Path(__file__).resolve().parents[2]
SECOND = ROOT / "schedules/events/examples/fall-back-meeting.yaml"
SECOND_ID = "fall-back-meeting-2026"
EVENT = "mekong-dialogue-2022"
PUBLIC = "https://events.example.org"


async def _until(condition, limit: float = 60.0, step: float = 0.05):
    """Wait for `condition()` (sync or async) to be truthy; a bounded wait, the duration is not asserted."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value or loop.time() > deadline:
            return value
        await asyncio.sleep(step)


async def _viewer_token(database_url: str) -> str:
    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            _, token = await tokens_repo.create_token(conn, "test", "viewer", datetime.now(UTC))
        return token
    finally:
        await db.dispose()


async def test_a_local_apply_is_seen_by_the_running_serve(database_url, tmp_path):
    """`serve` runs; `showcaller apply OTHER.yaml` from another process; the service answers for
    that event (state and Zoom link) without a restart. Also: without SHOWCALLER_PUBLIC_URL the
    banner shows the URL serve derived from its own port, with the warning."""
    token = await _viewer_token(database_url)
    serve = ServiceProcess(None, database_url, {}, tmp_path / "serve.log")
    serve.env.pop("SHOWCALLER_PUBLIC_URL")
    serve.env["SHOWCALLER_SANDBOX_STATE_PATH"] = str(tmp_path / "zoom.json")
    await serve.start()
    try:
        await serve.wait_healthy()
        banner = serve.log.read_text()
        assert f"public URL: http://127.0.0.1:{serve.port}" in banner, banner
        assert "SHOWCALLER_PUBLIC_URL is not set" in banner and "people outside this machine" in banner

        cli = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from app.cli import main; main()",
            "apply",
            str(SECOND),
            env=dict(serve.env),
            cwd=str(tmp_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(cli.communicate(), 120)
        assert cli.returncode == 0, (out + err).decode()
        join = re.search(r"^join: (\S+)$", out.decode(), re.M)
        assert join, out.decode()

        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=serve.base, headers=headers, timeout=5) as client:

            async def answers() -> bool:
                return (await client.get(f"/api/events/{SECOND_ID}/state")).status_code == 200

            assert await _until(answers), serve.tail()
            state = (await client.get(f"/api/events/{SECOND_ID}/state")).json()
            assert state["event"]["id"] == SECOND_ID
            zoom = (await client.get(f"/api/events/{SECOND_ID}/zoom")).json()
            assert zoom["join_url"] == join.group(1)
    finally:
        await serve.stop()


def _settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        public_url=PUBLIC,
        slack_pacing=False,
        sandbox_state_path=str(tmp_path / "zoom.json"),
    )


async def _local_apply(settings: Settings) -> str:
    """What `showcaller apply` does, in a runtime of its own (another process's, as far as the service can tell)."""
    text = MEKONG.read_text(encoding="utf-8")
    cli = Runtime(settings)
    await cli.start(run_timer=False, run_worker=False)
    try:
        await cli.run.load_schedule(text, str(MEKONG))
        setup = ZoomSetup(cli.db, settings, lambda: datetime.now(UTC))
        applied = await setup.apply(load_text(text, str(MEKONG)), doctor=False)
        cli.changed(EVENT, "zoom")
        return applied.result.join_url
    finally:
        await cli.stop()


async def test_messages_carry_the_join_link_of_an_apply_made_elsewhere(database_url, service_for, tmp_path):
    """The service's cached links are refreshed when another process loads and applies: the next
    message carries "Join Zoom" and a console link under SHOWCALLER_PUBLIC_URL."""
    recorder = Recorder()
    overrides = {"public_url": PUBLIC, "sandbox_state_path": str(tmp_path / "zoom.json")}
    service = await service_for(database_url, bangkok(13, 0), transport=recorder, schedule=None, settings=overrides)
    runtime = service.runtime
    listener = poll = None
    if runtime.db.dialect.name == "postgresql":  # as `serve` on PostgreSQL: the change notices
        listener = ChangeListener(database_url, runtime.instance_id, runtime.member._followed, runtime.member._resync)
        await listener.start()
    else:  # as `serve` on SQLite: its poll (one look driven here instead of every 0.5 s)
        poll = ChangePoll(runtime.db, runtime.member.follow_other_process, known=runtime.member._schedule_mark)
        await poll.look()
    try:
        join = await _local_apply(_settings(database_url, tmp_path))
        if poll is not None:
            assert await poll.check() == {EVENT}
        assert await _until(lambda: ("Join Zoom", join) in runtime.event_links(EVENT))
        assert EVENT in runtime.engine.event_ids()
        assert runtime.event_links(EVENT)[0] == ("Host console", f"{PUBLIC}/console/{EVENT}")
        await service.at(bangkok(13, 30))
        sent = [r.content.decode() for r in recorder.requests]
        slack = [r.content.decode() for r in recorder.requests if r.url.path.startswith("/slack")]
        assert slack and all(join in body and f"{PUBLIC}/console/{EVENT}" in body for body in slack)
        assert not any("127.0.0.1:8000" in body for body in sent)
    finally:
        if listener is not None:
            await listener.stop()


async def test_the_sqlite_poll_follows_other_processes_not_the_services_own_loads(sqlite_url, service_for):
    service = await service_for(sqlite_url, bangkok(13, 0), transport=Recorder(), schedule=None)
    runtime = service.runtime
    followed: list[tuple[str, str]] = []

    async def follow(event_id: str, reason: str) -> None:
        followed.append((event_id, reason))

    poll = ChangePoll(runtime.db, follow, known=runtime.member._schedule_mark)
    await poll.look()
    await runtime.run.load_schedule(MEKONG.read_text(), str(MEKONG))  # the service's own write
    assert await poll.check() == set() and followed == []
    async with runtime.db.begin() as conn:  # another process stores an edited schedule
        edited = MEKONG.read_text().replace("Mekong Dialogue on Labour Mobility", "Mekong Dialogue, edited", 1)
        await events_repo.upsert_event(conn, load_text(edited, "other.yaml"), "other.yaml", edited, bangkok(13, 0))
    assert await poll.check() == {EVENT} and followed == [(EVENT, "schedule")]


def test_serve_derives_its_url_from_where_it_listens():
    unset = Settings(_env_file=None)
    assert for_serve(unset, "0.0.0.0", 8123)[0] == "http://127.0.0.1:8123"
    url, warning = for_serve(unset, "10.0.0.5", 9000)
    assert url == "http://10.0.0.5:9000" and warning and "SHOWCALLER_PUBLIC_URL" in warning
    assert for_serve(Settings(_env_file=None, public_url=f"{PUBLIC}/"), "0.0.0.0", 8123) == (PUBLIC, None)
