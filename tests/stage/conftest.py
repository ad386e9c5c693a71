"""The real app over ASGI with a manual clock on the Mekong schedule, and tokens of every role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import yaml

from app.engine.clock import ManualClock
from app.main import create_app
from app.runtime import Runtime
from app.store import tokens_repo
from tests.conftest import MEKONG, bangkok

EVENT = "mekong-dialogue-2022"
COUNTRIES = ["Lao PDR", "Viet Nam", "Thailand", "Myanmar", "Cambodia", "China"]


def mekong_named(respondents: int = 6, **stage) -> str:
    """The Mekong file with its first `respondents` country slots named (people added), and stage settings."""
    doc = yaml.safe_load(MEKONG.read_text())
    slots = [(seg, k) for seg in doc["segments"] if seg.get("respondents") for k in range(seg["respondents"]["count"])]
    for n, (seg, _) in enumerate(slots[:respondents]):
        person = f"respondent-{n + 1}"
        doc["people"].append(
            {
                "id": person,
                "name": f"Respondent Person {n + 1}",
                "country": COUNTRIES[n],
                "email": f"{person}@example.org",
                "roles": ["respondent"],
            }
        )
        seg["respondents"].setdefault("slots", []).append({"person": person, "country": COUNTRIES[n]})
    if stage:
        doc["stage"] = stage
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@dataclass
class Live:
    runtime: Runtime
    client: httpx.AsyncClient
    clock: ManualClock
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
async def live(tmp_path, database_url, settings_for) -> AsyncIterator[Live]:
    """Session 1 at 14:36 Bangkok (its first respondent's turn), tokens for stage, viewer, host, organiser."""
    clock = ManualClock(bangkok(14, 36))
    runtime = Runtime(settings_for(database_url, sandbox_state_path=str(tmp_path / "zoom.json")), clock=clock)
    await runtime.start(run_timer=False, run_worker=False)
    await runtime.engine.load_schedule(
        mekong_named(call_before={"speaker": "20m", "respondent": "15m"}), "mekong-named.yaml"
    )
    tokens = {}
    async with runtime.db.begin() as conn:
        for role in tokens_repo.ROLES:
            _, tokens[role] = await tokens_repo.create_token(conn, f"{role} token", role, clock.now())
        _, tokens["stage-other-event"] = await tokens_repo.create_token(
            conn, "elsewhere", "stage", clock.now(), event_id="another-event"
        )
        _, tokens["stage-respondent-1"] = await tokens_repo.create_token(
            conn, "Respondent Person 1", "stage", clock.now(), event_id=EVENT, person="respondent-1"
        )
    app = create_app(runtime.settings, runtime=runtime)
    app.state.runtime = runtime
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        client.app = app
        yield Live(runtime, client, clock, tokens)
    await runtime.stop()
