"""showcaller apply against the sandbox emulator: create, no-op, edit, batches, recreate, REST roles."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import yaml

from app.main import create_app
from app.store import tokens_repo
from app.zoom.mapping import spec_from_schedule
from app.zoom.service import ZoomSetup
from integrations.zoom_emulator import create_emulator
from integrations.zoom_emulator.persist import restore
from schedules.load import load_text
from tests.conftest import MEKONG, ROOT
from tests.fixtures import asgi_client

WEBINAR = ROOT / "schedules" / "events" / "examples" / "webinar-with-interpreters.yaml"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _emulator_state(tmp_path):
    emulator = create_emulator()
    restore(emulator.state, json.loads((tmp_path / "zoom.json").read_text()))
    return emulator.state


async def _apply(runtime, schedule, **kw):
    applied = await ZoomSetup(runtime.db, runtime.settings, lambda: NOW).apply(schedule, **kw)
    return applied.plan, applied.result


async def _runtime(service_for, tmp_path, database_url, text):
    service = await service_for(
        database_url,
        NOW,
        settings={"sandbox_state_path": str(tmp_path / "zoom.json")},
        targets_at=None,
        schedule=None,
    )
    runtime = service.runtime
    schedule = await runtime.engine.load_schedule(text, "test.yaml")
    return runtime, schedule


async def test_mekong_created_with_alternative_hosts_then_no_writes(tmp_path, database_url, service_for):
    runtime, schedule = await _runtime(service_for, tmp_path, database_url, MEKONG.read_text())
    plan, result = await _apply(runtime, schedule)
    assert result.created and [c.action for c in plan.items] == ["create"]
    meeting = next(iter(_emulator_state(tmp_path).meetings.values())).fields
    settings = meeting["settings"]
    assert set(settings["alternative_hosts"].split(";")) == {
        "pinsuda.alexander@example.org",
        "geertrui.lanneau@example.org",
    }
    # zoom.recording starts the recording at the opening: Zoom must not record the set-up (issue 29).
    assert settings["waiting_room"] is True and settings["auto_recording"] == "none"
    assert meeting["topic"] == "Mekong Dialogue on Labour Mobility" and meeting["duration"] == 240
    plan, again = await _apply(runtime, schedule)
    assert plan.is_empty and again.write_calls == 0 and again.id == result.id


async def test_edit_is_planned_then_patched(tmp_path, database_url, service_for):
    runtime, schedule = await _runtime(service_for, tmp_path, database_url, MEKONG.read_text())
    _, first = await _apply(runtime, schedule)
    edited = MEKONG.read_text().replace("mute_upon_entry: true", "mute_upon_entry: false")
    schedule = await runtime.engine.load_schedule(edited, "test.yaml")
    plan, result = await _apply(runtime, schedule)
    assert [(c.action, c.field, c.old, c.new) for c in plan.items] == [
        ("update", "settings.mute_upon_entry", True, False)
    ]
    assert result.id == first.id and result.write_calls == 1


async def test_webinar_panelists_added_in_batches_of_30(tmp_path, database_url, service_for):
    data = yaml.safe_load(WEBINAR.read_text())
    extra = [
        {"id": f"guest-{i}", "name": f"Guest Speaker {i}", "email": f"guest{i}@example.org", "roles": ["panelist"]}
        for i in range(40)
    ]
    data["people"] += extra
    data["zoom"]["panelists"] = [p["id"] for p in extra]
    runtime, schedule = await _runtime(service_for, tmp_path, database_url, yaml.safe_dump(data, sort_keys=False))
    # The panelists: everyone with roles: [panelist] (the file's four and the 40 guests), plus
    # zoom.panelists (the same 40 again), once each.
    assert len(spec_from_schedule(schedule).panelists) == 44
    plan, result = await _apply(runtime, schedule)
    state = _emulator_state(tmp_path)
    webinar = next(iter(state.meetings.values()))
    assert webinar.kind == "webinar" and len(webinar.panelists) == 44
    assert result.write_calls == 3  # one create + two panelist batches (30 + 14)
    plan, again = await _apply(runtime, schedule)
    assert plan.is_empty and again.write_calls == 0


async def test_meeting_deleted_in_zoom_is_recreated(tmp_path, database_url, service_for):
    runtime, schedule = await _runtime(service_for, tmp_path, database_url, MEKONG.read_text())
    _, first = await _apply(runtime, schedule)
    state_file = tmp_path / "zoom.json"
    data = json.loads(state_file.read_text())
    data["meetings"] = []
    state_file.write_text(json.dumps(data))
    plan, result = await _apply(runtime, schedule)
    assert result.id != first.id and (result.created or result.recreated)
    assert any("recreat" in note.lower() or "deleted" in note.lower() for note in result.notes)


async def test_rest_apply_needs_organiser_and_shows_links(tmp_path, database_url, service_for):
    runtime, _ = await _runtime(service_for, tmp_path, database_url, MEKONG.read_text())
    async with runtime.db.begin() as conn:
        _, organiser = await tokens_repo.create_token(conn, "org", "organiser", NOW)
        _, host = await tokens_repo.create_token(conn, "host", "host", NOW)
    app = create_app(runtime.settings, services=runtime)
    async with asgi_client(app) as client:
        url = "/api/events/mekong-dialogue-2022"
        denied = await client.post(f"{url}/apply", headers={"Authorization": f"Bearer {host}"})
        assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
        missing = await client.get(f"{url}/zoom", headers={"Authorization": f"Bearer {host}"})
        assert missing.status_code == 404 and "apply" in missing.json()["reason"]
        done = await client.post(f"{url}/apply", headers={"Authorization": f"Bearer {organiser}"})
        assert done.status_code == 200 and done.json()["result"]["created"] is True
        links = await client.get(f"{url}/zoom", headers={"Authorization": f"Bearer {host}"})
        assert links.json()["join_url"].startswith("https://zoom.us/j/") and links.json()["sandbox"] is True
        assert links.json()["start_url"].startswith("https://zoom.us/s/")
        async with runtime.db.begin() as conn:
            _, viewer = await tokens_repo.create_token(conn, "viewer", "viewer", NOW)
        seen = await client.get(f"{url}/zoom", headers={"Authorization": f"Bearer {viewer}"})
        assert seen.json()["start_url"] is None and seen.json()["join_url"]


def test_spec_uses_event_window_and_zone():
    schedule = load_text(MEKONG.read_text(), "mekong.yaml")
    spec = spec_from_schedule(schedule)
    assert spec.start_time == datetime(2022, 5, 30, 6, 30, tzinfo=UTC)
    assert spec.timezone == "Asia/Bangkok" and spec.duration_minutes == 240 and spec.registration is True


async def test_kind_change_needs_replace_then_deletes_the_meeting(tmp_path, database_url, service_for):
    import pytest

    from integrations.zoom import ReplaceRequired

    runtime, schedule = await _runtime(service_for, tmp_path, database_url, MEKONG.read_text())
    _, first = await _apply(runtime, schedule)
    data = yaml.safe_load(MEKONG.read_text())
    data["zoom"]["kind"] = "webinar"
    for key in ("waiting_room", "mute_upon_entry"):
        data["zoom"].pop(key, None)
    schedule = await runtime.engine.load_schedule(yaml.safe_dump(data, sort_keys=False), "test.yaml")
    with pytest.raises(ReplaceRequired, match="--replace"):
        await _apply(runtime, schedule)
    assert [m.kind for m in _emulator_state(tmp_path).meetings.values()] == ["meeting"]
    dry = await ZoomSetup(runtime.db, runtime.settings, lambda: NOW).plan(schedule)
    assert dry.plan.render().splitlines()[:2] == [
        f"- delete meeting {first.id}: zoom.kind changed from meeting to webinar",
        dry.plan.render().splitlines()[1],
    ]
    assert dry.plan.render().splitlines()[1].startswith("+ create webinar")
    plan, result = await _apply(runtime, schedule, replace=True)
    kinds = {m.id: m.kind for m in _emulator_state(tmp_path).meetings.values()}
    assert kinds == {result.id: "webinar"} and result.recreated
    from app.zoom.journal import stored

    row = await stored(runtime.db, schedule.event.id)
    assert row.kind == "webinar" and row.zoom_id == result.id


async def test_start_link_is_read_again_after_90_minutes_and_never_shown_to_viewers(
    tmp_path, database_url, service_for
):
    from datetime import timedelta

    runtime, schedule = await _runtime(service_for, tmp_path, database_url, MEKONG.read_text())
    clock = runtime.clock
    service = ZoomSetup(runtime.db, runtime.settings, clock.now)
    applied = (await service.apply(schedule)).result
    clock.advance(minutes=89)
    kept = await service.host_links(schedule.event.id)
    assert kept.start_url == applied.start_url and kept.start_url_at == NOW
    clock.advance(minutes=2)
    fresh = await service.host_links(schedule.event.id)
    assert fresh.start_url != applied.start_url and fresh.start_url.startswith(f"https://zoom.us/s/{applied.id}")
    assert fresh.start_url_at == NOW + timedelta(minutes=91) and fresh.join_url == applied.join_url
    async with runtime.db.begin() as conn:
        _, host = await tokens_repo.create_token(conn, "host", "host", NOW)
        _, viewer = await tokens_repo.create_token(conn, "viewer", "viewer", NOW)
    app = create_app(runtime.settings, services=runtime)
    clock.advance(minutes=100)
    async with asgi_client(app) as client:
        url = f"/api/events/{schedule.event.id}/zoom"
        seen = (await client.get(url, headers={"Authorization": f"Bearer {viewer}"})).json()
        assert seen["start_url"] is None and seen["start_url_at"] is None
        hosted = (await client.get(url, headers={"Authorization": f"Bearer {host}"})).json()
        assert hosted["start_url"] not in (None, fresh.start_url)
        assert hosted["start_url_at"].startswith((NOW + timedelta(minutes=191)).strftime("%Y-%m-%dT%H:%M"))


async def test_dry_run_of_a_first_create_lists_everything_it_would_send(tmp_path, database_url, service_for):
    from tests.conftest import ROOT as _root

    breakout = _root / "schedules" / "events" / "examples" / "meeting-with-breakout-rooms.yaml"
    runtime, webinar = await _runtime(service_for, tmp_path, database_url, WEBINAR.read_text())
    service = ZoomSetup(runtime.db, runtime.settings, lambda: NOW)
    text = (await service.plan(webinar)).plan.render()
    for person in webinar.people:
        if person.email and person.id in (webinar.zoom.panelists or []):
            assert f"panelist: {person.name} <{person.email}>" in text
    assert "interpreter: sophea.chan@example.org (Khmer,English)" in text
    assert "settings.auto_recording: 'cloud'" in text and "settings.approval_type: 0" in text
    assert "settings.alternative_hosts: 'somchai.phan@example.org'" in text and "duration: 105" in text
    meeting = await runtime.engine.load_schedule(breakout.read_text(), "breakout.yaml")
    text = (await service.plan(meeting)).plan.render()
    rooms = [line.strip() for line in text.splitlines() if line.strip().startswith("breakout room")]
    assert len(rooms) == len(meeting.zoom.breakout_rooms) and "dara.keo@example.org" in rooms[0]
    assert "settings.waiting_room: True" in text
    assert not _emulator_state(tmp_path).meetings  # a dry run writes nothing


async def test_polls_and_the_survey_are_created_then_converged_like_the_form(tmp_path, database_url, service_for):
    """Issue 29: zoom.polls are created by apply, found again by title (no second poll), replaced
    when their questions change; zoom.survey is set once; a second apply writes nothing."""
    from tests.schedules.test_zoom_actions import with_zoom

    text = with_zoom()
    runtime, schedule = await _runtime(service_for, tmp_path, database_url, text)
    _, result = await _apply(runtime, schedule)
    assert "+ poll 'Priorities' (2 questions)" in result.notes and "~ survey link" in result.notes
    meeting = next(iter(_emulator_state(tmp_path).meetings.values()))
    [poll] = meeting.polls
    assert poll["title"] == "Priorities" and [q["type"] for q in poll["questions"]] == ["single", "multiple"]
    assert meeting.survey["third_party_survey"] == "https://forms.example.org/mekong"
    _, again = await _apply(runtime, schedule)
    assert again.write_calls == 0 and not [n for n in again.notes if "poll" in n or "survey" in n]
    changed = await runtime.engine.load_schedule(
        text.replace("answers: [Speakers, Respondents, Open discussion]", "answers: [Speakers, Respondents]"),
        "test.yaml",
    )
    _, third = await _apply(runtime, changed)
    assert "~ poll 'Priorities' (questions or anonymity changed)" in third.notes and third.write_calls == 1
    [poll] = next(iter(_emulator_state(tmp_path).meetings.values())).polls
    assert poll["questions"][1]["answers"] == ["Speakers", "Respondents"]
