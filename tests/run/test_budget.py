"""The early/late budget over REST: a jump ahead never hides in a flexible segment, and the
confirmation says what a move does to the end of the event."""

from __future__ import annotations

import pytest

from tests.conftest import bangkok
from tests.fixtures import Recorder
from tests.fixtures.mekong import mekong_text
from tests.run.conftest import Host


def budget_text(early: str, max_duration: str | None) -> str:
    """The Mekong file with run.early set and Open discussion (Session 1) given a max_duration."""
    text = mekong_text()
    if max_duration is not None:
        text = text.replace(
            "    flexible: true\n    min_duration: 15m\n",
            f"    flexible: true\n    min_duration: 15m\n    max_duration: {max_duration}\n",
            1,
        )
    grown = text.replace("  delay_mode: absorb\n", f"  delay_mode: absorb\n  early: {early}\n", 1)
    assert grown.count("early:") == 1 and (max_duration is None or "max_duration" in grown)
    return grown


async def start(service_for, database_url, text: str) -> Host:
    service = await service_for(
        database_url,
        bangkok(13, 40),
        transport=Recorder(),
        tokens={"host": "Hana"},
        login="host",
        schedule=(text, "mekong-budget.yaml"),
    )
    return Host(service)


async def test_eighteen_minutes_ahead_a_jump_to_the_discussion_is_capped_and_the_end_moves_up(
    database_url, service_for
):
    host = await start(service_for, database_url, budget_text("absorb", "60m"))
    host.clock.set(bangkok(13, 42))
    assert (await host.post("/advance", {"from": "setup"})).status_code == 200  # set-up done 18 min early
    host.clock.set(bangkok(13, 57))
    state = await host.state()
    # Open discussion (Session 1) will absorb the 18 min (30 -> 48 min, within its 60), so the end
    # holds, and still the console says how far ahead the show is, never "on time".
    assert state["current"]["id"] == "session-1" and state["next"]["id"] == "discussion-1"
    assert state["ahead_behind"] == "ahead by 18 min" and state["projected_end"] == "2022-05-30T10:30:00Z"
    assert state["end_vs_plan"] == "as planned"

    preview = await host.post("/preview", {"action": "jump", "to": "discussion-1", "from": "session-1"})
    assert preview.status_code == 200
    end = preview.json()["end"]
    assert end == {
        "planned": "2022-05-30T10:30:00Z",
        "before": "2022-05-30T10:30:00Z",
        "after": "2022-05-30T10:12:00Z",  # 17:12 in Bangkok
        "change": -18 * 60.0,
        "text": "the projected end moves 18 min earlier",
        "ahead_behind": "ahead by 18 min",
        "end_vs_plan": "18 min early",
    }
    assert [r.kind for r in await host.log()] == ["advance"]  # the preview recorded nothing

    jumped = await host.post("/advance", {"to": "discussion-1", "from": "session-1"})
    assert jumped.status_code == 200
    after = jumped.json()["state"]
    discussion = next(s for s in after["segments"] if s["id"] == "discussion-1")
    assert discussion["start"] == "2022-05-30T06:57:00Z" and discussion["end"] == "2022-05-30T07:57:00Z"  # 60 min
    assert after["ahead_behind"] == "ahead by 18 min" and after["end_vs_plan"] == "18 min early"
    assert after["projected_end"] == end["after"]
    # Rebuilt from the run log after a restart: the same budget.
    await host.restart()
    assert (await host.state())["projected_end"] == end["after"]


@pytest.mark.parametrize(("early", "max_duration"), [("end_early", "60m"), ("absorb", None)])
async def test_without_room_to_absorb_the_jump_ends_the_event_early(database_url, service_for, early, max_duration):
    host = await start(service_for, database_url, budget_text(early, max_duration))
    host.clock.set(bangkok(14, 27))  # 18 min into the 30 of Session 1
    end = (await host.post("/preview", {"action": "jump", "to": "discussion-1"})).json()["end"]
    assert end["after"] == "2022-05-30T10:12:00Z" and end["ahead_behind"] == "ahead by 18 min"
    state = (await host.post("/advance", {"to": "discussion-1"})).json()["state"]
    discussion = next(s for s in state["segments"] if s["id"] == "discussion-1")
    assert discussion["start"] == "2022-05-30T07:27:00Z" and discussion["end"] == "2022-05-30T07:57:00Z"  # its 30 min


async def test_the_end_preview_moves_the_end_to_now(database_url, service_for):
    host = await start(service_for, database_url, mekong_text())
    host.clock.set(bangkok(16, 50))
    end = (await host.post("/preview", {"action": "end"})).json()["end"]
    assert end["before"] == "2022-05-30T10:30:00Z" and end["after"] == "2022-05-30T09:50:00Z"
    assert end["text"] == "the projected end moves 40 min earlier" and end["end_vs_plan"] == "40 min early"


async def test_a_live_retime_keeps_within_max_duration(database_url, service_for):
    """As the schedule file refuses a max_duration below a segment's length, a live retime may not
    lengthen a flexible segment past it (its cap on absorbing earliness would sit below its plan)."""
    host = await start(service_for, database_url, budget_text("absorb", "60m"))
    refused = await host.post("/rundown/discussion-1/retime", {"minutes": 61})
    assert refused.status_code == 422, refused.text
    assert "at most 60 min (its max_duration)" in refused.json()["reason"]
    assert [r.kind for r in await host.log()] == []
    assert (await host.post("/rundown/discussion-1/retime", {"minutes": 60})).status_code == 200
