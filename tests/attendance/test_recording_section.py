"""The pack's Recording section (issue 29 item 4): from the recording webhooks in the inbox and the
run log, the chapters of what really ran (a jump shows), a paused break cut out of the offsets,
the files from recording.completed without their download links, in JSON, HTML and CSV."""

from __future__ import annotations

from datetime import timedelta

from app.report.render import to_csv, to_html
from app.report.service import pack_from_db
from integrations.zoom_emulator.payloads import lifecycle_event, recording_completed_event, recording_event
from schedules.load import load_file, load_text
from tests.attendance.conftest import EVENT, MEKONG
from tests.conftest import bangkok
from tests.schedules.test_zoom_actions import without_zoom_actions


async def _post(h, payload, at):
    h.clock.set(at)
    response = await h.post(payload)
    assert response.status_code < 300, response.text


async def test_chapters_follow_the_jump_and_skip_the_paused_break(harness):
    h = harness
    ref = h.ref
    await _post(h, lifecycle_event(ref, "started", bangkok(13, 30)), bangkok(13, 30))
    await _post(h, recording_event(ref, "started", bangkok(14, 0), bangkok(14, 0)), bangkok(14, 0))
    h.clock.set(bangkok(14, 30))
    await h.runtime.run.advance(EVENT, "host", to="session-2")  # session-1 cut short, discussion-1 skipped
    await h.settle()
    timeline = h.runtime.engine.timeline(EVENT)
    d2, end = timeline.segment("discussion-2"), timeline.segments[-1].end
    await _post(h, recording_event(ref, "paused", d2.start, bangkok(14, 0)), d2.start)
    await _post(h, recording_event(ref, "resumed", d2.end, bangkok(14, 0)), d2.end)
    await _post(h, recording_event(ref, "stopped", end, bangkok(14, 0), end), end)
    await _post(h, lifecycle_event(ref, "ended", end), end)
    files = [{"file_type": "MP4", "download_url": "https://zoom.example/rec/download/x?token=secret", "file_size": 9}]
    await _post(h, recording_completed_event(ref, end, files, "pw", "tok"), end + timedelta(minutes=5))
    await h.settle()
    schedule = load_file(MEKONG)
    pack = await pack_from_db(h.runtime.db, schedule, h.clock.now(), timeline)
    section = pack["recording"]
    [take] = section["takes"]
    paused = d2.end - d2.start
    assert take["paused_seconds"] == int(paused.total_seconds())
    assert take["length_seconds"] == int((end - bangkok(14, 0) - paused).total_seconds())
    offsets = {c["segment"]: c["offset_seconds"] for c in take["chapters"]}
    assert list(offsets)[:3] == ["opening", "session-1", "session-2"] and "discussion-1" not in offsets
    assert "discussion-2" not in offsets and "setup" not in offsets
    assert offsets["session-2"] == 30 * 60  # the jump at 14:30, to the second
    s3 = timeline.segment("session-3").start
    assert offsets["session-3"] == int((s3 - bangkok(14, 0) - paused).total_seconds())
    assert take["youtube"].splitlines()[0] == "0:00:00 Opening remarks"
    assert take["webvtt"].startswith("WEBVTT\n\n1\n00:00:00.000 --> 00:15:00.000\nOpening remarks")
    assert section["share_url"] and section["files"] == [
        {
            "file_type": "MP4",
            "file_extension": None,
            "recording_type": None,
            "file_size": 9,
            "recording_start": None,
            "recording_end": None,
        }
    ]
    html = to_html(pack)
    assert (
        '<h2 id="recording">Recording</h2>' in html and "0:30:00 Session 2: Promoting healthy labour mobility" in html
    )
    assert "token=secret" not in html and "token=secret" not in str(pack)
    assert "recording 1,Session 2: Promoting healthy labour mobility,offset_seconds,1800" in to_csv(pack)


async def test_no_recording_section_without_a_plan_or_a_recording(harness):
    text = without_zoom_actions(MEKONG.read_text(encoding="utf-8")).replace(
        "auto_recording: none", "auto_recording: cloud"
    )
    pack = await pack_from_db(harness.runtime.db, load_text(text, "mekong.yaml"), harness.clock.now())
    assert "recording" not in pack and "polls" not in pack
    planned = await pack_from_db(harness.runtime.db, load_file(MEKONG), harness.clock.now())
    assert planned["recording"] == {"planned": True, "mode": "cloud", "takes": [], "share_url": None, "files": []}
