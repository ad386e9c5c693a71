"""A target's words are worked out once per loaded schedule, not per message, and a reload that
changes how the target reads (here its calendar) is heard from the next message on."""

from __future__ import annotations

from app.engine.clock import ManualClock
from app.engine.delivery import DeliveryWorker
from schedules.load import load_text
from tests.fixtures import MEKONG, bangkok, mekong_text

TEAMS = "  - id: team-teams\n    kind: teams\n"


def test_the_voice_is_kept_for_one_schedule_and_made_again_after_a_reload():
    loaded = {"event": load_text(mekong_text(), str(MEKONG))}
    worker = DeliveryWorker(
        None,  # type: ignore[arg-type]  # no database or HTTP call is made here
        None,  # type: ignore[arg-type]
        ManualClock(bangkok(13, 0)),
        schedules=lambda event_id: loaded["event"],
        targets=lambda event_id: None,  # type: ignore[arg-type,return-value]
    )
    first = worker._voice("event", "team-teams")
    assert worker._voice("event", "team-teams") is first  # the same schedule: the same voice
    assert first.words.reader.english and first.spec.id == "team-teams"
    assert worker._voice("event", "hosts-slack") is not first  # one voice per target

    text = mekong_text()
    assert TEAMS in text
    loaded["event"] = load_text(text.replace(TEAMS, TEAMS + "    calendar: buddhist\n"), str(MEKONG))
    again = worker._voice("event", "team-teams")
    assert again is not first and again.schedule is loaded["event"]
    assert again.words.reader.calendar == "buddhist" and first.words.reader.calendar == "gregorian"
