"""Native chat buttons: Slack, Discord and Zoom Team Chat clicks, signed as each platform signs them
(by the local click simulators), verified, acknowledged at once and carried out once.

The service posts to the local receivers' fakes of the Slack Web API and of a Discord application's
webhooks (in process, over ASGI); every click is built and signed by `integrations/receivers/clicks.py`.
"""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from app.engine.clock import ManualClock
from integrations.receivers import create_receivers
from integrations.receivers.chat_apps import ChatApps, Posted
from integrations.receivers.clicks import (
    discord_component,
    discord_keys,
    discord_ping,
    discord_request,
    slack_block_actions,
    slack_request,
    zoom_chat_action,
    zoom_chat_request,
)
from tests.conftest import bangkok
from tests.fixtures.mekong import mekong_text

from .conftest import Host

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the shape of a Slack signing secret (32 hex-ish)
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
ZOOM_SECRET = "zoom-chatbot-secret-token"
DISCORD_KEY, DISCORD_PUBLIC = discord_keys(bytes(range(32)))
APP_ID = "100000000000000001"
CHANNEL = "C0HOSTS"
PINSUDA, GEERTRUI, STRANGER, ALLOWED = "U0PINSUDA", "U0GEERTRUI", "U0STRANGER", "U0FLOOR"

ENV = {
    "SLACK_API_URL": "http://127.0.0.1:9/slack-api",
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "DISCORD_APP_WEBHOOK": "http://127.0.0.1:9/discord-api/webhooks/300000000000000003/whtoken",
    "DISCORD_PUBLIC_KEY": DISCORD_PUBLIC,
    "ZOOM_BOT_URL": "http://127.0.0.1:9/zoom_chat/bot?format=full",
    "ZOOM_BOT_TOKEN": "zoom-chat-verification-token",
    "ZOOM_BOT_SECRET": ZOOM_SECRET,
}
APP_TARGETS = f"""  - id: producers-slack
    kind: slack
    mode: app
    url_env: SLACK_API_URL
    token_env: SLACK_BOT_TOKEN
    secret_env: SLACK_SIGNING_SECRET
    channel: {CHANNEL}
    allow: [{ALLOWED}]
    hosts: true
    buttons: [advance, delay_5, undo]
    filter:
      kinds: [segment_start, delay]
  - id: producers-discord
    kind: discord
    mode: app
    url_env: DISCORD_APP_WEBHOOK
    secret_env: DISCORD_PUBLIC_KEY
    hosts: true
    buttons: [advance]
    filter:
      kinds: [segment_start]
  - id: producers-zoom
    kind: zoom_chat
    mode: app
    url_env: ZOOM_BOT_URL
    token_env: ZOOM_BOT_TOKEN
    secret_env: ZOOM_BOT_SECRET
    hosts: true
    buttons: [advance]
    filter:
      kinds: [segment_start]

timers:
"""


def with_app_targets(text: str) -> str:
    text = text.replace(
        "    roles: [moderator, alternative_host]\n",
        "    roles: [moderator, alternative_host]\n"
        f"    chat_ids: {{slack: {PINSUDA}, discord: '81', zoom_chat: zpinsuda}}\n",
        1,
    )
    text = text.replace(
        "  - id: geertrui-lanneau\n    name: Geertrui Lanneau\n",
        f"  - id: geertrui-lanneau\n    name: Geertrui Lanneau\n    chat_ids: {{slack: {GEERTRUI}}}\n",
        1,
    )
    return text.replace("\ntimers:\n", "\n" + APP_TARGETS, 1)


APP_SCHEDULE = with_app_targets(mekong_text())


class Chat:
    """The harness: the service, the receivers with the chat fakes, and an API client."""

    def __init__(self, host: Host, receivers) -> None:
        self.host, self.receivers = host, receivers
        self.apps: ChatApps = receivers.state.chat_apps

    @property
    def clicks(self):
        return self.host.runtime.chat_clicks

    def now(self) -> int:
        return int(self.host.clock.now().timestamp())

    def last_card(self, kind: str = "slack") -> Posted:
        """The newest message of a kind with buttons still on it."""
        for posted in reversed(self.apps.posted):
            if posted.kind == kind and _has_buttons(posted):
                return posted
        raise AssertionError(f"no {kind} message carries buttons")

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.host.api.post(path, content=body, headers={"Authorization": "", **headers})

    async def slack(self, card: Posted, action_id: str, user: str, *, secret: str = SIGNING_SECRET, at=None):
        """Press a button of `card` as Slack user `user` (signed now, or at `at`)."""
        payload = slack_block_actions(card, action_id, user, user.lower())
        body, headers = slack_request(secret, payload, at or self.now())
        return await self.post("/chat/slack/interactions", body, headers)

    async def settled(self, answer: httpx.Response) -> httpx.Response:
        await self.clicks.settle()
        return answer


def _has_buttons(posted: Posted) -> bool:
    if posted.kind == "slack":
        return any(b.get("type") == "actions" for b in posted.payload.get("blocks") or [])
    return bool(posted.payload.get("components"))


@pytest.fixture
async def chat(database_url, service_for):
    receivers = create_receivers(slack_bot_token=BOT_TOKEN, zoom_chat_token="zoom-chat-verification-token")
    clock = ManualClock(bangkok(14, 30))
    service = await service_for(
        database_url,
        clock,
        wall=lambda: clock.now().timestamp(),  # the platforms sign with real time: here, the test's
        transport=httpx.ASGITransport(app=receivers),
        tokens={"host": "Hana"},
        login="host",
        schedule=(APP_SCHEDULE, "mekong.yaml"),
        env_overrides=ENV,
    )
    host = Host(service)
    await host.at(bangkok(14, 30))
    harness = Chat(host, receivers)
    await advance_by_api(harness)
    return harness


async def advance_by_api(chat: Chat) -> None:
    answer = await chat.host.post("/advance")
    assert answer.status_code == 200, answer.text
    await chat.host.service.settle()


def test_the_app_schedule_is_the_mekong_schedule_with_app_targets():
    assert APP_SCHEDULE.count("mode: app") == 3 and "chat_ids" in APP_SCHEDULE


async def test_a_slack_card_carries_native_buttons_posted_with_the_bot_token(chat):
    card = chat.last_card("slack")
    assert card.channel == CHANNEL
    message = next(m for m in chat.apps.inbox.messages if m.message_id == card.ref)
    assert message.headers["authorization"] == "***"  # shown masked; the fake checked it (invalid_auth otherwise)
    actions = next(b for b in card.payload["blocks"] if b["type"] == "actions")["elements"]
    assert {a["action_id"] for a in actions} == {"advance", "delay_5", "undo"}
    assert all(a["value"].startswith("sca_") and "url" not in a for a in actions)
    undo = next(a for a in actions if a["action_id"] == "undo")
    assert undo["confirm"]["confirm"]["text"] == "Yes" and undo["confirm"]["deny"]["text"] == "Cancel"
    assert "confirm" not in next(a for a in actions if a["action_id"] == "advance")


async def test_a_slack_click_is_acknowledged_before_it_acts_then_updates_the_card(chat):
    card = chat.last_card("slack")
    before = await chat.host.state()
    upcoming = before["next"]
    entries = await chat.host.log()
    async with chat.host.runtime.engine.lock:  # the run service is busy: the answer must not wait for it
        answer = await chat.slack(card, "advance", PINSUDA)
        assert answer.status_code == 200 and answer.content == b""
        assert await chat.host.log() == entries  # acknowledged, not yet acted
    await chat.clicks.settle()
    state = await chat.host.state()
    assert state["current"]["id"] == upcoming["id"]
    log = await chat.host.log()
    assert len(log) == len(entries) + 1 and "Pinsuda Alexander" in repr(log[-1])
    update = chat.apps.updates[-1]
    assert update["ref"] == card.ref
    assert f"Advanced to {upcoming['title']} by Pinsuda Alexander, " in update["text"]
    stored = chat.apps.message("slack", card.ref)
    assert stored is not None and not _has_buttons(stored)  # the stale buttons are gone
    assert stored.payload["blocks"][0]["type"] == "header"  # the rest of the card is kept


async def test_two_clicks_on_the_same_next_advance_once_and_the_second_sees_already_moved(chat):
    card = chat.last_card("slack")
    entries = await chat.host.log()
    # Both saw the card with its buttons: each click is built before either is carried out.
    clicks = [
        slack_request(SIGNING_SECRET, slack_block_actions(card, "advance", user, user.lower()), chat.now())
        for user in (PINSUDA, GEERTRUI)
    ]
    for body, headers in clicks:
        answer = await chat.settled(await chat.post("/chat/slack/interactions", body, headers))
        assert answer.status_code == 200
    assert len(await chat.host.log()) == len(entries) + 1
    told = [r for r in chat.apps.replies if r["user"] == GEERTRUI]
    assert len(told) == 1 and "Already moved" in told[0]["text"]
    assert "Pinsuda Alexander" in told[0]["text"]  # says what the first click did


async def test_a_retried_or_replayed_slack_request_acts_once_and_answers_nobody_twice(chat):
    card = chat.last_card("slack")
    entries = await chat.host.log()
    body, headers = slack_request(SIGNING_SECRET, slack_block_actions(card, "advance", PINSUDA, "p"), chat.now())
    for retry in range(3):  # Slack's retries carry the same body (and X-Slack-Retry-Num)
        answer = await chat.post("/chat/slack/interactions", body, {**headers, "x-slack-retry-num": str(retry)})
        assert answer.status_code == 200
        await chat.clicks.settle()
    assert len(await chat.host.log()) == len(entries) + 1
    assert chat.apps.replies == [] and len(chat.apps.updates) == 1


async def test_a_click_by_someone_not_on_the_list_is_refused_visibly_and_logged(chat, caplog):
    card = chat.last_card("slack")
    entries = await chat.host.log()
    with caplog.at_level(logging.WARNING, logger="showcaller.chat_clicks"):
        await chat.settled(await chat.slack(card, "advance", STRANGER))
    assert await chat.host.log() == entries
    told = [r for r in chat.apps.replies if r["user"] == STRANGER]
    assert len(told) == 1 and "may not steer this show" in told[0]["text"] and STRANGER in told[0]["text"]
    assert any(STRANGER in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)
    assert _has_buttons(chat.apps.message("slack", card.ref))  # the card keeps its buttons for the right people


async def test_an_allowlisted_user_acts_under_their_chat_name(chat):
    card = chat.last_card("slack")
    await chat.settled(await chat.slack(card, "delay_5", ALLOWED))
    log = await chat.host.log()
    assert "u0floor (slack)" in repr(log[-1])


@pytest.mark.parametrize("change", ["wrong secret", "stale timestamp", "one byte changed", "future timestamp"])
async def test_slack_signature_vectors_are_refused_and_nothing_acts(chat, change):
    card = chat.last_card("slack")
    entries = await chat.host.log()
    payload = slack_block_actions(card, "advance", PINSUDA, "p")
    secret = "0" * 32 if change == "wrong secret" else SIGNING_SECRET
    at = {"stale timestamp": chat.now() - 301, "future timestamp": chat.now() + 301}.get(change, chat.now())
    body, headers = slack_request(secret, payload, at)
    if change == "one byte changed":
        i = body.index(b"advance")
        body = body[:i] + b"A" + body[i + 1 :]
    answer = await chat.settled(await chat.post("/chat/slack/interactions", body, headers))
    assert answer.status_code == 401
    assert answer.json()["error"] == "callback_rejected" and answer.json()["reason"]
    assert await chat.host.log() == entries and chat.apps.updates == [] and chat.apps.replies == []


def test_the_slack_vector_matches_slacks_documented_example():
    # https://api.slack.com/authentication/verifying-requests-from-slack: the worked example.
    from integrations.chat import slack

    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
        b"channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
        b"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }
    slack.verify(secret, headers, body, now=1531420618 + 10)
    with pytest.raises(slack.ClickRejected):
        slack.verify(secret, headers, body + b"x", now=1531420618 + 10)
    with pytest.raises(slack.ClickRejected):
        slack.verify(secret, headers, body, now=1531420618 + 301)


async def test_a_forged_reference_in_a_signed_click_is_refused(chat):
    card = chat.last_card("slack")
    entries = await chat.host.log()
    payload = slack_block_actions(card, "advance", PINSUDA, "p")
    payload["actions"][0]["value"] = "sca_" + "A" * 43  # a reference Showcaller never made
    body, headers = slack_request(SIGNING_SECRET, payload, chat.now())
    await chat.settled(await chat.post("/chat/slack/interactions", body, headers))
    assert await chat.host.log() == entries
    assert "not one Showcaller made" in chat.apps.replies[-1]["text"]


async def test_a_discord_ping_is_ponged_and_a_click_defers_then_edits(chat):
    body, headers = discord_request(DISCORD_KEY, discord_ping(APP_ID), chat.now())
    pong = await chat.post("/chat/discord/interactions", body, headers)
    assert pong.status_code == 200 and pong.json() == {"type": 1}

    card = chat.last_card("discord")
    button = card.payload["components"][0]["components"][0]
    assert button["style"] == 1 and button["custom_id"].startswith("sca_") and "url" not in button
    upcoming = (await chat.host.state())["next"]
    interaction = discord_component(
        chat.apps, card, button["custom_id"], user_id="81", user_name="pinsuda", application_id=APP_ID
    )
    body, headers = discord_request(DISCORD_KEY, interaction, chat.now())
    answer = await chat.settled(await chat.post("/chat/discord/interactions", body, headers))
    assert answer.status_code == 200 and answer.json() == {"type": 6}  # deferred update
    assert (await chat.host.state())["current"]["id"] == upcoming["id"]
    edited = chat.apps.message("discord", card.ref)
    assert edited is not None and edited.payload["components"] == []
    assert f"Advanced to {upcoming['title']} by Pinsuda Alexander" in edited.payload["content"]

    # Discord re-sending the same signed interaction (a replay within the window) does nothing more.
    entries = await chat.host.log()
    assert (await chat.settled(await chat.post("/chat/discord/interactions", body, headers))).status_code == 200
    assert await chat.host.log() == entries and len(chat.apps.updates) == 1 and chat.apps.replies == []

    again = discord_component(chat.apps, card, button["custom_id"], user_id="81", user_name="p", application_id=APP_ID)
    body, headers = discord_request(DISCORD_KEY, again, chat.now())
    await chat.settled(await chat.post("/chat/discord/interactions", body, headers))
    assert chat.apps.replies[-1]["flags"] == 64 and "Already moved" in chat.apps.replies[-1]["content"]


@pytest.mark.parametrize("change", ["wrong key", "stale timestamp", "one byte changed"])
async def test_discord_signature_vectors_are_refused_and_nothing_acts(chat, change):
    card = chat.last_card("discord")
    entries = await chat.host.log()
    custom_id = card.payload["components"][0]["components"][0]["custom_id"]
    interaction = discord_component(chat.apps, card, custom_id, user_id="81", user_name="p", application_id=APP_ID)
    key = discord_keys(bytes(32))[0] if change == "wrong key" else DISCORD_KEY
    at = chat.now() - 301 if change == "stale timestamp" else chat.now()
    body, headers = discord_request(key, interaction, at)
    if change == "one byte changed":
        body = body.replace(b'"type":3', b'"type":4', 1)
    answer = await chat.settled(await chat.post("/chat/discord/interactions", body, headers))
    assert answer.status_code == 401 and answer.json()["error"] == "callback_rejected"
    assert await chat.host.log() == entries and chat.apps.updates == []


async def test_a_zoom_chatbot_click_is_verified_like_meeting_webhooks_and_acts_once(chat):
    bot = [m for m in chat.apps.inbox.messages if m.kind == "zoom_chat" and m.channel == "bot"][-1]
    actions = next(b for b in bot.json["content"]["body"] if b["type"] == "actions")
    value = actions["items"][0]["value"]
    entries = await chat.host.log()
    for secret, at in ((ZOOM_SECRET + "x", chat.now()), (ZOOM_SECRET, chat.now() - 301)):
        body, headers = zoom_chat_request(secret, zoom_chat_action(value, user_id="zpinsuda", user_name="P"), at)
        refused = await chat.settled(await chat.post("/chat/zoom_chat/interactions", body, headers))
        assert refused.status_code == 401
    assert await chat.host.log() == entries
    click = zoom_chat_action(value, user_id="zpinsuda", user_name="P")
    body, headers = zoom_chat_request(ZOOM_SECRET, click, chat.now())
    for _ in range(2):  # Zoom retries a delivery it thinks failed
        answer = await chat.settled(await chat.post("/chat/zoom_chat/interactions", body, headers))
        assert answer.status_code == 200
    log = await chat.host.log()
    assert len(log) == len(entries) + 1 and "Pinsuda Alexander" in repr(log[-1])
    # Said in the channel through its Incoming Webhook (verified by the receiver with its token).
    said = [m for m in chat.apps.inbox.messages if m.kind == "zoom_chat" and m.channel == "bot"][-1]
    assert said.verified and said.text.startswith("Advanced to ") and "by Pinsuda Alexander" in said.text
    stranger = zoom_chat_action(value, user_id="zstranger", user_name="Stranger", message_id="m2")
    body, headers = zoom_chat_request(ZOOM_SECRET, stranger, chat.now())
    await chat.settled(await chat.post("/chat/zoom_chat/interactions", body, headers))
    said = [m for m in chat.apps.inbox.messages if m.kind == "zoom_chat" and m.channel == "bot"][-1]
    assert said.text.startswith("Stranger: You may not steer this show from here")
    assert len(await chat.host.log()) == len(entries) + 1


async def test_no_click_verifies_when_no_app_target_is_loaded(database_url, service_for):
    service = await service_for(database_url, bangkok(14, 30), tokens={"host": "Hana"}, login="host")
    body, headers = slack_request(SIGNING_SECRET, {"type": "block_actions"}, int(service.clock.now().timestamp()))
    answer = await service.client.post("/chat/slack/interactions", content=body, headers=headers)
    assert answer.status_code == 401 and "no target in mode app" in answer.json()["reason"]


async def test_a_native_buttons_reference_never_opens_as_a_link(chat):
    """Anyone in the channel can read a button's value: as an /act/ link it would skip the check of
    who pressed, so it answers like a forged link and does nothing."""
    card = chat.last_card("slack")
    value = slack_block_actions(card, "advance", PINSUDA, "p")["actions"][0]["value"]
    entries = await chat.host.log()
    for method in ("GET", "POST"):
        path = f"/act/mekong-dialogue-2022/{value}"
        answer = await chat.host.api.request(method, path, headers={"Authorization": ""})
        assert answer.status_code == 404 and "does not work" in answer.text
    assert await chat.host.log() == entries
    await chat.settled(await chat.slack(card, "advance", PINSUDA))  # the button itself still works
    assert len(await chat.host.log()) == len(entries) + 1


# -- a hosts' channel in French (issue 30) --------------------------------------------------------

NBSP, NNBSP = "\u00a0", "\u202f"


def in_french(text: str) -> str:
    """The app schedule with its Slack channel in French and a French title for every segment."""
    text = text.replace(f"    channel: {CHANNEL}\n", f"    channel: {CHANNEL}\n    locale: fr\n", 1)
    return re.sub(
        r"\n  - id: ([a-z0-9-]+)\n    title: (.+)\n", r'\n  - id: \1\n    title: \2\n    titles: {fr: "FR \1"}\n', text
    )


@pytest.fixture
async def chat_fr(database_url, service_for):
    receivers = create_receivers(slack_bot_token=BOT_TOKEN, zoom_chat_token="zoom-chat-verification-token")
    clock = ManualClock(bangkok(14, 30))
    service = await service_for(
        database_url,
        clock,
        wall=lambda: clock.now().timestamp(),
        transport=httpx.ASGITransport(app=receivers),
        tokens={"host": "Hana"},
        login="host",
        schedule=(in_french(APP_SCHEDULE), "mekong.yaml"),
        env_overrides=ENV,
    )
    host = Host(service)
    await host.at(bangkok(14, 30))
    harness = Chat(host, receivers)
    await advance_by_api(harness)
    return harness


async def test_a_french_channels_buttons_confirm_and_update_line_are_french(chat_fr):
    chat = chat_fr
    state = await chat.host.state()
    current, upcoming = state["current"]["id"], state["next"]["id"]
    card = chat.last_card("slack")
    actions = {a["action_id"]: a for a in next(b for b in card.payload["blocks"] if b["type"] == "actions")["elements"]}
    assert actions["advance"]["text"]["text"] == f"Suivant{NBSP}: FR {upcoming}"
    assert actions["delay_5"]["text"]["text"] == "+5 min"
    # The undo offer is the host's advance into the running segment, named by its French title.
    undo = actions["undo"]
    assert undo["text"]["text"] == f"Annuler{NBSP}: Séquence suivante{NBSP}: FR {current}"
    assert undo["confirm"]["text"]["text"] == f"Annuler «{NBSP}Séquence suivante{NBSP}: FR {current}{NBSP}»{NNBSP}?"
    assert (undo["confirm"]["confirm"]["text"], undo["confirm"]["deny"]["text"]) == ("Oui", "Annuler")
    # Machine values stay ASCII: the verb and the single-use reference.
    assert all(a["value"].startswith("sca_") for a in actions.values())
    # Two hosts saw the card: each click is built before either is carried out.
    first, second = (
        slack_request(SIGNING_SECRET, slack_block_actions(card, "advance", user, user.lower()), chat.now())
        for user in (PINSUDA, GEERTRUI)
    )
    await chat.settled(await chat.post("/chat/slack/interactions", *first))
    # (the updated card keeps its text; its last line says what was done, by whom and when)
    assert chat.apps.updates[-1]["text"].splitlines()[-1] == f"Passage à FR {upcoming} par Pinsuda Alexander, 14:30"
    await chat.settled(await chat.post("/chat/slack/interactions", *second))  # told, in French, it was used
    told = [r for r in chat.apps.replies if r["user"] == GEERTRUI]
    assert told and told[0]["text"].startswith(f"Déjà fait{NBSP}: ce bouton a déjà servi, rien n’a été fait.")
    assert f"Résultat{NBSP}: Passage à FR {upcoming}" in told[0]["text"]


async def test_a_french_channels_undo_button_says_what_it_undid_in_french(chat_fr):
    chat = chat_fr
    current = (await chat.host.state())["current"]["id"]
    card = chat.last_card("slack")
    await chat.settled(await chat.slack(card, "undo", PINSUDA))
    done = chat.apps.updates[-1]["text"].splitlines()[-1]
    assert done.startswith(f"Annulé{NBSP}: Séquence suivante{NBSP}: FR {current} par Pinsuda Alexander, ")


async def test_an_english_channel_reads_its_buttons_as_before(chat):
    state = await chat.host.state()
    card = chat.last_card("slack")
    actions = {a["action_id"]: a for a in next(b for b in card.payload["blocks"] if b["type"] == "actions")["elements"]}
    assert actions["advance"]["text"]["text"] == f"Next: {state['next']['title']}"
    assert actions["delay_5"]["text"]["text"] == "+5 min"
    assert actions["undo"]["text"]["text"] == f"Undo: Next segment: {state['current']['title']}"
    assert actions["undo"]["confirm"]["text"]["text"] == f"Undo Next segment: {state['current']['title']}?"
