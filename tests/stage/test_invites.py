"""Personal invites: one per named person, call times, stable UID, SEQUENCE on change, the right Zoom link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import ics
import yaml
from icalendar import Calendar

from app.stage.invites import build_invites, join_link
from app.store.tables import zoom_objects
from schedules.invites import JoinLink
from schedules.load import load_text
from tests.conftest import MEKONG
from tests.schedules.calendar_readers import ical_js_instants, read_icalendar, read_vobject
from tests.stage.conftest import EVENT, mekong_named

JOIN = "https://zoom.example/j/85012345678?pwd=abc"
START = "https://zoom.example/s/85012345678?zak=host-only"
REGISTER = "https://zoom.example/meeting/register/abc"
BANGKOK = ZoneInfo("Asia/Bangkok")
CALLS = {"speaker": "20m", "respondent": "15m", "moderator": "30m"}


def _with(text: str, edit) -> str:
    doc = yaml.safe_load(text)
    edit(doc)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


async def _record_zoom(runtime) -> None:
    async with runtime.db.begin() as conn:
        await conn.execute(
            zoom_objects.insert().values(
                event_id=EVENT,
                kind="meeting",
                zoom_id=85012345678,
                uuid="aBcD1234==",
                host="host@example.org",
                join_url=JOIN,
                start_url=START,
                registration_url=REGISTER,
                sandbox=True,
                applied_spec={},
                applied_at=datetime(2022, 5, 1, tzinfo=UTC),
            )
        )


async def _invites(live, text: str) -> dict:
    schedule = await live.runtime.engine.load_schedule(text, "mekong.yaml")
    made = await build_invites(live.runtime.db, live.runtime.settings, schedule, live.clock.now())
    return {invite.person: invite for invite in made}


def _event(invite):
    """The VEVENT parsed by icalendar, and the same calendar parsed by the independent `ics` package."""
    cal = Calendar.from_ical(invite.ics)
    assert str(cal["method"]) == "REQUEST"
    [event] = cal.walk("VEVENT")
    other = ics.Calendar(invite.ics.decode())
    [other_event] = list(other.events)
    assert other.method == "REQUEST" and other_event.uid == str(event["uid"])
    assert other_event.begin.datetime == event.decoded("dtstart")
    assert other_event.end.datetime == event.decoded("dtend")
    sequence = [line.value for line in other_event.extra if line.name == "SEQUENCE"]
    assert sequence == [str(int(event["sequence"]))]
    return event, other_event


async def test_one_invite_per_named_person_with_their_call_time(live):
    text = mekong_named(0, call_before=CALLS)
    await _record_zoom(live.runtime)
    made = await _invites(live, text)
    # The Mekong file names 11 people; the co-moderators get one invite each with all their slots.
    assert len(made) == 11 and set(made) == {p["id"] for p in yaml.safe_load(MEKONG.read_text())["people"]}
    moderator, _ = _event(made["pinsuda-alexander"])
    # Opening at 14:00 Bangkok, moderators called 30 minutes before; they stay until the end, 17:30.
    assert moderator.decoded("dtstart") == datetime(2022, 5, 30, 13, 30, tzinfo=BANGKOK)
    assert moderator.decoded("dtend") == datetime(2022, 5, 30, 17, 30, tzinfo=BANGKOK)
    assert moderator["dtstart"].params["TZID"] == "Asia/Bangkok"
    assert str(moderator["description"]).count("moderator,") == 8
    speaker, other = _event(made["nilim-baruah"])
    # Session 1 starts 14:15 Bangkok; speakers are called 20 minutes before: 13:55 there, 06:55 UTC.
    assert speaker.decoded("dtstart").astimezone(UTC) == datetime(2022, 5, 30, 6, 55, tzinfo=UTC)
    assert other.begin.to("Asia/Bangkok").strftime("%H:%M") == "13:55"
    text_ = str(speaker["description"])
    assert "Moderators: Pinsuda Alexander" in text_ and "Geertrui Lanneau" in text_
    assert str(speaker["uid"]) == "mekong-dialogue-2022.nilim-baruah.invite@showcaller"
    assert str(speaker["attendee"]) == "mailto:nilim.baruah@example.org"
    assert "/stage/mekong-dialogue-2022?person=nilim-baruah#token=sc_" in text_
    for invite in made.values():
        body = invite.ics.decode()
        # Registration is on: the registration page, and never the host's start link.
        assert START not in body and "zak=" not in body and REGISTER in body.replace("\r\n ", "")


async def test_named_respondents_get_theirs_in_their_own_zone(live):
    def yangon(doc):
        doc["people"][-1]["timezone"] = "Asia/Yangon"

    made = await _invites(live, _with(mekong_named(2, call_before=CALLS), yangon))
    assert len(made) == 13 and {"respondent-1", "respondent-2"} <= set(made)
    first, _ = _event(made["respondent-1"])
    # Respondent 1 speaks 14:39-14:42 Bangkok (two 3-minute turns before 14:45), called 15 minutes before.
    assert first.decoded("dtstart") == datetime(2022, 5, 30, 14, 24, tzinfo=BANGKOK)
    assert first.decoded("dtend") == datetime(2022, 5, 30, 14, 42, tzinfo=BANGKOK)
    second, other = _event(made["respondent-2"])
    # Respondent 2 lives in Yangon (GMT+6:30): called 14:27 Bangkok, which is 13:57 there.
    assert second["dtstart"].params["TZID"] == "Asia/Yangon"
    assert second.decoded("dtstart").strftime("%H:%M") == "13:57"
    assert second.decoded("dtstart").astimezone(UTC) == datetime(2022, 5, 30, 7, 27, tzinfo=UTC)
    assert other.begin.to("UTC").strftime("%H:%M") == "07:27"
    assert "respondent 2 (Viet Nam)" in str(second["description"])


async def test_moving_a_session_updates_the_same_invite(live):
    text = mekong_named(0, call_before=CALLS)
    before = await _invites(live, text)
    again = await _invites(live, text)
    assert {p: i.sequence for p, i in again.items()} == dict.fromkeys(before, 0)

    def later_closing(doc):
        closing = next(s for s in doc["segments"] if s["id"] == "closing")
        closing["start"] = "17:20"
        doc["event"]["end"] = "17:35"
        closing["end"] = "17:35"

    moved = await _invites(live, _with(text, later_closing))
    closer, _ = _event(moved["maria-nenette-motus"])
    old, _ = _event(before["maria-nenette-motus"])
    assert str(closer["uid"]) == str(old["uid"]) and int(closer["sequence"]) == int(old["sequence"]) + 1 == 1
    assert closer.decoded("dtstart") - old.decoded("dtstart") == timedelta(minutes=5)
    # The co-moderators chair the closing too: theirs change; a session-1 speaker's does not.
    assert moved["pinsuda-alexander"].sequence == 1 and moved["nilim-baruah"].sequence == 0
    assert (await _invites(live, _with(text, later_closing)))["maria-nenette-motus"].sequence == 1


async def test_invite_endpoint_is_for_organisers(live):
    url = f"/api/events/{EVENT}/people/nilim-baruah/invite.ics"
    assert (await live.client.get(url, headers=live.auth("host"))).status_code == 403
    answer = await live.client.get(url, headers=live.auth("organiser"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    assert 'filename="nilim-baruah.ics"' in answer.headers["content-disposition"]
    assert "METHOD:REQUEST" in answer.text
    missing = await live.client.get(f"/api/events/{EVENT}/people/nobody/invite.ics", headers=live.auth("organiser"))
    assert missing.status_code == 404


def test_join_link_fits_the_person():
    schedule = load_text(MEKONG.read_text(), "mekong.yaml")
    nilim = schedule.person("nilim-baruah")
    meeting = SimpleNamespace(kind="meeting", join_url=JOIN, start_url=START, registration_url=REGISTER)
    assert join_link(schedule, nilim, meeting, {}).url == REGISTER
    own = JoinLink("https://zoom.example/j/1?tk=own", "Your registrant join link")
    assert join_link(schedule, nilim, meeting, {"nilim.baruah@example.org": own}) == own
    no_registration = load_text(_with(MEKONG.read_text(), lambda d: d["zoom"].update(registration=False)), "m.yaml")
    assert join_link(no_registration, nilim, meeting, {}).url == JOIN
    webinar = load_text(_with(MEKONG.read_text(), lambda d: d["zoom"].update(kind="webinar")), "w.yaml")
    hall = SimpleNamespace(kind="webinar", join_url=JOIN, start_url=START, registration_url=None)
    # A panelist never gets the attendee link (it would seat them in the audience).
    assert join_link(webinar, nilim, hall, {}) is None
    panelist = JoinLink("https://zoom.example/w/1?tk=panel", "Your panelist link")
    assert join_link(webinar, nilim, hall, {"nilim.baruah@example.org": panelist}) == panelist
    assert join_link(schedule, nilim, None, {}) is None


def _presenter_token(invite) -> str | None:
    text = str(Calendar.from_ical(invite.ics).walk("VEVENT")[0]["description"])
    found = [word for word in text.split() if "#token=" in word]
    return found[0].split("#token=", 1)[1] if found else None


async def test_an_invite_carries_a_presenter_link_only_when_it_hands_out_a_new_one(live):
    """Links are shown once: the first invite has it; a re-run refers to it (same SEQUENCE); --new-links
    puts a new one in every invite (SEQUENCE + 1) and the old links stop working."""
    text = mekong_named(0, call_before=CALLS)
    first = await _invites(live, text)
    token = _presenter_token(first["nilim-baruah"])
    assert token is not None and all(_presenter_token(i) for i in first.values())

    again = await _invites(live, text)
    assert {p: i.sequence for p, i in again.items()} == dict.fromkeys(first, 0)
    assert not any(_presenter_token(i) for i in again.values())
    described = str(Calendar.from_ical(again["nilim-baruah"].ics).walk("VEVENT")[0]["description"])
    assert "open the personal link you were sent earlier" in described.replace("\n ", "")

    schedule = await live.runtime.engine.load_schedule(text, "mekong.yaml")
    fresh = {
        i.person: i
        for i in await build_invites(live.runtime.db, live.runtime.settings, schedule, live.clock.now(), new_links=True)
    }
    renewed = _presenter_token(fresh["nilim-baruah"])
    assert renewed is not None and renewed != token
    assert {p: i.sequence for p, i in fresh.items()} == dict.fromkeys(first, 1)
    stage = f"/api/events/{EVENT}/stage"
    assert (await live.client.get(stage, headers={"Authorization": f"Bearer {token}"})).status_code == 401
    assert (await live.client.get(stage, headers={"Authorization": f"Bearer {renewed}"})).status_code == 200


async def test_summer_invites_read_alike_in_ical_js_vobject_and_icalendar(live, tmp_path):
    """The issue's case: Zurich on 15 June, where ical.js and vobject read every start an hour late."""

    def zurich_summer(doc):
        doc["event"].update(date="2026-06-15", timezone="Europe/Zurich")
        doc["people"][-1]["timezone"] = "Asia/Yangon"

    text = _with(mekong_named(2, call_before=CALLS), zurich_summer)
    await _record_zoom(live.runtime)
    made = await _invites(live, text)
    paths = []
    for invite in made.values():
        paths.append(tmp_path / invite.filename)
        paths[-1].write_bytes(invite.ics)
    expected = {invite.part.uid: (invite.part.call, invite.part.end) for invite in made.values()}
    # Session 1 starts 14:15 in Zurich (12:15Z in summer); its speakers are called 20 minutes before.
    assert expected["mekong-dialogue-2022.nilim-baruah.invite@showcaller"][0] == datetime(
        2026, 6, 15, 11, 55, tzinfo=UTC
    )
    for read in (read_icalendar, read_vobject):
        assert {uid: times for path in paths for uid, times in read(path).items()} == expected
    assert ical_js_instants(paths) == expected
