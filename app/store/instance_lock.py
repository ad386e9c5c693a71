"""One `showcaller serve` per SQLite database: an exclusive lock held for the life of the process.

SQLite is the single-process embedded store: two processes on one file would each run the timer
and the delivery worker, so the second is refused. The lock is an OS file lock on `<database
file>.lock` beside the database, released by the operating system when the process dies, even by
SIGKILL, so a crash never leaves a stale lock behind. PostgreSQL takes several instances, which
elect one dispatcher (app/cluster/lease.py); `exclusive_postgres=True` still refuses a second one
there with a session advisory lock held by a connection of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from pathlib import Path

from app.store.db import normalise_url

ADVISORY_KEY = 0x5C0_11E5  # "Showcaller serve": one key per database, any number works


class AlreadyRunning(RuntimeError):
    """Another process holds the database's instance lock."""


def _sqlite_path(url: str) -> Path | None:
    rest = url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ""
    return None if rest in ("", ":memory:") else Path(rest)


class InstanceLock:
    """Acquire with `acquire()` (raises AlreadyRunning), release with `release()` or on exit."""

    def __init__(self, database_url: str, exclusive_postgres: bool = False):
        self.url = normalise_url(database_url)
        # PostgreSQL welcomes several instances (they share the dispatcher lease, app/cluster/lease.py);
        # True keeps the old one-process rule there too.
        self.exclusive_postgres = exclusive_postgres
        self._fd: int | None = None
        self._thread: threading.Thread | None = None
        self._stop: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None

    def acquire(self) -> None:
        if self.url.startswith("sqlite"):
            self._lock_file()
        elif self.url.startswith("postgresql") and self.exclusive_postgres:
            self._lock_postgres()

    def _lock_file(self) -> None:
        import fcntl

        path = _sqlite_path(self.url)
        if path is None:
            return
        lock_path = path.with_name(path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(f"the SQLite database {path} is in use (lock file {lock_path})") from None
        self._fd = fd

    def _lock_postgres(self) -> None:
        dsn = "postgresql://" + self.url.split("://", 1)[1]
        outcome: dict[str, object] = {}
        ready = threading.Event()

        async def hold() -> None:
            import asyncpg

            try:
                conn = await asyncpg.connect(dsn)
            except Exception as exc:  # reported to the caller, which decides
                outcome["error"] = exc
                ready.set()
                return
            try:
                outcome["held"] = await conn.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_KEY)
                stop = asyncio.Event()
                self._stop = (asyncio.get_running_loop(), stop)
                ready.set()
                if outcome["held"]:
                    await stop.wait()
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()

        self._thread = threading.Thread(target=asyncio.run, args=(hold(),), name="instance-lock", daemon=True)
        self._thread.start()
        ready.wait()
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        if not outcome.get("held"):
            self.release()
            raise AlreadyRunning("the PostgreSQL database is in use (advisory lock held by another process)")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
        if self._stop is not None:
            loop, stop = self._stop
            with contextlib.suppress(RuntimeError):  # the loop may have finished already
                loop.call_soon_threadsafe(stop.set)
            self._stop = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
