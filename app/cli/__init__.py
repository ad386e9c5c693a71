"""The `showcaller` command line: one typer app, commands grouped by what they touch."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="showcaller",
    help="Run a live online event on Zoom from one schedule file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Entry point of the `showcaller` script."""
    # Importing the command modules registers their commands on `app`.
    from app.cli import event_cmds, report_cmds, run_cmds, schedule_cmds, stage_cmds, zoom_cmds  # noqa: F401

    app()
