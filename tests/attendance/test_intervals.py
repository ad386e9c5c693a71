"""The fold: ground truth from a clean stream; the same from any permutation with duplicates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.attendance.intervals import build_attendance, merge
from app.attendance.processor import fact_from_body
from app.store.attendance_rows import Fact, PastRow
from integrations.zoom_emulator import simulate_crowd
from integrations.zoom_emulator.payloads import Person, participant_event
from tests.attendance.conftest import meeting_ref

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
CROWD = simulate_crowd(40, T0, T0 + timedelta(hours=2), seed=7, rejoin_rate=0.5, breakout_rate=0.4)


def facts_of(payloads) -> list[Fact]:
    return [f for p in payloads if (f := fact_from_body(json.dumps(p))) is not None]


def summary(attendance, now):
    return {p.key: (p.intervals, p.rooms, p.waiting, p.sessions) for p in attendance.participants}, attendance.peak(now)


CLEAN = summary(build_attendance(facts_of(CROWD.canonical)), CROWD.end)


def test_clean_stream_equals_ground_truth():
    attendance = build_attendance(facts_of(CROWD.canonical))
    by_key = attendance.by_key()
    assert set(by_key) == set(CROWD.truth)
    for key, t in CROWD.truth.items():
        p = by_key[key]
        assert p.intervals == sorted(t.intervals)
        assert round(p.seconds(CROWD.end)) == t.total_seconds
        assert {r: [tuple(s) for s in spans] for r, spans in p.rooms.items()} == {
            CROWD.room_uuids[name]: sorted(spans) for name, spans in t.rooms.items()
        }
        assert p.sessions == len(t.sessions)
    assert not attendance.running and not attendance.present()


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_permutation_with_duplicates_gives_the_clean_result(data):
    events = list(CROWD.canonical)
    extra = data.draw(st.lists(st.sampled_from(events), max_size=60))
    shuffled = data.draw(st.permutations(events + extra))
    assert summary(build_attendance(facts_of(shuffled)), CROWD.end) == CLEAN


def test_the_emulators_own_messy_stream_gives_the_clean_result():
    messy = simulate_crowd(
        40,
        T0,
        T0 + timedelta(hours=2),
        seed=7,
        rejoin_rate=0.5,
        breakout_rate=0.4,
        duplicate_rate=0.3,
        reorder_rate=0.5,
    )
    assert messy.duplicates > 0 and messy.reordered > 0
    assert summary(build_attendance(facts_of(messy.events)), messy.end) == CLEAN


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_waiting_room_time_is_not_attendance_and_open_stays_run_to_now():
    ref, ana = meeting_ref(), Person("Ana Lima", "ana@example.org", "GUID-A")
    stream = [
        participant_event(ref, "participant_joined_waiting_room", ana, "1", _at(0)),
        participant_event(ref, "participant_admitted", ana, "1", _at(4)),
        participant_event(ref, "participant_joined", ana, "2", _at(4)),
    ]
    [p] = build_attendance(facts_of(stream)).participants
    assert p.waiting == [(_at(0), _at(4))] and p.intervals == [(_at(4), None)]
    assert p.present and p.since == _at(4) and p.seconds(_at(10)) == 360
    assert p.present_at(_at(5)) and not p.present_at(_at(3))


def test_identity_by_name_only_when_no_stable_id():
    ref = meeting_ref()
    a1, a2 = Person("Dr. Ana Lima (IOM)", "", ""), Person("ana lima", "", "")
    stream = [
        participant_event(ref, "participant_joined", a1, "1", _at(0)),
        participant_event(ref, "participant_left", a1, "1", _at(5)),
        participant_event(ref, "participant_joined", a2, "2", _at(10)),
        participant_event(ref, "participant_left", a2, "2", _at(15)),
    ]
    [p] = build_attendance(facts_of(stream)).participants
    assert p.sessions == 2 and p.seconds(_at(20)) == 600


def test_past_rows_fill_a_lost_join_and_correct_an_inferred_end():
    ref, ana, bo = (
        meeting_ref(),
        Person("Ana", "ana@example.org", "G-A"),
        Person("Bo", "bo@example.org", "G-B"),
    )
    ended = {
        "event": "meeting.ended",
        "event_ts": int(_at(60).timestamp() * 1000),
        "payload": {"object": {"id": ref.id, "uuid": ref.uuid, "end_time": "2030-01-01T10:00:00Z"}},
    }
    stream = [
        participant_event(ref, "participant_left", ana, "1", _at(30)),  # its join was lost
        participant_event(ref, "participant_joined", bo, "2", _at(10)),
        ended,
    ]  # Bo's leave was lost
    before = build_attendance(facts_of(stream)).by_key()
    assert before["ana@example.org"].intervals == [] and before["bo@example.org"].intervals == [(_at(10), _at(60))]
    rows = [
        PastRow(ref.uuid, "1", _at(5), _at(30), "Ana", "ana@example.org"),
        PastRow(ref.uuid, "2", _at(10), _at(20), "Bo", "bo@example.org"),
        PastRow(ref.uuid, "9", _at(40), _at(50), "Cy", "cy@example.org"),
    ]  # no webhook at all
    after = build_attendance(facts_of(stream), rows).by_key()
    assert after["ana@example.org"].intervals == [(_at(5), _at(30))]
    assert after["bo@example.org"].intervals == [(_at(10), _at(20))]
    assert after["cy@example.org"].intervals == [(_at(40), _at(50))] and after["cy@example.org"].reconciled
    # Rows that agree with complete webhooks change nothing.
    assert (
        build_attendance(facts_of(stream), rows + rows).by_key()["bo@example.org"].intervals
        == after["bo@example.org"].intervals
    )


def test_merge_unions_overlaps_and_open_ends():
    assert merge([(_at(5), _at(9)), (_at(0), _at(6)), (_at(20), None), (_at(25), _at(30))]) == [
        (_at(0), _at(9)),
        (_at(20), None),
    ]
