"""Migration 0007: presenter links kept in plain text before it are stored hashed after it, and still open."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from app.store import tokens_repo
from app.store.db import alembic_config, create_engine, migrate

REVISION = "0007_hashed_links"


async def test_plain_links_are_hashed_and_the_plain_column_dropped(database_url):
    config = alembic_config(database_url)
    before = ScriptDirectory.from_config(config).get_revision(REVISION).down_revision
    await asyncio.to_thread(command.downgrade, config, before)
    token = "sc_" + "plain-link-token-of-nilim"
    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            columns = {c["name"] for c in await conn.run_sync(lambda c: sa.inspect(c).get_columns("api_tokens"))}
            assert "link_token" in columns
            # As the code before 0007 wrote a link: its hash and, readable, the token itself.
            await conn.execute(
                sa.text(
                    "INSERT INTO api_tokens (id, name, role, token_hash, created_at, event_id, person, link_token) "
                    "VALUES ('l1', 'stage: Nilim', 'stage', :hash, :at, 'e', 'nilim', :token)"
                ),
                {"hash": tokens_repo.hash_token(token), "at": datetime(2022, 5, 30, tzinfo=UTC), "token": token},
            )
            # One whose hash was never written (hand-made): the plain token is what counts.
            await conn.execute(
                sa.text(
                    "INSERT INTO api_tokens (id, name, role, token_hash, created_at, event_id, person, link_token) "
                    "VALUES ('l2', 'stage: Pinsuda', 'stage', 'unset', :at, 'e', 'pinsuda', :token)"
                ),
                {"at": datetime(2022, 5, 30, tzinfo=UTC), "token": token + "-2"},
            )
        await migrate(database_url)
        async with db.begin() as conn:
            columns = {c["name"] for c in await conn.run_sync(lambda c: sa.inspect(c).get_columns("api_tokens"))}
            assert "link_token" not in columns
            rows = (await conn.execute(sa.text("SELECT * FROM api_tokens"))).all()
            assert len(rows) == 2 and not any(token in str(value) for row in rows for value in row)
            for plain, person in ((token, "nilim"), (token + "-2", "pinsuda")):
                found = await tokens_repo.find_token(conn, plain)
                assert found is not None and (found.person, found.event_id) == (person, "e")
    finally:
        await db.dispose()
