"""Readiness: the cue names who is missing (country-only slots too); arrivals get a follow-up."""

from __future__ import annotations

import pytest

from integrations.zoom_emulator.payloads import Person
from tests.attendance.conftest import EVENT, start_harness
from tests.conftest import MEKONG, bangkok

SLOTS = """    respondents:
      count: 2
      minutes: 3
      slots:
        - country: Lao PDR
        - person: rikard-elfving
      note: Two Mekong countries will be invited to respond on this topic for 3 minutes."""


def _with_slots() -> str:
    text = MEKONG.read_text()
    old = """    respondents:
      count: 2
      minutes: 3
      note: Two Mekong countries will be invited to respond on this topic for 3 minutes."""
    assert old in text
    return text.replace(old, SLOTS, 1)


@pytest.fixture
async def slotted(database_url, settings_for, receiver_env):
    h = await start_harness(database_url, settings_for, receiver_env, bangkok(13, 30), schedule_text=_with_slots())
    try:
        yield h
    finally:
        await h.client.aclose()
        await h.runtime.stop()


async def _everyone_but(h, *absent: str) -> None:
    schedule = h.runtime.schedule(EVENT)
    await h.post(h.lifecycle("started", bangkok(13, 30)))
    for n, person in enumerate(schedule.people):
        if person.id not in absent:
            await h.post(h.join(Person(person.name, str(person.email), f"G-{n}"), str(100 + n), bangkok(13, 35)))


async def test_country_only_respondent_is_reported_not_joined(slotted):
    h = slotted
    await _everyone_but(h, "rikard-elfving")
    h.clock.set(bangkok(14, 5))
    await h.settle()
    [check] = [t for t in h.recorder.texts() if t.startswith("Readiness: Session 1")]
    assert "missing: Rikard Elfving (respondent), respondent for Lao PDR not joined" in check
    assert "Present: Pinsuda Alexander (moderator)" in check


async def test_country_respondent_matched_by_display_name_and_follow_up_is_posted(slotted):
    h = slotted
    await _everyone_but(h)
    h.clock.set(bangkok(14, 5))
    await h.settle()
    assert any("Session 1" in t and "respondent for Lao PDR not joined" in t for t in h.recorder.texts())
    h.clock.set(bangkok(14, 7))
    await h.post(h.join(Person("Lao PDR - Ministry of Labour", "", "G-LAO"), "999", bangkok(14, 7)))
    await h.settle()
    follow = [t for t in h.recorder.texts() if "has joined" in t]
    assert len(follow) == 1 and "respondent for Lao PDR has joined" in follow[0]
    assert "all expected people are present" in follow[0]
    # Processing again (or a duplicate delivery) never posts it twice.
    await h.runtime.readiness.follow_up(EVENT)
    await h.settle()
    assert len([t for t in h.recorder.texts() if "has joined" in t]) == 1
    # The follow-up went to host targets only (Slack hosts and Zoom chat hosts), not to Teams.
    hosts = {r.url.path.split("/")[1] for r in h.recorder.requests if b"has joined" in r.content}
    assert hosts == {"slack", "zoom_chat"}


async def test_waiting_room_is_named_and_arrival_after_start_is_not_followed_up(harness):
    h = harness
    await _everyone_but(h, "nilim-baruah")
    nilim = Person("Nilim Baruah", "nilim.baruah@example.org", "G-N")
    await h.post(h.join(nilim, "555", bangkok(14, 1), what="participant_joined_waiting_room"))
    h.clock.set(bangkok(14, 5))
    await h.settle()
    [check] = [t for t in h.recorder.texts() if t.startswith("Readiness: Session 1")]
    assert "missing: Nilim Baruah (speaker, in the waiting room)" in check
    h.clock.set(bangkok(14, 16))  # admitted only after the session started: no follow-up
    await h.post(h.join(nilim, "555", bangkok(14, 16), what="participant_admitted"))
    await h.post(h.join(nilim, "556", bangkok(14, 16)))
    await h.settle()
    assert not [t for t in h.recorder.texts() if "has joined" in t]


async def test_without_a_linked_meeting_the_planned_text_goes_out(database_url, settings_for, receiver_env):
    from sqlalchemy import delete

    from app.store.tables import zoom_objects

    h = await start_harness(database_url, settings_for, receiver_env, bangkok(13, 30))
    try:
        async with h.runtime.db.begin() as conn:
            await conn.execute(delete(zoom_objects))
        h.clock.set(bangkok(13, 50))
        await h.settle()
        [check] = [t for t in h.recorder.texts() if t.startswith("Readiness: Opening")]
        assert "Expected:" in check and "missing" not in check
    finally:
        await h.client.aclose()
        await h.runtime.stop()
