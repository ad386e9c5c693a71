"""How commands fail: one line saying what is wrong and how to fix it, and a distinct exit status.

Commands raise `Failure` (`app/core/failures.py`) for what they recognise; `ShowcallerGroup` turns the usual start-up
problems (bad settings, unreachable database, a port in use) into the same one-line shape, so no
traceback reaches a person in normal operation. The exit statuses are listed in README "Exit codes".
"""

from __future__ import annotations

import errno
import socket
import sys
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

from app.core.failures import ExitCode, Failure

if TYPE_CHECKING:
    import click


def show(failure: Failure) -> None:
    """Print a failure as its one line on stderr."""
    from app.cli.output import errors

    errors.print(failure.message, markup=False, soft_wrap=True)


def settings_failure(exc) -> Failure:
    """A pydantic ValidationError from Settings as one line naming the variable (never a secret's value)."""
    from app.core.config import is_secret

    first = exc.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if field:
        where = f"SHOWCALLER_{field.upper()}"
        value = first.get("input")
        shown = f" (got {value!r})" if isinstance(value, str | int | float) and not is_secret(field) else ""
        return Failure(
            f"setting {where} is invalid{shown}: {message}. Fix: correct it in the environment "
            "or .env (`showcaller config` shows every setting and where it comes from)",
            ExitCode.SETTINGS,
        )
    return Failure(f"settings: {message}. Fix: correct it in the environment or .env", ExitCode.SETTINGS)


def database_failure(url: str, exc: BaseException) -> Failure:
    """A database that cannot be opened, reached or migrated, as one line."""
    from app.cli.output import safe_url

    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Failure(
        f"cannot use the database {safe_url(url)}: {detail}. Fix: check SHOWCALLER_DATABASE_URL "
        "(or --database-url); for PostgreSQL, check the server is running and the database exists",
        ExitCode.DATABASE,
    )


def check_sqlite_folder(url: str) -> None:
    """Fail early, in one line, when a SQLite database's folder does not exist (SQLite cannot create it)."""
    from pathlib import Path

    from app.store.urls import normalise_url

    url = normalise_url(url)
    if not url.startswith("sqlite+aiosqlite:///"):
        return
    path = url.removeprefix("sqlite+aiosqlite:///").split("?", 1)[0]
    if path in ("", ":memory:"):
        return
    folder = Path(path).parent
    if not folder.is_dir():
        raise Failure(
            f"cannot use the database {url}: the folder {folder} does not exist. Fix: create it, or "
            "point SHOWCALLER_DATABASE_URL (or --database-url) at a file in an existing folder",
            ExitCode.DATABASE,
        )


def _is_database_error(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | socket.gaierror):
        return True
    if type(exc).__module__.startswith(("asyncpg", "sqlite3", "aiosqlite")):
        return True
    # Every exit passes here, `--help`'s and a remote command's `typer.Exit` included: importing
    # SQLAlchemy to ask would add ~0.3 s to commands that never use it (tests/cli/test_startup.py).
    # Its errors can only come from a command that has imported it already.
    if "sqlalchemy" not in sys.modules:
        return False
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a Failure saying why not (used before uvicorn starts)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise Failure(
            f"cannot listen on {host}:{port}: unknown host ({exc.strerror}). Fix: pass --host 127.0.0.1 or 0.0.0.0",
            ExitCode.PORT,
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise Failure(
                f"port {port} on {host} is already in use. Fix: stop the other process or pass --port with a free port",
                ExitCode.PORT,
            ) from None
        raise Failure(
            f"cannot listen on {host}:{port}: {exc.strerror}. Fix: pass --host 127.0.0.1 or a port above 1023",
            ExitCode.PORT,
        ) from None
    sock.set_inheritable(True)
    return sock


def _is_settings_error(exc: BaseException) -> bool:
    # As for SQLAlchemy: pydantic is not imported to ask (a remote command never needs it, and
    # importing it took ~20 ms of its start-up); a ValidationError comes from code that imported it.
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(exc, pydantic.ValidationError) and exc.title == "Settings"


class ShowcallerGroup(TyperGroup):
    """The command group: known start-up problems become a Failure instead of a traceback."""

    # The values of the command line that is run need no pydantic (app/cli/plain_values.py): the
    # group's own options (completion's included, added after the group is made) when they are
    # parsed, and the command it runs, with any under it, once it is found.
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        from app.cli import plain_values

        plain_values.install(self, ctx, subcommands=False)
        return super().parse_args(ctx, args)  # type: ignore[arg-type]  # typer's vendored click types

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        from app.cli import plain_values

        name, command, rest = super().resolve_command(ctx, args)  # type: ignore[arg-type]
        if command is not None:
            plain_values.install(command, ctx)
        return name, command, rest

    def invoke(self, ctx: click.Context):  # type: ignore[override]  # typer's vendored click types
        try:
            return self._invoke(ctx)
        except Failure as failure:
            show(failure)
            raise typer.Exit(failure.exit_code) from None

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)  # type: ignore[arg-type]  # typer's vendored click types
        except ModuleNotFoundError as exc:
            if exc.name in ("MySQLdb", "psycopg2", "pymysql", "cx_Oracle", "pyodbc"):
                raise Failure(
                    f"unsupported database driver '{exc.name}'. Fix: set SHOWCALLER_DATABASE_URL to "
                    "sqlite:///FILE or postgresql://USER@HOST/DB",
                    ExitCode.SETTINGS,
                ) from None
            raise
        except Exception as exc:
            if _is_settings_error(exc):
                raise settings_failure(exc) from None
            if _is_database_error(exc):
                from app.core.config import get_settings

                raise database_failure(_settings_url(get_settings), exc) from None
            raise


def _settings_url(get_settings) -> str:
    try:
        return get_settings().database_url
    except Exception:  # the settings themselves are broken: that is reported elsewhere
        return "(configured database)"
