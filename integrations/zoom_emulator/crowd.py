"""Seeded crowd simulation: a realistic, messy webhook stream plus the exact ground truth.

Model: each participant has 1+ main-room sessions (a rejoin starts a new session with a new
in-meeting user_id). Time in a breakout room is inside a session, so it counts as attendance.
Delivery noise mimics Zoom: at-least-once (duplicates are byte-identical re-sends) and
out-of-order (a participant event may arrive up to 5 positions late). Lifecycle events
(`started`/`ended`) are never moved, so a stream always opens and closes the instance.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.zoom_emulator.payloads import (
    MeetingRef,
    Person,
    breakout_row,
    lifecycle_event,
    participant_event,
    past_row,
)
from integrations.zoom_emulator.render import zoom_time
from integrations.zoom_emulator.state import Ids

Span = tuple[datetime, datetime]
_RANK = {
    "started": 0,
    "participant_left_breakout_room": 1,
    "participant_left": 2,
    "participant_joined": 3,
    "participant_joined_breakout_room": 4,
    "ended": 9,
}


@dataclass
class Session:
    """One main-room session (a join segment) of a participant."""

    user_id: str
    joined: datetime
    left: datetime
    room: str | None = None
    room_span: Span | None = None
    room_user_id: str | None = None


@dataclass
class ParticipantTruth:
    """What really happened to one person."""

    person: Person
    sessions: list[Session] = field(default_factory=list)

    @property
    def intervals(self) -> list[Span]:
        """Main-meeting presence intervals (breakout time included)."""
        return [(s.joined, s.left) for s in self.sessions]

    @property
    def rooms(self) -> dict[str, list[Span]]:
        """Breakout-room name -> intervals spent there."""
        out: dict[str, list[Span]] = {}
        for s in self.sessions:
            if s.room and s.room_span:
                out.setdefault(s.room, []).append(s.room_span)
        return out

    @property
    def total_seconds(self) -> int:
        """Total attended seconds."""
        return sum(int((b - a).total_seconds()) for a, b in self.intervals)


@dataclass
class Crowd:
    """A simulated instance: the delivery stream and its ground truth."""

    meeting: MeetingRef
    start: datetime
    end: datetime
    events: list[dict[str, Any]]
    canonical: list[dict[str, Any]]
    truth: dict[str, ParticipantTruth]
    room_uuids: dict[str, str]
    duplicates: int = 0
    reordered: int = 0

    def room_truth(self) -> dict[str, list[tuple[str, datetime, datetime]]]:
        """Room name -> (person key, entered, left) for every breakout visit."""
        out: dict[str, list[tuple[str, datetime, datetime]]] = {}
        for key, t in self.truth.items():
            for room, spans in t.rooms.items():
                out.setdefault(room, []).extend((key, a, b) for a, b in spans)
        return out

    def past_rows(self) -> list[dict[str, Any]]:
        """Rows the past-participants endpoints return: one per session, in join order."""
        rows = [
            (s.joined, past_row(t.person, s.user_id, s.joined, s.left)) for t in self.truth.values() for s in t.sessions
        ]
        return [r for _, r in sorted(rows, key=lambda x: (x[0], x[1]["user_id"]))]

    def breakout_rows(self) -> list[dict[str, Any]]:
        """Report rows for breakout visits (with bo_mtg_id)."""
        rows = []
        for t in self.truth.values():
            for s in t.sessions:
                if s.room and s.room_span and s.room_user_id:
                    uuid = self.room_uuids[s.room]
                    rows.append(breakout_row(t.person, s.room_user_id, uuid, *s.room_span))
        return rows


def default_meeting(ids: Ids, start: datetime, end: datetime, kind: str = "meeting") -> MeetingRef:
    """An invented meeting identity for stand-alone simulations."""
    return MeetingRef(
        kind=kind,
        id=str(ids.rng.randint(10_000_000_000, 99_999_999_999)),
        uuid=ids.uuid(),
        host_id=ids.user_id(),
        host_email="host@example.org",
        topic="Simulated session",
        type=2 if kind == "meeting" else 5,
        start_time=zoom_time(start),
        timezone="UTC",
        duration=max(1, int((end - start).total_seconds() // 60)),
        account_id="emulated-account",
    )


def _sessions(rng: random.Random, span: int, rejoin_rate: float) -> list[tuple[int, int]]:
    count = 1
    while count < 4 and rng.random() < rejoin_rate:
        count += 1
    count = min(count, max(1, (span - 1) // 2))
    points = sorted(rng.sample(range(1, span + 1), 2 * count))
    return [(points[i], points[i + 1]) for i in range(0, len(points), 2)]


def simulate_crowd(
    n_participants: int,
    start: datetime,
    end: datetime,
    seed: int,
    duplicate_rate: float = 0.0,
    reorder_rate: float = 0.0,
    rejoin_rate: float = 0.0,
    breakout_rate: float = 0.0,
    *,
    meeting: MeetingRef | None = None,
    rooms: tuple[str, ...] = ("Room 1", "Room 2", "Room 3"),
    registrant_ids: dict[str, str] | None = None,
) -> Crowd:
    """Simulate `n_participants` attending between `start` and `end` (aware datetimes).

    `registrant_ids` (email -> id, e.g. from `LiveSimulator.register_crowd`) makes those participants
    join with their registrant link, so Zoom carries the id in webhooks and past-participant rows.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    start, end = start.astimezone(UTC).replace(microsecond=0), end.astimezone(UTC).replace(microsecond=0)
    span = int((end - start).total_seconds())
    if span < 10:
        raise ValueError("the meeting must last at least 10 seconds")
    for name, rate in [("duplicate", duplicate_rate), ("reorder", reorder_rate)] + [
        ("rejoin", rejoin_rate),
        ("breakout", breakout_rate),
    ]:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name}_rate must be within 0..1")
    rng = random.Random(seed)
    ids = Ids(rng)
    meeting = meeting or default_meeting(ids, start, end)
    used_ids: set[str] = set()

    def new_user_id() -> str:
        while (uid := ids.session_user_id()) in used_ids:
            pass
        used_ids.add(uid)
        return uid

    def at(offset: int) -> datetime:
        return start + timedelta(seconds=offset)

    room_uuids = {r: ids.uuid() for r in rooms}
    truth: dict[str, ParticipantTruth] = {}
    timeline: list[tuple[datetime, int, int, dict[str, Any]]] = []

    def add(when: datetime, what: str, payload: dict[str, Any]) -> None:
        timeline.append((when, _RANK[what], len(timeline), payload))

    add(start, "started", lifecycle_event(meeting, "started", start, rng.randint(0, 999)))
    for i in range(n_participants):
        person = Person(
            name=f"Participant {i + 1:03d}",
            email=f"participant{i + 1:03d}@example.org",
            participant_uuid=ids.guid(),
            zoom_user_id=ids.user_id() if rng.random() < 0.5 else "",
            registrant_id=(registrant_ids or {}).get(f"participant{i + 1:03d}@example.org"),
        )
        t = truth[person.key] = ParticipantTruth(person)
        for j, k in _sessions(rng, span, rejoin_rate):
            s = Session(new_user_id(), at(j), at(k))
            t.sessions.append(s)
            ms = rng.randint(0, 999)
            add(
                s.joined,
                "participant_joined",
                participant_event(meeting, "participant_joined", person, s.user_id, s.joined, extra_ms=ms),
            )
            if meeting.kind == "meeting" and k - j >= 3 and rng.random() < breakout_rate:
                b1, b2 = sorted(rng.sample(range(j + 1, k), 2))
                s.room, s.room_span, s.room_user_id = rng.choice(rooms), (at(b1), at(b2)), new_user_id()
                for what, when in (
                    ("participant_joined_breakout_room", at(b1)),
                    ("participant_left_breakout_room", at(b2)),
                ):
                    add(
                        when,
                        what,
                        participant_event(
                            meeting,
                            what,
                            person,
                            s.room_user_id,
                            when,
                            parent_user_id=s.user_id,
                            breakout_room_uuid=room_uuids[s.room],
                            extra_ms=rng.randint(0, 999),
                        ),
                    )
            reason = "Host ended the meeting." if k == span else None
            add(
                s.left,
                "participant_left",
                participant_event(
                    meeting,
                    "participant_left",
                    person,
                    s.user_id,
                    s.left,
                    leave_reason=reason,
                    extra_ms=rng.randint(0, 999),
                ),
            )
    add(end, "ended", lifecycle_event(meeting, "ended", end, rng.randint(0, 999)))
    canonical = [p for *_, p in sorted(timeline, key=lambda x: x[:3])]
    events, reordered = _reorder(rng, canonical, reorder_rate)
    events, duplicates = _duplicate(rng, events, duplicate_rate)
    return Crowd(meeting, start, end, events, canonical, truth, room_uuids, duplicates, reordered)


def _is_lifecycle(payload: dict[str, Any]) -> bool:
    return payload["event"].endswith((".started", ".ended"))


def _reorder(rng: random.Random, events: list[dict[str, Any]], rate: float):
    keys = []
    moved = 0
    last = len(events) - 1
    for i, payload in enumerate(events):
        key = float(i)
        if 0 < i < last and not _is_lifecycle(payload) and rng.random() < rate:
            # Late by 1..5 places, but never after the closing `ended` event.
            key = min(i + rng.randint(1, 5) + 0.5, last - 0.5)
            moved += 1
        keys.append(key)
    order = sorted(range(len(events)), key=lambda i: keys[i])
    return [events[i] for i in order], moved


def _duplicate(rng: random.Random, events: list[dict[str, Any]], rate: float):
    out = list(events)
    count = 0
    for payload in events:
        if not _is_lifecycle(payload) and rng.random() < rate:
            pos = out.index(payload) + rng.randint(1, 10)
            out.insert(min(pos, len(out) - 1), copy.deepcopy(payload))
            count += 1
    return out, count


# --- answering polls and surveys (issue 29) ----------------------------------------------


def _answer(rng: random.Random, question: dict[str, Any], name: str) -> str:
    kind = question.get("type", "single")
    answers = [str(a) for a in question.get("answers") or []]
    if kind == "multiple" and answers:
        # Zoom joins the chosen options of a multiple-choice question with ";".
        return ";".join(sorted(rng.sample(answers, rng.randint(1, len(answers))), key=answers.index))
    if kind == "rating_scale":
        low, high = int(question.get("rating_min_value", 1)), int(question.get("rating_max_value", 5))
        return str(rng.randint(low, max(low, high)))
    if kind in ("short_answer", "long_answer"):
        return f"Answer from {name}"
    if answers:
        return rng.choice(answers)
    return f"Answer from {name}"


def answer_poll(
    people: list[Person], poll: dict[str, Any], rng: random.Random, at: datetime, rate: float = 0.8
) -> dict[str, dict[str, Any]]:
    """Who of `people` answers `poll` (probability `rate` each) and what: person key -> result row.

    Rows are shaped as /past_meetings/{id}/polls lists them; an anonymous poll hides who answered.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError("rate must be within 0..1")
    out: dict[str, dict[str, Any]] = {}
    for n, person in enumerate(people):
        if rng.random() >= rate:
            continue
        details = [
            {
                "answer": _answer(rng, q, person.name),
                "date_time": zoom_time(at),
                "polling_id": poll["id"],
                "question": q["name"],
            }
            for q in poll.get("questions") or []
        ]
        if poll.get("anonymous"):
            out[f"anonymous-{n}"] = {"name": "Anonymous", "email": "", "question_details": details}
        else:
            out[person.key] = {"name": person.name, "email": person.email, "question_details": details}
    return out


def answer_survey(
    people: list[tuple[str, tuple[str, str]]], survey: dict[str, Any], rng: random.Random, at: datetime, rate: float
) -> dict[str, dict[str, Any]]:
    """Who answers the end-of-meeting survey and what: key -> /report/…/survey row."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError("rate must be within 0..1")
    questions = (survey.get("custom_survey") or {}).get("questions") or []
    out: dict[str, dict[str, Any]] = {}
    for key, (name, email) in people:
        if rng.random() >= rate:
            continue
        details = [
            {
                "question": q["name"],
                "question_id": f"q{i + 1}",
                "answer": _answer(rng, q, name),
                "date_time": zoom_time(at),
            }
            for i, q in enumerate(questions)
        ]
        out[key] = {"name": name, "email": email, "answer_details": details}
    return out
