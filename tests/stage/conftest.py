"""The real app over ASGI (the harness's in-process service) on the Mekong schedule, tokens of every role."""

from __future__ import annotations

import pytest
import yaml

from app.store import tokens_repo
from tests.conftest import MEKONG, bangkok
from tests.fixtures import Service

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


@pytest.fixture
async def live(tmp_path, database_url, service_for) -> Service:
    """Session 1 at 14:36 Bangkok (its first respondent's turn), tokens for stage, viewer, host, organiser."""
    live = await service_for(
        database_url,
        bangkok(14, 36),
        settings={"sandbox_state_path": str(tmp_path / "zoom.json")},
        targets_at=None,
        schedule=(mekong_named(call_before={"speaker": "20m", "respondent": "15m"}), "mekong-named.yaml"),
        tokens={role: f"{role} token" for role in tokens_repo.ROLES},
    )
    async with live.runtime.db.begin() as conn:
        _, live.tokens["stage-other-event"] = await tokens_repo.create_token(
            conn, "elsewhere", "stage", live.clock.now(), event_id="another-event"
        )
        _, live.tokens["stage-respondent-1"] = await tokens_repo.create_token(
            conn, "Respondent Person 1", "stage", live.clock.now(), event_id=EVENT, person="respondent-1"
        )
    return live
