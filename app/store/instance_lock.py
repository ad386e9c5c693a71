"""One `showcaller serve` per SQLite database: an exclusive lock held for the life of the process.

SQLite is the single-process embedded store: two processes on one file would each run the timer
and the delivery worker, firing the same cues and numbering deliveries independently, so the
second is refused. The lock is an OS file lock on `<database file>.lock` beside the database,
released by the operating system when the process dies, even by SIGKILL, so a crash never leaves a
stale lock behind. PostgreSQL takes several instances instead; they elect one dispatcher among
themselves (app/cluster/lease.py), so no lock is taken here for it.
"""

from __future__ import annotations

import os

from app.store.urls import normalise_url, sqlite_file


class AlreadyRunning(RuntimeError):
    """Another process holds the database's instance lock."""


class InstanceLock:
    """Acquire with `acquire()` (raises AlreadyRunning), release with `release()` or on exit."""

    def __init__(self, database_url: str):
        self.url = normalise_url(database_url)
        self._fd: int | None = None

    def acquire(self) -> None:
        if self.url.startswith("sqlite"):
            self._lock_file()

    def _lock_file(self) -> None:
        import fcntl

        path = sqlite_file(self.url)
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

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
