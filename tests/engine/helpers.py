"""Shared pieces of the engine's reliability tests: generated schedules and `showcaller serve` as a
real subprocess that can be killed with SIGKILL. The local receiver server and free_port() live in
the harness (tests/fixtures/) and are imported from here under their old names."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from app.cli.starting import STARTING
from tests.fixtures import WEBHOOK_SECRET, ReceiverServer, free_port  # noqa: F401  (the harness holds them now)

SECRET = WEBHOOK_SECRET


@dataclass
class Drill:
    """A schedule generated around a moment: back-to-back segments, reminders, webhook targets."""

    event_id: str
    start: datetime
    segments: list[tuple[str, float]]
    reminders: list[float] = field(default_factory=list)
    targets: list[str] = field(default_factory=lambda: ["ops"])
    respondents: dict[str, tuple[int, float]] = field(default_factory=dict)
    ending_soon: str = "1s"
    timers: tuple[str, str] = ("2s", "1s")

    def at(self, seconds: float) -> datetime:
        """The moment `seconds` after the first segment starts."""
        return self.start + timedelta(seconds=seconds)

    @property
    def end(self) -> datetime:
        """When the last segment ends as planned."""
        return self.at(sum(length for _, length in self.segments))

    def env(self, base: str) -> dict[str, str]:
        """Environment variables pointing every target at `base`/webhook/<target>."""
        env = {}
        for target in self.targets:
            env[f"DRILL_{target.upper()}_URL"] = f"{base}/webhook/{target}"
            env[f"DRILL_{target.upper()}_SECRET"] = SECRET
        return env

    def yaml(self) -> str:
        """The schedule file text (times as ISO date-times with fractions of a second)."""
        segments, offset = [], 0.0
        for seg_id, length in self.segments:
            item: dict[str, Any] = {
                "id": seg_id,
                "title": seg_id.title(),
                "start": self.at(offset).isoformat(),
                "end": self.at(offset + length).isoformat(),
            }
            if seg_id in self.respondents:
                count, minutes = self.respondents[seg_id]
                item["respondents"] = {"count": count, "minutes": minutes}
            segments.append(item)
            offset += length
        doc = {
            "version": 1,
            "event": {
                "id": self.event_id,
                "title": f"Drill {self.event_id}",
                "date": self.start.date().isoformat(),
                "timezone": "UTC",
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
            },
            "segments": segments,
            "cues": [
                {"id": f"r{i:03d}", "at": self.at(when).isoformat(), "message": f"Reminder {i}"}
                for i, when in enumerate(self.reminders, 1)
            ],
            "targets": [
                {
                    "id": t,
                    "kind": "webhook",
                    "url_env": f"DRILL_{t.upper()}_URL",
                    "secret_env": f"DRILL_{t.upper()}_SECRET",
                }
                for t in self.targets
            ],
            "timers": {"warning": self.timers[0], "danger": self.timers[1]},
            "readiness": {"enabled": False},
            "run": {"ending_soon": self.ending_soon, "delay_mode": "shift"},
        }
        return yaml.safe_dump(doc, sort_keys=False)


def _showcaller() -> list[str]:
    script = Path(sys.executable).with_name("showcaller")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from app.cli import main; main()"]


class ServiceProcess:
    """`showcaller serve [FILE] --port N` as a child process (stdout/stderr go to a log file)."""

    def __init__(
        self,
        schedule: Path | None,
        database_url: str,
        env: dict[str, str],
        log: Path,
        port: int | None = None,
    ):
        self.schedule, self.log, self.port = schedule, log, port or free_port()
        self.env = {
            **os.environ,
            **env,
            "SHOWCALLER_DATABASE_URL": database_url,
            "SHOWCALLER_SLACK_PACING": "false",
            "SHOWCALLER_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
        }
        self.proc: asyncio.subprocess.Process | None = None
        self.lives = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start (or start again) the service; returns as soon as the process exists."""
        self.lives += 1
        with self.log.open("a") as out:
            out.write(f"\n----- start #{self.lives} -----\n")
            out.flush()
            self.proc = await asyncio.create_subprocess_exec(
                *_showcaller(),
                "serve",
                *([str(self.schedule)] if self.schedule else []),
                "--port",
                str(self.port),
                "--allow-missing-targets",  # tests point only the targets they watch at a receiver
                env=self.env,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                cwd=str(self.log.parent),
            )

    async def wait_healthy(self, limit: float = 60.0) -> None:
        """Poll until GET /healthz answers 200 and the application behind it is built (/readyz no
        longer says "starting": `serve` answers /healthz first and holds other requests meanwhile,
        app/cli/starting.py; a test's first call should not spend its own timeout waiting there).
        Fails if the process dies or `limit` passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        async with httpx.AsyncClient(timeout=1.0) as client:
            while loop.time() < deadline:
                if self.proc is not None and self.proc.returncode is not None:
                    raise RuntimeError(f"service exited with {self.proc.returncode}: {self.tail()}")
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    if (await client.get(f"{self.base}/healthz")).status_code == 200:
                        ready = await client.get(f"{self.base}/readyz")
                        if ready.status_code == 200 or ready.json().get("reason") != STARTING:
                            return
                await asyncio.sleep(0.05)
        raise TimeoutError(f"service not healthy within {limit} s: {self.tail()}")

    async def kill9(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, exactly like a crash."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL if it lingers."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    def tail(self, lines: int = 40) -> str:
        """The end of the service log (for failure messages)."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def holding_receiver() -> tuple[ReceiverServer, asyncio.Event, asyncio.Event, list[str]]:
    """A signed-webhook receiver that, once `stall` is set and until `release` is, records each
    message's id in `held` and holds its answer: a service killed meanwhile leaves that delivery
    leased ("sending") and already seen, the hardest case for exactly-once."""
    stall, release, held = asyncio.Event(), asyncio.Event(), []

    async def sink(message) -> None:
        if stall.is_set() and not release.is_set():
            held.append(message.message_id)
            await release.wait()

    return ReceiverServer(webhook_secret=SECRET, sink=sink), stall, release, held


async def settled(database_url: str, event_id: str, limit: float):
    """An event's cues and deliveries once nothing is pending or in flight (bounded wait)."""
    from app.store import outbox_repo
    from app.store.db import create_engine

    db = create_engine(database_url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    try:
        while True:
            async with db.begin() as conn:
                cues = await outbox_repo.list_cues(conn, event_id)
                deliveries = await outbox_repo.list_deliveries(conn, event_id)
            busy = [c for c in cues if c.status in ("pending", "held")]
            busy += [d for d in deliveries if d.status in ("pending", "sending")]
            if not busy or loop.time() > deadline:
                return cues, deliveries
            await asyncio.sleep(0.1)
    finally:
        await db.dispose()


async def organiser_token(database_url: str, name: str) -> str:
    """An organiser token made in a fresh (migrated) database, before any `serve` process starts."""
    return await stored_token(database_url, name, "organiser")


async def stored_token(database_url: str, name: str, role: str, event_id: str | None = None) -> str:
    """A token of `role` (for one event when `event_id` is given) made in a fresh (migrated) database."""
    from app.store import tokens_repo
    from app.store.db import create_engine, migrate

    await migrate(database_url)
    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            _, token = await tokens_repo.create_token(conn, name, role, datetime.now(UTC), event_id=event_id)
    finally:
        await db.dispose()
    return token


def sent_or_given_up(deliveries) -> list:
    """The sent deliveries, after checking that every other one was given up by the lateness policy.

    A drill runs at real speed with cues 150 ms apart; on a loaded machine a message can reach its
    turn after its cue stopped mattering (its `expires_at`, plus the worker's grace), and the worker
    then records it as expired with the reason. That is an outcome the policy decided and stored,
    not a loss; whether it happens is timing, so the drills accept it and check it is one."""
    for d in deliveries:
        if d.status != "sent":
            assert d.status == "expired", (d.cue_id, d.status, d.last_error)
            assert d.expires_at is not None and (d.last_error or "").startswith("gave up"), (d.cue_id, d.last_error)
    return [d for d in deliveries if d.status == "sent"]


def assert_received_once_in_order(received: list[str], deliveries) -> None:
    """Every sent delivery reached the receiver, each id once, in creation order (a message given up
    after an attempt that was cut short may have arrived too: then it is in its place in the order)."""
    sent = {d.id for d in sent_or_given_up(deliveries)}
    seen = set(received)
    assert len(received) == len(seen), "a message arrived twice under different ids"
    assert sent <= seen, sorted(sent - seen)
    assert received == [d.id for d in sorted(deliveries, key=lambda d: d.seq) if d.id in seen]
