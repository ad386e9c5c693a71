"""Host actions over REST: rules checked under the lock, one answer per action, idempotent retries,
undo with corrections, nothing accepted after the end, bounded delays."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import OperationalError

from app.store import outbox_repo
from tests.conftest import bangkok

MUTATING = [
    ("/advance", {}),
    ("/advance", {"to": "session-2"}),
    ("/hold", {}),
    ("/resume", {}),
    ("/delay", {"minutes": 1}),
    ("/end", {}),
    ("/timers", {"segment": "session-3", "slot": 1}),
    ("/timers", {"label": "Q&A", "seconds": 60}),
    ("/timers/t1/pause", {}),
    ("/timers/t1/resume", {}),
    ("/timers/t1/add", {"seconds": 30}),
    ("/timers/t1/stop", {}),
    ("/announcements", {"message": "Thank you for coming"}),
]


async def test_two_concurrent_holds_one_wins(host):
    first, second = await asyncio.gather(host.post("/hold"), host.post("/hold"))
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    refused = first if first.status_code == 409 else second
    assert refused.json()["reason"] == "already on hold"
    assert refused.json()["state"]["held"] is True  # every 409 carries the live state
    assert [r.kind for r in await host.log()] == ["hold"]


async def test_two_concurrent_advances_from_the_same_segment_move_once(host):
    host.clock.set(bangkok(14, 40))
    answers = await asyncio.gather(*(host.post("/advance", {"from": "session-1"}) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 409]
    won = next(a for a in answers if a.status_code == 200).json()
    lost = next(a for a in answers if a.status_code == 409).json()
    assert won["seq"] == 1 and won["state"]["current"]["id"] == "discussion-1"
    assert lost == {
        "error": "conflict",
        "state": lost["state"],
        "reason": "already moved from 'session-1' to 'discussion-1' at 14:40:00 by Hana",
    }
    await host.at(bangkok(14, 40))
    starts = [m["data"]["cue_id"] for m in host.received() if m["type"] == "cue.segment_start"]
    assert starts == ["segment_start/discussion-1"]  # one set of messages
    cues = {c["cue_id"]: c for c in (await host.api.get("/api/events/mekong-dialogue-2022/cues")).json()}
    assert cues["segment_ending_soon/session-1"]["status"] == "superseded"
    assert cues["segment_ending_soon/session-1"]["superseded_by"] == won["seq"]
    assert [r.kind for r in await host.log()] == ["advance"]


async def test_advance_answers_its_own_seq(host):
    await host.post("/timers", {"segment": "session-1", "slot": 1})
    answer = await host.post("/advance", {"from": "session-1"})
    assert answer.json()["seq"] == 2 and answer.json()["kind"] == "advance"


async def test_every_mutating_route_after_the_end_is_refused(host):
    assert (await host.post("/timers", {"label": "Q&A", "seconds": 60})).status_code == 201
    assert (await host.post("/end")).status_code == 200
    for path, body in MUTATING:
        answer = await host.post(path, body)
        assert answer.status_code == 409, (path, answer.text)
        assert answer.json()["reason"] == "the event has ended", path
    assert [r.kind for r in await host.log()] == ["timer_start", "end_event"]


async def test_nothing_is_posted_after_the_end(host):
    await host.post("/timers", {"label": "Q&A", "seconds": 600})
    await host.post("/end")
    fired = await host.at(host.clock.now())
    # The end itself, and the recording (zoom.recording: stop_at end) stops with it.
    assert [f.cue.cue_id for f in fired] == ["segment_end/session-1", "zoom_action/recording.stop"]
    assert [f.cue.cue_id for f in await host.at(bangkok(18, 0))] == []
    state = await host.state()
    assert state["status"] == "ended" and state["timers"] == []  # the end stopped the timer


@pytest.mark.parametrize(
    "body", [{"seconds": 10**9}, {"minutes": 10**7}, {"seconds": -(10**9)}, {"minutes": 241}]
)  # the Mekong event lasts four hours
async def test_out_of_range_delays_are_refused(host, body):
    answer = await host.post("/delay", body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_request"
    assert await host.log() == []


async def test_delay_of_the_event_length_is_accepted(host):
    assert (await host.post("/delay", {"minutes": 240})).status_code == 200


async def test_a_respondent_timer_cannot_start_twice(host):
    assert (await host.post("/timers", {"segment": "session-1", "slot": 1})).status_code == 201
    again = await host.post("/timers", {"segment": "session-1", "slot": 1})
    assert again.status_code == 409
    assert again.json()["reason"].startswith("the timer of respondent 1 in 'session-1' is already running (t1")
    assert (await host.post("/timers", {"segment": "session-1", "slot": 2})).status_code == 201


async def test_retried_advance_with_the_same_key_acts_once_also_after_restart(host):
    host.clock.set(bangkok(14, 40))
    key = {"Idempotency-Key": "press-1"}
    first = await host.post("/advance", {"from": "session-1"}, **key)
    host.clock.set(bangkok(14, 40, 5))
    again = await host.post("/advance", {"from": "session-1"}, **key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert [r.kind for r in await host.log()] == ["advance"]
    other = await host.post("/advance", {"from": "discussion-1"}, **key)
    assert other.status_code == 422 and "Idempotency-Key 'press-1'" in other.json()["reason"]
    await host.restart()
    after = await host.post("/advance", {"from": "session-1"}, **key)
    assert after.status_code == 200 and after.json() == first.json()
    assert [r.kind for r in await host.log()] == ["advance"]


async def test_a_refusal_is_replayed_to_a_retry_too(host):
    key = {"Idempotency-Key": "hold-twice"}
    assert (await host.post("/resume", {}, **key)).status_code == 409
    await host.post("/hold")
    again = await host.post("/resume", {}, **key)
    assert again.status_code == 409 and again.json()["reason"] == "not on hold"


async def test_a_failed_action_leaves_no_trace(host, monkeypatch):
    before = await host.state()

    async def refuse(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(outbox_repo, "sync_cues", refuse)
    answer = await host.post("/advance", {"from": "session-1"}, **{"Idempotency-Key": "k-fail"})
    assert answer.status_code == 503
    assert answer.json()["error"] == "not_recorded"
    assert answer.json()["reason"].startswith("the action was not recorded: the database is not available")
    monkeypatch.undo()
    assert await host.log() == []
    assert (await host.state())["current"] == before["current"]
    # The key was not stored either: the retry acts.
    assert (await host.post("/advance", {"from": "session-1"}, **{"Idempotency-Key": "k-fail"})).status_code == 200


async def test_state_carries_clock_rate_and_the_undo_offer(host):
    state = await host.state()
    assert state["clock_rate"] == 1.0 and state["undo"] is None
    host.clock.set(bangkok(14, 40))
    seq = (await host.post("/advance", {"from": "session-1"})).json()["seq"]
    offer = (await host.state())["undo"]
    assert offer == {
        "seq": seq,
        "kind": "advance",
        "summary": "Next segment: Open discussion (Session 1)",
        "actor": "Hana",
        "until": "2022-05-30T07:42:00Z",
    }
    host.clock.set(bangkok(14, 42, 1))
    assert (await host.state())["undo"] is None
    late = await host.post("/undo")
    assert late.status_code == 409 and "older than 2 min" in late.json()["reason"]


async def test_preview_names_what_a_jump_would_post(host):
    host.clock.set(bangkok(14, 40))
    answer = await host.post("/preview", {"action": "jump", "to": "closing"})
    assert answer.status_code == 200
    messages = answer.json()["messages"]
    # The jump lands on the closing, where the hosts are reminded to open the poll (zoom.polls).
    assert [m["cue_id"] for m in messages] == ["segment_start/closing", "reminder/poll.open/1"]
    assert messages[0]["title"] == "Now: Closing remarks" and "speakers-discord" in messages[0]["targets"]
    assert await host.log() == []
    end = (await host.post("/preview", {"action": "end"})).json()["messages"]
    assert [m["cue_id"] for m in end] == ["segment_end/session-1", "zoom_action/recording.stop"]


async def test_text_the_database_refuses_records_nothing_and_later_actions_work(host):
    # PostgreSQL refuses NUL in text; SQLite stores it. Either way the run log and the cache agree,
    # and the next action is recorded normally (before, every later action answered 500).
    from app.core.errors import NotRecorded

    try:
        await host.runtime.run.announce("mekong-dialogue-2022", "Hana", "nul \x00 x", [])
    except NotRecorded as exc:
        assert exc.status == 422 and exc.reason.startswith("the action was not recorded: the database refused it")
        assert await host.log() == []
        assert host.runtime.engine.loaded("mekong-dialogue-2022").actions == []
    else:
        assert [r.kind for r in await host.log()] == ["announce"]
    answer = await host.post("/hold")
    assert answer.status_code == 200 and answer.json()["seq"] == len(await host.log())


async def test_a_timer_shows_over_for_the_grace_then_stops_by_itself(host):
    started = (await host.post("/timers", {"label": "Q&A", "seconds": 60})).json()
    [timer] = started["state"]["timers"]
    assert timer["ends_at"] == "2022-05-30T07:31:00Z" and timer["stops_at"] == "2022-05-30T07:31:30Z"
    host.clock.set(bangkok(14, 31, 29))
    [timer] = (await host.state())["timers"]
    assert timer["level"] == "over" and timer["remaining"] == -29
    host.clock.set(bangkok(14, 31, 30))
    assert (await host.state())["timers"] == []
    stop = await host.post(f"/timers/{started['timer_id']}/stop")
    assert stop.status_code == 409 and stop.json()["reason"] == "the timer is already stopped"
