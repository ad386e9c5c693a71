"""No secret in any log: the console's event stream uses a single-use ticket instead of the token, and
the access log redacts token/ticket query parameters whatever a client sends; the chat tools' signed
button callbacks (a Slack app and a Discord application) leave neither their bot token, their
signing secret, the button's single-use reference nor Discord's interaction token in a log line."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import httpx
import pytest

from app.store import tokens_repo
from app.store.db import create_engine, migrate
from integrations.receivers.clicks import discord_keys, discord_request, slack_request
from tests.conftest import MEKONG
from tests.engine.helpers import ServiceProcess

EVENT = "mekong-dialogue-2022"
SIGNING_SECRET, BOT_TOKEN = "c0ffee" * 5 + "42", "xoxb-1111-2222-" + "s3cr3tb0tt0k3n" * 2
DISCORD_KEY, DISCORD_PUBLIC = discord_keys(bytes(range(1, 33)))
APP_TARGETS = """  - id: producers-slack
    kind: slack
    mode: app
    url_env: LOGCHECK_SLACK_API
    token_env: LOGCHECK_SLACK_BOT
    secret_env: LOGCHECK_SLACK_SIGNING
    channel: C0LOGCHECK
    allow: [U0LOGCHECK]
    hosts: true
    buttons: [advance]
  - id: producers-discord
    kind: discord
    mode: app
    url_env: LOGCHECK_DISCORD_WEBHOOK
    secret_env: LOGCHECK_DISCORD_KEY
    hosts: true
    buttons: [advance]

timers:
"""
APP_ENV = {
    "LOGCHECK_SLACK_API": "http://127.0.0.1:9/api",
    "LOGCHECK_SLACK_BOT": BOT_TOKEN,
    "LOGCHECK_SLACK_SIGNING": SIGNING_SECRET,
    "LOGCHECK_DISCORD_WEBHOOK": "http://127.0.0.1:9/api/webhooks/300000000000000003/whsecretpart",
    "LOGCHECK_DISCORD_KEY": DISCORD_PUBLIC,
}


async def _token(database_url: str, role: str) -> str:
    await migrate(database_url)
    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            _, token = await tokens_repo.create_token(conn, f"log-{role}", role, datetime.now(UTC))
    finally:
        await db.dispose()
    return token


async def _first_frame(client: httpx.AsyncClient, url: str, **kw) -> int:
    async with client.stream("GET", url, **kw) as answer:
        if answer.status_code == 200:
            async for line in answer.aiter_lines():
                if line.startswith("data:"):
                    break
        return answer.status_code


@pytest.mark.timeout(180)
async def test_every_log_line_of_a_served_process_is_free_of_the_tokens_it_was_given(tmp_path):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}"
    host, viewer = await _token(database_url, "host"), await _token(database_url, "viewer")
    path = tmp_path / "mekong.yaml"
    path.write_text(MEKONG.read_text().replace("\ntimers:\n", "\n" + APP_TARGETS, 1))
    log = tmp_path / "service.log"
    service = ServiceProcess(path, database_url, {"SHOWCALLER_LOG_LEVEL": "INFO", **APP_ENV}, log)
    reference, interaction_token = "sca_" + "R3f" * 14, "itok_" + "Int3ract10n" * 4
    secrets_seen: list[str] = [host, viewer, SIGNING_SECRET, BOT_TOKEN, reference, interaction_token, "whsecretpart"]
    try:
        await service.start()
        await service.wait_healthy(60)
        async with httpx.AsyncClient(base_url=service.base, timeout=10) as client:
            auth = {"authorization": f"Bearer {viewer}"}
            assert (await client.get("/api/events", headers=auth)).status_code == 200
            base = f"/api/events/{EVENT}"
            ticket = (await client.post(f"{base}/stream/ticket", headers=auth)).json()["ticket"]
            secrets_seen.append(ticket)
            assert await _first_frame(client, f"{base}/stream", params={"ticket": ticket}) == 200
            assert await _first_frame(client, f"{base}/stream", params={"ticket": ticket}) == 401  # used
            # A client that still puts the token in the URL is refused, and the log must not keep it.
            assert (await client.get(f"{base}/state", params={"token": host})).status_code == 401
            assert await _first_frame(client, f"{base}/stream", params={"token": viewer}) == 401
            announce = await client.post(
                f"{base}/announcements", json={"message": "log check"}, headers={"authorization": f"Bearer {host}"}
            )
            # The Mekong Dialogue (2022) is over on the real clock, so the host's action is refused
            # (409): still a request that carried the host token through the server.
            assert announce.status_code == 409 and "ended" in announce.json()["reason"]
            # Signed button clicks carrying a reference and an interaction token: verified, answered
            # at once, then refused (no such button) with a reply the unreachable chat APIs never get.
            click = {
                "type": "block_actions",
                "user": {"id": "U0LOGCHECK", "name": "log"},
                "channel": {"id": "C0LOGCHECK"},
                "message": {"ts": "1.000001", "blocks": []},
                "trigger_id": "1.2.abc",
                "actions": [{"action_id": "advance", "value": reference, "action_ts": "1.1"}],
            }
            body, headers = slack_request(SIGNING_SECRET, click, int(time.time()))
            assert (await client.post("/chat/slack/interactions", content=body, headers=headers)).status_code == 200
            forged, headers = slack_request("not-the-secret", click, int(time.time()))
            assert (await client.post("/chat/slack/interactions", content=forged, headers=headers)).status_code == 401
            interaction = {
                "id": "500000000000000005",
                "application_id": "100000000000000001",
                "type": 3,
                "token": interaction_token,
                "member": {"user": {"id": "81", "username": "log"}},
                "data": {"custom_id": reference, "component_type": 2},
            }
            body, headers = discord_request(DISCORD_KEY, interaction, int(time.time()))
            answer = await client.post("/chat/discord/interactions", content=body, headers=headers)
            assert answer.status_code == 200 and answer.json() == {"type": 6}
    finally:
        if service.proc is not None and service.proc.returncode is None:
            os.kill(service.proc.pid, 15)
            await service.proc.wait()
    lines = log.read_text().splitlines()
    assert any("/chat/slack/interactions" in line for line in lines), lines  # the clicks are in the access log
    assert any("refused a slack callback" in line for line in lines), lines  # and the forged one is logged
    # Both clicks were carried out (after their answers, before the process stopped) and refused.
    assert sum("its button is not one this app's target carries" in line for line in lines) == 2, lines
    access = [line for line in lines if "/stream" in line]
    assert len(access) >= 3, lines  # the access log is on: the requests above are in it
    assert any("ticket=[redacted]" in line for line in access), access
    leaked = [(secret[:8], line) for line in lines for secret in secrets_seen if secret in line]
    assert leaked == []
