"""Shared fixtures: a realistic notification, targets for every kind, and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.notifiers import Notification, TargetConfig

NOW = datetime(2025, 1, 14, 7, 15, tzinfo=UTC)
SLACK_URL = "https://hooks.slack.com/services/T000ABC/B000DEF/XyZsEcReTtOkEn1234567890"
TEAMS_URL = (
    "https://prod-12.westeurope.logic.azure.com:443/workflows/0a1b2c3d/triggers/manual/paths/"
    "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=TeAmSsIgSeCrEt987654"
)
DISCORD_URL = "https://discord.com/api/webhooks/123456789012345678/DiScOrDtOkEnSeCrEt_abcdef"
ZOOM_URL = "https://integrations.zoom.us/chat/webhooks/incomingwebhook/ZoOmWeBhOoKiD42?format=full"
ZOOM_TOKEN = "zoomVerificationToken42"
WEBHOOK_URL = "https://ops.example.org/hooks/showcaller"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def fixed_clock() -> datetime:
    return NOW


def make_notification(**overrides) -> Notification:
    values = {
        "delivery_id": "dlv_01HZX-seg1-start-hosts",
        "event_id": "mekong-2022",
        "event_title": "Mekong Dialogue 2022",
        "cue_id": "seg1.start",
        "kind": "segment_start",
        "title": "Session 1 starts now",
        "text": "Please admit panelists and start the recording.",
        "at": NOW,
        "timezone": "Asia/Bangkok",
        "segment_title": "Session 1: Water and Energy",
        "fields": [
            ("Speakers", "Dr. Ana Lim, Mr. Sok Chea"),
            ("Ends at", datetime(2025, 1, 14, 8, 0, tzinfo=UTC)),
            ("Next", "Coffee break"),
        ],
        "links": [
            ("Join Zoom", "https://zoom.us/j/81234567890"),
            ("Console", "http://127.0.0.1:8000/console"),
        ],
    }
    values.update(overrides)
    return Notification(**values)


@pytest.fixture
def notification() -> Notification:
    return make_notification()


TARGET_ARGS = {
    "slack": {"url": SLACK_URL},
    "teams": {"url": TEAMS_URL},
    "discord": {"url": DISCORD_URL},
    "zoom_chat": {"url": ZOOM_URL, "token": ZOOM_TOKEN},
    "webhook": {"url": WEBHOOK_URL, "secret": WEBHOOK_SECRET},
}


def make_target(kind: str, **overrides) -> TargetConfig:
    return TargetConfig(**{"id": f"{kind}-hosts", "kind": kind, **TARGET_ARGS[kind], **overrides})


ALL_KINDS = list(TARGET_ARGS)
