"""The Bitfocus Companion module (integrations/companion/) against a real `showcaller serve`: its own
`npm ci` + `npm test`, which press every preset of the 15-key page and read the variables back.

The schedule's first segment runs on the real clock (it started a minute ago), with four two-minute
respondent slots and the stage messages the presets name, so every key has something to act on. Node
is needed: under CI=true its absence fails the test (CI installs Debian's nodejs and npm)."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import ROOT
from tests.engine.helpers import ServiceProcess, stored_token
from tests.fixtures.node import node_with, npm

MODULE = ROOT / "integrations" / "companion"
EVENT = "companion-drill"


def drill_schedule(now: datetime) -> str:
    """Session 1 began a minute ago; it and Session 2 have four 2-minute respondent slots; Session 3 ends it."""
    start = now.replace(microsecond=0) - timedelta(minutes=1)
    at = lambda minutes: (start + timedelta(minutes=minutes)).isoformat()  # noqa: E731
    doc = {
        "version": 1,
        "event": {
            "id": EVENT,
            "title": "Companion drill",
            "date": start.date().isoformat(),
            "timezone": "UTC",
            "start": at(0),
            "end": at(120),
        },
        "segments": [
            {
                "id": "session-1",
                "title": "Session 1",
                "start": at(0),
                "end": at(40),
                "respondents": {"count": 4, "minutes": 2},
            },
            {
                "id": "session-2",
                "title": "Session 2",
                "start": at(40),
                "end": at(80),
                "respondents": {"count": 4, "minutes": 2},
            },
            {"id": "session-3", "title": "Session 3", "start": at(80), "end": at(120)},
        ],
        "stage": {"messages": {"wrap_up": "Please wrap up", "blackout": "Back in two minutes"}},
        "readiness": {"enabled": False},
    }
    return yaml.safe_dump(doc, sort_keys=False)


async def deck_ready(base: str, token: str, limit: float = 60.0) -> None:
    """Until GET .../deck answers 200 (the schedule loaded), failing after `limit` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    async with httpx.AsyncClient(base_url=base, timeout=2.0) as client:
        while True:
            answer = await client.get(f"/api/events/{EVENT}/deck", headers={"Authorization": f"Bearer {token}"})
            if answer.status_code == 200:
                return
            assert loop.time() < deadline, f"the deck never answered: {answer.status_code} {answer.text}"
            await asyncio.sleep(0.1)


@pytest.mark.timeout(300)
async def test_the_companion_module_presses_every_preset_against_a_live_service(tmp_path: Path):
    node_with(MODULE)
    npm_bin = npm()
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'companion.db'}"
    token = await stored_token(database_url, "stream deck", "deck", event_id=EVENT)
    schedule = tmp_path / "companion-drill.yaml"
    schedule.write_text(drill_schedule(datetime.now(UTC)))
    log = tmp_path / "serve.log"
    service = ServiceProcess(schedule, database_url, {"SHOWCALLER_LOG_LEVEL": "INFO"}, log)
    try:
        await service.start()
        await service.wait_healthy(60)
        await deck_ready(service.base, token)
        env = {
            **os.environ,
            "SHOWCALLER_URL": service.base,
            "SHOWCALLER_EVENT": EVENT,
            "SHOWCALLER_DECK_TOKEN": token,
        }
        proc = await asyncio.create_subprocess_exec(
            npm_bin,
            "test",
            cwd=MODULE,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 240)
    finally:
        await service.stop()
    output = out.decode(errors="replace")
    assert proc.returncode == 0, output[-6000:] + "\n--- serve ---\n" + service.tail()
    assert "# fail 0" in output and "# pass 0" not in output, output[-3000:]
    # The live file ran (not only the unit tests): every key was pressed against this service.
    assert "Next advances from the segment the key shows" in output
    # The deck token never reached a log line; the WebSocket's ticket is redacted in the access log.
    lines = log.read_text().splitlines()
    assert [line for line in lines if token in line] == []
    opened = [line for line in lines if "/deck/ws" in line]
    assert opened and all("ticket=[redacted]" in line for line in opened if "ticket=" in line), opened
