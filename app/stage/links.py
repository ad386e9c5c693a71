"""Personal presenter links: one stage token per person and event, stored hashed like every token.

A link is shown once, when it is made (or rotated); afterwards it is listed by when it was made,
never shown again. Rotating one revokes the old link and shows the new one once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncConnection

from app.store import tokens_repo
from schedules.limits import TOKEN_NAME, fit
from schedules.model import Person, Schedule
from schedules.stage import person_slots
from schedules.timeline import build_timeline


@dataclass(frozen=True)
class StageLink:
    """A person's presenter link: `url` (with its token) only when it was made just now."""

    person: str
    name: str
    token_id: str
    url: str | None
    created: bool
    made_at: datetime


def stage_people(schedule: Schedule) -> list[Person]:
    """Everyone who takes the stage: moderators, speakers and named respondents, in agenda order."""
    rows = build_timeline(schedule).segments
    return [p for p in schedule.people if person_slots(schedule, rows, p.id)]


def link_url(public_url: str, event_id: str, person: str, token: str) -> str:
    """The presenter URL; the token rides in the fragment, which browsers never send to a server or a log."""
    return f"{public_url.rstrip('/')}/stage/{quote(event_id)}?person={quote(person)}#token={token}"


async def _make(conn: AsyncConnection, schedule: Schedule, person: Person, public_url: str, now: datetime) -> StageLink:
    event_id = schedule.event.id
    name = fit(f"stage: {person.name}", TOKEN_NAME)  # a long name is still recognisable from its start
    token_id, token = await tokens_repo.create_token(conn, name, "stage", now, event_id=event_id, person=person.id)
    return StageLink(person.id, person.name, token_id, link_url(public_url, event_id, person.id, token), True, now)


async def ensure_links(
    conn: AsyncConnection, schedule: Schedule, public_url: str, now: datetime, people: list[Person] | None = None
) -> list[StageLink]:
    """Each stage person's link: the missing ones are made (and shown); existing ones are listed without it."""
    existing = await tokens_repo.stage_links(conn, schedule.event.id)
    out = []
    for person in stage_people(schedule) if people is None else people:
        row = existing.get(person.id)
        if row is not None:
            out.append(StageLink(person.id, person.name, row.id, None, False, row.created_at))
        else:
            out.append(await _make(conn, schedule, person, public_url, now))
    return out


async def rotate_link(
    conn: AsyncConnection, schedule: Schedule, person: Person, public_url: str, now: datetime
) -> tuple[StageLink, int]:
    """A new link for `person`, shown once; their old link(s) stop working. Returns it and how many were revoked."""
    revoked = await tokens_repo.revoke_stage_link(conn, schedule.event.id, person.id, now)
    return await _make(conn, schedule, person, public_url, now), revoked
