"""Group commit for the webhook inbox: concurrent requests share one transaction and one fsync."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from app.attendance.sqlite_inbox import SqliteInboxWriter
from app.store import attendance_repo


def inbox_writer_for(db: AsyncEngine, on_commit: Callable[[], None] = lambda: None) -> InboxWriter | SqliteInboxWriter:
    """A dedicated sqlite3 writer thread for a SQLite file; the async engine otherwise (asyncpg)."""
    database = db.url.database or ""
    # A plain file path only: URI filenames and in-memory databases keep the engine's own path.
    if db.dialect.name == "sqlite" and database not in ("", ":memory:") and not db.url.query:
        return SqliteInboxWriter(database, on_commit=on_commit)
    return InboxWriter(db, on_commit=on_commit)


class InboxWriter:
    """Each caller waits for its own row's commit; rows arriving meanwhile join the next batch."""

    def __init__(self, db: AsyncEngine, on_commit: Callable[[], None] = lambda: None, max_batch: int = 256) -> None:
        self.db, self.on_commit, self.max_batch = db, on_commit, max_batch
        self._pending: list[tuple[dict, asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None

    async def add(self, row: dict) -> bool:
        """Commit one webhook; True if new, False if a duplicate (database errors propagate)."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="inbox-writer")
        return await future

    async def close(self) -> None:
        """Let the batch in progress finish (its callers are waiting for it)."""
        if self._flusher is not None and not self._flusher.done():
            await asyncio.wait({self._flusher})

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            try:
                async with self.db.begin() as conn:
                    stored = await attendance_repo.add_to_inbox(conn, [row for row, _ in batch])
            except Exception as exc:  # the whole batch failed: every caller answers 5xx, Zoom retries
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), new in zip(batch, stored, strict=True):
                if not future.done():
                    future.set_result(new)
            self.on_commit()
