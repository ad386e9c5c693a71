"""Timers and stage messages follow the show over REST: a respondent's timer stops when the show
jumps away from its segment (unless kept), and its later cues are withdrawn, not posted."""

from __future__ import annotations

from app.core.vocabulary import CueStatus
from tests.conftest import bangkok


async def test_a_respondent_timer_stops_when_the_show_jumps_to_the_discussion(host):
    host.clock.set(bangkok(14, 40))
    started = await host.post("/timers", {"segment": "session-1", "slot": 1, "seconds": 226})
    assert started.status_code == 201
    [timer] = started.json()["state"]["timers"]
    assert timer["status"] == "running" and timer["remaining"] == 226
    kept = await host.post("/timers", {"label": "Q&A", "seconds": 600, "keep": True})
    assert kept.status_code == 201

    host.clock.set(bangkok(14, 41))
    jumped = await host.post("/advance", {"to": "discussion-1", "from": "session-1"})
    assert jumped.status_code == 200
    # The respondent's 3:46 stops with Session 1; the kept timer counts on into the discussion.
    assert [t["id"] for t in jumped.json()["state"]["timers"]] == [kept.json()["timer_id"]]
    host.clock.set(bangkok(14, 44))
    state = await host.state()
    assert [t["label"] for t in state["timers"]] == ["Q&A"]
    cues = await host.cues()
    rid = started.json()["timer_id"]
    for kind in ("timer_warning", "timer_danger", "timer_up"):
        assert cues[f"{kind}/{rid}"].status == CueStatus.SUPERSEDED, kind  # withdrawn, never posted
    fired = await host.at(bangkok(14, 45))
    assert not [f for f in fired if f.cue.cue_id.endswith(f"/{rid}")]
    # Stopped, it cannot be stopped again; the kept one can.
    assert (await host.post(f"/timers/{rid}/stop")).status_code == 409
    assert (await host.post(f"/timers/{kept.json()['timer_id']}/stop")).status_code == 200


async def test_a_stage_message_goes_with_its_segment_and_never_shows_on_the_end_screen(host):
    base = "/api/events/mekong-dialogue-2022/stage"
    host.clock.set(bangkok(14, 40))
    sent = await host.api.post(base, json={"message": "Please wrap up", "flash": True})
    assert sent.status_code == 201
    view = (await host.api.get(base)).json()
    assert view["message"]["text"] == "Please wrap up" and view["message"]["until_cleared"] is False
    assert view["message"]["until"] == "2022-05-30T07:45:00Z" and view["message"]["goes_in"] == 300
    panel = (await host.api.get(f"{base}/panel")).json()
    assert panel["message"]["until"] == "2022-05-30T07:45:00Z"
    await host.at(bangkok(14, 45))  # Open discussion (Session 1) starts
    assert (await host.api.get(base)).json()["message"] is None
    assert (await host.api.get(f"{base}/panel")).json()["message"] is None

    kept = await host.api.post(base, json={"message": "Mics on mute", "until_cleared": True, "expires_after": 3600})
    assert kept.status_code == 201
    view = (await host.api.get(base)).json()
    assert view["message"]["until"] == "2022-05-30T08:45:00Z"  # its hour, not the segment's end
    await host.at(bangkok(15, 20))
    assert (await host.api.get(base)).json()["message"]["text"] == "Mics on mute"
    assert (await host.post("/end")).status_code == 200
    end = (await host.api.get(base)).json()
    assert end["status"] == "ended" and end["message"] is None  # the END screen
    too_long = await host.api.post(base, json={"message": "x", "expires_after": 0})
    assert too_long.status_code == 422
