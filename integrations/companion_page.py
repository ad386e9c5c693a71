"""A Bitfocus Companion page of Generic HTTP buttons for the deck surface, as a `.companionconfig` export.

For hosts who cannot install the Showcaller module (integrations/companion/): one import gives a
15-key page (the module's layout), a Generic HTTP connection whose base URL is the event's deck
(`.../api/events/{id}/deck`), custom variables, and a trigger that polls `?field=NAME` into them every
second. Keys POST the deck verbs with no body and echo what they showed (`from=$(custom:...current_id)`,
`seq=$(custom:...seq)`), so a double press acts once (docs/stream-deck.md).

The format is Companion's export file version 9: a `type: "full"` export as Companion 4.1 writes it
(pages -> controls by row and column, each button's steps of action entities, triggers with interval
events, custom variables, connections as `instances`), which Companion 4.1 imports as it is and later
versions upgrade on import (companion/lib/Data/Upgrades in bitfocus/companion: v9tov10 is 4.2). The
Generic HTTP actions are those of bitfocus/companion-module-generic-http 2.x and 3.x (`get`, `post`:
url, header, body, contenttype, jsonResultDataVariable, result_stringify, statusCodeVariable).

The deck token is never in the file: every request's header reads it from the custom variable
`showcaller_deck_token`, which is empty until the user pastes the token in Companion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

FILE_VERSION = 9
COMPANION_BUILD = "4.1.0 (export format 9, written by showcaller companion-page)"
CONNECTION_ID = "showcaller_deck"
CONNECTION_LABEL = "showcaller_deck"
# generic-http's upgrade scripts that need not run on import: v1_1_4 and v1_1_6 (2.x has these two; 3.1's
# third, v3_1_0, only adds `insecureHTTPParser: false`, which the config already has).
GENERIC_HTTP_LAST_UPGRADE = 1
PREFIX = "showcaller_"
TOKEN_VARIABLE = f"{PREFIX}deck_token"
POLL_SECONDS = 1

# The deck fields the page shows or echoes, polled one per request with ?field=.
POLLED = (
    "current_id",
    "current_title",
    "remaining",
    "phase",
    "next_title",
    "held",
    "timer_remaining",
    "timer_phase",
    "message",
    "seq",
)

WHITE, BLACK = 0xFFFFFF, 0x000000
PHASE_COLOURS = {"normal": 0x006E28, "warning": 0xE69600, "danger": 0xC80000, "over": 0x6E0000}
HELD_COLOUR = 0x0046A0

# Where each key sits on the 15-key page (a Stream Deck MK.2: 3 rows of 5), as in the module's presets.
LAYOUT = (
    ("current_title", "remaining", "next", "hold", "undo"),
    ("delay_1", "delay_5", "wrap_up", "blackout", "stop_timer"),
    ("timer_1", "timer_2", "timer_3", "timer_4", "timer_remaining"),
)


@dataclass(frozen=True)
class Key:
    """One button: its text, what it POSTs (one list per step; a second step alternates), its feedbacks."""

    text: str
    steps: tuple[tuple[str, ...], ...] = ()
    colours_of: str | None = None  # the variable whose phase colours the key
    held: bool = False


def var(field: str) -> str:
    """The custom variable a polled deck field lands in, as Companion writes it in text."""
    return f"$(custom:{PREFIX}{field})"


def keys(wrap_up: str, blackout: str) -> dict[str, Key]:
    """The 15 keys: every path is relative to the deck (`/advance?...`), every action echoes what it showed."""
    seq = f"seq={var('seq')}"
    keys = {
        "current_title": Key(var("current_title")),
        "remaining": Key(var("remaining"), colours_of="phase"),
        "next": Key(f"NEXT\\n{var('next_title')}", ((f"/advance?from={var('current_id')}",),)),
        "hold": Key("HOLD", ((f"/hold/toggle?{seq}",),), held=True),
        "undo": Key("UNDO", ((f"/undo?{seq}",),)),
        "delay_1": Key("+1 min", ((f"/delay/1?{seq}",),)),
        "delay_5": Key("+5 min", ((f"/delay/5?{seq}",),)),
        "wrap_up": Key("WRAP UP", ((f"/stage/messages/{wrap_up}?flash=true&{seq}",),)),
        # Generic HTTP cannot read the answer to choose, so Blackout has two steps: show, then clear.
        "blackout": Key(
            "BLACK\\nOUT", ((f"/stage/messages/{blackout}?blackout=true&{seq}",), (f"/stage/clear?{seq}",))
        ),
        "stop_timer": Key(f"STOP\\n{var('timer_remaining')}", ((f"/timers/current/stop?{seq}",),), "timer_phase"),
        "timer_remaining": Key(var("timer_remaining"), colours_of="timer_phase"),
    }
    for slot in (1, 2, 3, 4):
        keys[f"timer_{slot}"] = Key(f"TIMER {slot}", ((f"/timers/slot/{slot}?{seq}",),))
    return keys


def _header() -> str:
    return json.dumps({"Authorization": f"Bearer $(custom:{TOKEN_VARIABLE})"})


def _entity(entity_id: str, definition: str, options: dict[str, Any], connection: str = CONNECTION_ID) -> dict:
    upgrade = GENERIC_HTTP_LAST_UPGRADE if connection == CONNECTION_ID else None
    return {
        "type": "action",
        "id": entity_id,
        "definitionId": definition,
        "connectionId": connection,
        "options": options,
        "upgradeIndex": upgrade,
    }


def _post(entity_id: str, path: str) -> dict:
    return _entity(
        entity_id,
        "post",
        {
            "url": path,
            "body": "",
            "header": _header(),
            "contenttype": "application/json",
            "jsonResultDataVariable": "",
            "result_stringify": True,
            "statusCodeVariable": "",
        },
    )


def _get(entity_id: str, field: str) -> dict:
    return _entity(
        entity_id,
        "get",
        {
            "url": f"?field={field}",
            "header": _header(),
            "jsonResultDataVariable": f"{PREFIX}{field}",
            "result_stringify": True,  # the text as it came: "04:59", not JSON
            "statusCodeVariable": "",
        },
    )


def _variable_is(entity_id: str, field: str, value: str, bgcolor: int, color: int = WHITE) -> dict:
    """Companion's internal "Variable: Check value" feedback: the key's colours while field == value."""
    return {
        "type": "feedback",
        "id": entity_id,
        "definitionId": "variable_value",
        "connectionId": "internal",
        "options": {"variable": f"custom:{PREFIX}{field}", "op": "eq", "value": value},
        "style": {"bgcolor": bgcolor, "color": color},
        "isInverted": False,
        "upgradeIndex": None,
    }


def _button(name: str, key: Key) -> dict:
    feedbacks = []
    if key.colours_of:
        feedbacks = [
            _variable_is(f"{name}-{phase}", key.colours_of, phase, colour, BLACK if phase == "warning" else WHITE)
            for phase, colour in PHASE_COLOURS.items()
        ]
    if key.held:
        feedbacks.append(_variable_is(f"{name}-held", "held", "true", HELD_COLOUR))
    steps = key.steps or ((),)
    return {
        "type": "button",
        "style": {
            "text": key.text,
            "textExpression": False,
            "size": "14" if key.steps else "auto",
            "png64": None,
            "alignment": "center:center",
            "pngalignment": "center:center",
            "color": WHITE,
            "bgcolor": BLACK,
            "show_topbar": "default",
        },
        "options": {"stepProgression": "auto", "stepExpression": "", "rotaryActions": False},
        "feedbacks": feedbacks,
        "steps": {
            str(n): {
                "action_sets": {"down": [_post(f"{name}-{n}-{i}", p) for i, p in enumerate(paths)], "up": []},
                "options": {"runWhileHeld": []},
            }
            for n, paths in enumerate(steps)
        },
        "localVariables": [],
    }


def companion_page(server: str, event_id: str, *, wrap_up: str = "wrap_up", blackout: str = "blackout") -> dict:
    """The export (a dict to write as JSON): one page, one Generic HTTP connection, the polled custom
    variables (and the empty token variable), and the 1-second polling trigger."""
    base = f"{server.rstrip('/')}/api/events/{event_id}/deck"
    buttons = keys(wrap_up, blackout)
    controls = {
        str(row): {str(column): _button(name, buttons[name]) for column, name in enumerate(names)}
        for row, names in enumerate(LAYOUT)
    }
    custom = {
        f"{PREFIX}{field}": {
            "description": f"Showcaller deck: {field} (polled from {base}?field={field})",
            "defaultValue": "",
            "persistCurrentValue": False,
            "sortOrder": n,
        }
        for n, field in enumerate(POLLED, start=1)
    }
    custom[TOKEN_VARIABLE] = {
        "description": "Showcaller deck token (showcaller token create --role deck): paste it as this value",
        "defaultValue": "",
        "persistCurrentValue": False,
        "sortOrder": 0,
    }
    trigger = {
        "type": "trigger",
        "options": {"name": f"Showcaller {event_id}: poll the deck", "enabled": True, "sortOrder": 0},
        "actions": [_get(f"poll-{field}", field) for field in POLLED],
        "condition": [],
        "events": [{"id": "every-second", "type": "interval", "enabled": True, "options": {"seconds": POLL_SECONDS}}],
        "localVariables": [],
    }
    return {
        "version": FILE_VERSION,
        "type": "full",
        "companionBuild": COMPANION_BUILD,
        "pages": {
            "1": {
                "id": f"showcaller-{event_id}",
                "name": f"Showcaller {event_id}",
                "controls": controls,
                "gridSize": {"minColumn": 0, "maxColumn": 4, "minRow": 0, "maxRow": 2},
            }
        },
        "triggers": {f"showcaller-{event_id}-poll": trigger},
        "custom_variables": custom,
        "instances": {
            CONNECTION_ID: {
                "label": CONNECTION_LABEL,
                "moduleId": "generic-http",
                "instance_type": "generic-http",  # the name export format 9 reads (format 10 renamed it)
                "config": {
                    "prefix": base,
                    "proxyAddress": "",
                    "rejectUnauthorized": True,
                    "insecureHTTPParser": False,
                },
                "isFirstInit": False,
                "lastUpgradeIndex": GENERIC_HTTP_LAST_UPGRADE,
                "enabled": True,
                "sortOrder": 0,
            }
        },
    }
