"""Group commit for the webhook inbox on SQLite: one writer thread, one stdlib sqlite3 connection.

Through SQLAlchemy + aiosqlite a batch costs about ten awaits (thread hops), and every hop waits
behind whatever else the busy event loop has queued; here a batch costs one hop back. The inbox
processor's writes run on the same thread (`call`): SQLite lets one writer in at a time, and a
webhook waiting on another connection's lock sleeps in SQLite's busy handler for 10-20 ms.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from app.store import attendance_repo
from app.store.attendance_rows import Fact

_STOP = object()
T = TypeVar("T")


class _Job:
    """Work for the writer thread other than inbox rows, in its own transaction."""

    def __init__(self, fn: Callable[[sqlite3.Connection], object]) -> None:
        self.fn = fn


class SqliteInboxWriter:
    """Each caller waits for its own row's commit; rows arriving meanwhile join the next batch."""

    def __init__(
        self,
        path: str,
        on_commit: Callable[[], None] = lambda: None,
        max_batch: int = 256,
        busy_timeout_seconds: float = 30.0,
    ) -> None:
        self.path, self.on_commit, self.max_batch = path, on_commit, max_batch
        self.busy_timeout_seconds = busy_timeout_seconds
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()

    async def add(self, row: dict) -> bool:
        """Commit one webhook; True if new, False if a duplicate (database errors propagate)."""
        return await self._submit(row)

    async def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` on the writer thread, between inbox batches; fn commits."""
        return await self._submit(_Job(fn))

    async def _submit(self, item):
        if self._closed:
            raise RuntimeError("the inbox writer is closed")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._start()
        self._queue.put((item, future, loop))
        return await future

    async def save_processed(
        self,
        facts: list[tuple[int, Fact]],
        errors: dict[int, str],
        done: list[int],
        now: datetime,
    ) -> None:
        """The processor's write of a batch (facts, rows marked processed), on this thread."""
        await self.call(lambda conn: attendance_repo.save_processed_sqlite(conn, facts, errors, done, now))

    async def close(self) -> None:
        """Commit what is queued, then end the thread and its connection."""
        self._closed = True
        with self._lock:
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(thread.join)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                # Daemon: a process that exits without close() must not hang on it. Nothing is
                # lost then, since no caller is answered before its commit returns.
                self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
                self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout_seconds,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged Zoom event survives a power cut, not just a crash.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        stopping = False
        try:
            while not stopping:
                batch = [self._queue.get()]
                while len(batch) < self.max_batch:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if _STOP in batch:
                    stopping = True
                    batch = [item for item in batch if item is not _STOP]
                    batch += self._rest()
                rows = [item for item in batch if not isinstance(item[0], _Job)]
                if rows:
                    conn, outcome = self._attempt(
                        conn, attendance_repo.add_to_inbox_sqlite, [row for row, _, _ in rows]
                    )
                    self._settle(rows, outcome)
                for job, future, loop in (item for item in batch if isinstance(item[0], _Job)):
                    conn, outcome = self._attempt(conn, job.fn)
                    self._settle([(job, future, loop)], outcome, is_rows=False)
        finally:
            if conn is not None:
                conn.close()

    def _attempt(self, conn: sqlite3.Connection | None, fn: Callable, *args):
        try:
            conn = conn or self._connect()
            return conn, fn(conn, *args)
        except Exception as exc:  # every caller of this step answers 5xx (Zoom retries)
            if conn is not None:  # reconnect next time, in case the handle is broken
                conn.close()
            return None, exc

    def _rest(self) -> list:
        rest: list[Any] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return rest
            if item is not _STOP:
                rest.append(item)

    def _settle(self, batch: list, outcome, is_rows: bool = True) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for i, (_, future, loop) in enumerate(batch):
            failed = isinstance(outcome, BaseException)
            result = outcome if failed or not is_rows else outcome[i]
            by_loop.setdefault(loop, []).append((future, result))
        for loop, results in by_loop.items():
            try:  # one wake-up per batch, not one per caller
                loop.call_soon_threadsafe(self._resolve, results, outcome if is_rows else None)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass

    def _resolve(self, results: list, outcome) -> None:
        for future, result in results:
            if future.done():  # the caller gave up (client went away); the row is stored anyway
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
        if outcome is not None and not isinstance(outcome, BaseException):
            self.on_commit()  # new inbox rows: wake the processor
