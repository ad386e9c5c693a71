"""`showcaller companion-page`: the .companionconfig export of Generic HTTP buttons for the deck.

The file is loaded and checked as Companion's export format 9 reads it, then pressed against the app
the way the Generic HTTP module would send each request (its base URL + the action's url, the header
JSON after Companion substitutes $(custom:...), a `{}` JSON body on a POST): every URL is a deck route
the deck role may call, and the keys run a rehearsal (Next, +1 min, timer 1, Wrap up, Undo), with the
remaining time on its key following the clock."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from typer.testing import CliRunner

import app.cli.companion_cmds  # noqa: F401  (registers the command, as app.cli.main does)
from app.cli import app as cli
from app.store import tokens_repo
from integrations.companion_page import LAYOUT, POLLED, TOKEN_VARIABLE
from tests.conftest import bangkok
from tests.fixtures import Service
from tests.stage.conftest import EVENT, mekong_named

MESSAGES = {"wrap_up": "Please wrap up", "blackout": "Back in two minutes"}
CUSTOM = re.compile(r"\$\(custom:(\w+)\)")
SERVER = "http://t"  # the in-process client's base URL


def schedule_text() -> str:
    """The Mekong file with stage messages by id, and four respondent slots in Session 1 (Timer 1..4)."""
    doc = yaml.safe_load(mekong_named(0, messages=MESSAGES))
    session = next(s for s in doc["segments"] if s["id"] == "session-1")
    session["respondents"] = {"count": 4, "minutes": 2}
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@pytest.fixture
async def page(tmp_path, database_url, service_for) -> tuple[Service, dict]:
    """Session 1 at 14:36 Bangkok (9 minutes left), a deck token, and the page written by the command."""
    text = schedule_text()
    path = tmp_path / "mekong-companion.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "deck.companionconfig"
    done = CliRunner().invoke(cli, ["--server", SERVER, "companion-page", str(path), "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert "showcaller_deck_token" in done.output
    service = await service_for(
        database_url,
        bangkok(14, 36),
        settings={"sandbox_state_path": str(tmp_path / "zoom.json")},
        targets_at=None,
        schedule=(text, "mekong-companion.yaml"),
        tokens={role: f"{role} token" for role in tokens_repo.ROLES},
    )
    return service, json.loads(out.read_text(encoding="utf-8"))


def _entities(export: dict) -> list[dict]:
    """Every action entity: the buttons' steps and the trigger's actions."""
    found = [
        action
        for row in export["pages"]["1"]["controls"].values()
        for control in row.values()
        for step in control["steps"].values()
        for action in step["action_sets"]["down"]
    ]
    return found + [a for trigger in export["triggers"].values() for a in trigger["actions"]]


def test_the_export_is_companion_format_9_without_a_token(page):
    service, export = page
    assert (export["version"], export["type"]) == (9, "full")
    [connection_id] = export["instances"]
    connection = export["instances"][connection_id]
    assert (connection["moduleId"], connection["instance_type"]) == ("generic-http", "generic-http")
    assert connection["config"]["prefix"] == f"{SERVER}/api/events/{EVENT}/deck"
    assert connection["config"]["rejectUnauthorized"] is True

    page_ = export["pages"]["1"]
    assert page_["gridSize"] == {"minColumn": 0, "maxColumn": 4, "minRow": 0, "maxRow": 2}
    assert sorted(page_["controls"]) == ["0", "1", "2"]
    assert all(sorted(row) == ["0", "1", "2", "3", "4"] for row in page_["controls"].values())
    for row in page_["controls"].values():
        for control in row.values():
            assert control["type"] == "button" and control["options"]["stepProgression"] == "auto"
            for entity in control["feedbacks"]:
                assert (entity["type"], entity["connectionId"], entity["definitionId"]) == (
                    "feedback",
                    "internal",
                    "variable_value",
                )
                assert entity["options"]["variable"].removeprefix("custom:") in export["custom_variables"]
    texts = [c["style"]["text"] for row in page_["controls"].values() for c in row.values()]
    assert "$(custom:showcaller_remaining)" in texts and "$(custom:showcaller_current_title)" in texts

    [trigger] = export["triggers"].values()
    assert trigger["type"] == "trigger" and trigger["options"]["enabled"] is True
    assert trigger["events"] == [{"id": "every-second", "type": "interval", "enabled": True, "options": {"seconds": 1}}]
    assert [a["options"]["url"] for a in trigger["actions"]] == [f"?field={f}" for f in POLLED]

    entities = _entities(export)
    ids = [e["id"] for e in entities]
    assert len(ids) == len(set(ids))
    for entity in entities:
        assert (entity["type"], entity["connectionId"]) == ("action", connection_id)
        assert entity["definitionId"] in {"get", "post"}
        options = entity["options"]
        assert json.loads(options["header"]) == {"Authorization": f"Bearer $(custom:{TOKEN_VARIABLE})"}
        assert options["statusCodeVariable"] == "" and options["result_stringify"] is True
        for name in CUSTOM.findall(options["url"] + options["header"]):
            assert name in export["custom_variables"], name
        if entity["definitionId"] == "get":
            assert options["jsonResultDataVariable"] in export["custom_variables"]
    # No token (nor anything like one) is written: the header reads it from a custom variable.
    text = json.dumps(export)
    assert "sc_" not in text and not any(token in text for token in service.tokens.values())
    assert export["custom_variables"][TOKEN_VARIABLE]["defaultValue"] == ""


class GenericHttp:
    """The Generic HTTP module's requests, as it builds them from an export's actions."""

    def __init__(self, service: Service, export: dict):
        self.service = service
        [self.instance] = export["instances"].values()
        self.custom: dict[str, str] = {name: v["defaultValue"] for name, v in export["custom_variables"].items()}
        self.custom[TOKEN_VARIABLE] = service.tokens["deck"]  # what the user pastes after the import
        self.controls = export["pages"]["1"]["controls"]
        self.trigger = next(iter(export["triggers"].values()))
        self.steps: dict[str, int] = {}
        self.sent: list[tuple[str, str, int]] = []  # (method, url template, status)

    def _sub(self, text: str) -> str:
        return CUSTOM.sub(lambda m: self.custom[m.group(1)], text)

    async def run(self, entity: dict) -> Any:
        options = entity["options"]
        url = self._sub(options["url"])
        if not url.startswith("http"):
            url = self.instance["config"]["prefix"] + url.strip()
        headers = json.loads(self._sub(options["header"]))
        method = entity["definitionId"].upper()
        body = {"json": {}} if method == "POST" else {}
        answer = await self.service.client.request(method, url, headers=headers, **body)
        self.sent.append((method, options["url"], answer.status_code))
        target = options.get("jsonResultDataVariable")
        if target and answer.status_code == 200:
            self.custom[target] = answer.text
        return answer

    async def poll(self) -> dict[str, str]:
        """One tick of the polling trigger; the polled variables by deck field."""
        for action in self.trigger["actions"]:
            assert (await self.run(action)).status_code == 200
        return {field: self.custom[f"showcaller_{field}"] for field in POLLED}

    async def press(self, name: str) -> list[int]:
        """Press the key `name` of the page (its current step; steps advance by themselves)."""
        row, column = next((r, c) for r, names in enumerate(LAYOUT) for c, n in enumerate(names) if n == name)
        control = self.controls[str(row)][str(column)]
        step = self.steps.get(name, 0)
        answers = [await self.run(a) for a in control["steps"][str(step)]["action_sets"]["down"]]
        self.steps[name] = (step + 1) % len(control["steps"])
        return [a.status_code for a in answers]

    def feedbacks_on(self, name: str) -> list[str]:
        """The values whose feedbacks colour key `name` now."""
        row, column = next((r, c) for r, names in enumerate(LAYOUT) for c, n in enumerate(names) if n == name)
        found = []
        for entity in self.controls[str(row)][str(column)]["feedbacks"]:
            variable = entity["options"]["variable"].removeprefix("custom:")
            if self.custom[variable] == entity["options"]["value"]:
                found.append(entity["options"]["value"])
        return found


def _deck_routes(app) -> list[tuple[str, re.Pattern[str]]]:
    """(method, path pattern) of every deck route in the OpenAPI document."""
    return [
        (method.upper(), re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", path) + "$"))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/events/{event_id}/deck")
        for method in operations
    ]


async def test_the_page_drives_a_rehearsal_through_real_deck_routes(page):
    service, export = page
    http = GenericHttp(service, export)
    shown = await http.poll()
    assert (shown["current_id"], shown["remaining"], shown["phase"], shown["seq"]) == (
        "session-1",
        "09:00",
        "normal",
        "0",
    )
    assert http.feedbacks_on("remaining") == ["normal"]
    # The remaining time on its key follows the clock at the next poll (the trigger polls every second).
    service.clock.advance(seconds=1)
    assert (await http.poll())["remaining"] == "08:59"

    async def press(name: str, expect: int = 200) -> dict[str, str]:
        assert await http.press(name) == [expect], http.sent[-1]
        return await http.poll()

    async def delay() -> str:
        return (await service.client.get(f"/api/events/{EVENT}/deck", headers=service.auth("deck"))).json()["delay"]

    for slot in (1, 2, 3, 4):
        started = await press(f"timer_{slot}", 201)
        assert started["timer_remaining"] == "02:00" and started["timer_phase"] == "normal"
    assert http.feedbacks_on("timer_remaining") == ["normal"]
    assert (await press("stop_timer"))["timer_remaining"] == "02:00"  # slot 3's timer shows again
    await press("delay_1")
    assert await delay() == "+01:00"
    await press("undo")
    assert await delay() == "+00:00"
    await press("delay_5")
    assert await delay() == "+05:00"
    assert (await press("wrap_up", 201))["message"] == "Please wrap up"
    assert (await press("blackout", 201))["message"] == "Back in two minutes"
    assert (await press("blackout"))["message"] == ""  # its second step clears
    assert (await press("hold"))["held"] == "true"
    assert http.feedbacks_on("hold") == ["true"]
    assert (await press("hold"))["held"] == "false"
    assert (await press("next"))["current_id"] == "discussion-1"
    # Two presses before the next poll: the second still shows discussion-1, so it is refused (409).
    assert await http.press("next") == [200]
    assert await http.press("next") == [409]
    assert (await http.poll())["current_id"] == "session-2"

    # Every URL the page calls is a deck route the deck role may call: each one answered, none 403/404/405.
    routes = _deck_routes(service.app)
    pressed = {(method, template) for method, template, _ in http.sent}
    assert {t for _, t, _ in http.sent if "slot" in t} == {
        f"/timers/slot/{n}?seq=$(custom:showcaller_seq)" for n in (1, 2, 3, 4)
    }
    templates = {(e["definitionId"].upper(), e["options"]["url"]) for e in _entities(export)}
    assert templates == pressed  # the test pressed every URL the file holds
    prefix = urlsplit(http.instance["config"]["prefix"]).path
    for method, template in templates:
        path = prefix + urlsplit(template).path
        assert any(m == method and pattern.match(path) for m, pattern in routes), (method, path)
    assert {status for *_, status in http.sent} <= {200, 201, 409}, http.sent
