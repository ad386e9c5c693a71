"""The stage role, the presenter JSON and stream, and stage messages as host actions."""

from __future__ import annotations

import re

from tests.stage.conftest import EVENT

# The presenter view, its stream, and the single-use ticket the page opens that stream with.
STAGE_ROUTES = {
    ("GET", "/api/events/{event_id}/stage"),
    ("GET", "/api/events/{event_id}/stage/stream"),
    ("POST", "/api/events/{event_id}/stream/ticket"),
}


def _routes_with_tokens(app) -> list[tuple[str, str]]:
    """Every operation of the route table that takes a bearer token (the OpenAPI marks them)."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    ]


async def test_stage_token_gets_403_on_every_route_but_the_presenter_view(live):
    routes = _routes_with_tokens(live.app)
    others = [r for r in routes if r not in STAGE_ROUTES]
    assert STAGE_ROUTES <= set(routes) and len(others) >= 20, routes
    for method, path in others:
        url = re.sub(r"\{(\w+)\}", lambda m: EVENT if m.group(1) == "event_id" else "x1", path)
        answer = await live.client.request(method, url, headers=live.auth("stage"), json={})
        assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
        assert answer.json()["error"] == "forbidden" and "'stage'" in answer.json()["reason"]
    assert (await live.client.get(f"/api/events/{EVENT}/stage", headers=live.auth("stage"))).status_code == 200
    # Higher roles read the presenter view too; no token at all is a 401.
    for role in ("viewer", "host", "organiser"):
        assert (await live.client.get(f"/api/events/{EVENT}/stage", headers=live.auth(role))).status_code == 200
    assert (await live.client.get(f"/api/events/{EVENT}/stage")).status_code == 401


async def test_a_stage_ticket_opens_the_presenter_stream_only(live):
    """A stage token's ticket is refused by the full state stream (403) and is single-use."""
    url = f"/api/events/{EVENT}"
    ticket = (await live.client.post(f"{url}/stream/ticket", headers=live.auth("stage"))).json()["ticket"]
    refused = await live.client.get(f"{url}/stream", params={"ticket": ticket})
    assert refused.status_code == 403 and "'viewer'" in refused.json()["reason"]
    again = await live.client.get(f"{url}/stream", params={"ticket": ticket})
    assert again.status_code == 401  # redeemed (and refused) once: gone


async def test_stage_token_bound_to_another_event_is_refused(live):
    answer = await live.client.get(f"/api/events/{EVENT}/stage", headers=live.auth("stage-other-event"))
    assert answer.status_code == 403 and "another-event" in answer.json()["reason"]


async def test_presenter_json_follows_the_respondent_timer(live):
    url = f"/api/events/{EVENT}"
    view = (await live.client.get(f"{url}/stage", headers=live.auth("stage"))).json()
    assert view["current"]["title"] == "Session 1: Preparing for safe migration"
    assert view["current"]["remaining"] == 9 * 60 and view["timer"] is None
    assert view["next"]["title"] == "Open discussion (Session 1)"
    # Only what the stage needs: no people, emails, targets or links.
    assert set(view) == {
        "event",
        "now",
        "status",
        "held",
        "current",
        "next",
        "timer",
        "thresholds",
        "message",
        "person",
    }
    started = await live.client.post(
        f"{url}/timers", headers=live.auth("host"), json={"segment": "session-1", "slot": 1}
    )
    assert started.status_code == 201
    live.clock.advance(seconds=125)
    view = (await live.client.get(f"{url}/stage", headers=live.auth("stage"))).json()
    assert view["timer"]["label"] == "Respondent 1 (Respondent Person 1 (Lao PDR))"
    assert (view["timer"]["remaining"], view["timer"]["level"]) == (55, "warning")
    live.clock.advance(seconds=30)
    view = (await live.client.get(f"{url}/stage", headers=live.auth("stage"))).json()
    assert (view["timer"]["remaining"], view["timer"]["level"]) == (25, "danger")


async def test_personal_link_shows_own_next_slot(live):
    url = f"/api/events/{EVENT}/stage"
    mine = (
        await live.client.get(url, headers=live.auth("stage-respondent-1"), params={"person": "respondent-2"})
    ).json()
    # A personal link always shows its own person, whatever the address asks.
    assert mine["person"]["id"] == "respondent-1"
    slot = mine["person"]["next_slot"]
    # Session 1 ends 14:45 Bangkok; two 3-minute turns: respondent 1 speaks 14:39-14:42.
    assert (slot["start"], slot["end"], slot["role"], slot["number"]) == (
        "2022-05-30T07:39:00Z",
        "2022-05-30T07:42:00Z",
        "respondent",
        1,
    )
    assert slot["starts_in"] == 180
    other = (await live.client.get(url, headers=live.auth("stage"), params={"person": "respondent-4"})).json()
    assert other["person"]["next_slot"]["segment"] == "session-2"
    unknown = await live.client.get(url, headers=live.auth("stage"), params={"person": "nobody"})
    assert unknown.status_code == 404


async def test_stage_message_is_a_host_action_never_posted(live):
    url = f"/api/events/{EVENT}"
    cues_before = (await live.client.get(f"{url}/cues", headers=live.auth("viewer"))).json()
    denied = await live.client.post(f"{url}/stage", headers=live.auth("viewer"), json={"message": "x"})
    assert denied.status_code == 403
    empty = await live.client.post(f"{url}/stage", headers=live.auth("host"), json={"message": ""})
    assert empty.status_code == 422
    sent = await live.client.post(
        f"{url}/stage", headers=live.auth("host"), json={"message": "  Please   wrap up ", "flash": True}
    )
    assert sent.status_code == 201 and sent.json()["kind"] == "stage_message"
    view = (await live.client.get(f"{url}/stage", headers=live.auth("stage"))).json()
    assert view["message"]["text"] == "Please wrap up" and view["message"]["flash"] is True
    assert view["message"]["blackout"] is False and view["message"]["seq"] == sent.json()["seq"]
    cleared = await live.client.post(f"{url}/stage/clear", headers=live.auth("host"))
    assert cleared.status_code == 200
    view = (await live.client.get(f"{url}/stage", headers=live.auth("stage"))).json()
    assert view["message"] is None
    again = await live.client.post(f"{url}/stage/clear", headers=live.auth("host"))
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    log = (await live.client.get(f"{url}/log", headers=live.auth("viewer"))).json()
    assert [(e["kind"], e["actor"]) for e in log] == [("stage_message", "host token"), ("stage_clear", "host token")]
    assert log[0]["data"]["text"] == "Please wrap up"
    # Nothing went to a chat target: the cue log is exactly what it was.
    assert (await live.client.get(f"{url}/cues", headers=live.auth("viewer"))).json() == cues_before


async def test_stage_message_survives_a_restart(live, settings_for):
    from tests.fixtures.service import Runtime

    url = f"/api/events/{EVENT}"
    await live.client.post(f"{url}/stage", headers=live.auth("host"), json={"message": "Blackout", "blackout": True})
    again = Runtime(live.runtime.settings, clock=live.clock)
    await again.start(run_timer=False, run_worker=False)
    try:
        from app.views.stage import stage_json

        loaded = again.engine.loaded(EVENT)
        view = stage_json(loaded.schedule, again.engine.timeline(EVENT), loaded.actions, live.clock.now())
        assert view["message"]["text"] == "Blackout" and view["message"]["blackout"] is True
    finally:
        await again.stop()


async def test_undo_takes_a_stage_message_back(live):
    url = f"/api/events/{EVENT}"
    sent = await live.client.post(f"{url}/stage", headers=live.auth("host"), json={"message": "30 seconds"})
    state = sent.json()["state"]
    assert state["undo"]["seq"] == sent.json()["seq"] and state["undo"]["summary"] == "Stage message: 30 seconds"
    undone = await live.client.post(f"{url}/undo", headers=live.auth("host"), json={"seq": sent.json()["seq"]})
    assert undone.status_code == 200 and undone.json()["undone"] == {
        "seq": sent.json()["seq"],
        "kind": "stage_message",
        "summary": "Stage message: 30 seconds",
        "actor": "host token",
    }
    view = (await live.client.get(f"{url}/stage", headers=live.auth("stage"))).json()
    assert view["message"] is None
    refused = await live.client.post(f"{url}/stage/clear", headers=live.auth("host"))
    assert refused.status_code == 409 and "state" in refused.json()


async def test_each_of_the_six_respondent_slots_drives_the_presenter_view(live):
    """The Mekong rehearsal's six 3-minute country slots: each one's timer is what its presenter link shows."""
    from datetime import timedelta

    from app.store import tokens_repo
    from schedules.stage import segment_slots

    url = f"/api/events/{EVENT}"
    runtime = live.runtime
    schedule = runtime.schedule(EVENT)
    rows = runtime.engine.timeline(EVENT).segments
    slots = [s for row in rows for s in segment_slots(schedule, row) if s.number is not None]
    assert [(s.segment, s.number) for s in slots] == [(f"session-{n}", k) for n in (1, 2, 3) for k in (1, 2)]
    links = {}
    async with runtime.db.begin() as conn:
        for slot in slots:
            _, links[slot.person] = await tokens_repo.create_token(
                conn, slot.person, "stage", live.clock.now(), event_id=EVENT, person=slot.person
            )
    for slot in slots:
        live.clock.set(slot.start)
        mine = {"Authorization": f"Bearer {links[slot.person]}"}
        before = (await live.client.get(f"{url}/stage", headers=mine)).json()
        assert before["person"]["next_slot"]["starts_in"] == 0 and before["current"]["id"] == slot.segment
        started = await live.client.post(
            f"{url}/timers", headers=live.auth("host"), json={"segment": slot.segment, "slot": slot.number}
        )
        assert started.status_code == 201, started.text
        live.clock.set(slot.start + timedelta(seconds=150))  # 30 s left: danger
        view = (await live.client.get(f"{url}/stage", headers=mine)).json()
        assert (
            view["timer"]["label"] == f"Respondent {slot.number} ({schedule.person(slot.person).name} ({slot.country}))"
        )
        assert (view["timer"]["remaining"], view["timer"]["level"]) == (30, "danger")
        stopped = await live.client.post(f"{url}/timers/{started.json()['timer_id']}/stop", headers=live.auth("host"))
        assert stopped.status_code == 200
