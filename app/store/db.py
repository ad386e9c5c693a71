"""Database engine, sessions and migrations: SQLite (WAL) by default, PostgreSQL through a URL."""

from __future__ import annotations

import ast
import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy
import sqlalchemy.exc
from sqlalchemy import Connection, Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.store.urls import normalise_url as normalise_url  # (re-exported: where the store's users find it)

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")
MIGRATIONS = Path(__file__).with_name("migrations")


SQLITE_BUSY_TIMEOUT = 30  # seconds a connection waits for another one's write lock
BUSY_STEP = 0.0002  # seconds between the firing thread's tries for the write lock (SerialSqlite.begin)


def _sqlite_pragmas(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged Zoom event or host action survives a power cut, not just a crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and foreign keys."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection, _record):
            _sqlite_pragmas(dbapi_connection)

        return engine
    return create_async_engine(url, pool_pre_ping=True)


def is_sqlite(url: str) -> bool:
    return normalise_url(url).startswith("sqlite")


class SerialSqlite:
    """A synchronous SQLite engine on the service's database file, driven from one thread of its own:
    the firing path's transaction (app/engine/firing.py) in as few thread hops as possible.

    Through the async engine every statement is a hop to aiosqlite's thread and back (plus
    SQLAlchemy's async bookkeeping); here a whole batch of statements is one hop. A transaction
    may span several calls (`begin`, then `call`s, the last one committing): they run in order on
    the one thread, which alone ever touches the connection. Its transactions are BEGIN IMMEDIATE:
    the write lock is taken with the first read, so the later write never has to upgrade a read
    snapshot another connection wrote past (SQLITE_BUSY_SNAPSHOT); other connections wait for it
    on their busy timeout. Same pragmas as the async engine (WAL, synchronous=FULL, foreign keys).
    """

    def __init__(self, url: str) -> None:
        url = normalise_url(url)
        if not url.startswith("sqlite"):
            raise ValueError(f"not a SQLite URL: {url}")
        self.engine = sqlalchemy.create_engine(
            make_url(url).set(drivername="sqlite"), connect_args={"timeout": SQLITE_BUSY_TIMEOUT}
        )

        @event.listens_for(self.engine, "connect")
        def _connect(dbapi_connection, _record):
            _sqlite_pragmas(dbapi_connection)
            # The driver's own transaction handling off: SQLAlchemy's BEGIN (just below) is the only one.
            dbapi_connection.isolation_level = None
            # No busy handler: `begin` waits for the write lock itself, in fine steps (see there).
            dbapi_connection.execute("PRAGMA busy_timeout=0")

        @event.listens_for(self.engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="showcaller-firing")
        self._conn: Connection | None = None  # the open transaction's (touched on the thread only)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the thread. A cancel of the caller does not cut it short: the call
        runs to its end there (and whatever is queued after it, e.g. a rollback, runs after it)."""
        # Shielded: a cancel must not withdraw a call still queued (a rollback that must run).
        return await asyncio.shield(asyncio.wrap_future(self._executor.submit(fn, *args)))

    def begin(self) -> Connection:
        """(On the thread.) Open the transaction; its connection.

        While another connection holds the write lock, BEGIN IMMEDIATE is tried again every 0.2 ms
        (for up to SQLITE_BUSY_TIMEOUT): SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ms
        between tries, so a lock held for 3 ms (another connection's commit) cost a cue 8 ms and a
        longer one 50 ms (issue 27's B4 tail). Once it holds the lock nothing else here waits."""
        self.end(commit=False)  # (none is open: every caller ends its own, even when cancelled)
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
        while True:
            conn = self.engine.connect()
            try:
                conn.begin()
            except sqlalchemy.exc.OperationalError as exc:
                conn.close()
                if "locked" not in str(exc.orig) or time.monotonic() > deadline:
                    raise
                time.sleep(BUSY_STEP)
                continue
            except BaseException:
                conn.close()
                raise
            self._conn = conn
            return conn

    def open(self) -> Connection:
        """(On the thread.) The open transaction's connection."""
        if self._conn is None:
            raise RuntimeError("no firing transaction is open")
        return self._conn

    def end(self, commit: bool) -> None:
        """(On the thread.) Commit or roll back the open transaction, if any, and release it."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if commit:
                conn.commit()
        finally:
            conn.close()  # rolls back whatever was not committed

    async def finish(self) -> None:
        """Roll back an open transaction (if a caller left one), then stop: after the calls queued."""
        try:
            await self.call(self.end, False)
            await self.call(self.engine.dispose)
        finally:
            self._executor.shutdown(wait=False)


def insert_ignoring_duplicates(conn: AsyncConnection, table: Table):
    """INSERT ... ON CONFLICT DO NOTHING for the two databases Showcaller supports."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise ValueError(f"unsupported database '{dialect}': use SQLite or PostgreSQL")


def alembic_config(url: str) -> Config:
    """Alembic configured in code (no alembic.ini needed)."""
    from alembic.config import Config  # (Alembic takes ~0.5 s to import: only when migrating)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def _upgrade(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


@cache
def migration_heads() -> frozenset[str]:
    """The newest migration revision(s), read from the scripts' `revision` and `down_revision`
    assignments without importing Alembic (tests/cli/test_serve_startup.py checks that this is what
    Alembic itself says)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name, value = node.targets[0].id, node.value
                if name == "revision":
                    revisions.add(ast.literal_eval(value))
                elif name == "down_revision":
                    down = ast.literal_eval(value)
                    parents.update(down if isinstance(down, tuple | list) else [down] if down else [])
    return frozenset(revisions - parents)


async def _at_head(url: str) -> bool:
    """Whether the database is already at the newest migration (one small read; False when it
    cannot tell, e.g. a database never migrated)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await applied_migrations(conn) == migration_heads()
    except Exception:
        return False
    finally:
        await engine.dispose()


MIGRATION_KEY = 0x5C0_11E7  # PostgreSQL advisory lock: one instance migrates at a time


async def migrate(url: str) -> None:
    """Bring the database schema to the newest migration (safe to call on every start).

    On PostgreSQL several instances may start together: they take turns under an advisory lock,
    so the first migrates and the others find the schema current."""
    url = normalise_url(url)
    if await _at_head(url):  # the usual restart: nothing to do, and Alembic is not even imported
        return
    if not url.startswith("postgresql"):
        await asyncio.to_thread(_upgrade, url)
        return
    import asyncpg

    conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1], timeout=30)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_KEY)
        await asyncio.to_thread(_upgrade, url)
    finally:
        await conn.close()  # ends the session, which releases the lock


async def applied_migrations(conn: AsyncConnection) -> set[str]:
    """The migration revisions the database is at (raises if the database cannot answer at all)."""
    await conn.execute(text("SELECT 1"))
    return {row[0] for row in await conn.execute(text("SELECT version_num FROM alembic_version"))}
