"""Acceptance: a compressed Mekong run with 300 emulated participants through the real endpoint.

The emulator's webhook sender delivers a messy stream (duplicates, reorders, rejoins, breakout
rooms, a few events lost for good) to POST /webhooks/zoom while a manual clock walks through
the afternoon.
The readiness check before Session 1 names the missing speaker and a follow-up is delivered when he
joins; after the end, reconciliation against the emulator's past-participants list fills the lost
events, and the report equals the ground truth exactly.
"""

from __future__ import annotations

import dataclasses
import random

import httpx

from app.report.service import report_from_db
from integrations.zoom import RetryPolicy, ZoomClient
from integrations.zoom_emulator import create_emulator, simulate_crowd
from integrations.zoom_emulator.crowd import ParticipantTruth, Session
from integrations.zoom_emulator.payloads import Person, participant_event
from tests.attendance import truth
from tests.attendance.conftest import EVENT, SECRET, start_harness
from tests.conftest import bangkok

STAFF = {  # person id -> (display name as typed in Zoom, email Zoom shows or "")
    "pinsuda-alexander": ("Pinsuda Alexander", "pinsuda.alexander@example.org"),
    "geertrui-lanneau": ("Geertrui Lanneau (IOM)", "geertrui.lanneau@example.org"),
    "chuop-narath": ("Mr. Chuop Narath (Cambodia)", ""),
    "alfredo-perdiguero": ("Alfredo Perdiguero", "alfredo.perdiguero@example.org"),
    "maximilian-pottler": ("Maximilian Pöttler", ""),
}
LATE = ("nilim-baruah", "Nilim Baruah", "nilim.baruah@example.org")


def _staff_stream(crowd, rng):
    """Scheduled people join at 13:40 (Nilim Baruah only at 14:08) and stay to the end."""
    start, end = crowd.start, crowd.end
    out = []
    people = [(pid, name, email, bangkok(13, 40)) for pid, (name, email) in STAFF.items()]
    people.append((LATE[0], LATE[1], LATE[2], bangkok(14, 8)))
    for pid, name, email, joined in people:
        person = Person(name, email, f"GUID-{pid.upper()}")
        user_id = str(17_000_000 + len(out))
        t = crowd.truth[person.key] = ParticipantTruth(person, [Session(user_id, joined, end)])
        assert t.intervals[0][0] > start
        out.append(
            participant_event(
                crowd.meeting,
                "participant_joined",
                person,
                user_id,
                joined,
                extra_ms=rng.randint(0, 999),
            )
        )
        out.append(
            participant_event(
                crowd.meeting,
                "participant_left",
                person,
                user_id,
                end,
                leave_reason="Host ended the meeting.",
                extra_ms=rng.randint(0, 999),
            )
        )
    return out


def _time_of(payload) -> object:
    part = payload["payload"]["object"].get("participant") or {}
    when = part.get("join_time") or part.get("leave_time") or payload["payload"]["object"].get("end_time")
    return when or payload["payload"]["object"]["start_time"]


async def test_mekong_rehearsal_with_300_participants(database_url, settings_for, receiver_env):
    emu_box = {}
    h = await start_harness(
        database_url,
        settings_for,
        receiver_env,
        bangkok(13, 29),
        zoom_client_factory=lambda: emu_box["client"],
    )
    emulator = create_emulator(
        webhook_url="http://showcaller.test/webhooks/zoom",
        webhook_secret=SECRET,
        http=h.client,
        clock=h.clock.now,
        seed=11,
    )
    emu_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url="http://zoom.test")
    emu_box["client"] = ZoomClient(
        emu_http,
        api_base="http://zoom.test/v2",
        oauth_base="http://zoom.test",
        account_id="emulated-account",
        client_id="emulated-client",
        client_secret="emulated-secret",
        policy=RetryPolicy(max_attempts=1),
        clock=h.clock.now,
    )
    try:
        rng = random.Random(5)
        crowd = simulate_crowd(
            300,
            bangkok(13, 30),
            bangkok(17, 30),
            seed=2022,
            duplicate_rate=0.1,
            reorder_rate=0.2,
            rejoin_rate=0.3,
            breakout_rate=0.2,
            meeting=h.ref,
        )
        staff = _staff_stream(crowd, rng)
        # The emulator keeps the instance and its past-participants rows (truth, staff included).
        await emulator.live.play(dataclasses.replace(crowd, events=[]))
        stream = list(crowd.events)
        for payload in staff:  # staff events arrive in time among the crowd's
            pos = next(
                (i for i, p in enumerate(stream) if _time_of(p) > _time_of(payload)),
                len(stream) - 1,
            )
            stream.insert(pos, payload)
        # Lost for good: Zoom gave up on these (a join and two leaves of crowd members).
        crowd_events = [
            p
            for p in stream
            if p["payload"]["object"].get("participant", {}).get("user_name", "").startswith("Participant")
        ]
        lost = [
            next(p for p in crowd_events if p["event"].endswith("participant_joined")),
            *[p for p in crowd_events if p["event"].endswith("participant_left")][5:7],
        ]
        lost_ids = {id(p) for p in lost}
        stream = [p for p in stream if id(p) not in lost_ids]

        milestones = [bangkok(13, 50), bangkok(14, 5), bangkok(14, 10), bangkok(14, 15)]
        statuses = []
        for payload in stream:
            when = _parse(_time_of(payload))
            while milestones and milestones[0] <= when:
                h.clock.set(milestones.pop(0))
                await h.settle()
            h.clock.set(max(h.clock.now(), when))
            record = await emulator.sender.deliver(payload)
            statuses.append(record.attempts[-1])
        assert set(statuses) == {200}
        assert emulator.sender.validated  # the endpoint answered Zoom's URL validation

        # Readiness: 10 min before Session 1 the missing speaker is named; on arrival, a follow-up.
        slack = h.recorder.texts("slack")
        check = next(t for t in slack if t.startswith("Readiness: Session 1"))
        assert "missing: Nilim Baruah (speaker)" in check
        assert "Maximilian Pottler" not in check.split("Present:")[0]  # "Pöttler" matched by name
        assert any("Opening remarks in 10 min — all present" in t for t in slack)
        follow = [t for t in slack if "Nilim Baruah (speaker) has joined" in t]
        assert len(follow) == 1 and "Session 1" in follow[0]

        h.clock.set(bangkok(17, 31))
        await h.settle()
        before = await report_from_db(h.runtime.db, h.runtime.schedule(EVENT), h.clock.now())
        assert before["attendance"]["total_unique"] == len(crowd.truth)
        # The lost leave was closed at the meeting's end: too long until reconciliation fixes it.
        assert {p["email"] or p["name"]: p["total_seconds"] for p in before["participants"]} != truth.seconds_by_key(
            crowd
        )

        h.clock.advance(minutes=2)
        assert await h.runtime.attendance.reconciler.run_due() == 1
        report = await report_from_db(h.runtime.db, h.runtime.schedule(EVENT), h.clock.now())
        got = {p["email"] or p["name"]: p["total_seconds"] for p in report["participants"]}
        assert got == truth.seconds_by_key(crowd)
        assert report["attendance"]["total_unique"] == len(crowd.truth) == 306
        assert report["attendance"]["peak"] == truth.peak(crowd)
        for seg in report["segments"]:
            start, end = _parse(seg["start"]), _parse(seg["end"])
            assert seg["attended"] == truth.attended_between(crowd, start, end), seg["id"]
        nilim = next(p for p in report["participants"] if p["person_id"] == "nilim-baruah")
        assert nilim["first_join"] == "2022-05-30T07:08:00Z"
    finally:
        await emu_http.aclose()
        await emulator.aclose()
        await h.client.aclose()
        await h.runtime.stop()


def _parse(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))
