"""Item 5: each participant event happens at its own time field; rejoins are never repeats.

One test per field combination the events spec allows for the participant events (the time
field required, optional or replaced by `date_time` as in Zoom's examples; `participant_uuid`
present or absent; `participant_left` also carrying `join_time`).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import httpx
import pytest

from integrations.zoom.webhooks import dedupe_key, parse_event
from integrations.zoom_emulator import create_emulator
from tests.zoom.test_webhooks import JOINED

JOIN = "2026-01-01T00:02:11Z"
LEAVE = "2026-01-01T00:40:00Z"
DATE = "2026-01-01T00:05:00Z"
TS = datetime.fromtimestamp(JOINED["event_ts"] / 1000, UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def payload(event: str, times: dict[str, str], *, participant_uuid: bool = True) -> dict:
    p = copy.deepcopy(JOINED)
    p["event"] = event
    part = p["payload"]["object"]["participant"]
    part.pop("join_time")
    part.update(times)
    if not participant_uuid:
        part.pop("participant_uuid")
    if "breakout" in event:
        p["payload"]["object"]["breakout_room_uuid"] = "room=="
        part["parent_user_id"] = "16778240"
    return p


CASES = [
    # event, time fields sent, expected occurred_at
    ("meeting.participant_joined", {"join_time": JOIN}, JOIN),
    ("meeting.participant_joined", {"date_time": JOIN}, JOIN),
    ("meeting.participant_left", {"leave_time": LEAVE}, LEAVE),
    ("meeting.participant_left", {"join_time": JOIN, "leave_time": LEAVE}, LEAVE),
    ("meeting.participant_left", {"date_time": LEAVE}, LEAVE),
    ("meeting.participant_left", {"date_time": LEAVE, "join_time": JOIN}, LEAVE),
    ("webinar.participant_joined", {"join_time": JOIN}, JOIN),
    ("webinar.participant_left", {"leave_time": LEAVE}, LEAVE),
    ("webinar.participant_left", {"join_time": JOIN, "leave_time": LEAVE}, LEAVE),
    ("webinar.participant_left", {}, None),  # leave_time is optional there: event_ts stands in
    ("meeting.participant_joined_breakout_room", {"join_time": JOIN}, JOIN),
    ("meeting.participant_left_breakout_room", {"leave_time": LEAVE}, LEAVE),
    ("meeting.participant_left_breakout_room", {"join_time": JOIN, "leave_time": LEAVE}, LEAVE),
    ("meeting.participant_joined_waiting_room", {"date_time": DATE}, DATE),
    ("meeting.participant_left_waiting_room", {"date_time": DATE}, DATE),
    ("meeting.participant_admitted", {"date_time": DATE}, DATE),
]


@pytest.mark.parametrize("with_uuid", [True, False], ids=["participant_uuid", "user_id_only"])
@pytest.mark.parametrize(("event", "times", "expected"), CASES)
def test_occurred_at_uses_the_events_own_time_field(event, times, expected, with_uuid) -> None:
    ev = parse_event(payload(event, times, participant_uuid=with_uuid))
    assert ev.occurred_at == (at(expected) if expected else TS)


@pytest.mark.parametrize("with_uuid", [True, False], ids=["participant_uuid", "user_id_only"])
@pytest.mark.parametrize(
    "event",
    [
        "meeting.participant_joined",
        "meeting.participant_left",
        "webinar.participant_joined",
        "webinar.participant_left",
    ],
)
def test_rejoin_within_one_second_is_not_a_repeat(event, with_uuid) -> None:
    field = "leave_time" if event.endswith("left") else "join_time"
    first = payload(event, {field: JOIN}, participant_uuid=with_uuid)
    repeat = copy.deepcopy(first)
    rejoin = copy.deepcopy(first)  # same person, same whole second: new in-meeting user_id and its own ms
    rejoin["payload"]["object"]["participant"]["user_id"] = "16778241"
    rejoin["event_ts"] += 350
    assert dedupe_key(repeat) == dedupe_key(first)
    assert dedupe_key(rejoin) != dedupe_key(first)
    # Even a rejoin whose event_ts collides is told apart by its new user_id.
    rejoin["event_ts"] = first["event_ts"]
    assert dedupe_key(rejoin) != dedupe_key(first)


async def test_emulator_event_ts_has_milliseconds_and_quick_rejoins_get_distinct_keys() -> None:
    now = datetime(2030, 1, 1, 9, 0, 0, 250_000, tzinfo=UTC)
    emu = create_emulator(clock=lambda: now, seed=3)
    host = emu.state.find_user("host@example.org")
    assert host is not None

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url="http://z") as http:
        token = (
            await http.post(
                "/oauth/token",
                data={"grant_type": "account_credentials", "account_id": emu.state.account_id},
                auth=(emu.state.client_id, emu.state.client_secret),
            )
        ).json()["access_token"]
        made = await http.post(
            "/v2/users/host@example.org/meetings",
            json={"topic": "T", "type": 2},
            headers={"Authorization": f"Bearer {token}"},
        )
    meeting_id = made.json()["id"]
    ana = emu.live.person("Ana", "ana@example.org")
    await emu.live.start(meeting_id)
    await emu.live.join(meeting_id, ana)
    await emu.live.leave(meeting_id, ana)
    await emu.live.join(meeting_id, ana)  # same instant: a rejoin, not a repeat
    stamps = [e["event_ts"] for e in emu.state.events]
    assert stamps[0] % 1000 == 250  # the clock's own milliseconds, as Zoom sends
    assert stamps == sorted(set(stamps))
    joins = [e for e in emu.state.events if e["event"] == "meeting.participant_joined"]
    assert len(joins) == 2 and dedupe_key(joins[0]) != dedupe_key(joins[1])
    left = next(e for e in emu.state.events if e["event"] == "meeting.participant_left")
    assert parse_event(left).occurred_at == now.replace(microsecond=0)
