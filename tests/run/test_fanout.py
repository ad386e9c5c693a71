"""Bounded fan-out: a target list is a set no longer than the event's targets, one action queues at
most SHOWCALLER_MAX_MESSAGES_PER_ACTION messages, and an announcement stored with a repeated target
(before requests were checked) still posts once per target."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from schedules.adjustments import Announce
from tests.conftest import bangkok
from tests.fixtures import EVENT, Recorder
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


async def test_an_action_over_the_message_budget_is_refused_and_not_recorded(database_url, service_for):
    service = await service_for(
        database_url,
        bangkok(14, 30),
        transport=Recorder(),
        tokens={"host": "Hana"},
        login="host",
        settings={"max_messages_per_action": 3},
    )
    await service.at(bangkok(14, 30))
    host = Host(service)
    # Every target that takes announcements: four of the five (Discord's filter leaves them out).
    over = await host.post("/announcements", {"message": "To everyone"}, **{"Idempotency-Key": "k-1"})
    assert over.status_code == 422
    assert over.json() == {
        "error": "invalid_request",
        "reason": "this announce would queue 4 messages (one per target of each cue), more than one action may "
        "(SHOWCALLER_MAX_MESSAGES_PER_ACTION = 3); nothing was recorded",
        "queued": 4,
        "limit": 3,
        "setting": "SHOWCALLER_MAX_MESSAGES_PER_ACTION",
    }
    assert await host.log() == []
    assert "announcement/a1" not in await host.cues()
    within = await host.post("/announcements", {"message": "To three", "targets": TARGETS[:3]})
    assert within.status_code == 201, within.text
    await host.at(host.clock.now())
    assert len(await _announced(host)) == 3
    # Re-timing what is already queued is not queueing more: a delay moves every later cue.
    assert (await host.post("/delay", {"minutes": 5, "mode": "shift"})).status_code == 200


def test_the_settings_bound_the_budget_and_the_give_up_time():
    assert Settings(_env_file=None).max_messages_per_action == 1000
    for name, value in (("max_messages_per_action", 0), ("delivery_give_up_minutes", 24 * 60 + 1)):
        with pytest.raises(ValidationError):
            Settings(_env_file=None, **{name: value})
