"""Database URLs (which driver, which SQLite file) and one look into a SQLite file, without
SQLAlchemy: what `serve` needs before it listens and the instance lock needs (issue 27)."""

from __future__ import annotations

from pathlib import Path


def normalise_url(url: str) -> str:
    """Accept plain sqlite:/// and postgresql:// URLs and pick the async drivers."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for an in-memory one or another database."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return None
    rest = url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ""
    return None if rest in ("", ":memory:") else Path(rest)


def sqlite_holds_events(path: Path) -> bool | None:
    """Whether a SQLite database file stores at least one event, read with the standard library's
    sqlite3 (what `serve` asks before it listens: SQLAlchemy would cost more than the answer); None
    when the file cannot say (no `events` table: never migrated; not a database; locked too long)."""
    import contextlib
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
            return conn.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return None
