"""A fast Mekong rehearsal reaches all five kinds of local receivers, each message verified.

Both tests read one rehearsal (about 7 s of real time at speed 2400), run once for the module:
its console transcript, its summary, and what /metrics answered while its console was up.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
from dataclasses import dataclass
from io import StringIO

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from app.rehearsal.rehearse import rehearse
from tests.conftest import MEKONG


@dataclass
class Rehearsal:
    transcript: str  # what the console printed
    summary: object  # what rehearse() returned
    metrics: str  # GET /metrics while the console was still up


async def _rehearse(folder) -> Rehearsal:
    out, done, stop = StringIO(), asyncio.Event(), asyncio.Event()
    lines: list[str] = []
    task = asyncio.create_task(
        rehearse(
            str(MEKONG),
            speed=2400,
            console=Console(file=out, width=120),
            port=18765,
            receivers_port=18766,
            database_url=f"sqlite+aiosqlite:///{folder / 'r.db'}",
            keep_open=math.inf,
            stop=stop,
            on_done=lambda summary, line: (lines.append(line), done.set()),
        )
    )
    try:
        await asyncio.wait_for(done.wait(), 300)
        # The port actually used (a taken one is replaced), from the console line the rehearsal prints.
        base = lines[0].split()[1].split("/console/")[0]
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"{base}/metrics")).text
    finally:
        stop.set()
    summary = await task
    return Rehearsal(out.getvalue(), summary, metrics)


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory) -> Rehearsal:
    """One rehearsal for the module, run in an event loop of its own (tests only read it)."""
    result: list = []

    def run() -> None:
        try:
            result.append(asyncio.run(_rehearse(tmp_path_factory.mktemp("rehearsal"))))
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            result.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def test_rehearsal_posts_to_every_kind_of_receiver(rehearsal):
    summary, text = rehearsal.summary, rehearsal.transcript
    assert set(summary.received) == {"slack", "teams", "zoom_chat", "discord", "webhook"}
    # Everything planned went out and was accepted (signatures and tokens verified by the receivers),
    # and the recording's start and stop reached the sandbox Zoom (its @zoom deliveries, issue 29).
    assert summary.deliveries == {"sent": sum(summary.received.values()) + 2}
    assert "zoom_action" in text and "@zoom" in text
    # The rehearsal's clock waits for the service (app/rehearsal/clock.py): at 2400x on a loaded
    # machine nothing fires late or is skipped, and every respondent's timer starts on its slot's cue.
    assert summary.fired >= 35 and summary.late == 0 and summary.skipped == 0
    assert summary.timers == 6
    assert "Now: Opening remarks" in text and "Group photo" in text
    # Compact: one line per cue and one per cue's deliveries, never a panel per message.
    assert "[Slack #hosts-slack]" not in text and "╭" not in text
    assert "segment_start delivered 5/5 hosts-slack, hosts-zoom-chat, ops-webhook, speakers-discord, team-teams" in text


def test_the_transcript_shows_host_actions_what_was_announced_and_agreeing_webhook_counts(rehearsal):
    text = rehearsal.transcript
    session = "Session 2: Promoting healthy labour mobility"
    assert f"host action          delay {session} by 4 minutes (rehearsal)" in text
    assert re.search(r"host action +stop timer t1 after \d+:\d\d \(rehearsal\)", text)
    # An announcement's line carries what it said, not the bare word.
    assert f"announcement         Announcement: {session} runs 4 minutes over; the discussion" in text
    # The delay's own notice, to the host targets only.
    assert f"delay                Delay: {session} +4:00" in text
    assert re.search(r"-> \S+ delay delivered 2/2 hosts-slack, hosts-zoom-chat", text)
    # The opening says how many webhooks the sandbox meeting will send; the closing counts those sent.
    opening = re.search(r"Sandbox Zoom meeting \d+: (\d+) signed webhooks will arrive", text)
    assert opening is not None and int(opening.group(1)) == rehearsal.summary.webhooks > 0


def test_metrics_during_a_rehearsal_count_cues_and_deliveries(rehearsal):
    """What `curl /metrics` shows while a rehearsal's console is up."""
    summary, text = rehearsal.summary, rehearsal.metrics
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[sample.name] = values.get(sample.name, 0) + sample.value
    fired_or_late = sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "showcaller_cues_total" and s.labels["outcome"] in ("fired", "late")
    )
    sent = sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "showcaller_deliveries_total" and s.labels["status"] == "sent"
    )
    assert fired_or_late == summary.fired > 0
    assert sent == summary.deliveries.get("sent", 0) > 0
    assert values["showcaller_zoom_api_calls_total"] > 0  # the sandbox meeting was created over the API
    assert values["showcaller_webhooks_total"] >= summary.webhooks > 0  # plus the sandbox's own (meeting started)
