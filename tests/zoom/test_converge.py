"""Desired-state convergence against the emulator: plans, idempotence, drift and recreation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from integrations.zoom import (
    BreakoutRoom,
    MeetingSpec,
    PanelistSpec,
    ReplaceRequired,
    ZoomObjectState,
    converge,
    fetch_state,
    plan_changes,
    to_create_body,
    to_patch_body,
)
from tests.zoom.test_contract import full_meeting_spec, webinar_spec

START = datetime(2030, 1, 1, 10, tzinfo=UTC)


def simple(**kw) -> MeetingSpec:
    base = {"host_user": "host@example.org", "topic": "Demo", "start_time": START, "duration_minutes": 60}
    return MeetingSpec(**{**base, **kw})


def test_create_body_shape_for_meeting() -> None:
    body = to_create_body(full_meeting_spec())
    assert body["type"] == 2 and body["start_time"] == "2030-01-01T10:00:00Z"
    assert body["timezone"] == "Asia/Bangkok" and body["duration"] == 120 and body["password"] == "pa55-word"
    s = body["settings"]
    assert s["approval_type"] == 0 and s["registration_type"] == 1
    assert s["waiting_room"] is True and s["join_before_host"] is False
    assert s["alternative_hosts"] == "alt@example.org"
    assert s["language_interpretation"] == {
        "enable": True,
        "interpreters": [{"email": "interp@example.org", "interpreter_languages": "English,French"}],
    }
    assert s["breakout_room"]["rooms"] == [{"name": "Room A", "participants": ["a@example.org", "b@example.org"]}]
    assert s["meeting_invitees"] == [{"email": "guest@example.org"}]


def test_create_body_shape_for_webinar() -> None:
    spec = webinar_spec(2).model_copy(update={"alternative_hosts": ("a@x.org", "b@x.org")})
    body = to_create_body(spec)
    assert body["type"] == 5
    assert body["settings"]["alternative_hosts"] == "a@x.org,b@x.org"  # comma for webinars
    assert "breakout_room" not in body["settings"] and "panelists" not in body


def test_no_registration_means_approval_type_2() -> None:
    s = to_create_body(simple())["settings"]
    assert s["approval_type"] == 2 and "registration_type" not in s
    assert "waiting_room" not in s  # unmanaged: left to the account default


def test_patch_body_limited_to_changed_fields() -> None:
    body = to_patch_body(full_meeting_spec(), {"topic", "settings.waiting_room"})
    assert body == {"topic": full_meeting_spec().topic, "settings": {"waiting_room": True}}


@pytest.mark.parametrize(
    "kw",
    [
        {"topic": "x" * 201},
        {"agenda": "x" * 2001},
        {"duration_minutes": 0},
        {"duration_minutes": 1441},
        {"timezone": "Mars/Olympus"},
        {"start_time": datetime(2030, 1, 1, 10)},  # naive
        {"password": "12345678901"},
        {"kind": "webinar", "waiting_room": True},
        {"kind": "webinar", "breakout_rooms": (BreakoutRoom(name="A"),)},
        {"panelists": (PanelistSpec(name="P", email="p@x.org"),)},
        {"breakout_rooms": tuple(BreakoutRoom(name=f"R{i}") for i in range(101))},
        {"breakout_rooms": (BreakoutRoom(name="R", participants=tuple(f"p{i}@x.org" for i in range(1001))),)},
    ],
)
def test_spec_rejects_what_zoom_would_reject(kw) -> None:
    with pytest.raises(ValidationError):
        simple(**kw)


def test_start_time_is_normalised_to_utc_seconds() -> None:
    from zoneinfo import ZoneInfo

    spec = simple(start_time=datetime(2030, 1, 1, 17, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Bangkok")))
    assert spec.start_time == START


def test_plan_for_missing_object_is_create() -> None:
    plan = plan_changes(simple(), None)
    assert [c.action for c in plan.items] == ["create"] and plan.creates
    assert "create meeting" in plan.render()


async def test_second_run_makes_zero_write_calls(client, emulator) -> None:
    for spec in (full_meeting_spec(), webinar_spec(65)):
        plan, first = await converge(client, spec, None)
        assert plan.creates and first.created and first.id is not None
        writes = emulator.state.write_calls
        plan2, second = await converge(client, spec, first.id)
        assert plan2.is_empty, plan2.render()
        assert second.write_calls == 0 and emulator.state.write_calls == writes
        assert (second.id, second.join_url) == (first.id, first.join_url)
        # Each read hands out a new start token (the old one expires on its own), as Zoom does.
        assert second.start_url.startswith(f"https://zoom.us/s/{first.id}?zak=")
        assert plan2.render() == f"= {spec.kind} is up to date"


async def test_meeting_result_links(client) -> None:
    _, res = await converge(client, full_meeting_spec(), None)
    assert len(str(res.id)) == 11
    assert res.join_url.startswith(f"https://zoom.us/j/{res.id}?pwd=")
    assert res.start_url.startswith(f"https://zoom.us/s/{res.id}?zak=")
    assert res.registration_url.startswith("https://zoom.us/meeting/register/")
    _, plain = await converge(client, simple(), None)
    assert plain.registration_url is None


async def test_one_field_changed_is_one_patch(client, emulator) -> None:
    _, res = await converge(client, full_meeting_spec(), None)
    changed = full_meeting_spec().model_copy(update={"topic": "New title", "waiting_room": False})
    writes = emulator.state.write_calls
    plan, out = await converge(client, changed, res.id)
    assert sorted(c.field for c in plan.items) == ["settings.waiting_room", "topic"]
    assert "~ topic: 'Mekong Dialogue — plenary' -> 'New title'" in plan.render()
    assert out.write_calls == 1 and emulator.state.write_calls == writes + 1
    assert emulator.state.calls_to("PATCH")[-1].status == 204
    stored = emulator.state.meetings[res.id]
    assert stored.fields["topic"] == "New title" and stored.fields["settings"]["waiting_room"] is False
    again, _ = await converge(client, changed, res.id)
    assert again.is_empty


async def test_drift_made_in_zoom_is_detected_and_fixed(client, emulator) -> None:
    _, res = await converge(client, full_meeting_spec(), None)
    emulator.state.meetings[res.id].fields["settings"]["mute_upon_entry"] = False
    emulator.state.meetings[res.id].fields["settings"]["breakout_room"]["rooms"][0]["participants"].pop()
    plan, _ = await converge(client, full_meeting_spec(), res.id)
    assert {c.field for c in plan.items} == {"settings.mute_upon_entry", "settings.breakout_room"}
    assert (await converge(client, full_meeting_spec(), res.id))[0].is_empty


async def test_unmanaged_settings_are_not_drift(client, emulator) -> None:
    _, res = await converge(client, simple(), None)
    emulator.state.meetings[res.id].fields["settings"]["waiting_room"] = True
    plan, _ = await converge(client, simple(), res.id)
    assert plan.is_empty


async def test_deleted_in_zoom_is_recreated_and_reported(client, emulator) -> None:
    _, res = await converge(client, simple(), None)
    del emulator.state.meetings[res.id]
    plan, out = await converge(client, simple(), res.id)
    assert plan.creates and out.recreated and out.created
    assert out.id != res.id and out.id in emulator.state.meetings
    assert any("no longer exists" in n for n in out.notes)


async def test_host_change_replaces_the_meeting_only_with_replace(client, emulator) -> None:
    _, res = await converge(client, simple(), None)
    moved = simple(host_user="other-host@example.org")
    with pytest.raises(ReplaceRequired, match="--replace"):
        await converge(client, moved, res.id)
    assert res.id in emulator.state.meetings and len(emulator.state.meetings) == 1
    plan, out = await converge(client, moved, res.id, replace=True)
    assert [c.action for c in plan.items] == ["delete", "create"] and "host changed" in plan.render()
    assert out.recreated and res.id not in emulator.state.meetings
    assert emulator.state.meetings[out.id].host.email == "other-host@example.org"
    assert out.write_calls == 2


async def test_panelists_batched_added_removed_and_renamed(client, emulator) -> None:
    plan, res = await converge(client, webinar_spec(65), None)
    assert len(emulator.state.calls_to("POST", f"/v2/webinars/{res.id}/panelists")) == 3
    assert res.write_calls == 4
    panelists = list(webinar_spec(65).panelists)
    panelists[0] = PanelistSpec(name="Renamed", email=panelists[0].email)
    del panelists[5]
    panelists.append(PanelistSpec(name="New", email="new@example.org"))
    spec = webinar_spec(65).model_copy(update={"panelists": tuple(panelists)})
    plan, out = await converge(client, spec, res.id)
    actions = sorted((c.action, c.old or c.new) for c in plan.items)
    assert actions == [
        ("add_panelist", "New <new@example.org>"),
        ("add_panelist", "Renamed <pan0@example.org>"),
        ("remove_panelist", "Pan 0 <pan0@example.org>"),
        ("remove_panelist", "Pan 5 <pan5@example.org>"),
    ]
    assert out.write_calls == 3  # two removals + one batched add
    stored = {p["email"]: p["name"] for p in emulator.state.meetings[res.id].panelists}
    assert stored == {p.email: p.name for p in panelists}
    assert (await converge(client, spec, res.id))[0].is_empty


async def test_fetch_state_returns_none_for_unknown_ids(client) -> None:
    assert await fetch_state(client, "meeting", 12345678901) is None
    assert await fetch_state(client, "webinar", 12345678901) is None


def test_plan_is_pure_over_a_given_state() -> None:
    from integrations.zoom.models import ZoomMeeting

    current = ZoomMeeting.model_validate(
        {
            "id": 81234567890,
            "host_email": "HOST@example.org",
            "topic": "Demo",
            "start_time": "2030-01-01T10:00:00Z",
            "duration": 60,
            "timezone": "UTC",
            "settings": {"approval_type": 2, "alternative_hosts": "", "meeting_invitees": []},
        }
    )
    state = ZoomObjectState("meeting", current)
    assert plan_changes(simple(), state).is_empty
    plan = plan_changes(simple(duration_minutes=90, alternative_hosts=("a@x.org",)), state)
    assert sorted((c.field, c.old, c.new) for c in plan.items) == [
        ("duration", 60, 90),
        ("settings.alternative_hosts", frozenset(), frozenset({"a@x.org"})),
    ]
    assert "~ alternative hosts: + a@x.org" in plan.render().splitlines()


def test_set_changes_read_as_prose_with_the_names_as_written() -> None:
    from integrations.zoom import Interpreter
    from integrations.zoom.models import ZoomMeeting

    current = ZoomMeeting.model_validate(
        {
            "id": 81234567890,
            "host_email": "host@example.org",
            "topic": "Demo",
            "start_time": "2030-01-01T10:00:00Z",
            "duration": 60,
            "timezone": "UTC",
            "settings": {
                "approval_type": 2,
                "alternative_hosts": "",
                "meeting_invitees": [],
                "language_interpretation": {
                    "enable": True,
                    "interpreters": [{"email": "bo@x.org", "interpreter_languages": "French, English"}],
                },
            },
        }
    )
    state = ZoomObjectState("meeting", current)
    khmer = Interpreter(email="Ana@x.org", languages=("Khmer", "English"))
    french = Interpreter(email="bo@x.org", languages=("french", "english"))  # same pair, other case: no change
    assert plan_changes(simple(interpreters=(french,)), state).is_empty
    text = plan_changes(simple(interpreters=(khmer,)), state).render()
    assert text == "~ interpretation: + Khmer-English (Ana@x.org); - French-English (bo@x.org)"
    assert "frozenset" not in text


async def test_kind_change_deletes_the_old_object_and_needs_replace(client, emulator) -> None:
    _, meeting = await converge(client, simple(), None)
    webinar = simple(kind="webinar")
    with pytest.raises(ReplaceRequired, match="zoom.kind changed from meeting to webinar"):
        await converge(client, webinar, meeting.id, existing_kind="meeting")
    assert list(emulator.state.meetings) == [meeting.id]
    plan, out = await converge(client, webinar, meeting.id, existing_kind="meeting", replace=True)
    lines = plan.render().splitlines()
    assert lines[0].startswith(f"- delete meeting {meeting.id}") and lines[1].startswith("+ create webinar")
    assert [m.kind for m in emulator.state.meetings.values()] == ["webinar"] and out.id in emulator.state.meetings


async def test_404_on_a_panelist_is_not_the_webinars_deletion(client, emulator) -> None:
    from integrations.zoom_emulator import Fault

    _, res = await converge(client, webinar_spec(3), None)
    fewer = webinar_spec(3).model_copy(update={"panelists": webinar_spec(3).panelists[1:]})
    emulator.add_fault(Fault(404, method="DELETE", path=r"/panelists/", body={"code": 3001, "message": "gone"}))
    plan, out = await converge(client, fewer, res.id)
    assert [c.action for c in plan.items] == ["remove_panelist"]
    assert not out.recreated and not out.created and list(emulator.state.meetings) == [res.id]
    assert any("already removed" in n for n in out.notes)


async def test_404_on_patch_with_the_parent_present_is_raised_not_recreated(client, emulator) -> None:
    from integrations.zoom import ZoomNotFound
    from integrations.zoom_emulator import Fault

    _, res = await converge(client, simple(), None)
    emulator.add_fault(Fault(404, method="PATCH", path=r"/meetings/", body={"code": 3001, "message": "odd"}))
    with pytest.raises(ZoomNotFound):
        await converge(client, simple(topic="Changed"), res.id)
    assert list(emulator.state.meetings) == [res.id]


async def test_find_created_adopts_the_object_whose_answer_was_lost(client, emulator, clock) -> None:
    from integrations.zoom import find_created

    since = clock()
    _, res = await converge(client, simple(topic="Lost answer"), None)
    await converge(client, simple(topic="Another"), None)
    args = ("meeting", "host@example.org", "Lost answer")
    found = await find_created(client, *args, since)
    assert found is not None and found.id == res.id
    assert await find_created(client, *args, since, exclude={res.id}) is None
    assert await find_created(client, "webinar", "host@example.org", "Lost answer", since) is None
    clock.advance(hours=1)
    assert await find_created(client, *args, clock()) is None
