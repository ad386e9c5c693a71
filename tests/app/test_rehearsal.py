"""A fast Mekong rehearsal reaches all five kinds of local receivers, each message verified."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from app.rehearsal import rehearse
from tests.conftest import MEKONG


async def test_rehearsal_posts_to_every_kind_of_receiver(tmp_path):
    out = StringIO()
    summary = await rehearse(str(MEKONG), speed=2400, console=Console(file=out, width=120), port=18765,
                             receivers_port=18766, database_url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    assert set(summary.received) == {"slack", "teams", "zoom_chat", "discord", "webhook"}
    # Everything planned went out and was accepted (signatures and tokens verified by the receivers).
    assert summary.deliveries == {"sent": sum(summary.received.values())}
    assert summary.fired >= 35 and summary.timers == 6
    text = out.getvalue()
    assert "Now: Opening remarks" in text and "Group photo" in text
    # Compact: one line per cue and one per cue's deliveries, never a panel per message.
    assert "[Slack #hosts-slack]" not in text and "╭" not in text
    assert "segment_start delivered 5/5 hosts-slack, hosts-zoom-chat, ops-webhook, speakers-discord, team-teams" in text
