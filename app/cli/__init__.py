"""The `showcaller` command line: one typer app, commands grouped by what they touch."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.failures import ShowcallerGroup

app = typer.Typer(
    name="showcaller",
    help="Run a live online event on Zoom from one schedule file.",
    no_args_is_help=True,
    cls=ShowcallerGroup,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from app import __version__

        typer.echo(f"showcaller {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    server: Annotated[
        str | None,
        typer.Option("--server", help="a running service's URL, for the remote commands (default: SHOWCALLER_SERVER)"),
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="an API token for --server (default: SHOWCALLER_TOKEN)")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """Run a live online event on Zoom from one schedule file."""
    del version  # handled by its eager callback
    ctx.obj = {"server": server, "token": token}


def main() -> None:
    """Entry point of the `showcaller` script."""
    # Importing the command modules registers their commands on `app`.
    from app.cli import (  # noqa: F401
        config_cmds,
        event_cmds,
        remote_cmds,
        report_cmds,
        run_cmds,
        rundown_cmds,
        schedule_cmds,
        stage_cmds,
        zoom_cmds,
    )

    app()
