"""The demo's native button press (`showcaller demo`, `rehearse --chat-click`): a Slack app card
posted to the local Slack Web API fake, a forged click refused, one "Next" acting once, the card
updated. A short show (tests/app/schedules/short-show.yaml), rehearsed once for the module without
the sandbox Zoom."""

from __future__ import annotations

import asyncio
import re
import threading
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from app.rehearsal.rehearse import rehearse

SHOW = Path(__file__).parent / "schedules" / "short-show.yaml"


@pytest.fixture(scope="module")
def rehearsed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chat-click")
    out, result = StringIO(), []

    def run() -> None:
        try:
            summary = asyncio.run(
                rehearse(
                    str(SHOW),
                    speed=300,
                    console=Console(file=out, width=200),
                    port=18775,
                    receivers_port=18776,
                    database_url=f"sqlite+aiosqlite:///{folder / 'r.db'}",
                    zoom=False,
                    chat_click=True,
                )
            )
            result.append(summary)
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            result.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0], out.getvalue()


def test_a_forged_click_is_refused_and_one_next_acts_once_and_updates_the_card(rehearsed):
    summary, text = rehearsed
    clicks = summary.chat_clicks
    assert len(clicks) == 3, clicks  # forged, pressed, the card's update (no refusal told to the producer)
    assert clicks[0].startswith("a forged Slack click (wrong signing secret) on 'Next: Closing' in #C0DEMOHOSTS")
    assert "answered 401 X-Slack-Signature does not match the body" in clicks[0]
    assert clicks[1] == "Slack button 'Next: Closing' pressed in #C0DEMOHOSTS: answered 200"
    assert re.fullmatch(r"the Slack card now says: Advanced to Closing by Somchai Prasert, 10:4\d", clicks[2])
    assert re.search(r"host action +Slack button 'Next: Closing' pressed .*\(Somchai Prasert via Slack\)", text)
    # One advance: the closing starts once, early (before its planned 10:45), and nothing is parked.
    assert text.count("segment_start        Now: Closing") == 1
    assert re.search(r"10:4[0-4]:\d\d segment_start +Now: Closing", text)
    assert summary.deliveries == {"sent": sum(summary.received.values())}


def test_the_demo_target_gets_its_card_and_the_hosts_alerts_and_nothing_else(rehearsed):
    summary, text = rehearsed
    assert re.search(r"-> \S+ segment_ending_soon delivered 2/2 demo-slack-app, hosts-slack", text)
    assert not re.search(r"segment_start delivered \d/\d .*demo-slack-app", text)
