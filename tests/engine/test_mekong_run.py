"""A full Mekong run in compressed time, driven over REST like a technical host would.

The clock jumps from one due moment to the next (no real waiting). Host actions: a 5-minute delay
in Session 1 absorbed by its open discussion, respondent timers (one paused and given extra time),
a hold in Session 2 followed by a late manual advance, and an announcement. The transcript of
every cue (time in Bangkok, kind, id, outcome) must equal the reviewed expected file.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from app.engine.clock import ManualClock
from app.main import create_app
from app.runtime import Runtime
from app.store import outbox_repo, tokens_repo
from tests.conftest import MEKONG, bangkok
from tests.engine.test_engine_flow import Recorder

EXPECTED = Path(__file__).with_name("mekong_run.expected")
EVENT = "/api/events/mekong-dialogue-2022"


def _script():
    """(moment, method, path, body) host actions, in Bangkok time."""
    return [
        (bangkok(14, 20), "POST", "/delay", {"minutes": 5, "mode": "absorb"}),
        (bangkok(14, 44), "POST", "/timers", {"segment": "session-1", "slot": 1}),
        (bangkok(14, 46), "POST", "/timers/{t}/pause", None),
        (bangkok(14, 46, 20), "POST", "/timers/{t}/resume", None),
        (bangkok(14, 46, 30), "POST", "/timers/{t}/add", {"seconds": 30}),
        (bangkok(14, 47, 30), "POST", "/timers", {"segment": "session-1", "slot": 2}),
        (bangkok(15, 42), "POST", "/hold", None),
        (bangkok(15, 47), "POST", "/advance", {}),
        (bangkok(16, 0), "POST", "/announcements", {"message": "Session 3 starts on time at 16:15."}),
    ]


async def _run(database_url, settings_for, receiver_env) -> tuple[list[str], dict]:
    receiver_env("http://127.0.0.1:9")
    recorder = Recorder()
    clock = ManualClock(bangkok(13, 0))
    runtime = Runtime(settings_for(database_url), clock=clock, transport=httpx.MockTransport(recorder))
    await runtime.start(run_timer=False, run_worker=False)
    app = create_app(runtime.settings, runtime=runtime)
    app.state.runtime = runtime
    transcript, states = [], {}
    try:
        await runtime.engine.load_schedule(MEKONG.read_text(), str(MEKONG))
        async with runtime.db.begin() as conn:
            _, token = await tokens_repo.create_token(conn, "host", "host", clock.now())
        headers = {"Authorization": f"Bearer {token}"}
        script, timer = _script(), None
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as api:
            while True:
                wake = await runtime.engine.next_wake()
                moments = [m for m in (wake, script[0][0] if script else None) if m is not None]
                if not moments:
                    break
                clock.set(max(clock.now(), min(moments)))
                while script and script[0][0] <= clock.now():
                    _, method, path, body = script.pop(0)
                    response = await api.request(method, EVENT + path.format(t=timer), json=body, headers=headers)
                    assert response.status_code in (200, 201), response.text
                    timer = response.json().get("timer_id") or timer
                    transcript.append(f"{clock.now().astimezone(_bkk()):%H:%M:%S} host   {path.format(t='T')}")
                    states[path] = response.json()["state"]
                    transcript += await _superseded(runtime, response.json()["seq"])
                for row, outcome in await runtime.engine.tick():
                    transcript.append(f"{row.due_at.astimezone(_bkk()):%H:%M:%S} {outcome:<6} {row.cue_id}")
                await runtime.worker.drain()
        async with runtime.db.begin() as conn:
            statuses = {d.status for d in await outbox_repo.list_deliveries(conn, "mekong-dialogue-2022")}
        states["delivery_statuses"] = statuses
        states["final"] = runtime.engine.timeline("mekong-dialogue-2022")
    finally:
        await runtime.stop()
    return transcript, states


async def _superseded(runtime, seq: int) -> list[str]:
    """Cues the host action `seq` overtook: withdrawn, never posted (shown at their planned moment)."""
    async with runtime.db.begin() as conn:
        rows = [r for r in await outbox_repo.list_cues(conn, "mekong-dialogue-2022") if r.superseded_by == seq]
    return [f"{(r.due_at or r.updated_at).astimezone(_bkk()):%H:%M:%S} superseded {r.cue_id} (by #{seq})"
            for r in sorted(rows, key=lambda r: (r.due_at or r.updated_at, r.cue_id))]


def _bkk():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Bangkok")


async def test_full_mekong_run_matches_transcript(database_url, settings_for, receiver_env):
    transcript, states = await _run(database_url, settings_for, receiver_env)
    if os.environ.get("UPDATE_GOLDEN"):
        EXPECTED.write_text("\n".join(transcript) + "\n")
    assert transcript == EXPECTED.read_text().splitlines()
    # The 5-minute delay was absorbed by the open discussion: Session 2 still starts at 15:15.
    delayed = states["/delay"]
    assert delayed["delay"] == 300 and delayed["projected_end"] == "2022-05-30T10:30:00Z"
    final = states["final"]
    assert final.segment("discussion-1").start == bangkok(14, 50)
    assert final.segment("session-2").start == bangkok(15, 15)
    # Held at 15:42, advanced at 15:47: the discussion absorbs the five minutes; Session 3 on time.
    assert final.segment("session-2").end == bangkok(15, 47)
    assert final.segment("session-3").start == bangkok(16, 15)
    assert final.segment("closing").end == bangkok(17, 30)
    # Every delivery was sent exactly once to every target.
    assert states["delivery_statuses"] == {"sent"}
