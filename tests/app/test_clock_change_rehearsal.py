"""The clock-change examples run on the real engine with a manual clock: every planned cue fires
exactly once, at its own instant, across the night the clocks change."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from schedules.load import load_file
from schedules.timeline import plan_cues
from tests.conftest import MEKONG

EXAMPLES = MEKONG.parent / "examples"


@pytest.mark.parametrize("name", ["spring-forward-webinar.yaml", "fall-back-meeting.yaml"])
async def test_every_cue_fires_once_at_its_instant(name, database_url, service_for):
    path = EXAMPLES / name
    planned = plan_cues(load_file(path))
    service = await service_for(
        database_url,
        min(c.at for c in planned) - timedelta(hours=1),
        transport=lambda request: httpx.Response(204),
        schedule=path,
    )
    runtime, clock = service.runtime, service.clock
    fired: list[tuple[str, object]] = []
    # Step the clock to each planned instant in turn: a cue must fire at its instant, not before.
    for instant in sorted({c.at for c in planned}):
        clock.set(instant)
        for f in await runtime.engine.tick():
            assert f.outcome == "fired", (f.cue.cue_id, f.outcome)
            fired.append((f.cue.cue_id, clock.now()))
    assert sorted(cue_id for cue_id, _ in fired) == sorted(c.id for c in planned)
    assert dict(fired) == {c.id: c.at for c in planned}
