"""Bounded parsing of uploaded schedules: size limit before parsing, alias bombs and deep nesting
refused (4xx, JSON) by a bounded child process, nothing stored, and every event starts afterwards."""

from __future__ import annotations

import threading

import httpx
import pytest

from app.run.schedule_worker import BoundedParser
from app.store import events_repo, tokens_repo
from schedules.load import INLINE_MAX_BYTES, load_file
from schedules.problems import ScheduleError
from tests.attendance.conftest import EVENT, start_harness
from tests.conftest import MEKONG, bangkok

GOOD_TEXT = MEKONG.read_text()


def alias_bomb() -> str:
    """The 'billion laughs': nine levels of nine aliases, a few hundred bytes of YAML."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def deep(levels: int = 500) -> str:
    return "version: 1\nevent: " + "[" * levels + "]" * levels + "\n"


@pytest.fixture
async def api(database_url, settings_for, receiver_env):
    h = await start_harness(
        database_url,
        settings_for,
        receiver_env,
        bangkok(14, 20),
        settings={"max_schedule_bytes": 64 * 1024, "schedule_parse_seconds": 5, "schedule_parse_memory_mb": 512},
    )
    async with h.runtime.db.begin() as conn:
        _, organiser = await tokens_repo.create_token(conn, "org", "organiser", h.clock.now())
    h.client.headers["authorization"] = f"Bearer {organiser}"
    try:
        yield h
    finally:
        await h.client.aclose()
        await h.runtime.stop()


async def _unchanged(h) -> None:
    async with h.runtime.db.begin() as conn:
        rows = await events_repo.list_events(conn)
    assert [(r.id, r.schedule_text) for r in rows] == [(EVENT, GOOD_TEXT)]


@pytest.mark.parametrize("name", ["alias bomb", "nested 500 deep", "nested 5000 deep"])
async def test_hostile_schedules_are_refused_with_a_located_4xx_and_nothing_is_stored(api, name):
    text = {"alias bomb": alias_bomb(), "nested 500 deep": deep(500), "nested 5000 deep": deep(5000)}[name]
    assert len(text.encode()) < 64 * 1024
    answer = await api.client.post(
        "/api/events",
        content=text.encode(),
        headers={"content-type": "application/yaml", "x-schedule-name": "hostile.yaml"},
    )
    assert 400 <= answer.status_code < 500, answer.text
    refusal = answer.json()
    assert refusal["error"] == "invalid_schedule" and refusal["problems"], refusal
    problem = refusal["problems"][0]
    assert problem["file"] == "hostile.yaml" and problem["line"] >= 1 and problem["message"]
    await _unchanged(api)
    # The service is still there and still steers its event.
    assert (await api.client.get(f"/api/events/{EVENT}/state")).status_code == 200


async def test_a_schedule_over_the_size_limit_is_413_before_parsing(api):
    big = GOOD_TEXT + "\n# " + "x" * (64 * 1024) + "\n"
    answer = await api.client.post("/api/events", content=big.encode(), headers={"content-type": "application/yaml"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "payload_too_large" and "SHOWCALLER_MAX_SCHEDULE_BYTES" in answer.json()["reason"]
    assert answer.json()["limit"] == 64 * 1024
    await _unchanged(api)
    ok = await api.client.post("/api/events", content=GOOD_TEXT.encode(), headers={"content-type": "application/yaml"})
    assert ok.status_code == 201, ok.text


async def test_after_hostile_uploads_a_restart_starts_every_event(api, database_url, service_for):
    for text in (alias_bomb(), deep(500), GOOD_TEXT.replace("title: Mekong", 'title: "\\0Mekong', 1)):
        answer = await api.client.post("/api/events", content=text.encode())
        assert 400 <= answer.status_code < 500
    again = await service_for(
        database_url, bangkok(14, 30), schedule=None, targets_at=None, transport=lambda r: httpx.Response(200)
    )
    assert again.runtime.engine.event_ids() == [EVENT] and again.runtime.quarantined == {}


async def test_the_time_bound_gives_up_on_a_slow_parse():
    # no child answers in no time (and no upload is read on the loop, however small)
    parser = BoundedParser(seconds=0, memory_mb=0, workers=1, inline_max_bytes=0)
    with pytest.raises(Exception) as caught:
        await parser.parse(GOOD_TEXT, "slow.yaml")
    assert "took longer than" in str(caught.value)


async def test_uploads_are_parsed_by_a_warm_child_and_one_that_overstays_is_replaced():
    parser = BoundedParser(seconds=30, memory_mb=0, workers=1, inline_max_bytes=0)  # every upload to a child
    try:
        first = await parser.parse(GOOD_TEXT, "a.yaml")
        [warm] = parser._idle
        again = await parser.parse(GOOD_TEXT, "b.yaml")
        assert parser._idle == [warm] and warm.process.is_alive() and warm.served == 2  # no process per upload
        assert first.event.id == again.event.id == EVENT
        with pytest.raises(ScheduleError) as refused:  # a located problem: the child serves on
            await parser.parse("version: 1\nevent: [\n", "bad.yaml")
        assert "not valid YAML" in str(refused.value) and parser._idle == [warm]
        parser.seconds = 0  # no answer in no time: given up, and that child is not used again
        with pytest.raises(ScheduleError, match="took longer than"):
            await parser.parse(GOOD_TEXT, "slow.yaml")
        assert parser._idle == [] and not warm.process.is_alive()
        parser.seconds = 30
        assert (await parser.parse(GOOD_TEXT, "c.yaml")).event.id == EVENT  # a fresh child
        assert len(parser._idle) == 1 and parser._idle[0] is not warm
    finally:
        parser.close()
    assert parser._idle == []


async def test_small_plain_uploads_are_read_in_process_and_every_other_by_a_child():
    parser = BoundedParser(seconds=30, memory_mb=0, workers=1)
    try:
        assert len(GOOD_TEXT.encode()) <= INLINE_MAX_BYTES
        assert (await parser.parse(GOOD_TEXT, "a.yaml")).event.id == EVENT
        assert parser._idle == []  # no child was started for it
        # A small file that is not plain and valid: the child's answer (with its clearer message).
        with pytest.raises(ScheduleError, match="not valid YAML"):
            await parser.parse("version: 1\nevent: [\n", "bad.yaml")
        [warm] = parser._idle
        # Over the in-process size: the child, even though the file is plain and valid.
        padded = GOOD_TEXT + "# " + "x" * INLINE_MAX_BYTES + "\n"
        assert (await parser.parse(padded, "large.yaml")).event.id == EVENT
        assert parser._idle == [warm] and warm.served == 2
    finally:
        parser.close()
    # The size is the parser's to lower (0: every upload to a child).
    assert BoundedParser(inline_max_bytes=len(GOOD_TEXT) - 1).inline(GOOD_TEXT, "a.yaml") is None


async def test_an_upload_with_invalid_utf8_gets_the_answer_validate_gives_and_nothing_is_stored(api, tmp_path):
    raw = GOOD_TEXT.encode().replace(b"Mekong Dialogue on Labour Mobility", b"Mekong Dialogue \xff on Labour", 1)
    path = tmp_path / "latin.yaml"
    path.write_bytes(raw)
    with pytest.raises(ScheduleError) as validated:
        load_file(path)
    expected = validated.value.problems[0]
    answer = await api.client.post(
        "/api/events", content=raw, headers={"content-type": "application/yaml", "x-schedule-name": "latin.yaml"}
    )
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["problems"]
    assert problem["file"] == "latin.yaml"
    assert (problem["line"], problem["column"], problem["message"], problem["fix"]) == (
        expected.line,
        expected.column,
        expected.message,
        expected.fix,
    )
    assert "0xff" in problem["message"] and problem["line"] > 1
    await _unchanged(api)


async def test_an_upload_is_planned_in_a_thread_before_the_lock_and_again_under_it_when_held(api, monkeypatch):
    import app.engine.cache as engine_cache  # every timeline the engine builds goes through EventCache.build

    planned: list[tuple[bool, bool]] = []
    plan = engine_cache.build_timeline
    loop_thread = threading.current_thread()

    def recording(*args, **kwargs):
        planned.append((threading.current_thread() is loop_thread, api.runtime.engine.lock.locked()))
        return plan(*args, **kwargs)

    monkeypatch.setattr(engine_cache, "build_timeline", recording)
    edited = GOOD_TEXT.replace("title: Mekong Dialogue on Labour Mobility", "title: Mekong Dialogue, edited", 1)
    answer = await api.client.post("/api/events", content=edited.encode(), headers={"content-type": "text/yaml"})
    assert answer.status_code == 201, answer.text
    # A worker thread, without the lock: firing other cues goes on meanwhile; the draft is kept.
    assert planned == [(False, False)]
    # On hold the plan depends on the moment it is made: planned again, in a thread, under the lock.
    assert (await api.client.post(f"/api/events/{EVENT}/hold")).status_code == 200
    planned.clear()
    answer = await api.client.post("/api/events", content=GOOD_TEXT.encode(), headers={"content-type": "text/yaml"})
    assert answer.status_code == 201, answer.text
    assert planned[:2] == [(False, False), (False, True)]
    state = (await api.client.get(f"/api/events/{EVENT}/state")).json()
    assert state["held"], state
