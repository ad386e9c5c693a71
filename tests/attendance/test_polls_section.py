"""The pack's Polls section (issue 29 item 4): poll results read back from Zoom after the meeting,
stored as counts only, shown per scheduled poll with no names and counts under 5 as "< 5"."""

from __future__ import annotations

from sqlalchemy import select, update

from app.attendance.registrants import fetch_poll_results
from app.report.render import to_csv, to_html
from app.report.service import pack_from_db
from app.store.tables import zoom_objects, zoom_poll_results
from schedules.load import load_text
from tests.attendance.conftest import EVENT, start_harness
from tests.conftest import bangkok
from tests.schedules.test_zoom_actions import with_zoom
from tests.zoom.test_live_controls import Case, _meeting

SCHEDULE_TEXT = with_zoom()
SCHEDULE = load_text(SCHEDULE_TEXT, "mekong.yaml")
GUESTS = [(f"Guest Number{i}", f"guest{i}@example.org") for i in range(12)]


def zoom_poll_body(poll) -> dict:
    return {
        "title": poll.title,
        "anonymous": poll.anonymous,
        "poll_type": 1,
        "questions": [{"name": q.name, "type": q.type.value, "answers": list(q.answers)} for q in poll.questions],
    }


async def test_poll_results_are_counts_with_small_ones_hidden_and_no_names(database_url, settings_for, receiver_env):
    case = Case()
    meeting_id = await _meeting(case.client)
    made = await case.client.create_poll(meeting_id, zoom_poll_body(SCHEDULE.zoom.polls[0]))
    await case.emu.live.start(meeting_id)
    for name, email in GUESTS:
        await case.emu.live.join(meeting_id, case.emu.live.person(name, email))
    answered = case.emu.live.run_poll(meeting_id, made.id, seed=3, rate=1.0)
    await case.client.end_meeting(meeting_id)
    uuid = case.emu.state.instance_order[meeting_id][-1]
    h = await start_harness(database_url, settings_for, receiver_env, bangkok(17, 40), schedule_text=SCHEDULE_TEXT)
    try:
        async with h.runtime.db.begin() as conn:
            await conn.execute(update(zoom_objects).where(zoom_objects.c.event_id == EVENT).values(zoom_id=meeting_id))
        people = await fetch_poll_results(h.runtime.db, case.client, str(meeting_id), uuid, "meeting", h.clock.now())
        assert people == len(answered) == len(GUESTS)
        async with h.runtime.db.begin() as conn:
            [stored] = [row.questions for row in await conn.execute(select(zoom_poll_results))]
        assert "guest" not in str(stored).lower(), "who answered what is never stored"
        pack = await pack_from_db(h.runtime.db, SCHEDULE, h.clock.now())
        [poll] = pack["polls"]["polls"]
        assert poll["title"] == "Priorities" and pack["polls"]["read"]
        first, second = poll["questions"]
        assert first["answered"] == 12 and second["type"] == "multiple"
        assert [a["answer"] for a in first["answers"]] == SCHEDULE.zoom.polls[0].questions[0].answers
        counts = [a["count"] for q in poll["questions"] for a in q["answers"]]
        raw = {a: n for q in stored for a, n in q["answers"].items()}
        shown = {a["answer"]: a["count"] for q in poll["questions"] for a in q["answers"]}
        assert shown == {a: ("< 5" if 0 < n < 5 else n) for a, n in raw.items()}
        assert "< 5" in counts  # the seeded crowd gives small groups: they are hidden
        assert sum(raw[a["answer"]] for a in first["answers"] if a["answer"] in raw) == 12  # single: one each
        html, csv = to_html(pack), to_csv(pack)
        assert '<h2 id="polls">Polls</h2>' in html and "Priorities" in html
        assert "poll: Priorities,Which theme should the next dialogue take up?,answered,12" in csv
        for name, email in GUESTS:
            assert name not in html and email not in html and name not in str(pack)
    finally:
        await h.client.aclose()
        await h.runtime.stop()
        await case.http.aclose()


async def test_a_scheduled_poll_not_read_yet_says_so(database_url, settings_for, receiver_env):
    h = await start_harness(database_url, settings_for, receiver_env, bangkok(17, 40), schedule_text=SCHEDULE_TEXT)
    try:
        pack = await pack_from_db(h.runtime.db, SCHEDULE, h.clock.now())
        assert pack["polls"]["read"] is False
        assert pack["polls"]["polls"][0]["questions"][0]["answered"] == 0
        assert "No poll results were read from Zoom yet" in to_html(pack)
    finally:
        await h.client.aclose()
        await h.runtime.stop()
