"""Property: however a request spells its target list or its content type, one announcement or timer
queues at most one message per distinct valid target, and every refusal is a 4xx naming the field.

Random target lists (repeats, unknown ids, odd characters, very long lists) and content-type
spellings go through the whole in-process service (text guard, FastAPI, the run rules, the outbox);
after each request the due cues fire and the new deliveries are counted.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.engine.clock import ManualClock
from app.store import outbox_repo
from tests.conftest import bangkok
from tests.fixtures import EVENT, Recorder, Service
from tests.fixtures.mekong import MEKONG, mekong_text
from tests.fixtures.settings import UNREACHABLE, make_settings

TARGETS = ["hosts-slack", "team-teams", "hosts-zoom-chat", "speakers-discord", "ops-webhook"]
CONTENT_TYPES = [
    "application/json",
    "application/JSON",
    "Application/Json; charset=utf-8",
    "APPLICATION/JSON;charset=UTF-8",
    "application/json; charset=utf-8",
]
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

target_id = st.one_of(
    st.sampled_from(TARGETS),
    st.sampled_from(["nowhere", "HOSTS-SLACK", "hosts-slack ", "", "x" * 65]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)
target_list = st.one_of(
    st.lists(target_id, max_size=12),
    st.lists(st.sampled_from(TARGETS), min_size=1, max_size=8),  # repeats of known ids
    # The trial's flood: one id copied thousands of times in a body well under the size limit.
    st.builds(lambda t, n: [t] * n, st.sampled_from(TARGETS), st.integers(101, 20_000)),
    st.builds(lambda n: [f"t{i}" for i in range(n)], st.integers(6, 300)),
)


async def _queued(service: Service, after: int) -> list:
    async with service.runtime.db.begin() as conn:
        rows = await outbox_repo.list_deliveries(conn, EVENT)
    return [r for r in rows if r.seq > after]


async def _one(service: Service, route: str, targets: list[str] | None, content_type: str, ascii_only: bool):
    async with service.runtime.db.begin() as conn:
        before = await outbox_repo.last_delivery_seq(conn)
    if route == "announcements":
        body: dict = {"message": "Coffee is served"}
    else:
        body = {"label": "Q&A", "seconds": 120}
    if targets is not None:
        body["targets"] = targets
    answer = await service.client.post(
        f"/api/events/{EVENT}/{route}",
        content=json.dumps(body, ensure_ascii=ascii_only).encode(),
        headers={"content-type": content_type},
    )
    await service.runtime.engine.tick()  # what the action made due now fires: its deliveries are queued
    return answer, await _queued(service, before)


def test_no_request_queues_more_than_one_message_per_distinct_valid_target(database_url, receiver_env):
    receiver_env(UNREACHABLE)
    loop = asyncio.new_event_loop()
    service = Service(
        make_settings(database_url),
        ManualClock(bangkok(14, 30)),
        Recorder(),
        schedule=(mekong_text(), str(MEKONG)),
        roles={"host": "Hana"},
        login="host",
    )
    loop.run_until_complete(service.start())
    loop.run_until_complete(service.at(bangkok(14, 30)))  # the morning's cues are behind us
    seen: Counter[str] = Counter()

    @EXAMPLES
    # The trial's requests, always tried: one target three times, past the guard's lower-case check.
    @example(route="announcements", targets=["hosts-slack"] * 3, content_type="application/JSON", ascii_only=True)
    @example(route="timers", targets=["hosts-slack"], content_type="Application/Json; charset=utf-8", ascii_only=True)
    @given(
        route=st.sampled_from(["announcements", "announcements", "timers"]),
        targets=st.one_of(st.none(), target_list),
        content_type=st.sampled_from(CONTENT_TYPES),
        ascii_only=st.booleans(),
    )
    def check(route, targets, content_type, ascii_only):
        answer, queued = loop.run_until_complete(_one(service, route, targets, content_type, ascii_only))
        per_target = Counter(r.target_id for r in queued)
        assert all(n == 1 for n in per_target.values()), per_target
        valid = {t for t in targets or () if t in TARGETS}
        if answer.status_code < 300:
            seen["accepted"] += 1
            assert answer.status_code == 201, answer.text
            # An empty or absent list means every target (that takes this kind of cue).
            assert set(per_target) <= (valid or set(TARGETS))
            assert len(queued) <= len(valid or TARGETS)
            if route == "announcements" and targets:
                assert set(per_target) == valid == set(targets)
            return
        seen[f"refused {answer.status_code}"] += 1
        assert 400 <= answer.status_code < 500, answer.text
        assert queued == [], "a refused request queued messages"
        refusal = answer.json()
        fields = [d["field"] for d in refusal.get("details", [])]
        assert fields and all(f.startswith("body") for f in fields), refusal
        if targets is not None and (route == "timers" or len(targets) != len(set(targets))):
            assert any(f.startswith("body.targets") for f in fields), refusal

    try:
        check()
    finally:
        loop.run_until_complete(service.stop())
        loop.close()
    assert seen["accepted"] and sum(n for k, n in seen.items() if k.startswith("refused")), seen
