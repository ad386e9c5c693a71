"""A target's lane is never blocked longer than its messages matter: every cue kind has a finite
deadline, and a backlog on a paced lane (Slack: one message per second) drains by expiring what
can no longer be sent in time, so a later cue behind it still goes out before its own deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.engine.lateness import deadline, decide
from app.store import outbox_repo
from integrations.notifiers.pacing import SlackPacer
from schedules.model import CueKind
from tests.conftest import bangkok
from tests.fixtures import EVENT, Recorder

DUE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GIVE_UP = timedelta(minutes=15)
GRACE = timedelta(seconds=2)  # the delivery worker's queueing grace at clock speed 1


@pytest.mark.parametrize("kind", list(CueKind))
def test_every_cue_kind_has_a_deadline_within_its_segment_or_the_give_up_time(kind):
    with_segment = {
        "start": (DUE - timedelta(minutes=10)).isoformat(),
        "end": (DUE + timedelta(minutes=30)).isoformat(),
        "ends": (DUE + timedelta(minutes=2)).isoformat(),
        "minutes": 3,
    }
    for data, bound in ((with_segment, DUE + timedelta(minutes=30)), ({}, DUE + GIVE_UP)):
        until = deadline(kind.value, DUE, data, GIVE_UP)
        assert DUE - timedelta(minutes=10) <= until <= max(bound, DUE + GIVE_UP), (kind, data)
        # A cue found a day late never fires: nothing is posted, or queued, past its deadline.
        assert not decide(kind.value, DUE, DUE + timedelta(days=1), data, GIVE_UP).fire


async def test_a_paced_backlog_expires_instead_of_blocking_later_cues(database_url, service_for):
    service = await service_for(
        database_url,
        bangkok(14, 30),
        transport=Recorder(),
        tokens={"host": "Hana"},
        login="host",
        settings={"delivery_give_up_minutes": 1},
    )
    await service.at(bangkok(14, 30))
    clock, worker = service.clock, service.runtime.worker

    async def sleep(seconds: float) -> None:  # the pacer waits on the event clock, which the test drives
        clock.advance(seconds=seconds)

    worker.pacer = SlackPacer(clock=lambda: clock.now().timestamp(), sleep=sleep)
    start = bangkok(14, 31)
    clock.set(start)
    base = f"/api/events/{EVENT}"
    for number in range(75):  # 75 announcements to the Slack target: 75 s of pacing, give-up is 60 s
        answer = await service.client.post(
            f"{base}/announcements", json={"message": f"Notice {number}", "targets": ["hosts-slack"]}
        )
        assert answer.status_code == 201, answer.text
    await service.runtime.engine.tick()
    clock.set(start + timedelta(seconds=10.5))
    assert (await service.client.post(f"{base}/advance", json={"from": "session-1"})).status_code == 200
    await service.runtime.engine.tick()  # the next segment's start queues behind the backlog

    await worker.drain()

    async with service.runtime.db.begin() as conn:
        rows = await outbox_repo.list_deliveries(conn, EVENT)
    lane = sorted((r for r in rows if r.target_id == "hosts-slack" and r.created_at >= start), key=lambda r: r.seq)
    backlog = [r for r in lane if r.cue_id.startswith("announcement/")]
    assert len(backlog) == 75 and {r.status for r in lane} == {"sent", "expired"}
    sent = [r for r in backlog if r.status == "sent"]
    expired = [r for r in backlog if r.status == "expired"]
    # Sent one per second from 10.5 s until the backlog's deadline (60 s + the grace), the rest expired.
    assert len(sent) == 52 and len(expired) == 23
    assert all(r.sent_at <= r.expires_at + GRACE for r in sent)
    assert all("pacing" in r.last_error for r in expired)
    (opening,) = [r for r in lane if r.cue_id == "segment_start/discussion-1"]
    assert opening.status == "sent" and opening.sent_at <= opening.expires_at
    assert opening.sent_at - start <= timedelta(seconds=64)  # right after the backlog expired
    assert clock.now() - start <= timedelta(seconds=64)  # the lane was never held past that
