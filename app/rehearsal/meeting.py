"""The sandbox Zoom meeting during a rehearsal: people join and leave as signed webhooks.

The emulator starts the meeting at the event's opening, brings each person on stage in a little
before their first segment (one speaker deliberately late, so a readiness alert fires and then the
"has joined" follow-up), lets an audience come and go, and ends the meeting at the close. Every
event reaches the service's own /webhooks/zoom, so attendance, readiness and the report are real.

When registration is on, the audience registers first, answering the form the meeting has in Zoom
(countries, organisations, every question); about one in five registrants never comes. Most attendees join with
their own registrant link (Zoom then carries their registrant id); some join through the plain
link signed in (email only), and some from a device that is not signed in (name only), so the
report's join order (registrant id, then email, then name) is exercised on every rehearsal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.engine.clock import Clock
from app.rehearsal.clock import at_moment
from integrations.zoom_emulator import ZoomEmulator
from schedules.model import Schedule
from schedules.resolve import event_window, planned_segments


@dataclass(frozen=True)
class Move:
    """One thing that happens in the meeting at one moment."""

    at: datetime
    action: str  # start | register | join | leave | poll (name: its title) | end
    name: str = ""
    email: str = ""
    via: str = "link"  # join: "link" (registrant id), "email" (signed in) or "name" (neither)


def plan_meeting(schedule: Schedule, *, audience: int = 40, seed: int = 7) -> tuple[list[Move], str | None]:
    """Everything that happens in the meeting, and the name of the speaker who arrives late.

    With registration on, `audience // 4` more people register than attend.
    """
    rng = random.Random(seed)
    opens, closes = event_window(schedule)
    planned = {p.id: p for p in planned_segments(schedule)}
    moves = [Move(opens, "start")]
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for seg in schedule.segments:
        for ref in [*seg.moderators, *seg.speakers]:
            first.setdefault(ref, planned[seg.id].start)
            last[ref] = planned[seg.id].end
    on_stage = [ref for ref in first if schedule.person(ref)]
    late = on_stage[len(on_stage) // 2] if on_stage else None
    for ref in on_stage:
        person = schedule.person(ref)
        if ref == late:
            # Two minutes after their readiness check: the hosts see "missing", then "has joined".
            arrive = first[ref] - schedule.readiness.before + timedelta(minutes=2)
        else:
            arrive = max(opens, first[ref] - timedelta(minutes=rng.randint(12, 25)))
        leave = min(closes, last[ref] + timedelta(minutes=rng.randint(2, 15)))
        moves += [
            Move(arrive, "join", person.name, person.email or ""),  # type: ignore[union-attr]  # refs come from the schedule's people
            Move(leave, "leave", person.name, person.email or ""),  # type: ignore[union-attr]  # refs come from the schedule's people
        ]
    span = int((closes - opens).total_seconds())
    registration = bool(schedule.zoom.registration)
    no_shows = audience // 4 if registration else 0
    for i in range(audience + no_shows):
        name, email = f"Participant {i + 1:03d}", f"participant{i + 1:03d}@example.org"
        if registration:
            moves.append(Move(opens - timedelta(days=3) + timedelta(minutes=17 * i), "register", name, email))
        if i >= audience:
            continue  # registered, never came
        arrive = opens + timedelta(seconds=rng.randint(0, span // 4))
        leave = closes - timedelta(seconds=rng.randint(0, span // 6))
        via = "link" if registration else "email"
        if registration and i % 11 == 10:
            via = "name"
        elif registration and i % 7 == 6:
            via = "email"
        shown = "" if via == "name" else email
        moves += [Move(arrive, "join", name, shown, via), Move(leave, "leave", name, shown, via)]
    for poll in schedule.zoom.polls:  # a host launches it in the Zoom client two minutes after the reminder
        if poll.open_at in planned:
            moves.append(Move(planned[poll.open_at].start + timedelta(minutes=2), "poll", poll.title))
    moves.append(Move(closes, "end"))
    order = {"register": -1, "start": 0, "join": 1, "poll": 2, "leave": 3, "end": 4}
    moves.sort(key=lambda m: (m.at, order[m.action]))
    return moves, schedule.person(late).name if late else None  # type: ignore[union-attr]  # refs come from the schedule's people


def webhook_count(moves: list[Move]) -> int:
    """How many webhooks `run_meeting` delivers for `moves`: one per move but registrations and polls.

    A registration is written into the sandbox Zoom directly (as a registrant's form would be), so it
    sends nothing; counting it as a "join or leave" made the demo's opening and closing figures differ.
    A poll has no webhook in Zoom's events spec. The `recording.*` webhooks are not counted: they
    follow Showcaller's own Zoom actions, not the meeting's moves (an end may stop the recording if
    the stop action has not come first, which would make the count a race).
    """
    return sum(1 for m in moves if m.action not in ("register", "poll"))


async def run_meeting(emulator: ZoomEmulator, meeting_id: int, moves: list[Move], clock: Clock, seed: int = 7) -> int:
    """Play the moves at their moments on `clock`; returns how many webhooks were delivered.

    Registrants answer the form the meeting has in Zoom (the emulator fills it in, seeded).
    """
    answers = random.Random(seed)
    sent = 0
    people: dict[str, Any] = {}
    registered: dict[str, str] = {}
    for move in moves:
        async with at_moment(clock, "meeting", move.at):
            sent += await _make(emulator, meeting_id, move, answers, people, registered, seed)
    return sent


async def _make(
    emulator: ZoomEmulator,
    meeting_id: int,
    move: Move,
    answers: random.Random,
    people: dict[str, Any],
    registered: dict[str, str],
    seed: int,
) -> int:
    """Make one move in the sandbox Zoom; returns how many webhooks it sent (see webhook_count)."""
    if move.action == "register":
        stored = emulator.live.register_person(meeting_id, move.name, move.email, answers, at=move.at)
        registered[move.name] = stored["id"]
        return 0
    if move.action == "poll":  # the host launches the poll in the Zoom client (the API cannot)
        stored_polls = emulator.state.meetings[meeting_id].polls
        found = next((p for p in stored_polls if p.get("title") == move.name), None)
        if found is not None:
            emulator.live.run_poll(meeting_id, found["id"], seed=seed, rate=0.8, at=move.at)
        return 0
    if move.action == "start":
        records = await emulator.live.start(meeting_id, at=move.at)
    elif move.action == "end":
        records = await emulator.live.end(meeting_id, at=move.at)
    else:
        registrant = registered.get(move.name) if move.via == "link" else None
        key = move.email or move.name
        if key not in people:
            people[key] = emulator.person_for(meeting_id, move.name, move.email, registrant)
        who = people[key]
        if move.action == "join":
            records = await emulator.live.join(meeting_id, who, at=move.at)
        else:
            records = await emulator.live.leave(meeting_id, who, at=move.at)
    return sum(1 for r in records if not r.event.startswith("recording."))  # see webhook_count
