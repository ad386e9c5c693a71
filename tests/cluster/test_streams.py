"""Event streams behind a round-robin balancer: two `serve` processes on one PostgreSQL database.

- a stream ticket issued by one instance opens the stream on the other, once;
- a presenter view open on one instance shows as connected on the other's console;
- revoking the presenter link on one instance ends the stream the other holds open (the change
  notice), and the console stops showing it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from tests.cluster.test_instances import _poll, _start, _stop
from tests.engine.helpers import Drill, ServiceProcess, organiser_token

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

GUARD = 5.0  # seconds: a bound on a hung stream only (the figure measured is printed)


def _with_a_speaker(drill: Drill) -> str:
    doc = yaml.safe_load(drill.yaml())
    doc["people"] = [{"id": "ada-speaker", "name": "Ada Speaker", "roles": ["speaker"]}]
    doc["segments"][0]["speakers"] = ["ada-speaker"]
    return yaml.safe_dump(doc, sort_keys=False)


async def _first_frame(lines) -> str:
    async for line in lines:
        if line.startswith("data: "):
            return line
    raise AssertionError("the stream ended before its first frame")


async def test_a_ticket_opens_the_other_instance_and_a_revoke_there_ends_it(shared_database, tmp_path):
    organiser = {"authorization": f"Bearer {await organiser_token(shared_database, 'cluster')}"}
    first = ServiceProcess(None, shared_database, {}, tmp_path / "first.log")
    second = ServiceProcess(None, shared_database, {}, tmp_path / "second.log")
    drill = Drill("cluster-stage", datetime.now(UTC) - timedelta(seconds=5), segments=[("opening", 900)])
    event = f"/api/events/{drill.event_id}"
    loop = asyncio.get_running_loop()
    try:
        await _start(first, second)
        async with (
            httpx.AsyncClient(base_url=first.base, timeout=10) as on_first,
            httpx.AsyncClient(base_url=second.base, timeout=10) as on_second,
        ):
            loaded = await on_first.post(
                "/api/events", content=_with_a_speaker(drill), headers={**organiser, "x-schedule-name": "s.yaml"}
            )
            assert loaded.status_code == 201, loaded.text

            async def known_on_second():
                return (await on_second.get(f"{event}/state", headers=organiser)).status_code == 200

            await _poll(known_on_second, "the event on the second instance")

            async def ticket(client: httpx.AsyncClient, auth: dict[str, str]) -> str:
                answer = await client.post(f"{event}/stream/ticket", headers=auth)
                assert answer.status_code == 200, answer.text
                return answer.json()["ticket"]

            # A ticket from either instance opens the state stream on the other, and only once.
            for issuer, server in ((on_first, on_second), (on_second, on_first)):
                used = await ticket(issuer, organiser)
                async with server.stream("GET", f"{event}/stream", params={"ticket": used}) as stream:
                    assert stream.status_code == 200
                    assert '"reason": "connected"' in await asyncio.wait_for(_first_frame(stream.aiter_lines()), 30)
                again = await issuer.get(f"{event}/stream", params={"ticket": used})
                assert again.status_code == 401, again.text

            made = await on_first.post(f"{event}/stage/links", headers=organiser)
            assert made.status_code == 200, made.text
            link = next(m["link"] for m in made.json() if m["person"] == "ada-speaker")
            ada = {"authorization": f"Bearer {urlsplit(link).fragment.removeprefix('token=')}"}

            async def connected_on_first() -> list[str]:
                answer = await on_first.get(f"{event}/stage/connected", headers=organiser)
                assert answer.status_code == 200, answer.text
                return [c["person"] for c in answer.json()]

            presenter_ticket = await ticket(on_first, ada)
            async with on_second.stream("GET", f"{event}/stage/stream", params={"ticket": presenter_ticket}) as view:
                assert view.status_code == 200
                lines = view.aiter_lines()
                assert "ada-speaker" in await asyncio.wait_for(_first_frame(lines), 30)
                # The console on the first instance sees the presenter connected to the second.
                await _poll(connected_on_first, "the presenter shown on the first instance", 10)
                assert await connected_on_first() == ["ada-speaker"]

                started = loop.time()
                revoked = await on_first.delete(f"{event}/stage/links/ada-speaker", headers=organiser)
                assert revoked.status_code == 200, revoked.text
                rest = [line async for line in _until_end(lines, GUARD)]
                took = loop.time() - started
                print(f"presenter stream on the other instance ended {1000 * took:.0f} ms after the revoke was sent")
                assert any("access ended" in line for line in rest)

            async def gone_on_first() -> bool:
                return await connected_on_first() == []

            await _poll(gone_on_first, "the presenter gone from the first instance's console", 10)
    finally:
        await _stop(first, second)


async def _until_end(lines, limit: float):
    """The stream's remaining lines; fails if it is still open after `limit` seconds."""
    async with asyncio.timeout(limit):
        async for line in lines:
            yield line
