"""Two runtimes on one PostgreSQL database, in one process and on one manual clock: each engine
write first brings the cached event up to date with what the other stored, so rules are checked
against the stored state and nothing is written from a stale cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.core.errors import Conflict
from app.engine.clock import ManualClock
from app.engine.service import UnknownEvent
from tests.engine.helpers import Drill
from tests.fixtures.service import Runtime

pytestmark = pytest.mark.postgres

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def _runtime(database_url: str, settings_for, clock) -> Runtime:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    runtime = Runtime(settings_for(database_url), clock=clock, transport=transport)
    await runtime.start(run_timer=False, run_worker=False)
    return runtime


async def test_each_write_sees_what_the_other_instance_stored(shared_database, settings_for):
    clock = ManualClock(START + timedelta(minutes=5))
    drill = Drill("shared", START, segments=[("opening", 1800), ("talk", 1800)])
    first = await _runtime(shared_database, settings_for, clock)
    second = await _runtime(shared_database, settings_for, clock)
    try:
        await first.run.load_schedule(drill.yaml(), "shared.yaml")
        # The second instance never heard of the event; a host action there loads it first.
        await second.run.hold("shared", "host-b")
        with pytest.raises(Conflict, match="already on hold"):
            await first.run.hold("shared", "host-a")  # its cache had no hold; the stored log has
        assert [a.kind for a in first.engine.loaded("shared").actions] == ["hold"]

        # A schedule edited on one instance is what the other acts on next.
        edited = Drill("shared", START, segments=[("opening", 1800), ("panel", 1800)])
        await second.run.load_schedule(edited.yaml(), "shared.yaml")
        await first.run.resume("shared", "host-a")
        assert [s.id for s in first.engine.loaded("shared").schedule.segments] == ["opening", "panel"]
        assert [a.seq for a in second.engine.loaded("shared").actions] == [1]  # not refreshed yet: no write
        assert "shared" in await second.engine.refresh(["shared"])
        assert [a.kind for a in second.engine.loaded("shared").actions] == ["hold", "resume"]

        # Removed on one, gone from the other at its next refresh; its writes then find no event.
        await first.engine.forget("shared")
        assert await second.engine.refresh() == {"shared"}
        with pytest.raises(UnknownEvent):
            await second.run.hold("shared", "host-b")
    finally:
        await second.stop()
        await first.stop()


async def test_a_rehearsal_refuses_a_database_another_instance_dispatches_on(shared_database, settings_for):
    from io import StringIO

    from rich.console import Console

    from app.core.failures import ExitCode, Failure
    from app.engine.clock import SystemClock
    from app.rehearsal.rehearse import rehearse
    from tests.conftest import MEKONG
    from tests.engine.helpers import free_port

    serving = Runtime(settings_for(shared_database), clock=SystemClock())
    await serving.start()  # the only instance: it dispatches
    try:
        assert serving.role == "dispatcher"
        with pytest.raises(Failure, match="another `showcaller serve` dispatches on this database") as refused:
            await rehearse(
                str(MEKONG),
                speed=600,
                console=Console(file=StringIO()),
                port=free_port(),
                receivers_port=free_port(),
                database_url=shared_database,
                zoom=False,
            )
        assert refused.value.exit_code == ExitCode.ALREADY_RUNNING
    finally:
        await serving.stop()
