"""`showcaller companion-page`: a Bitfocus Companion page of Generic HTTP buttons for the deck surface."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated

import typer

from app.cli import app
from app.cli.output import console, errors, load_or_exit

EVENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MESSAGE_ID = re.compile(r"^[a-z0-9_-]+$")
DEFAULT_SERVER = "http://127.0.0.1:8000"


def _fail(message: str) -> None:
    errors.print(message, markup=False, soft_wrap=True)
    raise typer.Exit(2)


@app.command("companion-page")
def companion_page(
    ctx: typer.Context,
    event: Annotated[
        str,
        typer.Argument(help="the schedule file (checks the message ids), or the event id", show_default=False),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="where to write it (default: EVENT.companionconfig)")
    ] = None,
    wrap_up: Annotated[str, typer.Option(help="the stage message id the Wrap up key shows")] = "wrap_up",
    blackout: Annotated[str, typer.Option(help="the stage message id the Blackout key shows")] = "blackout",
) -> None:
    """Write a .companionconfig export: a 15-key page of Generic HTTP buttons for the deck (docs/stream-deck.md).

    The buttons call the service at --server (or SHOWCALLER_SERVER, else http://127.0.0.1:8000). The deck
    token is not in the file: paste it into the custom variable showcaller_deck_token after importing."""
    from integrations.companion_page import companion_page as build

    server = (ctx.obj or {}).get("server") or os.environ.get("SHOWCALLER_SERVER") or DEFAULT_SERVER
    if not re.match(r"^https?://[^/\s?#]+", server):
        _fail(f"--server: '{server}' is not an http(s) URL. Fix: e.g. --server http://10.0.0.5:8000")
    for option, value in (("--wrap-up", wrap_up), ("--blackout", blackout)):
        if not MESSAGE_ID.match(value):
            _fail(f"{option}: '{value}' is not a stage message id (lower-case letters, digits, - and _)")
    path = Path(event)
    if path.suffix in {".yaml", ".yml"} or path.is_file():
        schedule = load_or_exit(event)
        event_id = schedule.event.id
        known = schedule.stage.preset_ids()
        for option, value in (("--wrap-up", wrap_up), ("--blackout", blackout)):
            if value not in known:
                listed = ", ".join(known) or "none"
                _fail(
                    f"{event}: stage.messages has no '{value}' ({option}; known: {listed}). Fix: add it to the "
                    f"schedule's stage.messages, or pass {option} with one of the known ids"
                )
    else:
        event_id = event
        if not EVENT_ID.match(event_id):
            _fail(f"EVENT: '{event}' is neither a schedule file nor an event id (lower-case a-z 0-9 - _)")
    target = output or Path(f"{event_id}.companionconfig")
    export = build(server, event_id, wrap_up=wrap_up, blackout=blackout)
    target.write_text(json.dumps(export, indent=2) + "\n", encoding="utf-8")
    console.print(
        f"Wrote {target}: a 15-key page of Generic HTTP buttons for {server}/api/events/{event_id}/deck "
        "(Companion export format 9, Companion 4.1 or later).\n"
        "In Companion: Import/Export -> Import, pick the page, the trigger, the custom variables and the "
        "connection; then set the custom variable showcaller_deck_token to a deck token "
        "(showcaller token create --role deck).",
        markup=False,
        soft_wrap=True,
    )
