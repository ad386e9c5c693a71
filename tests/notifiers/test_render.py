import json
from datetime import UTC, datetime

import pytest

from integrations.notifiers import Severity, render, render_for
from integrations.notifiers.render import discord, slack
from integrations.notifiers.signing import verify_signature

from .conftest import (
    ALL_KINDS,
    NOW,
    WEBHOOK_SECRET,
    ZOOM_TOKEN,
    fixed_clock,
    make_notification,
    make_target,
)


def test_slack_has_blocks_and_plain_fallback(notification):
    request = render("slack", notification)
    payload = json.loads(request.body)
    assert request.content_type.startswith("application/json")
    assert payload["text"].startswith("Session 1 starts now: Please admit")
    types = [b["type"] for b in payload["blocks"]]
    assert types[0] == "header" and types[-1] == "context" and "section" in types
    header = payload["blocks"][0]["text"]
    assert header == {"type": "plain_text", "text": "Session 1 starts now", "emoji": True}
    fields = next(b["fields"] for b in payload["blocks"] if "fields" in b)
    assert {"type": "mrkdwn", "text": "*Ends at*\n15:00 (GMT+7)"} in fields
    links = payload["blocks"][-2]["text"]["text"]
    assert "<https://zoom.us/j/81234567890|Join Zoom>" in links
    assert "Mekong Dialogue 2022 · Session 1: Water and Energy · 14:15 (GMT+7)" in json.dumps(
        payload["blocks"][-1], ensure_ascii=False
    )


def test_slack_escapes_control_characters_and_mentions():
    n = make_notification(text="<!channel> ping & <https://evil|x>", title="A" * 400)
    payload = slack.build(n, n.text)
    body = payload["blocks"][1]["text"]["text"]
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body and "&amp;" in body
    assert "<!channel>" not in payload["text"]
    assert len(payload["blocks"][0]["text"]["text"]) == 150


def test_slack_splits_many_fields_and_respects_block_limits():
    fields = [(f"Label {i}", "v" * 3000) for i in range(23)]
    payload = slack.build(make_notification(fields=fields), "x" * 5000)
    sections = [b for b in payload["blocks"] if "fields" in b]
    assert [len(s["fields"]) for s in sections] == [10, 10, 3]
    assert all(len(f["text"]) <= 2000 for s in sections for f in s["fields"])
    assert len(payload["blocks"][1]["text"]["text"]) <= 3000
    assert len(payload["text"]) <= 3000 and len(payload["blocks"]) <= 50


def test_teams_adaptive_card(notification):
    payload = json.loads(render("teams", notification).body)
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    kinds = [e["type"] for e in card["body"]]
    assert kinds == ["TextBlock", "TextBlock", "FactSet", "TextBlock"]
    assert card["body"][0]["text"] == "Session 1 starts now" and card["body"][0]["wrap"]
    assert {"title": "Speakers", "value": "Dr. Ana Lim, Mr. Sok Chea"} in card["body"][2]["facts"]
    assert card["actions"][0] == {
        "type": "Action.OpenUrl",
        "title": "Join Zoom",
        "url": "https://zoom.us/j/81234567890",
    }


def test_teams_title_colour_follows_severity():
    card = json.loads(render("teams", make_notification(severity="danger")).body)
    assert card["attachments"][0]["content"]["body"][0]["color"] == "Attention"


def test_discord_embed(notification):
    payload = json.loads(render("discord", notification).body)
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["content"] == "Session 1 starts now"
    (embed,) = payload["embeds"]
    assert embed["title"] == "Session 1 starts now"
    assert embed["timestamp"] == "2025-01-14T07:15:00Z"
    assert embed["url"] == "https://zoom.us/j/81234567890"
    assert embed["color"] == discord.COLORS[Severity.info]
    assert {"name": "Ends at", "value": "15:00 (GMT+7)", "inline": True} in embed["fields"]
    assert embed["description"].endswith(
        "[Join Zoom](https://zoom.us/j/81234567890) · [Console](http://127.0.0.1:8000/console)"
    )


def test_discord_limits_hold_for_huge_inputs():
    n = make_notification(
        title="T" * 3000,
        text="x" * 10_000,
        fields=[("N" * 300, "v" * 2000) for _ in range(40)] + [("empty", "")],
        severity="warning",
    )
    payload = discord.build(n, n.text)
    embed = payload["embeds"][0]
    assert len(payload["content"]) <= 2000
    assert len(embed["title"]) <= 256
    assert len(embed.get("description", "")) <= 4096
    assert len(embed["fields"]) <= 25
    assert all(0 < len(f["value"]) <= 1024 and 0 < len(f["name"]) <= 256 for f in embed["fields"])
    assert discord._size(embed) <= 6000
    assert payload["content"].startswith("⚠️ ")


def test_discord_content_is_capped_at_2000():
    payload = discord.build(make_notification(title="é" * 5000), "")
    assert len(payload["content"]) == 2000 and payload["content"].endswith("…")


def test_discord_long_text_keeps_links_visible():
    payload = discord.build(make_notification(), "y" * 9000)
    description = payload["embeds"][0]["description"]
    assert len(description) == 4096
    assert description.endswith("(http://127.0.0.1:8000/console)") and "…" in description


def test_zoom_chat_full_format_and_token(notification):
    request = render("zoom_chat", notification, token=ZOOM_TOKEN, zoom_format="full")
    assert request.headers["authorization"] == ZOOM_TOKEN
    content = json.loads(request.body)["content"]
    assert content["head"]["text"] == "Session 1 starts now"
    assert content["body"][0] == {"type": "message", "text": notification.text}
    assert content["body"][1]["type"] == "fields"
    assert {"type": "message", "text": "Join Zoom", "link": "https://zoom.us/j/81234567890"} in (content["body"])


def test_zoom_chat_plain_text_when_url_has_no_structured_format(notification):
    target = make_target("zoom_chat", url="https://integrations.zoom.us/chat/webhooks/x/ID?format=message")
    request = render_for(target, notification)
    assert request.content_type.startswith("text/plain") and request.payload is None
    text = request.body.decode()
    assert text.splitlines()[0] == "Session 1 starts now"
    assert "Ends at: 15:00 (GMT+7)" in text and "Join Zoom: https://zoom.us/j/81234567890" in text


def test_webhook_envelope_is_signed_with_the_delivery_id(notification):
    request = render("webhook", notification, secret=WEBHOOK_SECRET, clock=fixed_clock)
    payload = json.loads(request.body)
    assert payload["type"] == "cue.segment_start" and payload["timestamp"] == "2025-01-14T07:15:00Z"
    data = payload["data"]
    for key in (
        "delivery_id",
        "event_id",
        "event_title",
        "cue_id",
        "kind",
        "title",
        "text",
        "at",
        "timezone",
        "segment_title",
        "fields",
        "links",
        "severity",
        "local_time",
    ):
        assert key in data
    assert data["fields"][1] == {"label": "Ends at", "value": "15:00 (GMT+7)", "at": "2025-01-14T08:00:00Z"}
    assert request.headers["webhook-id"] == notification.delivery_id
    assert request.headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert verify_signature(WEBHOOK_SECRET, request.body, request.headers, now=NOW) == (notification.delivery_id)


def test_webhook_retry_keeps_the_id_and_re_signs_with_the_new_time(notification):
    first = render("webhook", notification, secret=WEBHOOK_SECRET, clock=fixed_clock)
    later = datetime(2025, 1, 14, 7, 16, tzinfo=UTC)
    retry = render("webhook", notification, secret=WEBHOOK_SECRET, clock=lambda: later)
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]
    assert first.body == retry.body
    assert first.headers["webhook-signature"] != retry.headers["webhook-signature"]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_target_timezone_changes_displayed_times(kind, notification):
    target = make_target(kind, timezone="Europe/Paris")
    body = render_for(target, notification, clock=fixed_clock).body.decode()
    assert "08:15 (GMT+1)" in body and "09:00 (GMT+1)" in body
    assert "14:15 (GMT+7)" not in body


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_template_replaces_the_body_text(kind, notification):
    target = make_target(kind)
    template = "Now: {{ title }} — ends {{ field['Ends at'] }}"
    body = render_for(target, notification, template, clock=fixed_clock).body.decode()
    assert "Now: Session 1 starts now — ends 15:00 (GMT+7)" in body
    assert "Please admit panelists" not in body


def test_unknown_kind_is_refused(notification):
    with pytest.raises(ValueError):
        render("carrier_pigeon", notification)
