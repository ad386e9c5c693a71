"""`showcaller config`: the effective settings, secrets masked, and where each one came from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli import app
from app.cli.output import console, load_or_exit
from app.core.config import Settings, env_source, env_value, is_secret, mask, setting_sources


def target_variables(schedule) -> list[tuple[str, str, str, str]]:
    """(target id, variable, shown value, source) for every variable a schedule's targets name."""
    rows = []
    for target in schedule.targets:
        for name in (target.url_env, target.token_env, target.secret_env):
            if not name:
                continue
            value = env_value(name)
            shown = (
                "(unset)"
                if value is None
                else mask(value)
                if is_secret(name) or name != target.url_env
                else _url_shape(value)
            )
            rows.append((target.id, name, shown, env_source(name)))
    return rows


def _url_shape(url: str) -> str:
    """Scheme and host of a target URL: webhook URLs carry their secret in the path."""
    if "://" not in url:
        return mask(url)
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}/*** ({len(url)} characters)"


@app.command()
def config(
    file: Annotated[Path | None, typer.Argument(help="also list the target variables this schedule needs")] = None,
    database_url: Annotated[str | None, typer.Option(help="as for `rehearse` and `report`")] = None,
) -> None:
    """Print the effective settings (secrets masked) and where each came from: default, .env, environment, option."""
    options: dict[str, Any] = {"database_url": database_url} if database_url else {}
    settings = Settings(**options)
    # Plain columns, not a table: nothing is cut at 80 columns or in a pipe.
    _columns("Settings (value, then where it came from):", setting_sources(settings, options))
    mode = "sandbox (no Zoom credentials: the local emulator stands in)" if settings.sandbox else "Zoom API"
    console.print(f"Zoom: {mode}")
    if file is None:
        return
    schedule = load_or_exit(str(file))
    rows = target_variables(schedule)
    _columns(
        f"Target variables of {file}:",
        [(f"{variable} ({target})", shown, source) for target, variable, shown, source in rows],
    )
    unset = [variable for _, variable, _, source in rows if source == "unset"]
    if unset:
        console.print(
            f"{len(unset)} unset: their targets' messages are parked. Set them in the environment or .env.",
            markup=False,
        )


def _columns(title: str, rows: list[tuple[str, str, str]]) -> None:
    console.print(title, markup=False)
    width = max((len(name) for name, _, _ in rows), default=0)
    shown_width = max((len(shown) for _, shown, _ in rows), default=0)
    for name, shown, source in rows:
        console.print(f"  {name:<{width}}  {shown:<{shown_width}}  {source}", markup=False)
