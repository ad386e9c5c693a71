"""Bounded fan-out: a target list is a set no longer than the event's targets, one action queues at
most SHOWCALLER_MAX_MESSAGES_PER_ACTION messages, and an announcement stored with a repeated target
(before requests were checked) still posts once per target."""

from __future__ import annotations

from collections import Counter

from schedules.adjustments import Announce
from tests.fixtures import EVENT
from tests.run.conftest import Host

TARGETS = ["hosts-slack", "team-teams", "hosts-zoom-chat", "speakers-discord", "ops-webhook"]


def _fields(answer) -> list[str]:
    return [d["field"] for d in answer.json().get("details", [])]


async def _announced(host: Host) -> list:
    return [d for d in await host.deliveries() if d.cue_id.startswith("announcement/")]


async def test_a_target_named_twice_is_refused_naming_the_repeat(host):
    answer = await host.post(
        "/announcements", {"message": "Coffee", "targets": ["hosts-slack", "ops-webhook", "hosts-slack", "hosts-slack"]}
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_request"
    assert body["reason"] == "body.targets.2: duplicate of targets.0 ('hosts-slack')"
    assert _fields(answer) == ["body.targets.2", "body.targets.3"]
    assert await host.log() == [] and await _announced(host) == []


async def test_a_list_longer_than_the_events_targets_is_refused(host):
    six = [*TARGETS, "nowhere"]
    answer = await host.post("/announcements", {"message": "Coffee", "targets": six})
    assert answer.status_code == 422
    assert answer.json()["reason"] == (
        f"targets: 6 given, but {EVENT} has 5 target(s); name each at most once, or send [] for every target"
    )
    assert _fields(answer) == ["body.targets"]
    # The trial's request: 60,000 copies of one id in a normal JSON body. Refused by the schema's bound.
    flood = await host.post("/announcements", {"message": "Coffee", "targets": ["hosts-slack"] * 60_000})
    assert flood.status_code == 422
    assert _fields(flood) == ["body.targets"]
    assert "at most 100 items" in flood.json()["reason"]
    assert await host.log() == [] and await _announced(host) == []


async def test_unknown_targets_name_each_index(host):
    answer = await host.post("/announcements", {"message": "Coffee", "targets": ["hosts-slack", "nowhere", "nope"]})
    assert answer.status_code == 404
    assert answer.json()["reason"].startswith("unknown target(s): nowhere, nope; known: ")
    assert _fields(answer) == ["body.targets.1", "body.targets.2"]


async def test_each_named_target_gets_one_message(host):
    answer = await host.post("/announcements", {"message": "Coffee", "targets": ["ops-webhook", "hosts-slack"]})
    assert answer.status_code == 201, answer.text
    await host.at(host.clock.now())
    assert Counter(d.target_id for d in await _announced(host)) == {"ops-webhook": 1, "hosts-slack": 1}


async def test_a_stored_announcement_with_a_repeated_target_posts_once_per_target(host):
    """Run logs written before the check may hold ["a", "a"]: the replay posts each target once, in
    the order first named, before and after a restart."""
    targets = ("ops-webhook", "hosts-slack", "ops-webhook", "ops-webhook", "hosts-slack")
    await host.runtime.engine.act(
        EVENT, lambda at: Announce(at, announcement_id="a1", message="Old log", targets=targets), "Hana"
    )
    cue = (await host.cues())["announcement/a1"]
    assert list(cue.targets) == ["ops-webhook", "hosts-slack"]
    await host.restart()
    await host.at(host.clock.now())
    sent = [d for d in await host.deliveries() if d.cue_id == "announcement/a1"]
    assert Counter(d.target_id for d in sent) == {"ops-webhook": 1, "hosts-slack": 1}
    assert [m["data"]["cue_id"] for m in host.received()] == ["announcement/a1"]
