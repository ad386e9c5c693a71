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


# Which module defines each command. `main` imports only the module of the command a command line
# names, so `showcaller --version` and the remote commands a host types during a show start without
# loading what the others need (SQLAlchemy, the schedule model, the report, the Zoom client): about
# a second on every key press otherwise. tests/cli/test_startup.py keeps this table complete.
COMMAND_MODULES = {
    "companion-page": "companion_cmds",
    "config": "config_cmds",
    "events": "event_cmds",
    "locale": "locale_cmds",
    **dict.fromkeys(
        (
            "advance",
            "announce",
            "cues",
            "delay",
            "deliveries",
            "hold",
            "load",
            "resend",
            "resume",
            "stage",
            "state",
            "timer",
            "undo",
            "watch",
        ),
        "remote_cmds",
    ),
    "report": "report_cmds",
    **dict.fromkeys(("export", "rundown"), "rundown_cmds"),
    **dict.fromkeys(("demo", "receiver", "rehearse", "serve", "token"), "run_cmds"),
    **dict.fromkeys(("plan", "schema", "validate"), "schedule_cmds"),
    **dict.fromkeys(("invites", "runsheet", "stage-links"), "stage_cmds"),
    **dict.fromkeys(("apply", "doctor", "status", "zoom-emulator"), "zoom_cmds"),
}
_OPTIONS_WITH_VALUES = ("--server", "--token")


def command_name(argv: list[str]) -> str | None:
    """The command a command line names (its first word that is not a root option), if any."""
    args = iter(argv)
    for arg in args:
        if arg in _OPTIONS_WITH_VALUES:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def load_commands(argv: list[str]) -> list[str]:
    """Register the commands `argv` needs: its command's module, none for `--version`, or every
    module (for help, shell completion, or a name that is not a command, so the error lists them
    all). Returns the modules."""
    import importlib
    import os

    name = command_name(argv)
    completing = any(key.endswith("_COMPLETE") for key in os.environ)
    if name in COMMAND_MODULES and not completing:
        modules = [COMMAND_MODULES[name]]
    elif name is None and "--version" in argv and not completing:
        modules = []  # answered by the root's eager option alone
    else:
        modules = sorted(set(COMMAND_MODULES.values()))
    for module in modules:
        importlib.import_module(f"app.cli.{module}")
    return modules


def main() -> None:
    """Entry point of the `showcaller` script."""
    import sys

    load_commands(sys.argv[1:])
    app()
