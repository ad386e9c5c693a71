"""The post-event pack tells a run with live rundown edits as it happened (issue 26): a break
inserted and a session retimed during the Mekong run show in the pack's planned-vs-actual table,
in the order they ran, at the times their transition cues fired, and its notes name both edits."""

from __future__ import annotations

from datetime import timedelta

from app.report.service import pack_from_db
from tests.conftest import bangkok
from tests.fixtures import EVENT


async def test_the_pack_of_a_run_with_an_inserted_break_and_a_retime_matches_the_run_log(host):
    host.clock.set(bangkok(15, 14))
    inserted = await host.post(
        "/rundown/insert", {"title": "Break", "kind": "break", "minutes": 5, "before": "session-2"}
    )
    assert inserted.status_code == 201, inserted.text
    retimed = await host.post("/rundown/session-3/retime", {"minutes": 30})
    assert retimed.status_code == 200, retimed.text

    moment = bangkok(15, 15)
    while moment <= bangkok(18, 0):  # minute by minute to past the end: every cue fires on time
        await host.at(moment)
        moment += timedelta(minutes=1)

    pack = await pack_from_db(host.runtime.db, host.runtime.schedule(EVENT), host.clock.now())
    rows = {s["id"]: s for s in pack["segments"]}
    order = [s["id"] for s in pack["segments"]]
    assert order.index("break-1") == order.index("session-2") - 1  # the break ran before Session 2

    # Actual times are those of the transition cues as they fired (the run log's outcome).
    fired = {c.segment: c.fired_at for c in (await host.cues()).values() if c.kind == "segment_start" and c.fired_at}
    for seg_id in ("break-1", "session-2", "session-3", "closing"):
        assert rows[seg_id]["start"] == fired[seg_id].strftime("%Y-%m-%dT%H:%M:%SZ"), seg_id
    assert rows["break-1"]["title"] == "Break" and rows["break-1"]["actual_minutes"] == 5.0
    assert rows["session-3"]["actual_minutes"] == 30.0

    notes = [n["text"] for n in pack["notes"]]
    assert any("rundown edited" in n.lower() and "break (5 min) before session 2" in n.lower() for n in notes), notes
    assert any("rundown edited" in n.lower() and "session 3" in n.lower() and "30" in n for n in notes), notes
