"""Event streams behind a balancer: tickets in the shared store, streams that end when their token's
access ends, and presenter presence shared by every instance (in-process, on both databases; the
same across real `serve` processes is tests/cluster/test_streams.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select

from app.api.stream_tickets import StreamTickets, ticket_hash
from app.cluster.stream_access import ENDED, StreamGuard
from app.engine.clock import ManualClock
from app.stage.presence import Connection, StagePresence
from app.store import presence_repo, tickets_repo, tokens_repo
from app.store.db import create_engine
from app.store.tables import stage_presence, stream_tickets
from tests.fixtures import LoopbackServer, bangkok
from tests.stage.conftest import EVENT

STAGE = f"/api/events/{EVENT}/stage"
GUARD = 10.0  # seconds: only a bound on a hung test; streams end far sooner (see the report figures)


async def _lines_until_end(stream: httpx.Response) -> list[str]:
    return [line async for line in stream.aiter_lines()]


async def _first_frame(lines) -> str:
    async for line in lines:
        if line.startswith("data: "):
            return line
    raise AssertionError("the stream ended before its first frame")


async def _frame_with(lines, text: str) -> str:
    async for line in lines:
        if line.startswith("data: ") and text in line:
            return line
    raise AssertionError(f"the stream ended before a frame with {text!r}")


async def _ticket(client: httpx.AsyncClient, token: str) -> str:
    answer = await client.post(f"/api/events/{EVENT}/stream/ticket", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["ticket"]


async def _connected(client: httpx.AsyncClient, live) -> list[str | None]:
    answer = await client.get(f"{STAGE}/connected", headers=live.auth("viewer"))
    assert answer.status_code == 200, answer.text
    return [c["person"] for c in answer.json()]


async def test_tickets_are_stored_hashed_work_once_anywhere_and_stay_bounded(database_url):
    clock = ManualClock(bangkok(14, 0))
    db, other = create_engine(database_url), create_engine(database_url)  # two instances' engines
    try:
        async with db.begin() as conn:
            token_id, _ = await tokens_repo.create_token(conn, "console", "viewer", clock.now())
            stage_id, _ = await tokens_repo.create_token(conn, "stage", "stage", clock.now())
        tickets = StreamTickets(ttl=30, now=clock.now, keep=3)
        first = await tickets.issue(db, token_id, EVENT)
        async with db.begin() as conn:
            stored = (await conn.execute(select(stream_tickets))).all()
        assert [r.ticket_hash for r in stored] == [ticket_hash(first)] and first not in str(stored)
        # Redeemed on two instances at once: exactly one of them gets the token.
        both = await asyncio.gather(tickets.redeem(db, first, EVENT), tickets.redeem(other, first, EVENT))
        assert sorted(row is not None for row in both) == [False, True]
        assert next(row for row in both if row is not None).id == token_id
        # Another event: refused, and used up.
        wrong = await tickets.issue(db, token_id, EVENT)
        assert await tickets.redeem(other, wrong, "another-event") is None
        assert await tickets.redeem(other, wrong, EVENT) is None
        # Expired; and a token revoked between issue and redemption.
        late = await tickets.issue(db, token_id, EVENT)
        clock.advance(seconds=31)
        assert await tickets.redeem(other, late, EVENT) is None
        revoked = await tickets.issue(db, stage_id, EVENT)
        async with db.begin() as conn:
            await tokens_repo.revoke_token(conn, stage_id, clock.now())
        assert await tickets.redeem(other, revoked, EVENT) is None
        # Bounded: at most `keep` unredeemed per token, and every expired one goes at the next issue.
        for _ in range(5):
            await tickets.issue(db, token_id, EVENT)
        async with db.begin() as conn:
            assert await tickets_repo.count_tickets(conn) == 3
        clock.advance(seconds=31)
        await tickets.issue(db, token_id, EVENT)
        async with db.begin() as conn:
            assert await tickets_repo.count_tickets(conn) == 1
    finally:
        await db.dispose()
        await other.dispose()


async def test_revoking_a_presenter_link_ends_its_stream_and_its_presence(live):
    server = LoopbackServer(live.app, lifespan="on")
    await server.start()
    loop = asyncio.get_running_loop()
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=GUARD) as client:
            stage = await _ticket(client, live.tokens["stage-respondent-1"])
            viewer = await _ticket(client, live.tokens["viewer"])
            async with (
                client.stream("GET", f"{STAGE}/stream", params={"ticket": stage}) as presenter,
                client.stream("GET", f"/api/events/{EVENT}/stream", params={"ticket": viewer}) as console,
            ):
                assert presenter.status_code == 200 and console.status_code == 200
                presenter_lines, console_lines = presenter.aiter_lines(), console.aiter_lines()
                assert "respondent-1" in await asyncio.wait_for(_first_frame(presenter_lines), GUARD)
                await asyncio.wait_for(_first_frame(console_lines), GUARD)
                assert await _connected(client, live) == ["respondent-1"]

                started = loop.time()
                revoked = await client.delete(f"{STAGE}/links/respondent-1", headers=live.auth("organiser"))
                assert revoked.status_code == 200, revoked.text
                rest = await asyncio.wait_for(_rest(presenter_lines), GUARD)
                print(f"presenter stream ended {1000 * (loop.time() - started):.0f} ms after the revoke was sent")
                assert any("access ended" in line for line in rest)
                assert await _connected(client, live) == []

                # Other streams stay open: the console's still follows the event.
                posted = await client.post(f"{STAGE}", json={"message": "Wrap up"}, headers=live.auth("host"))
                assert posted.status_code == 201, posted.text
                await asyncio.wait_for(_frame_with(console_lines, "Wrap up"), GUARD)
        await live.runtime.presence.write()  # (what its background task does next)
        async with live.runtime.db.begin() as conn:  # and the table forgets it too
            assert (await conn.execute(select(stage_presence))).all() == []
    finally:
        await server.stop(abort=True)


async def _rest(lines) -> list[str]:
    return [line async for line in lines]


async def test_a_lowered_role_or_a_revocation_elsewhere_ends_the_state_stream(live):
    """A role change (the notice wakes the check) and a revocation no one announced to this
    instance (the poll finds it) both end the full state stream."""
    live.runtime.streams.poll = 0.5  # PostgreSQL's backstop poll is slower (notices do the work there)
    server = LoopbackServer(live.app, lifespan="on")
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=GUARD) as client:
            for change in ("role", "revoke"):
                token = await live.token("viewer", f"viewer-{change}")
                async with client.stream(
                    "GET", f"/api/events/{EVENT}/stream", params={"ticket": await _ticket(client, token)}
                ) as stream:
                    lines = stream.aiter_lines()
                    await asyncio.wait_for(_first_frame(lines), GUARD)
                    async with live.runtime.db.begin() as conn:
                        row = await tokens_repo.find_token(conn, token)
                        if change == "role":  # as `showcaller token role ID --role stage` does
                            assert await tokens_repo.change_role(conn, row.id, "stage")
                        else:
                            await tokens_repo.revoke_token(conn, row.id, live.clock.now())
                    if change == "role":
                        live.runtime.streams.kick()  # what the change notice does
                    rest = await asyncio.wait_for(_rest(lines), GUARD)
                    assert any("access ended" in line for line in rest), change
        assert live.runtime.streams.streams() == []
        async with live.runtime.db.begin() as conn:  # a presenter link stays a stage token
            link = await tokens_repo.find_token(conn, live.tokens["stage-respondent-1"])
            assert not await tokens_repo.change_role(conn, link.id, "organiser")
    finally:
        await server.stop(abort=True)


async def test_presence_is_shared_between_instances_and_dead_ones_expire(database_url):
    clock = ManualClock(bangkok(14, 0))
    db = create_engine(database_url)
    told: list[str] = []
    first = StagePresence(lambda: db, "instance-a", now=clock.now)
    second = StagePresence(lambda: db, "instance-b", now=clock.now, on_change=told.append)
    try:
        key = first.join(EVENT, Connection("t1", "stage: Ada", "stage", "ada", clock.now()))
        await first.write()  # (what its background task does right after a join)
        assert [c.person for c in await second.connected(EVENT)] == ["ada"]
        assert [c.person for c in await first.connected(EVENT)] == ["ada"]  # its own, not twice
        first.leave(key)
        await first.write()
        assert await second.connected(EVENT) == []
        await first.stop()
        # An instance killed with its views open leaves its rows behind: they stop counting at
        # their expiry, and the next instance to write purges them and tells its consoles.
        dead = {"id": "instance-dead:1", "event_id": EVENT, "token_id": "t2", "name": "stage: Bo"}
        dead |= {"role": "stage", "person": "bo", "since": clock.now()}
        async with db.begin() as conn:
            await presence_repo.replace_mine(conn, "instance-dead", [dead], clock.now() + timedelta(seconds=30))
        clock.advance(seconds=29)
        assert [c.person for c in await second.connected(EVENT)] == ["bo"]
        clock.advance(seconds=2)
        assert await second.connected(EVENT) == []
        await second.write()
        assert told == [EVENT]
        async with db.begin() as conn:
            assert (await conn.execute(select(stage_presence))).all() == []
    finally:
        await first.stop()
        await second.stop()
        await db.dispose()


async def test_a_stream_registered_just_after_a_revocation_is_checked_at_once(sqlite_url):
    """Its token was read before the revocation's check ran, and that check did not see it: it must
    not wait for the poll."""
    clock = ManualClock(bangkok(14, 0))
    db = create_engine(sqlite_url)
    guard = StreamGuard(lambda: db, poll=3600)
    try:
        async with db.begin() as conn:
            kept, _ = await tokens_repo.create_token(conn, "console", "viewer", clock.now())
            revoked, _ = await tokens_repo.create_token(conn, "desk", "viewer", clock.now())
        guard.open(kept, EVENT, "viewer", asyncio.Queue(4))  # the guard is watching already
        async with db.begin() as conn:
            await tokens_repo.revoke_token(conn, revoked, clock.now())
        before = guard.checks
        guard.kick()
        async with asyncio.timeout(GUARD):  # the revocation's check, while `revoked` is not open yet
            while guard.checks == before:
                await asyncio.sleep(0.01)
        queue: asyncio.Queue = asyncio.Queue(4)
        stream = guard.open(revoked, EVENT, "viewer", queue)
        assert await asyncio.wait_for(queue.get(), GUARD) == ENDED and stream.ended
        assert [s.token_id for s in guard.streams()] == [kept]
    finally:
        await guard.stop()
        await db.dispose()
