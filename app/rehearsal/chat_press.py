"""The demo's chat button press: a Slack app card, a forged click refused, one "Next" pressed.

`showcaller demo` (and `rehearse --chat-click`) adds one target in mode app to the rehearsal's copy
of the schedule (the file is not changed): `demo-slack-app`, posting the "ending soon" card of one
segment to the local fake of Slack's Web API, with a Next button. As soon as that card is posted
(the segment wraps up early), a producer mapped by `chat_ids` (the event's first moderator) presses
Next through the local Slack click simulator, signed as Slack signs; a forged click (the wrong
signing secret) goes first and is refused. The transcript shows both, and the card's update. At a
rehearsal's speed every real millisecond is minutes of the agenda, so the press does not wait.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import yaml

from integrations.receivers.chat_apps import ChatApps, Posted
from integrations.receivers.clicks import press_slack, slack_button

log = logging.getLogger("showcaller.rehearsal")
TARGET = "demo-slack-app"
CHANNEL = "C0DEMOHOSTS"
USER = "U0DEMOPRODUCER"
UPDATE_WAIT = 10.0  # real seconds the press waits for the card's update


@dataclass
class ChatPress:
    """The demo target's credentials, the segment whose card is pressed and the person who presses."""

    segment: str
    person: str
    signing_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    bot_token: str = field(default_factory=lambda: "xoxb-demo-" + secrets.token_hex(12))
    title: str = ""  # the headline of the card to press (the cue's title), set once the cues are planned
    started: bool = False

    def is_cue(self, cue: Any) -> bool:
        """The cue whose card is pressed: the segment's "ending soon" (host alerts go to the demo
        target too, as to every hosts target; their buttons stay unpressed)."""
        return cue.kind == "segment_ending_soon" and cue.segment == self.segment

    def is_card(self, posted: Posted) -> bool:
        """A message posted to the demo channel: is it that cue's card, with its Next button?"""
        return (
            posted.kind == "slack" and posted.channel == CHANNEL and bool(self.title) and _card_of(posted, self.title)
        )

    def env(self, base: str) -> dict[str, str]:
        """The variables the demo target reads: the Slack fake, the bot token, the signing secret."""
        return {
            "SHOWCALLER_DEMO_SLACK_API_URL": f"{base}/slack-api",
            "SHOWCALLER_DEMO_SLACK_BOT_TOKEN": self.bot_token,
            "SHOWCALLER_DEMO_SLACK_SIGNING_SECRET": self.signing_secret,
        }


def with_demo_chat_app(text: str) -> tuple[str, ChatPress | None]:
    """The schedule text with the demo's Slack app target and a producer's Slack id, or (text, None)
    when it has no segment followed by another or no person to press."""
    data: Any = yaml.safe_load(text)
    segments = [s for s in data.get("segments") or [] if isinstance(s, dict)]
    people = [p for p in data.get("people") or [] if isinstance(p, dict)]
    if len(segments) < 2 or not people:
        return text, None
    segment = segments[1] if len(segments) > 2 else segments[0]
    person = next((p for p in people if {"moderator", "alternative_host"} & set(p.get("roles") or [])), people[0])
    person["chat_ids"] = {**(person.get("chat_ids") or {}), "slack": USER}
    data.setdefault("targets", []).append(
        {
            "id": TARGET,
            "kind": "slack",
            "mode": "app",
            "url_env": "SHOWCALLER_DEMO_SLACK_API_URL",
            "token_env": "SHOWCALLER_DEMO_SLACK_BOT_TOKEN",
            "secret_env": "SHOWCALLER_DEMO_SLACK_SIGNING_SECRET",
            "channel": CHANNEL,
            "hosts": True,
            "buttons": ["advance"],
            "filter": {"kinds": ["segment_ending_soon"], "segments": [segment["id"]]},
        }
    )
    press = ChatPress(segment=segment["id"], person=str(person["name"]))
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True), press


def _card_of(posted: Posted, title: str) -> bool:
    header = next((b for b in posted.payload.get("blocks") or [] if b.get("type") == "header"), None)
    if header is None or title not in header["text"]["text"]:
        return False
    try:
        slack_button(posted, "advance")
    except KeyError:
        return False
    return True


async def press_next(press: ChatPress, apps: ChatApps, card: Posted, service_url: str, say) -> None:
    """A forged click on the card, then the producer's Next, each told by `say(text, actor)`; the
    card's update is told last."""
    label = slack_button(card, "advance")["text"]["text"]
    url = f"{service_url}/chat/slack/interactions"
    async with httpx.AsyncClient(timeout=10.0) as http:
        forged = await press_slack(
            http,
            url,
            "not-the-signing-secret",
            card,
            "advance",
            user_id=USER,
            user_name="producer",
            timestamp=int(time.time()),
        )
        reason = (
            forged.json().get("reason", "")
            if forged.headers.get("content-type", "").startswith("application/json")
            else ""
        )
        say(
            f"a forged Slack click (wrong signing secret) on '{label}' in #{CHANNEL}: "
            f"answered {forged.status_code} {reason}",
            "simulated Slack",
        )
        answer = await press_slack(
            http,
            url,
            press.signing_secret,
            card,
            "advance",
            user_id=USER,
            user_name="producer",
            timestamp=int(time.time()),
        )
    say(f"Slack button '{label}' pressed in #{CHANNEL}: answered {answer.status_code}", f"{press.person} via Slack")
    deadline = time.monotonic() + UPDATE_WAIT
    while time.monotonic() < deadline:
        update = next((u for u in apps.updates if u["ref"] == card.ref), None)
        if update is not None:
            say(f"the Slack card now says: {update['text'].splitlines()[-1]}", "Slack chat.update")
            for reply in (r for r in apps.replies if r.get("user") == USER):  # only when it did not act
                say(f"told only the producer: {reply['text']}", "Slack chat.postEphemeral")
            return
        await asyncio.sleep(0.05)
    say("the Slack card was not updated (see the service's log)", "Slack chat.update")
