"""Live rundown edits over REST: insert, retime, amend, move and remove upcoming segments as host
actions (run log, cue re-plan, undo with corrections), their rules and refusals, and the export."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from schedules.load import load_text
from tests.conftest import bangkok

TARGETS = {"slack", "teams", "zoom_chat", "discord", "webhook"}
BREAK = {"title": "Break", "kind": "break", "minutes": 5, "before": "session-2"}


async def test_a_break_before_session_2_moves_what_follows_and_undo_restores_it(host):
    """The acceptance of issue 26 on the Mekong schedule: insert a 5-minute break before Session 2
    during the live run; the cues after it move by 5 minutes, the presenter view shows the new
    order, nothing is posted twice, and undo restores the plan with one correction per target."""
    before = {c.cue_id: c.due_at for c in (await host.cues()).values()}
    host.clock.set(bangkok(15, 14))
    preview = await host.api.post("/api/events/mekong-dialogue-2022/rundown/preview", json={"edit": "insert", **BREAK})
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["end_shift_seconds"] == 300 and shown["segment"] == "break-1"
    assert shown["summary"] == "Insert Break (5 min) before Session 2: Promoting healthy labour mobility"
    assert [o["id"] for o in shown["order"][:2]] == ["break-1", "session-2"]
    assert shown["cues"]["added"] == ["segment_start/break-1"]
    assert [r.kind for r in await host.log()] == []  # a preview records nothing

    answer = await host.post("/rundown/insert", BREAK)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["kind"] == "insert_segment" and body["segment"] == "break-1"
    assert body["state"]["next"]["id"] == "break-1"
    assert body["state"]["undo"]["summary"].startswith("Insert Break (5 min) before Session 2")
    after = {c.cue_id: c.due_at for c in (await host.cues()).values()}
    later = [cid for cid, due in before.items() if due is not None and due >= bangkok(15, 15) and cid in after]
    assert later and all(after[cid] - before[cid] == timedelta(minutes=5) for cid in later), later
    assert after["segment_start/break-1"] == bangkok(15, 15)

    stage = (await host.api.get("/api/events/mekong-dialogue-2022/stage")).json()
    assert stage["current"]["id"] == "discussion-1" and stage["next"]["id"] == "break-1"
    assert stage["next"]["title"] == "Break"

    await host.at(bangkok(15, 15))
    starts = [m["data"]["cue_id"] for m in host.received() if m["type"] == "cue.segment_start"]
    assert starts == ["segment_start/break-1"]
    stage = (await host.api.get("/api/events/mekong-dialogue-2022/stage")).json()
    assert stage["current"]["id"] == "break-1" and stage["next"]["id"] == "session-2"
    host.recorder.requests.clear()

    host.clock.set(bangkok(15, 15, 30))
    undone = await host.post("/undo", {"seq": body["seq"]})
    assert undone.status_code == 200, undone.text
    assert undone.json()["undone"]["seq"] == body["seq"] and undone.json()["undone"]["kind"] == "insert_segment"
    assert (
        undone.json()["undone"]["summary"] == "Insert Break (5 min) before Session 2: Promoting healthy labour mobility"
    )
    assert undone.json()["state"]["current"]["id"] == "session-2"
    await host.at(bangkok(15, 15, 30))
    corrections = [m for m in host.received() if m["type"] == "cue.correction"]
    assert len(corrections) == 1 and "'Now: Break'" in corrections[0]["data"]["text"]
    got = Counter((r.url.path.split("/")[1]) for r in host.recorder.requests if b"correction" in r.content)
    assert set(got) <= TARGETS and all(n == 1 for n in got.values())  # one correction per target
    restored = {c.cue_id: c.due_at for c in (await host.cues()).values() if "~" not in c.cue_id}
    assert "segment_start/break-1" not in restored or (await host.cues())["segment_start/break-1"].status != "fired"
    assert all(restored[cid] == before[cid] for cid in later if before[cid] > bangkok(15, 15, 30))

    # Run the rest of the show: no cue is posted twice to any target.
    moment = bangkok(15, 16)
    while moment <= bangkok(17, 31):  # minute by minute, so every cue fires on time
        await host.at(moment)
        moment += timedelta(minutes=1)
    webhook = [m["data"]["cue_id"] for m in host.received() if m["type"].startswith("cue.")]
    assert len(webhook) == len(set(webhook)), Counter(webhook).most_common(3)
    assert "segment_start/closing" in webhook


async def test_retime_move_amend_and_remove_change_the_rundown(host):
    host.clock.set(bangkok(14, 50))
    url = "/rundown"
    retimed = await host.post(f"{url}/session-2/retime", {"minutes": 20})
    assert retimed.status_code == 200, retimed.text
    plan = (await host.api.get("/api/events/mekong-dialogue-2022/plan")).json()
    seg = {s["id"]: s for s in plan["segments"]}
    assert seg["discussion-2"]["start"] < seg["session-3"]["start"]
    moved = await host.post(f"{url}/session-3/move", {"before": "session-2"})
    assert moved.status_code == 200, moved.text
    amended = await host.post(f"{url}/session-2/amend", {"title": "Session 2 (short)", "speakers": ["rikard-elfving"]})
    assert amended.status_code == 200, amended.text
    removed = await host.post(f"{url}/discussion-2/remove")
    assert removed.status_code == 200, removed.text
    state = removed.json()["state"]
    assert state["next"]["id"] == "session-3"
    # The removed segment's planned messages are withdrawn, named by the edit, never posted.
    gone = [c for c in (await host.cues()).values() if c.segment == "discussion-2"]
    assert gone and {(c.status, c.superseded_by) for c in gone} == {("superseded", removed.json()["seq"])}
    plan = (await host.api.get("/api/events/mekong-dialogue-2022/plan")).json()
    order = [s["id"] for s in plan["segments"]]
    assert order[4:] == ["session-3", "session-2", "discussion-3", "closing"]
    assert next(s for s in plan["segments"] if s["id"] == "session-2")["title"] == "Session 2 (short)"
    kinds = [r.kind for r in await host.log()]
    assert kinds == ["retime_segment", "move_segment", "amend_segment", "remove_segment"]
    # An inserted session is a segment like the others: a timer may name it.
    session = await host.post(
        "/rundown/insert", {"title": "Extra", "kind": "session", "minutes": 10, "after": "closing"}
    )
    assert session.status_code == 201 and session.json()["segment"] == "session-4"  # the file has sessions 1-3
    timer = await host.post("/timers", {"segment": "session-4", "label": "Extra Q&A", "seconds": 120})
    assert timer.status_code == 201, timer.text

    # A restart rebuilds the same rundown from the database.
    plan = (await host.api.get("/api/events/mekong-dialogue-2022/plan")).json()
    await host.restart()
    again = (await host.api.get("/api/events/mekong-dialogue-2022/plan")).json()
    assert again["segments"] == plan["segments"]


async def test_edits_are_refused_with_reasons(host):
    host.clock.set(bangkok(14, 50))  # discussion-1 is running
    running = await host.post("/rundown/discussion-1/retime", {"minutes": 10})
    assert running.status_code == 409
    assert running.json()["reason"].startswith("'discussion-1' is running now: only upcoming segments can be edited")
    assert "state" in running.json()
    past = await host.post("/rundown/opening/remove")
    assert past.status_code == 409 and "has already run" in past.json()["reason"]
    unknown = await host.post("/rundown/nope/remove")
    assert unknown.status_code == 404 and "no segment 'nope'" in unknown.json()["reason"]
    before_past = await host.post("/rundown/insert", {**BREAK, "before": "session-1"})
    assert before_past.status_code == 409
    too_long = await host.post("/rundown/session-2/retime", {"minutes": 600})
    assert too_long.status_code == 422 and "1 minute to 8 hours" in too_long.json()["reason"]
    too_short = await host.post("/rundown/session-2/retime", {"minutes": 4})
    assert too_short.status_code == 422 and "needs at least 6 min" in too_short.json()["reason"]
    zero = await host.post("/rundown/insert", {**BREAK, "minutes": 0})
    assert zero.status_code == 422
    both = await host.post("/rundown/insert", {**BREAK, "after": "session-3"})
    assert both.status_code == 422 and "exactly one of before or after" in both.json()["reason"]
    kind = await host.post("/rundown/insert", {**BREAK, "kind": "nap"})
    assert kind.status_code == 422 and "not a segment kind" in kind.json()["reason"]
    who = await host.post("/rundown/insert", {**BREAK, "speakers": ["nobody"]})
    assert who.status_code == 404 and "no person 'nobody'" in who.json()["reason"]
    itself = await host.post("/rundown/session-2/move", {"after": "session-2"})
    assert itself.status_code == 422
    empty = await host.post("/rundown/session-2/amend", {})
    assert empty.status_code == 422
    assert [r.kind for r in await host.log()] == []
    viewer = await host.service.token("viewer")
    refused = await host.api.post(
        "/api/events/mekong-dialogue-2022/rundown/session-2/remove", headers={"Authorization": f"Bearer {viewer}"}
    )
    assert refused.status_code == 403


async def test_the_last_segment_cannot_be_removed(host):
    host.clock.set(bangkok(13, 0))  # before the event: every segment is upcoming
    ids = [s["id"] for s in (await host.api.get("/api/events/mekong-dialogue-2022/plan")).json()["segments"]]
    for segment in ids[:-1]:
        assert (await host.post(f"/rundown/{segment}/remove")).status_code == 200
    last = await host.post(f"/rundown/{ids[-1]}/remove")
    assert last.status_code == 409, last.text
    assert last.json()["reason"] == "'closing' is the only segment left: end the event instead of removing it"
    assert (await host.state())["next"]["id"] == "closing"


async def test_export_round_trips_through_the_loader(host):
    host.clock.set(bangkok(14, 50))
    assert (await host.post("/rundown/insert", BREAK)).status_code == 201
    assert (await host.post("/rundown/discussion-3/retime", {"minutes": 20})).status_code == 200
    assert (await host.post("/rundown/session-3/move", {"after": "discussion-3"})).status_code == 200
    untitled = await host.post("/rundown/insert", {"kind": "session", "minutes": 10, "after": "closing"})
    assert untitled.status_code == 201 and untitled.json()["segment"] == "session-4"
    organiser = await host.service.token("organiser")
    answer = await host.api.get(
        "/api/events/mekong-dialogue-2022/rundown/export", headers={"Authorization": f"Bearer {organiser}"}
    )
    assert answer.status_code == 200, answer.text
    exported = load_text(answer.text, "exported.yaml")
    assert exported.segment("session-4").title == "Session"  # no title given: named after its kind
    assert [s.id for s in exported.segments][4:-1] == [
        "break-1",
        "session-2",
        "discussion-2",
        "discussion-3",
        "session-3",
        "closing",
    ]
    plan = (await host.api.get("/api/events/mekong-dialogue-2022/plan")).json()
    timeline = host.runtime.engine.timeline("mekong-dialogue-2022")
    assert exported == timeline.rundown
    assert len(plan["segments"]) == len(exported.segments)
