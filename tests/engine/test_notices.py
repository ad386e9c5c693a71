"""Short notices the engine posts about the run itself: a delay tells the hosts, a late transition says it is late."""

from __future__ import annotations

import json

from schedules.adjustments import Delay
from schedules.load import load_text
from schedules.model import CueKind
from schedules.timeline import build_timeline, targets_for
from tests.fixtures import MEKONG, Recorder, bangkok, mekong_text

EVENT = "mekong-dialogue-2022"


def _slack_texts(recorder: Recorder) -> list[str]:
    return [json.loads(r.content)["text"] for r in recorder.requests if r.url.path.startswith("/slack")]


async def test_a_delay_posts_a_short_notice_to_the_host_targets_only(database_url, service_for):
    recorder = Recorder()
    service = await service_for(database_url, bangkok(14, 20), transport=recorder)
    runtime, clock = service.runtime, service.clock
    await runtime.engine.tick()  # everything due before 14:20
    await runtime.worker.drain()
    recorder.requests.clear()
    await runtime.run.delay(EVENT, "ana", 180)
    fired = await runtime.engine.tick()
    assert [(f.cue.kind, f.outcome) for f in fired] == [("delay", "fired")]
    await runtime.worker.drain()
    # hosts-slack and hosts-zoom-chat have `hosts: true`; teams, discord and the ops webhook do not.
    assert sorted(recorder.kinds()) == ["slack", "zoom_chat"]
    (text,) = _slack_texts(recorder)
    assert "Delay: Session 1: Preparing for safe migration +3:00" in text
    assert "A host added 3:00 to Session 1: Preparing for safe migration; the segments after it absorb it." in text
    clock.advance(seconds=5)
    assert await runtime.engine.tick() == []  # one notice per delay, not one per re-plan
    # Undone, the notice already posted is corrected on the targets that had it, and nowhere else.
    recorder.requests.clear()
    await runtime.run.undo(EVENT, "ana")
    await runtime.engine.tick()
    await runtime.worker.drain()
    assert sorted(recorder.kinds()) == ["slack", "zoom_chat"]
    assert "please disregard 'Delay: Session 1: Preparing for safe migration +3:00'" in _slack_texts(recorder)[0]


def test_a_host_target_can_filter_the_delay_notice_out_by_kind() -> None:
    text = mekong_text().replace(
        "    token_env: SHOWCALLER_ZOOM_CHAT_TOKEN\n    hosts: true\n",
        "    token_env: SHOWCALLER_ZOOM_CHAT_TOKEN\n    hosts: true\n    filter:\n      kinds: [readiness_check]\n",
    )
    schedule = load_text(text, str(MEKONG))
    assert targets_for(schedule, CueKind.delay, "session-1") == ("hosts-slack",)
    timeline = build_timeline(schedule, [Delay(bangkok(14, 20), seq=3, seconds=-120, mode="shift")])
    (notice,) = [c for c in timeline.cues if c.kind == CueKind.delay]
    assert (notice.id, notice.targets, notice.segment) == ("delay/3", ("hosts-slack",), "session-1")
    assert notice.title == "Brought forward: Session 1: Preparing for safe migration -2:00"
    # A delay of nothing (a no-op) posts nothing; nor does one when no target is for hosts.
    assert not [c for c in build_timeline(schedule, [Delay(bangkok(14, 20), seq=1)]).cues if c.kind == "delay"]
    hostless = load_text(text.replace("    hosts: true\n", ""), str(MEKONG))
    delayed = build_timeline(hostless, [Delay(bangkok(14, 20), seq=1, seconds=60)])
    assert not [c for c in delayed.cues if c.kind == "delay"]


async def test_a_transition_fired_late_says_so_and_an_on_time_one_does_not(database_url, service_for):
    recorder = Recorder()
    service = await service_for(database_url, bangkok(13, 30), transport=recorder)
    runtime, clock = service.runtime, service.clock
    await runtime.engine.tick()  # 13:30 on time
    await runtime.worker.drain()
    on_time = _slack_texts(recorder)
    assert on_time and not any("late" in t for t in on_time)
    recorder.requests.clear()
    clock.set(bangkok(14, 3))  # the service was down or busy at 14:00
    fired = {f.cue.cue_id: f.outcome for f in await runtime.engine.tick()}
    assert fired["segment_start/opening"] == "late"
    await runtime.worker.drain()
    start = next(t for t in _slack_texts(recorder) if "Opening remarks" in t)
    assert "(Posted 3 min late: it was due at 14:00 (GMT+7).)" in start
    # Discord shows times in its own zone (Asia/Yangon, GMT+6:30).
    discord = [json.loads(r.content) for r in recorder.requests if r.url.path.startswith("/discord")]
    assert any("it was due at 13:30 (GMT+6:30)" in json.dumps(d) for d in discord)
