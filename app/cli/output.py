"""Shared output helpers for commands: one console, and how schedule errors are shown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from schedules.i18n import CatalogSearch
    from schedules.model import Schedule

    console: Console  # stdout
    errors: Console  # stderr

INVALID = 2  # exit status for a schedule file that does not validate


def __getattr__(name: str) -> Console:
    # The two consoles are made, and rich imported, when a command first prints: a remote command
    # prints only once its request has been answered, and rich is a tenth of its start-up (issue
    # 27). The remote commands ask for `output.console` when printing; `from app.cli.output import
    # console` makes it at once.
    if name not in ("console", "errors"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _console(name)


def _console(name: str) -> Console:
    from rich.console import Console

    return globals().setdefault(name, Console(stderr=name == "errors", highlight=False, soft_wrap=True))


def max_schedule_bytes() -> int:
    """The size limit from the settings (the default when the settings themselves are invalid)."""
    from pydantic import ValidationError

    from app.core.config import get_settings
    from schedules.load import MAX_BYTES

    try:
        return get_settings().max_schedule_bytes
    except ValidationError:
        return MAX_BYTES  # validate must still work; commands that need the settings report them


def catalog_search() -> CatalogSearch:
    """Where a target's locale finds its catalog: SHOWCALLER_CATALOGS, then the shipped catalogs
    (only those when the settings themselves are invalid, as for the size limit). Never drafts:
    only `showcaller rehearse --drafts` reads those."""
    from pydantic import ValidationError

    from app.core.config import get_settings
    from schedules.i18n import SHIPPED

    try:
        return get_settings().catalog_search()
    except ValidationError:
        return SHIPPED


def require_file(path: str | Path) -> None:
    """Exit with one line (status 3) when a file to read is missing or is not a file."""
    from app.core.failures import ExitCode, Failure

    file = Path(path)
    if not file.exists():
        raise Failure(
            f"{path}: file not found. Fix: check the path (relative paths start in {Path.cwd().name}/)",
            ExitCode.NO_FILE,
        )
    if not file.is_file():
        raise Failure(f"{path}: is a folder, not a file. Fix: name the schedule file itself", ExitCode.NO_FILE)
    try:
        with file.open("rb"):
            pass
    except OSError as exc:
        raise Failure(
            f"{path}: cannot read it ({exc.strerror}). Fix: check its permissions", ExitCode.NO_FILE
        ) from None


def load_or_exit(path: str, catalogs: CatalogSearch | None = None) -> Schedule:
    """Load a schedule or print every problem and exit with status 2 (3 if the file is missing);
    a target's locale finds its catalog with `catalogs` (default: `catalog_search()`, no drafts)."""
    # Imported here: the remote commands use this module but never read a schedule, and the schedule
    # model (pydantic) is a third of a remote command's start-up.
    from schedules.load import load_file
    from schedules.problems import ScheduleError

    require_file(path)
    try:
        return load_file(path, max_schedule_bytes(), catalogs or catalog_search())
    except ScheduleError as exc:
        for line in exc.render().splitlines():
            _console("errors").print(line, markup=False)
        raise typer.Exit(INVALID) from None


def write_bytes(data: bytes) -> None:
    """Write raw bytes to stdout (ICS output)."""
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def safe_url(url: str) -> str:
    """A database URL without its password."""
    from app.core.config import without_password

    return without_password(url)
