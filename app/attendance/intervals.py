"""The fold: facts (any order, any duplicates) + reconciled rows -> each participant's intervals.

Pure and deterministic: facts are de-duplicated and sorted by their own payload times, so a
permuted, duplicated stream gives exactly the result of the clean one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from app.attendance.names import normalise_name
from app.store.attendance_rows import Fact, PastRow

Span = tuple[datetime, datetime | None]  # end None = still open


@dataclass
class Session:
    """One stretch in one place (main, breakout or waiting room) under one user_id."""

    place: str  # main | room | waiting
    meeting_uuid: str
    user_id: str
    start: datetime | None = None
    end: datetime | None = None
    end_inferred: bool = False  # closed by the meeting's end, not by a `left`
    parent_user_id: str | None = None
    room: str | None = None
    reconciled: bool = False
    ids: set[tuple[str, str]] = field(default_factory=set)
    names: list[tuple[datetime, str]] = field(default_factory=list)
    email: str | None = None


@dataclass
class Participant:
    """One person across rejoins: presence intervals (merged), rooms and waiting-room time."""

    key: str
    name: str
    email: str | None
    intervals: list[Span]
    rooms: dict[str, list[Span]]
    waiting: list[Span]
    sessions: int
    reconciled: bool
    registrant_ids: tuple[str, ...] = ()  # Zoom's registrant ids seen in webhooks or past rows

    def present_at(self, moment: datetime) -> bool:
        return any(a <= moment and (b is None or moment < b) for a, b in self.intervals)

    @property
    def present(self) -> bool:
        """In the meeting now (an open interval)."""
        return bool(self.intervals) and self.intervals[-1][1] is None

    @property
    def since(self) -> datetime | None:
        """Start of the current stay, when present."""
        return self.intervals[-1][0] if self.present else None

    @property
    def waiting_now(self) -> bool:
        return bool(self.waiting) and self.waiting[-1][1] is None

    def seconds(self, now: datetime, start: datetime | None = None, end: datetime | None = None) -> float:
        """Seconds present (optionally only within [start, end)); open intervals run to `now`."""
        total = 0.0
        for a, b in self.intervals:
            b = b or now
            a, b = max(a, start) if start else a, min(b, end) if end else b
            total += max(0.0, (b - a).total_seconds())
        return total


@dataclass
class Attendance:
    """Everyone seen in one meeting's instances, with instance start/end times."""

    participants: list[Participant]
    started: dict[str, datetime]
    ended: dict[str, datetime]

    @property
    def running(self) -> bool:
        """Some instance started and has not ended."""
        return any(uuid not in self.ended for uuid in self.started)

    def present(self) -> list[Participant]:
        return [p for p in self.participants if p.present]

    def concurrency(self, now: datetime) -> list[tuple[datetime, int]]:
        """Step function of how many people were present: (moment, count from then on)."""
        deltas: dict[datetime, int] = {}
        for p in self.participants:
            for a, b in p.intervals:
                deltas[a] = deltas.get(a, 0) + 1
                if b is not None:
                    deltas[b] = deltas.get(b, 0) - 1
        out: list[tuple[datetime, int]] = []
        count = 0
        for moment in sorted(deltas):
            count += deltas[moment]
            if moment <= now or not out:
                out.append((moment, count))
        return out

    def peak(self, now: datetime) -> int:
        return max((c for _, c in self.concurrency(now)), default=0)

    def by_key(self) -> dict[str, Participant]:
        return {p.key: p for p in self.participants}


_OPENS = {"joined": "main", "room_joined": "room", "waiting_joined": "waiting"}
_CLOSES = {"left": "main", "room_left": "room", "waiting_left": "waiting", "admitted": "waiting"}


def build_attendance(facts: Iterable[Fact], past_rows: Iterable[PastRow] = ()) -> Attendance:
    """Fold facts (and reconciled rows) into participants; see the module docstring."""
    ordered = sorted(set(facts), key=Fact.sort_key)
    started: dict[str, datetime] = {}
    ended: dict[str, datetime] = {}
    sessions: list[Session] = []
    open_: dict[tuple[str, str, str], Session] = {}
    last: dict[tuple[str, str, str], Session] = {}
    for f in ordered:
        if f.kind == "started":
            started.setdefault(f.meeting_uuid, f.occurred_at)
        elif f.kind == "ended":
            ended[f.meeting_uuid] = f.occurred_at
            started.setdefault(f.meeting_uuid, f.occurred_at)
        elif f.kind in _OPENS:
            key = (_OPENS[f.kind], f.meeting_uuid, f.user_id)
            if key not in open_:
                s = Session(
                    key[0],
                    f.meeting_uuid,
                    f.user_id,  # type: ignore[arg-type]  # opening facts carry a user id
                    start=f.occurred_at,
                    parent_user_id=f.parent_user_id,
                    room=f.room,
                )
                sessions.append(s)
                open_[key] = last[key] = s  # type: ignore[index]  # opening facts carry a user id
            _note(open_[key], f)  # type: ignore[index]  # opening facts carry a user id
        else:
            key = (_CLOSES[f.kind], f.meeting_uuid, f.user_id)
            s = open_.pop(key, None)  # type: ignore[arg-type]  # opening facts carry a user id
            if s is None and key in last and last[key].end == f.occurred_at:
                continue  # the same close re-sent with another event_ts
            if s is None:  # the opening webhook never came: remember the gap for reconciliation
                s = Session(key[0], f.meeting_uuid, f.user_id, parent_user_id=f.parent_user_id, room=f.room)
                sessions.append(s)
                last[key] = s
            s.end = f.occurred_at
            _note(s, f)
    for s in open_.values():
        if s.meeting_uuid in ended and s.start is not None:
            s.end, s.end_inferred = max(ended[s.meeting_uuid], s.start), True
    _reconcile(sessions, last, past_rows)
    return Attendance(_people(sessions), started, ended)


def _note(s: Session, f: Fact) -> None:
    for kind, value in (
        ("pu", f.participant_uuid),
        ("em", f.email),
        ("zu", f.zoom_user_id),
        ("rg", f.registrant_id),
    ):
        if value:
            s.ids.add((kind, value))
    if f.name:
        s.names.append((f.occurred_at, f.name))
    s.email = s.email or f.email
    s.parent_user_id = s.parent_user_id or f.parent_user_id
    s.room = s.room or f.room


def _reconcile(sessions: list[Session], last: dict, rows: Iterable[PastRow]) -> None:
    for row in sorted(set(rows), key=lambda r: (r.join_time, r.meeting_uuid, r.user_id or "", r.leave_time)):
        s = last.get(("main", row.meeting_uuid, row.user_id)) if row.user_id else None
        if s is not None and (s.start is None or s.end is None or s.end_inferred):
            s.start = s.start or row.join_time
            if s.end is None or s.end_inferred:
                s.end, s.end_inferred = row.leave_time, False
            s.reconciled = True
        elif s is None:
            s = Session(
                "main",
                row.meeting_uuid,
                row.user_id or f"past:{row.join_time.isoformat()}",
                start=row.join_time,
                end=row.leave_time,
                reconciled=True,
            )
            sessions.append(s)
        else:
            continue
        email = row.email.strip().casefold() if row.email else None
        for kind, value in (("em", email), ("zu", row.zoom_user_id), ("rg", row.registrant_id)):
            if value:
                s.ids.add((kind, value))
        if row.name:
            s.names.append((row.join_time, row.name))
        s.email = s.email or email


class _Groups:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _people(sessions: list[Session]) -> list[Participant]:
    groups = _Groups(len(sessions))
    owner: dict[tuple, int] = {}
    for i, s in enumerate(sessions):
        keys = set(s.ids)
        if s.place == "main":
            keys.add(("sess", s.meeting_uuid, s.user_id))  # type: ignore[arg-type]  # opening facts carry a user id
        elif s.place == "room" and s.parent_user_id:
            keys.add(("sess", s.meeting_uuid, s.parent_user_id))  # type: ignore[arg-type]  # opening facts carry a user id
        if not s.ids:  # no stable identity at all: fall back to the display name
            name = normalise_name(s.names[-1][1]) if s.names else ""
            keys.add(("nm", name or f"anon:{s.meeting_uuid}:{s.place}:{s.user_id}"))
        for key in keys:
            if key in owner:
                groups.union(owner[key], i)
            else:
                owner[key] = i
    members: dict[int, list[Session]] = {}
    for i, s in enumerate(sessions):
        members.setdefault(groups.find(i), []).append(s)
    found = [_participant(group) for group in members.values()]
    people = [p for p in found if p is not None]
    return sorted(people, key=lambda p: p.key)


def _participant(group: list[Session]) -> Participant | None:
    ids = set().union(*(s.ids for s in group))
    names = sorted(n for s in group for n in s.names)
    key = next(
        (
            f"{kind}:{v}" if kind != "em" else v
            for kind in ("em", "pu", "zu", "rg")
            for v in sorted(x for k, x in ids if k == kind)
        ),
        None,
    )
    if key is None:
        key = "name:" + (normalise_name(names[-1][1]) if names else group[0].user_id)
    presence = [(s.start, s.end) for s in group if s.place in ("main", "room") and s.start is not None]
    rooms: dict[str, list[Span]] = {}
    for s in group:
        if s.place == "room" and s.start is not None:
            rooms.setdefault(s.room or "?", []).append((s.start, s.end))
    waiting = sorted((s.start, s.end) for s in group if s.place == "waiting" and s.start is not None)
    mains = [s for s in group if s.place == "main"]
    return Participant(
        key=key,
        name=names[-1][1] if names else key,
        email=min((s.email for s in group if s.email), default=None),
        intervals=merge(presence),
        rooms={r: merge(v) for r, v in sorted(rooms.items())},
        waiting=waiting,
        sessions=len(mains),
        reconciled=any(s.reconciled for s in group),
        registrant_ids=tuple(sorted(v for k, v in ids if k == "rg")),
    )


def merge(spans: Iterable[Span]) -> list[Span]:
    """Union of intervals, sorted; an open end (None) swallows everything after its start."""
    out: list[Span] = []
    for a, b in sorted(spans, key=lambda s: (s[0], s[1] is None, s[1] or s[0])):
        if out and (out[-1][1] is None or a <= out[-1][1]):
            prev_a, prev_b = out[-1]
            out[-1] = (prev_a, None if b is None or prev_b is None else max(prev_b, b))
        else:
            out.append((a, b))
    return out
