"""Text every store accepts: NUL and control characters are refused at the edge with a located 422,
on SQLite and PostgreSQL alike, nothing is stored, and a restart afterwards starts every event."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from app.core.text_rules import first_forbidden, neutralise, problems
from app.store import events_repo, tokens_repo
from app.store.tables import attendance_facts, inbox, run_log
from integrations.zoom_emulator.payloads import Person
from tests.attendance.conftest import EVENT, start_harness
from tests.conftest import MEKONG, bangkok

GOOD_TEXT = MEKONG.read_text()


@pytest.fixture
async def api(database_url, settings_for, receiver_env):
    h = await start_harness(database_url, settings_for, receiver_env, bangkok(14, 20))
    async with h.runtime.db.begin() as conn:
        _, organiser = await tokens_repo.create_token(conn, "org", "organiser", h.clock.now())
    h.client.headers["authorization"] = f"Bearer {organiser}"
    try:
        yield h
    finally:
        await h.client.aclose()
        await h.runtime.stop()


async def _log_length(h) -> int:
    async with h.runtime.db.begin() as conn:
        return (await conn.execute(select(func.count()).select_from(run_log))).scalar_one()


def test_the_rule_refuses_nul_controls_and_surrogates_but_not_tab_or_line_breaks():
    assert first_forbidden("tab\there\nand\r\nlines, café, 日本") is None
    assert first_forbidden("a\x00b") == (1, "\x00")
    assert first_forbidden("esc \x1b[31m") == (4, "\x1b")
    assert first_forbidden("lone \ud800") == (5, "\ud800")
    assert list(problems({"a": ["ok", "x\x07"]})) == [
        (("a", 1), "control character U+0007 at character 2 is not allowed; remove it")
    ]
    assert neutralise({"k\x00": ["a\x01b"]}) == {"k\ufffd": ["a\ufffdb"]}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("announcements", {"message": "nul \u0000 x"}, "body.message"),
        ("announcements", {"message": "bell \u0007"}, "body.message"),
        ("announcements", {"message": "fine", "targets": ["hosts-slack", "x\u0000"]}, "body.targets.1"),
        ("timers", {"label": "a\u0000b", "seconds": 60}, "body.label"),
        ("timers", {"label": "esc \u001b[2J", "seconds": 60}, "body.label"),
        ("advance", {"to": "session-2\u0000"}, "body.to"),
        ("delay", {"minutes": 1, "mode": "shift\ud800"}, "body.mode"),
    ],
)
async def test_control_characters_in_a_body_are_a_located_422_and_nothing_is_recorded(api, path, body, field):
    before = await _log_length(api)
    answer = await api.client.post(
        f"/api/events/{EVENT}/{path}", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    refusal = answer.json()
    assert refusal["error"] == "invalid_request"
    assert refusal["reason"].startswith(f"{field}: ")
    assert refusal["details"][0]["field"] == field
    assert await _log_length(api) == before
    # The event still takes ordinary actions on this database.
    ok = await api.client.post(f"/api/events/{EVENT}/announcements", json={"message": "tab\tand\nnewline"})
    assert ok.status_code == 201, ok.text


async def test_a_query_parameter_with_nul_is_a_located_422(api):
    answer = await api.client.get(f"/api/events/{EVENT}/plan", params={"tz": "Asia/Bangkok\x00"})
    assert answer.status_code == 422 and answer.json()["details"][0]["field"] == "query.tz"


@pytest.mark.parametrize(
    ("edit", "line"),
    [
        (lambda t: t.replace("title: Mekong Dialogue on Labour Mobility", 'title: "Opening\\0remarks"', 1), None),
        (lambda t: t.replace("title: Mekong Dialogue on Labour Mobility", 'title: "Opening\\x1bremarks"', 1), None),
        (lambda t: t.replace("title: Mekong Dialogue on Labour Mobility", "title: Opening\x00remarks", 1), "raw"),
    ],
)
async def test_a_schedule_with_nul_is_refused_and_nothing_is_stored(api, edit, line):
    edited = edit(GOOD_TEXT)
    assert edited != GOOD_TEXT
    answer = await api.client.post("/api/events", content=edited.encode(), headers={"content-type": "application/yaml"})
    assert 400 <= answer.status_code < 500, answer.text
    refusal = answer.json()
    assert refusal["error"] == "invalid_schedule"
    problem = refusal["problems"][0]
    assert problem["line"] > 1 and problem["fix"]
    async with api.runtime.db.begin() as conn:
        row = await events_repo.get_event(conn, EVENT)
    assert row.title == "Mekong Dialogue on Labour Mobility" and row.schedule_text == GOOD_TEXT


async def test_after_refusals_a_restart_starts_every_event(database_url, settings_for, receiver_env, service_for):
    h = await start_harness(database_url, settings_for, receiver_env, bangkok(14, 20))
    async with h.runtime.db.begin() as conn:
        _, organiser = await tokens_repo.create_token(conn, "org", "organiser", h.clock.now())
    h.client.headers["authorization"] = f"Bearer {organiser}"
    try:
        for body in ({"message": "nul \u0000 x"}, {"message": "ok"}, {"message": "\u001b"}):
            await h.client.post(f"/api/events/{EVENT}/announcements", json=body)
        refused = await h.client.post(
            "/api/events",
            content=GOOD_TEXT.replace(
                "title: Mekong Dialogue on Labour Mobility", 'title: "Opening\\0remarks"', 1
            ).encode(),
        )
        assert refused.status_code == 422
    finally:
        await h.client.aclose()
        await h.runtime.stop()
    again = (
        await service_for(
            database_url, bangkok(14, 30), schedule=None, targets_at=None, transport=lambda r: httpx.Response(200)
        )
    ).runtime
    assert again.engine.event_ids() == [EVENT]
    assert again.quarantined == {}
    texts = [a.message for a in again.engine.loaded(EVENT).actions if a.kind == "announce"]
    assert texts == ["ok"]


ANA = Person(name="Ana\u0000Lopez\u001b", email="ana@example.org", participant_uuid="p-ana")


async def test_a_zoom_webhook_with_nul_in_a_name_is_stored_and_neutralised(api):
    answer = await api.post(api.join(ANA, "1001", bangkok(14, 21)))
    assert answer.status_code == 200, answer.text
    await api.runtime.attendance.drain()
    async with api.runtime.db.begin() as conn:
        names = (await conn.execute(select(attendance_facts.c.name))).scalars().all()
        stored = (await conn.execute(select(func.count()).select_from(inbox))).scalar_one()
    assert stored == 1 and names == ["Ana\ufffdLopez\ufffd"]


@pytest.mark.parametrize(("where", "value"), [("event", "meeting.participant_joined\u0007"), ("id", "8123\u0000")])
async def test_a_zoom_webhook_with_control_characters_in_its_keys_is_refused_before_the_inbox(api, where, value):
    payload = api.join(ANA, "1002", bangkok(14, 22))
    if where == "event":
        payload["event"] = value
    else:
        payload["payload"]["object"]["id"] = value
    answer = await api.post(payload)
    assert answer.status_code == 400 and "holds NUL, a control character" in answer.json()["reason"]
    async with api.runtime.db.begin() as conn:
        assert (await conn.execute(select(func.count()).select_from(inbox))).scalar_one() == 0


def test_serve_refuses_a_file_with_nul_in_a_title_with_exit_2_and_a_located_problem(tmp_path):
    from typer.testing import CliRunner

    from app.cli import app as cli
    from app.cli import run_cmds  # noqa: F401  (registers serve)

    path = tmp_path / "nul.yaml"
    path.write_text(GOOD_TEXT.replace("title: Mekong Dialogue on Labour Mobility", 'title: "Opening\\0remarks"', 1))
    result = CliRunner().invoke(cli, ["serve", str(path)])
    assert result.exit_code == 2, result.output
    # The loader itself refuses it (line and column of the escape), before the store's text rule would.
    assert f"{path}:8:10: event.title:" in result.stderr and "U+0000" in result.stderr
    assert "Traceback" not in result.output
