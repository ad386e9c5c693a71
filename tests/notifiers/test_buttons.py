"""Action buttons in rendered messages: each platform's link buttons, within its documented limits,
checked by the receivers' validators as the real services would."""

from __future__ import annotations

import json

import httpx
import pytest

from integrations.notifiers import render, send
from integrations.notifiers.render import discord, slack, teams, zoom_chat
from integrations.receivers import shapes

from .conftest import DISCORD_URL, ZOOM_TOKEN, fixed_clock, make_notification, make_target

ACT = "https://show.example.org/act/mekong-2022/sca_" + "x" * 43
BUTTONS = [("Next: Session 2: Food Security", ACT + "1"), ("+5 min", ACT + "2"), ("Undo: advance", ACT + "3")]


def _with_buttons(buttons=BUTTONS, **kw):
    return make_notification(buttons=buttons, **kw)


def test_without_buttons_payloads_are_unchanged():
    plain = make_notification()
    for kind in ("slack", "teams", "discord", "zoom_chat"):
        request = render(kind, plain, token=ZOOM_TOKEN)
        assert request.params == {}
        assert "/act/" not in request.body.decode()
    assert "components" not in discord.build(plain, plain.text)
    assert not any(b["type"] == "actions" for b in slack.build(plain, plain.text)["blocks"])


def test_slack_link_buttons_in_an_actions_block():
    n = _with_buttons()
    request = render("slack", n)
    payload = json.loads(request.body)
    actions = [b for b in payload["blocks"] if b["type"] == "actions"]
    assert len(actions) == 1 and payload["blocks"][-1]["type"] == "context"
    elements = actions[0]["elements"]
    assert [(e["text"]["text"], e["url"]) for e in elements] == BUTTONS
    assert all(e["type"] == "button" and e["text"]["type"] == "plain_text" for e in elements)
    assert len({e["action_id"] for e in elements}) == 3  # unique within the message
    _, human = shapes.slack(request.body)
    assert "[+5 min](" in human


def test_slack_button_limits_hold():
    many = [("L" * 500, f"{ACT}{i}") for i in range(40)] + [("too long", "https://x.example/" + "u" * 3000)]
    payload = slack.build(_with_buttons(many), "text")
    elements = next(b for b in payload["blocks"] if b["type"] == "actions")["elements"]
    assert len(elements) == slack.ACTIONS_MAX == 25
    assert all(len(e["text"]["text"]) <= 75 and len(e["url"]) <= 3000 for e in elements)
    shapes.slack(json.dumps(payload).encode())  # the receiver accepts it


def test_teams_open_url_actions_come_first():
    n = _with_buttons()
    payload = json.loads(render("teams", n).body)
    card = payload["attachments"][0]["content"]
    actions = [(a["type"], a["title"], a["url"]) for a in card["actions"]]
    assert actions[:3] == [("Action.OpenUrl", label, url) for label, url in BUTTONS]
    assert ("Action.OpenUrl", "Join Zoom", n.links[0][1]) in actions  # the links follow, room permitting
    assert len(actions) <= teams.MAX_ACTIONS
    shapes.teams(render("teams", n).body)


def test_teams_keeps_buttons_when_links_do_not_fit():
    many = [(f"B{i}", f"{ACT}{i}") for i in range(8)]
    card = teams.build(_with_buttons(many), "text")["attachments"][0]["content"]
    assert [a["title"] for a in card["actions"]] == [f"B{i}" for i in range(teams.MAX_ACTIONS)]


def test_discord_link_buttons_need_with_components():
    n = _with_buttons()
    request = render("discord", n)
    assert request.params == {"with_components": "true"}  # else Discord drops a webhook's components
    payload = json.loads(request.body)
    assert payload["components"] == [
        {"type": 1, "components": [{"type": 2, "style": 5, "label": label, "url": url} for label, url in BUTTONS]}
    ]
    _, human = shapes.discord(request.body)
    assert "[Undo: advance](" in human


def test_discord_button_limits_hold():
    many = [("L" * 200, f"{ACT}{i}") for i in range(30)] + [("long url", "https://x.example/" + "u" * 600)]
    rows = discord.build(_with_buttons(many), "text")["components"]
    assert len(rows) == discord.ROWS_MAX == 5
    assert all(1 <= len(r["components"]) <= 5 for r in rows)
    buttons = [b for r in rows for b in r["components"]]
    assert len(buttons) == 25 and all(len(b["label"]) <= 80 and len(b["url"]) <= 512 for b in buttons)
    shapes.discord(json.dumps(discord.build(_with_buttons(many), "text")).encode())


def test_discord_receiver_refuses_what_discord_refuses():
    payload = discord.build(_with_buttons(), "text")
    payload["components"][0]["components"][0]["label"] = "x" * 81
    with pytest.raises(shapes.Refusal):
        shapes.discord(json.dumps(payload).encode())


def test_zoom_chat_links_each_action_in_the_message():
    n = _with_buttons()
    payload = json.loads(render("zoom_chat", n, token=ZOOM_TOKEN).body)
    linked = [(item["text"], item["link"]) for item in payload["content"]["body"] if "link" in item]
    assert linked[:3] == BUTTONS and linked[3:] == list(n.links)
    plain = zoom_chat.build_plain(n, n.text)
    assert all(f"{label}: {url}" in plain for label, url in BUTTONS)
    assert len(plain) <= zoom_chat.PLAIN_MAX


def test_buttons_must_be_http_links():
    with pytest.raises(ValueError, match="must be an http"):
        make_notification(buttons=[("Next", "javascript:alert(1)")])


async def test_discord_is_called_with_components_and_its_own_query_kept():
    """send() adds with_components=true to the webhook URL (keeping a thread_id already there)."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    target = make_target("discord", url=DISCORD_URL + "?thread_id=42")
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        outcome = await send(http, target, _with_buttons(), clock=fixed_clock)
        assert outcome.ok
        await send(http, target, make_notification(), clock=fixed_clock)
    with_buttons, without = seen
    assert dict(with_buttons.url.params) == {"thread_id": "42", "with_components": "true"}
    assert dict(without.url.params) == {"thread_id": "42"}  # unchanged when there is nothing to show
    assert with_buttons.url.path == httpx.URL(DISCORD_URL).path


# -- native buttons (a target in mode app) --------------------------------------------------------


def test_a_slack_app_posts_through_chat_post_message_with_native_buttons_and_confirms():
    from datetime import UTC, datetime

    from integrations.notifiers.outcome import DeliveryResult, classify
    from integrations.notifiers.render import render as render_kind

    n = make_notification(
        actions=[("Next: Two", "advance", "sca_next", ""), ("Undo: advance", "undo", "sca_undo", "Undo advance?")]
    )
    request = render_kind("slack", n, token="xoxb-1", channel="C0A")
    assert request.path == "/chat.postMessage" and request.headers["authorization"] == "Bearer xoxb-1"
    payload = json.loads(request.body)
    assert payload["channel"] == "C0A"
    elements = next(b for b in payload["blocks"] if b["type"] == "actions")["elements"]
    assert [(e["action_id"], e["value"]) for e in elements] == [("advance", "sca_next"), ("undo", "sca_undo")]
    assert "confirm" not in elements[0] and elements[1]["confirm"]["text"]["text"] == "Undo advance?"
    now = datetime.now(UTC)
    refused = classify(200, '{"ok":false,"error":"channel_not_found"}', None, now=now, slack=True, web_api=True)
    assert refused.result is DeliveryResult.permanent and refused.vendor_code == "channel_not_found"
    busy = classify(200, '{"ok":false,"error":"ratelimited"}', None, now=now, slack=True, web_api=True)
    assert busy.result is DeliveryResult.retry
    cut = classify(200, '{"ok":true,"channel":"C0A","message":{"text":"' + "x" * 3000, None, now=now, web_api=True)
    assert cut.ok  # Slack echoes the message: an answer cut to ANSWER_MAX still counts by how it begins


def test_discord_native_buttons_carry_the_reference_as_custom_id():
    n = make_notification(actions=[("Next: Two", "advance", "sca_next", ""), ("Undo: x", "undo", "sca_undo", "?")])
    rows = discord.components(n)
    buttons = rows[0]["components"]
    assert [(b["style"], b["custom_id"]) for b in buttons] == [(1, "sca_next"), (4, "sca_undo")]
    assert all("url" not in b for b in buttons)
