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
    from app.cli import schedule_cmds  # noqa: F401  (registers commands)

    for module in ("run_cmds", "zoom_cmds", "report_cmds"):
        try:
            __import__(f"app.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"app.cli.{module}":
                raise
    app()
