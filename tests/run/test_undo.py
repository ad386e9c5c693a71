"""Undo over REST: the run log records it, the timeline replays without the action, and every
target that received a message caused by it gets exactly one correction."""

from __future__ import annotations

from collections import Counter

from tests.conftest import bangkok

TARGETS = {"slack", "teams", "zoom_chat", "discord", "webhook"}
STILL = "Correction: Session 1: Preparing for safe migration is still running"


async def test_a_mis_clicked_next_is_undone_with_one_correction_per_target(host):
    host.clock.set(bangkok(14, 40))
    advance = (await host.post("/advance", {"from": "session-1"})).json()
    await host.at(bangkok(14, 40))
    assert Counter(r.url.path.split("/")[1] for r in host.recorder.requests) == Counter(TARGETS)
    first_id = next(m["data"]["delivery_id"] for m in host.received())
    host.recorder.requests.clear()

    host.clock.set(bangkok(14, 40, 30))
    undone = await host.post("/undo", {"seq": advance["seq"]})
    assert undone.status_code == 200, undone.text
    body = undone.json()
    assert body["kind"] == "undo" and body["undone"] == {
        "seq": advance["seq"],
        "kind": "advance",
        "summary": "Next segment: Open discussion (Session 1)",
        "actor": "Hana",
    }
    assert body["seq"] == advance["seq"] + 1 and body["state"]["current"]["id"] == "session-1"
    assert body["state"]["undo"] is None  # nothing before the advance to undo
    await host.at(bangkok(14, 40, 30))
    # One correction per target that received 'Now: Open discussion', and nothing else.
    assert Counter(r.url.path.split("/")[1] for r in host.recorder.requests) == Counter(TARGETS)
    [correction] = host.received()
    assert correction["type"] == "cue.correction"
    assert correction["data"]["text"] == f"{STILL}; please disregard 'Now: Open discussion (Session 1)'."
    cues = await host.cues()
    withdrawn = cues[f"segment_start/discussion-1~undo{body['seq']}"]
    assert withdrawn.status == "withdrawn" and withdrawn.note == f"withdrawn by undo #{body['seq']}"
    host.recorder.requests.clear()

    # Session 1 runs on; the discussion starts on time with a new message (a new webhook id).
    fired = {f.cue.cue_id: f.outcome for f in await host.at(bangkok(14, 45))}
    assert fired["segment_start/discussion-1"] == "fired"
    again = next(m for m in host.received() if m["data"]["cue_id"] == "segment_start/discussion-1")
    assert again["data"]["delivery_id"] != first_id
    assert [r.kind for r in await host.log()] == ["advance", "undo"]


async def test_an_undo_before_delivery_withdraws_the_messages_without_corrections(host):
    host.clock.set(bangkok(14, 40))
    await host.post("/advance", {"from": "session-1"})
    await host.runtime.engine.tick()  # fired, not yet delivered
    assert (await host.post("/undo")).status_code == 200
    await host.at(bangkok(14, 40))
    # Neither the withdrawn 'Now: Open discussion' nor a correction went out; Session 1 goes on,
    # so its '5 min left', due this very moment, is posted.
    assert [m["data"]["cue_id"] for m in host.received()] == ["segment_ending_soon/session-1"]
    statuses = {d.target_id: d.status for d in await host.deliveries() if "discussion-1~undo" in d.cue_id}
    assert set(statuses.values()) == {"withdrawn"} and len(statuses) == 5


async def test_undo_twice_undoes_the_action_before(host):
    delay = (await host.post("/delay", {"minutes": 5})).json()
    host.clock.set(bangkok(14, 31))
    advance = (await host.post("/advance", {"from": "session-1"})).json()
    assert (await host.post("/undo", {"seq": delay["seq"]})).status_code == 409  # not the last one
    assert (await host.post("/undo")).json()["undone"]["seq"] == advance["seq"]
    second = (await host.post("/undo")).json()
    assert (
        second["undone"] == {"seq": delay["seq"], "kind": "delay", "summary": "Delay +5 min", "actor": "Hana"}
        and second["state"]["delay"] == 0
    )
    third = await host.post("/undo")
    assert third.status_code == 409 and third.json()["reason"] == "nothing to undo: no host action is in effect"
    log = (await host.api.get("/api/events/mekong-dialogue-2022/log")).json()
    assert [(e["kind"], e["actor"], e["undone_by"]) for e in log] == [
        ("delay", "Hana", 4),
        ("advance", "Hana", 3),
        ("undo", "Hana", None),
        ("undo", "Hana", None),
    ]


async def test_undo_of_the_end_reopens_the_event(host):
    await host.post("/end")
    assert (await host.post("/hold")).status_code == 409
    reopened = (await host.post("/undo")).json()
    assert reopened["state"]["status"] == "live" and reopened["state"]["current"]["id"] == "session-1"
    assert (await host.post("/hold")).status_code == 200


async def test_undo_is_idempotent_with_a_key(host):
    await host.post("/delay", {"minutes": 2})
    await host.post("/delay", {"minutes": 3})
    key = {"Idempotency-Key": "undo-1"}
    first = await host.post("/undo", {}, **key)
    again = await host.post("/undo", {}, **key)
    assert again.json() == first.json()
    assert [r.kind for r in await host.log()] == ["delay", "delay", "undo"]


async def test_the_correction_for_an_undone_announcement_names_which_one(host):
    """Every announcement is titled 'Announcement', so its correction quotes its time and its start."""
    await host.at(bangkok(14, 41))  # what was due by then is out of the way
    host.recorder.requests.clear()
    message = "The coffee break moves to the garden terrace next to the main hall, please bring your cups along"
    posted = await host.post("/announcements", {"message": message, "targets": ["ops-webhook"]})
    assert posted.status_code == 201, posted.text
    await host.at(bangkok(14, 41))
    assert [m["data"]["text"] for m in host.received()] == [message]
    host.recorder.requests.clear()

    host.clock.set(bangkok(14, 42))
    assert (await host.post("/undo", {"seq": posted.json()["seq"]})).status_code == 200
    await host.at(bangkok(14, 42))
    [correction] = [m for m in host.received() if m["type"] == "cue.correction"]
    assert correction["data"]["text"] == (
        f"{STILL}; please disregard the announcement of 14:41 "
        "'The coffee break moves to the garden terrace next to the...'."
    )
